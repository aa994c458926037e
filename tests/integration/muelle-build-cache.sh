#!/usr/bin/env bash
# muelle build: the step cache hits and misses exactly as it should (a
# cached rebuild starts no container; a changed file re-runs from the step
# that copies it), and builds are reproducible bit for bit.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-build-helpers.bash"
require_root
build_setup

ctx=$TEST_TMP/ctx
dockerfile "$ctx" <<'EOF2'
FROM busybox
ARG USED=one
COPY a.txt /a.txt
RUN --mount=type=cache,target=/cache,id=buildtest echo "first run $USED" | tee -a /cache/log
COPY b.txt /b.txt
RUN --mount=type=cache,target=/cache,id=buildtest cat /b.txt | tee -a /cache/log >/b2.txt
CMD ["cat", "/a.txt", "/b2.txt"]
EOF2
echo apple >"$ctx/a.txt"
echo banana >"$ctx/b.txt"
runs ()
{
  cat "$ROOT"/build/run-cache/*/log 2>/dev/null | tr '\n' '|'
}

build -t cached "$ctx"
is "$status" 0 "the first build succeeds"
first=$IMAGE
like "$output" "STEP 1/7: FROM busybox" "progress shows STEP n/m"
like "$output" "first run one" "RUN output is streamed"
unlike "$output" "CACHED" "nothing is cached the first time"
is "$(runs)" "first run one|banana|" "both RUN steps ran"
run_image cached
is "$output" "$(printf 'apple\nbanana')" "the image runs"

build -t cached "$ctx"
is "$IMAGE" "$first" "a rebuild gives the same image id"
is "$(printf '%s\n' "$output" | grep -c 'CACHED')" 4 "every RUN and COPY step is CACHED"
unlike "$output" "first run one" "no RUN output: nothing ran"
is "$(runs)" "first run one|banana|" "no container was started"

build --build-arg UNUSED=x "$ctx"
is "$IMAGE" "$first" "a build arg no step uses changes nothing"
build --build-arg USED=two "$ctx"
like "$output" "first run two" "a build arg a RUN sees runs it again"
is "$(runs)" "first run one|banana|first run two|banana|" "and re-runs the steps from that RUN on"

echo blueberry >"$ctx/b.txt"
build "$ctx"
is "$(printf '%s\n' "$output" | grep -c 'CACHED')" 2 "changing b.txt: the steps before its COPY stay cached"
is "$(runs)" "first run one|banana|first run two|banana|blueberry|" "only the RUN after it runs again"
run_image "$IMAGE"
is "$output" "$(printf 'apple\nblueberry')" "and the image has the new content"

touch -d '2001-01-01' "$ctx/b.txt"
build "$ctx"
is "$(printf '%s\n' "$output" | grep -c 'CACHED')" 4 "a new mtime with the same content stays cached"

build --no-cache "$ctx"
unlike "$output" "CACHED" "--no-cache uses no cache"
like "$(runs)" "blueberry\|first run one\|blueberry\|$" "and runs every step"
nocache=$IMAGE

# Reproducible: a fresh store, same inputs, same digests.
second=("$MUELLE" --root "$TEST_TMP/store2")
"${M[@]}" save -o "$TEST_TMP/busybox.tar" busybox
"${second[@]}" load -i "$TEST_TMP/busybox.tar" >/dev/null
run_cmd "${second[@]}" build -q "$ctx"
is "$output" "$nocache" "another store builds the bit-identical image"
is "$("${second[@]}" inspect --type manifest "$output" | jq -c '.layers')" \
  "$("${M[@]}" inspect --type manifest "$nocache" | jq -c '.layers')" "with the same layer blobs"

SOURCE_DATE_EPOCH=1700000000 build -q "$ctx"
epoch=$IMAGE
isnt "$epoch" "$nocache" "SOURCE_DATE_EPOCH changes the image"
is "$(config "$epoch" '.created')" '"2023-11-14T22:13:20Z"' "created is SOURCE_DATE_EPOCH"
layer=$("${M[@]}" inspect --type manifest "$epoch" | jq -r '.layers[1].digest')
is "$(tar -tvzf "$ROOT/blobs/sha256/${layer#sha256:}" | awk '{print $4" "$5}' | sort -u)" "2023-11-14 22:13" \
  "every layer entry has that mtime"
SOURCE_DATE_EPOCH=1700000000 build -q "$ctx"
is "$IMAGE" "$epoch" "and the build is reproducible with it"

# muelle prune: the step cache keeps the entries that can still hit.
third=("$MUELLE" --root "$TEST_TMP/store3")
"${third[@]}" load -i "$TEST_TMP/busybox.tar" >/dev/null
for name in keep drop; do
  dockerfile "$TEST_TMP/$name" <<EOF2
FROM busybox
RUN --mount=type=cache,target=/cache,id=$name echo $name >/$name; touch /cache/$name
WORKDIR /tmp
EOF2
  run_cmd "${third[@]}" build -q -t "$name" "$TEST_TMP/$name"
  is "$status" 0 "store3: $name builds"
  [ "$name" != keep ] || keep_id=$output
done
entries () { find "$TEST_TMP/store3/$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
is "$(entries build/cache) $(entries cache/overlay)" "4 3" \
  "4 step cache entries (2 RUN, 2 WORKDIR without layer), 3 overlay copies (busybox, 2 RUN layers)"
"${third[@]}" rmi drop >/dev/null
mkdir -p "$TEST_TMP/store3/build/tmp/rootfs-stale"
run_cmd "${third[@]}" prune
is "$status" 0 "prune succeeds"
like "$output" "Removed [0-9]+ build cache entries" "and counts the build cache entries it removed"
is "$(entries build/cache) $(entries cache/overlay)" "3 2" \
  "the dropped image's RUN step and overlay copy are gone; WORKDIR entries without layer stay"
is "$(entries build/run-cache) $(entries build/tmp)" "0 0" "cache mounts and stale scratch directories are removed"
run_cmd "${third[@]}" build "$TEST_TMP/keep"
is "$(printf '%s\n' "$output" | grep -c 'CACHED')" 2 "the kept image rebuilds fully cached"
like "$output" "$keep_id" "into the same image"
run_cmd "${third[@]}" build "$TEST_TMP/drop"
is "$(printf '%s\n' "$output" | grep -c 'CACHED')" 1 "the dropped image's RUN runs again (its WORKDIR stays cached)"

build -q --timestamp-now "$ctx"
created=$(config "$IMAGE" '.created' | tr -d '"')
now=$(date -u +%s)
then_=$(date -u -d "$created" +%s)
ok_if "--timestamp-now uses the clock" $((now - then_ < 120 && now - then_ >= 0 ? 0 : 1))

done_testing
