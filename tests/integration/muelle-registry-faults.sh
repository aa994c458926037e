#!/usr/bin/env bash
# muelle pull through a fault-injecting proxy: corrupted, truncated and
# oversized blobs and swapped or malformed manifests are refused with an
# error naming the blob and nothing enters the store; 5xx answers are
# retried with backoff, and a bounded number of times; blob redirects are
# followed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-registry-helpers.bash"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd /usr/bin/docker-registry skopeo umoci jq python3 curl

start_registry reg
start_proxy "$REG"
make_oci_image "$TEST_TMP/oci" v1 amd64 2
push_with_skopeo "$TEST_TMP/oci" v1 "$REG/faults/bb:v1"
want=$(registry_digest "$REG/faults/bb:v1")
img=$PROXY/faults/bb:v1

# pull_fails MODE DESC REGEX: a pull through the proxy in MODE fails, the
# error matches REGEX, and the store holds no tag, no blob and no temp file.
pull_fails ()
{
  local mode=$1 desc=$2 regex=$3 store=$TEST_TMP/store-$1
  proxy_mode "$mode"
  run_cmd muelle_r "$store" pull --tls-verify=false --retry 2 "${@:4}" "$img"
  is "$status" 1 "$desc: pull exits 1"
  like "$output" "$regex" "$desc: the error says why"
  is "$(printf '%s\n' "$output" | grep -c '^muelle:')" 1 "$desc: one error line"
  is "$(store_tags "$store")" "" "$desc: nothing is tagged"
  is "$(find "$store/blobs" -type f 2>/dev/null | wc -l)" 0 "$desc: no blob entered the store"
  check "$desc: no temp files are left" store_tmp_empty "$store"
}

pull_fails corrupt-blob "corrupted blob" '(config|blob) sha256:[0-9a-f]{64} from .*faults/bb.*digest mismatch'
pull_fails truncate-blob "truncated blob" '(config|blob) sha256:[0-9a-f]{64} from .*faults/bb.*truncated'
pull_fails oversize-blob "oversized blob" '(config|blob) sha256:[0-9a-f]{64} from .*more than the [0-9]+ bytes'
pull_fails bad-manifest "malformed manifest" "pull $PROXY/faults/bb:v1: malformed manifest"
pull_fails stall-blob "a stalled transfer" '(config|blob) sha256:[0-9a-f]{64} from .*faults/bb: no data received for 1 seconds' \
  --timeout 1
pull_fails always-500 "a registry that keeps failing" 'server error after 3 attempts'
like "$(grep -c 'GET /v2/faults/bb/manifests/v1 -> 500' "$TEST_TMP/proxy.log")" '^[3-9]' \
  "the manifest request was tried 1 + --retry times"

# A digest-pinned pull refuses a manifest whose bytes do not match.
proxy_mode swap-manifest
run_cmd muelle_r "$TEST_TMP/store-swap" pull --tls-verify=false "$PROXY/faults/bb@$want"
is "$status" 1 "a manifest that does not match the pinned digest is refused"
like "$output" "faults/bb@$want: digest mismatch" "the error names the image and the mismatch"
is "$(store_tags "$TEST_TMP/store-swap")" "" "nothing is tagged after a manifest mismatch"

# Transient errors: every first request answers 500, and the pull still works.
proxy_mode flaky
store=$TEST_TMP/store-ok
run_cmd muelle_r "$store" pull --tls-verify=false "$img"
is "$status" 0 "a pull succeeds when each request first fails with 500"
[ "$status" -eq 0 ] || diag "$output"
like "$output" 'Retrying' "the retries are reported"
is "$(store_digest "$store" "$img")" "$want" "the retried pull stores the right manifest"
run_cmd muelle_r "$TEST_TMP/store-noretry" pull --tls-verify=false --retry 0 "$PROXY/faults/bb@$want"
is "$status" 1 "with --retry 0 the first 500 is final"

# Rate limiting: 429 with Retry-After is waited out, not hammered.
proxy_mode rate-limit
store=$TEST_TMP/store-429
start=$(date +%s%N)
run_cmd muelle_r "$store" pull --tls-verify=false "$img"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
is "$status" 0 "a pull succeeds through 429 answers"
[ "$status" -eq 0 ] || diag "$output"
ok_if "the client waited the Retry-After second (${elapsed_ms} ms)" "$([ "$elapsed_ms" -ge 1900 ] && echo 0 || echo 1)"
is "$(store_digest "$store" "$img")" "$want" "the rate-limited pull stores the right manifest"

# Redirected blob downloads (registries send blobs from storage elsewhere).
proxy_mode redirect-blob
store=$TEST_TMP/store-redirect
run_cmd muelle_r "$store" pull --tls-verify=false "$img"
is "$status" 0 "blob redirects are followed"
[ "$status" -eq 0 ] || diag "$output"
like "$(cat "$TEST_TMP/proxy.log")" 'GET /redirected/v2/faults/bb/blobs/sha256:' "blobs came from the redirect target"
is "$(store_digest "$store" "$img")" "$want" "the redirected pull stores the right manifest"

done_testing
