#!/usr/bin/env bash
# Registry authentication: login/logout and the auth file, basic auth
# against docker-registry with htpasswd (bcrypt), and the Docker token
# flow (Bearer challenge → token server → scoped token) through the test
# proxy acting as the token-protected registry.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-registry-helpers.bash"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd /usr/bin/docker-registry skopeo umoci jq python3 curl htpasswd

make_oci_image "$TEST_TMP/oci" v1 amd64 1

# ---------------------------------------------------------- basic auth ---

htpasswd -Bbc "$TEST_TMP/htpasswd" alice 's3cret pass' >/dev/null 2>&1 || bail "htpasswd failed"
start_registry basic "auth:
  htpasswd:
    realm: muelle-test
    path: $TEST_TMP/htpasswd"
skopeo copy --quiet --dest-tls-verify=false --dest-creds 'alice:s3cret pass' "oci:$TEST_TMP/oci:v1" \
  "docker://$REG/private/bb:v1" >/dev/null 2>&1 || bail "skopeo could not push to the htpasswd registry"
want=$(skopeo inspect --raw --tls-verify=false --creds 'alice:s3cret pass' "docker://$REG/private/bb:v1" | sha256sum |
  sed 's/^/sha256:/; s/ .*//')
store=$TEST_TMP/store
auth=$TEST_TMP/auth/auth.json

run_cmd muelle_r "$store" pull --tls-verify=false --authfile "$auth" "$REG/private/bb:v1"
is "$status" 1 "pull without credentials fails"
like "$output" "$REG/private/bb:v1.*unauthorized.*muelle login" "the error names the image and suggests login"

run_cmd muelle_r "$store" login --tls-verify=false --authfile "$auth" -u alice -p wrong "$REG"
is "$status" 1 "login with a wrong password fails"
like "$output" "log in to $REG: invalid username or password" "the error says the credentials are wrong"
check "a failed login stores nothing" test ! -e "$auth"

run_cmd bash -c "printf 's3cret pass\n' | '$MUELLE' --root '$store' login --tls-verify=false --authfile '$auth' -u alice --password-stdin '$REG'"
is "$status" 0 "login with --password-stdin"
like "$output" 'Login Succeeded' "login reports success"
is "$(stat -c %a "$auth")" 600 "the auth file is private (0600)"
is "$(jq -r --arg r "$REG" '.auths[$r].auth' "$auth" | base64 -d)" "alice:s3cret pass" \
  "the auth file holds base64(user:password) under the registry"

run_cmd muelle_r "$store" pull --tls-verify=false --authfile "$auth" "$REG/private/bb:v1"
is "$status" 0 "pull with stored basic credentials"
is "$(store_digest "$store" "$REG/private/bb:v1")" "$want" "the pulled manifest has the registry's digest"
run_cmd skopeo inspect --tls-verify=false --authfile "$auth" "docker://$REG/private/bb:v1"
is "$status" 0 "skopeo reads muelle's auth file"

run_cmd muelle_r "$store" push --tls-verify=false --authfile "$auth" "$REG/private/bb:v1" "$REG/private/copy:v2"
is "$status" 0 "push with stored basic credentials"
is "$(skopeo inspect --raw --tls-verify=false --authfile "$auth" "docker://$REG/private/copy:v2" | sha256sum |
  sed 's/^/sha256:/; s/ .*//')" "$want" "the pushed manifest keeps its digest"

run_cmd muelle_r "$TEST_TMP/store2" pull -q --tls-verify=false --authfile "$TEST_TMP/none.json" \
  --creds 'alice:s3cret pass' "$REG/private/bb:v1"
is "$status" 0 "--creds works without an auth file"

# A docker config.json in $HOME is read too.
mkdir -p "$TEST_TMP/home/.docker"
jq -n --arg r "http://$REG/v1/" --arg a "$(printf 'alice:s3cret pass' | base64)" '{auths: {($r): {auth: $a}}}' \
  >"$TEST_TMP/home/.docker/config.json"
