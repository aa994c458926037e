#!/usr/bin/env bash
# TLS: a docker-registry serving https with a certificate from a private
# CA.  muelle verifies certificates by default (an unknown CA is refused),
# trusts the CA given with --cert-dir, and with --tls-verify=false talks
# https without checks (it does not fall back to plain HTTP when https
# works).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-registry-helpers.bash"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd /usr/bin/docker-registry skopeo umoci jq python3 curl openssl

pki=$TEST_TMP/pki
mkdir -p "$pki/certs.d"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=muelle test CA" -keyout "$pki/ca.key" \
  -out "$pki/ca.crt" >/dev/null 2>&1 || bail "openssl could not make a CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$pki/server.key" -out "$pki/server.csr" \
  >/dev/null 2>&1 || bail "openssl could not make a server key"
printf 'subjectAltName=IP:127.0.0.1\n' >"$pki/san.ext"
openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
  -extfile "$pki/san.ext" -out "$pki/server.crt" >/dev/null 2>&1 || bail "openssl could not sign the server certificate"
cp "$pki/ca.crt" "$pki/certs.d/ca.crt"

start_registry tls "  tls:
    certificate: $pki/server.crt
    key: $pki/server.key" || true
# start_registry waits with plain http; wait for https instead.
wait_for 10 curl -s --cacert "$pki/ca.crt" -o /dev/null "https://$REG/v2/" || bail "the TLS registry did not start"

make_oci_image "$TEST_TMP/oci" v1 amd64 1
skopeo copy --quiet --dest-cert-dir "$pki/certs.d" "oci:$TEST_TMP/oci:v1" "docker://$REG/tls/bb:v1" >/dev/null 2>&1 ||
  bail "skopeo could not push to the TLS registry"
want=$(skopeo inspect --raw --cert-dir "$pki/certs.d" "docker://$REG/tls/bb:v1" | sha256sum | sed 's/^/sha256:/; s/ .*//')
store=$TEST_TMP/store

run_cmd muelle_r "$store" pull --retry 0 "$REG/tls/bb:v1"
is "$status" 1 "a certificate from an unknown CA is refused"
like "$output" "connect to registry $REG: .*(certificate|SSL)" "the error names the registry and the TLS problem"

run_cmd muelle_r "$store" pull --cert-dir "$pki/certs.d" "$REG/tls/bb:v1"
is "$status" 0 "--cert-dir trusts the registry's CA"
[ "$status" -eq 0 ] || diag "$output"
is "$(store_digest "$store" "$REG/tls/bb:v1")" "$want" "pulled over verified TLS"

run_cmd muelle_r "$TEST_TMP/store2" pull -q --tls-verify=false "$REG/tls/bb:v1"
is "$status" 0 "--tls-verify=false skips the certificate check"
is "$(store_digest "$TEST_TMP/store2" "$REG/tls/bb:v1")" "$want" "and pulls over https"

run_cmd muelle_r "$store" push --cert-dir "$pki/certs.d" "$REG/tls/bb:v1" "$REG/tls/pushed:v1"
is "$status" 0 "push over verified TLS"
is "$(skopeo inspect --raw --cert-dir "$pki/certs.d" "docker://$REG/tls/pushed:v1" | sha256sum |
  sed 's/^/sha256:/; s/ .*//')" "$want" "the pushed manifest keeps its digest"

mkdir -p "$pki/bad"
cp "$pki/server.crt" "$pki/bad/client.cert"
run_cmd muelle_r "$store" pull --cert-dir "$pki/bad" "$REG/tls/bb:v1"
is "$status" 1 "a client certificate without its key is an error"
like "$output" "client certificate client.cert has no readable key \(client.key\)" "the error names the files"
run_cmd muelle_r "$store" pull --cert-dir "$TEST_TMP/none" "$REG/tls/bb:v1"
is "$status" 1 "a missing --cert-dir is an error"
like "$output" "certificate directory $TEST_TMP/none" "the error names the directory"

done_testing
