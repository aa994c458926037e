#!/usr/bin/env bash
# muelle's command line (help, version, usage errors) and the store lock:
# concurrent commands never corrupt index.json.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd jq tar

ROOT=$TEST_TMP/store
M=("$MUELLE" --root "$ROOT")

run_cmd "$MUELLE" --help
is "$status" 0 "--help exits 0"
for c in images tag rmi inspect history prune import bundle save load; do
  like "$output" "  $c " "--help lists $c"
done
run_cmd "$MUELLE" --version
is "$status" 0 "--version exits 0"
like "$output" '^muelle version [0-9]' "--version prints the version"
for c in images tag rmi inspect history prune import bundle save load; do
  run_cmd "$MUELLE" "$c" --help
  if [ "$status" -eq 0 ] && [[ $output == "Usage: muelle $c"* ]]; then pass "$c --help"; else
    fail "$c --help" "$output"; fi
done
run_cmd "$MUELLE"
is "$status" 1 "no command: exit 1"
run_cmd "$MUELLE" frobnicate
is "$output" "muelle: unknown command \`frobnicate\` (see muelle --help)" "unknown command: one line naming it"
run_cmd "$MUELLE" --frob images
is "$status" 1 "unknown global option fails"
like "$output" "unknown global option \`--frob\`" "and names it"
run_cmd "$MUELLE" --root
is "$status" 1 "--root without a value fails"
run_cmd "$MUELLE" --root "$ROOT" --log-level bogus images
is "$status" 1 "a bad --log-level fails"
run_cmd "${M[@]}" tag onlyone
is "$status" 1 "tag with one operand fails"
like "$output" "usage: muelle tag" "with the usage"
run_cmd "${M[@]}" save busybox
is "$status" 1 "save without -o fails"
run_cmd "${M[@]}" bundle --uid-map 0:1:1 x "$TEST_TMP/b"
like "$output" "go together" "--uid-map without --gid-map fails"

# The store lock: many concurrent writers, index.json stays whole.
make_rootfs "$TEST_TMP/rootfs"
tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/rootfs.tar" .
"${M[@]}" import "$TEST_TMP/rootfs.tar" base >/dev/null || bail "import failed"
pids=()
for i in $(seq 1 20); do
  "${M[@]}" tag base "concurrent:$i" &
  pids+=($!)
done
for i in 1 2 3; do
  "${M[@]}" import -c "ENV N=$i" "$TEST_TMP/rootfs.tar" "imported:$i" >/dev/null &
  pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "23 concurrent tag/import commands succeed"
is "$(jq '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | map(select(startswith("docker.io/library/concurrent:"))) | length' "$ROOT/index.json")" \
  20 "all 20 concurrent tags are in index.json"
is "$(jq '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | map(select(startswith("docker.io/library/imported:"))) | length' "$ROOT/index.json")" \
  3 "all 3 concurrent imports are in index.json"
is "$(find "$ROOT/tmp" -mindepth 1 | wc -l)" 0 "no temp file left"
# rmi (exclusive) racing with bundles (shared) of the same store.
"${M[@]}" rmi concurrent:1 >/dev/null &
p1=$!
"${M[@]}" bundle concurrent:2 "$TEST_TMP/cb" >/dev/null &
p2=$!
wait $p1 && wait $p2
is "$?" 0 "rmi and bundle run side by side"
check "the bundle is complete" test -x "$TEST_TMP/cb/rootfs/bin/busybox"

done_testing