run_cmd env -u REGISTRY_AUTH_FILE HOME="$TEST_TMP/home" XDG_RUNTIME_DIR="$TEST_TMP/xdg" "$MUELLE" \
  --root "$TEST_TMP/store3" pull -q --tls-verify=false "$REG/private/bb:v1"
is "$status" 0 "credentials from ~/.docker/config.json (legacy URL key)"

printf '{"auths": {"other.example": {"auth": "eDp5"}}, "credHelpers": {"x": "y"}}' >"$TEST_TMP/keep.json"
run_cmd muelle_r "$store" login --tls-verify=false --authfile "$TEST_TMP/keep.json" -u alice -p 's3cret pass' "$REG"
is "$(jq -c '[(.auths | keys), .credHelpers]' "$TEST_TMP/keep.json")" "[[\"$REG\",\"other.example\"],{\"x\":\"y\"}]" \
  "login keeps the other entries and keys of the auth file"

run_cmd muelle_r "$store" logout --authfile "$auth" "$REG"
is "$status" 0 "logout"
is "$(jq -c '.auths' "$auth")" '{}' "logout removed the entry"
run_cmd muelle_r "$store" logout --authfile "$auth" "$REG"
is "$status" 1 "logout when not logged in fails"
like "$output" "not logged in to $REG" "the error names the registry"
run_cmd muelle_r "$store" logout --authfile "$TEST_TMP/keep.json" --all
is "$(jq -c '.auths' "$TEST_TMP/keep.json")" '{}' "logout --all removes every entry"

printf '{"auths": ' >"$TEST_TMP/broken.json"
run_cmd muelle_r "$store" pull --tls-verify=false --authfile "$TEST_TMP/broken.json" "$REG/private/bb:v1"
is "$status" 1 "a malformed auth file is an error"
like "$output" "auth file $TEST_TMP/broken.json: invalid JSON" "the error names the file"

# ---------------------------------------------------------- token auth ---

start_registry open
start_proxy "$REG"
push_with_skopeo "$TEST_TMP/oci" v1 "$REG/tok/bb:v1"
proxy_mode token
run_cmd muelle_r "$TEST_TMP/store-tok" pull --tls-verify=false --authfile "$TEST_TMP/none.json" "$PROXY/tok/bb:v1"
is "$status" 1 "the token server refuses anonymous access"
like "$output" "authentication to $PROXY failed" "the error names the registry"

run_cmd muelle_r "$TEST_TMP/store-tok" login --tls-verify=false --authfile "$TEST_TMP/tok.json" -u tester -p secret \
  "$PROXY"
is "$status" 0 "login through the token server"
run_cmd muelle_r "$TEST_TMP/store-tok" pull --tls-verify=false --authfile "$TEST_TMP/tok.json" "$PROXY/tok/bb:v1"
is "$status" 0 "pull with a bearer token"
[ "$status" -eq 0 ] || diag "$output" "$(tail -20 "$TEST_TMP/proxy.log")"
like "$(cat "$TEST_TMP/proxy.log")" "token for \['repository:tok/bb:pull'\]" "the token was asked for the repository's pull scope"
is "$(grep -c "token for \['repository:tok/bb:pull'\]" "$TEST_TMP/proxy.log")" 1 "one token served the whole pull (cached)"

run_cmd muelle_r "$TEST_TMP/store-tok" push --tls-verify=false --authfile "$TEST_TMP/tok.json" "$PROXY/tok/bb:v1" \
  "$PROXY/tok/pushed:v1"
is "$status" 0 "push with a bearer token (pull,push scope plus the mount source)"
[ "$status" -eq 0 ] || diag "$output" "$(tail -20 "$TEST_TMP/proxy.log")"
like "$(cat "$TEST_TMP/proxy.log")" "token for \['repository:tok/pushed:pull,push', 'repository:tok/bb:pull'\]" \
  "push asked for the pull,push scope and pull on the mount source"
like "$output" 'Copying blob sha256:[0-9a-f]{64} mounted' "the token allowed a cross-repository mount"

done_testing
