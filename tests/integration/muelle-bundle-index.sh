#!/usr/bin/env bash
# muelle bundle of a tag pointing at an image index or Docker manifest list
# (the host's platform by default, --platform for another), and stored
# manifests, configs and indexes that are malformed: a one-line error
# naming the blob, nothing left in the bundle directory.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd jq tar sha256sum

ROOT=$TEST_TMP/store
M=("$MUELLE" --root "$ROOT")
host_arch=$(dpkg --print-architecture)
other_arch=s390x
[ "$host_arch" != s390x ] || other_arch=amd64

make_rootfs "$TEST_TMP/rootfs"
tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/host.tar" .
mkdir -p "$TEST_TMP/other"
echo other >"$TEST_TMP/other/marker"
tar -C "$TEST_TMP/other" -cf "$TEST_TMP/other.tar" .
run_cmd "${M[@]}" import "$TEST_TMP/host.tar" host-img
is "$status" 0 "import the host image"
run_cmd "${M[@]}" import "$TEST_TMP/other.tar" other-img
is "$status" 0 "import the other image"

# put_blob FILE: store FILE as a blob, print its digest.
put_blob ()
{
  local d
  d=$(sha256sum <"$1" | cut -d' ' -f1)
  cp "$1" "$ROOT/blobs/sha256/$d"
  echo "sha256:$d"
}
# tag_desc NAME MEDIATYPE DIGEST: add an index.json entry for NAME.
tag_desc ()
{
  local size
  size=$(stat -c %s "$ROOT/blobs/sha256/${3#sha256:}")
  jq --arg n "docker.io/library/$1:latest" --arg m "$2" --arg d "$3" --argjson s "$size" \
    '.manifests += [{mediaType: $m, digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": $n}}]' \
    "$ROOT/index.json" >"$TEST_TMP/index.new" && mv "$TEST_TMP/index.new" "$ROOT/index.json"
}
manifest_of () { jq -r --arg n "docker.io/library/$1:latest" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' "$ROOT/index.json"; }
host_m=$(manifest_of host-img)
other_m=$(manifest_of other-img)
msize () { stat -c %s "$ROOT/blobs/sha256/${1#sha256:}"; }

# make_index MEDIATYPE ENTRY_MEDIATYPE: an index of both images.
make_index ()
{
  jq -n --arg mt "$1" --arg emt "$2" --arg h "$host_m" --argjson hs "$(msize "$host_m")" \
    --arg o "$other_m" --argjson os "$(msize "$other_m")" --arg ha "$host_arch" --arg oa "$other_arch" \
    '{schemaVersion: 2, mediaType: $mt, manifests: [
       {mediaType: $emt, digest: $o, size: $os, platform: {os: "linux", architecture: $oa}},
       {mediaType: $emt, digest: $h, size: $hs, platform: {os: "linux", architecture: $ha}}]}' \
    >"$TEST_TMP/index-blob.json"
}

make_index application/vnd.oci.image.index.v1+json application/vnd.oci.image.manifest.v1+json
tag_desc multi application/vnd.oci.image.index.v1+json "$(put_blob "$TEST_TMP/index-blob.json")"

run_cmd "${M[@]}" bundle multi "$TEST_TMP/b1"
is "$status" 0 "bundle of an OCI index exits 0"
check "the host platform's image was unpacked" test -x "$TEST_TMP/b1/rootfs/bin/busybox"
check "not the other platform's" test ! -e "$TEST_TMP/b1/rootfs/marker"
check "config.json is written" jq -e '.process.args | length > 0' "$TEST_TMP/b1/config.json"

run_cmd "${M[@]}" bundle --platform "linux/$other_arch" multi "$TEST_TMP/b2"
is "$status" 0 "bundle --platform linux/$other_arch exits 0"
is "$(cat "$TEST_TMP/b2/rootfs/marker" 2>/dev/null)" other "--platform picks the other image"

run_cmd "${M[@]}" bundle --platform linux/mips64le multi "$TEST_TMP/b3"
isnt "$status" 0 "bundle of an absent platform fails"
like "$output" "no image for platform linux/mips64le \\(available: linux/$other_arch, linux/$host_arch\\)" \
  "the error lists the platforms there are"
is "$(wc -l <<<"$output")" 1 "one line"
check "nothing is left behind" test ! -e "$TEST_TMP/b3"

run_cmd "${M[@]}" bundle --platform linux multi "$TEST_TMP/b3"
isnt "$status" 0 "a bad --platform fails"
like "$output" 'platform.*linux' "the error names the bad platform"

make_index application/vnd.docker.distribution.manifest.list.v2+json \
  application/vnd.docker.distribution.manifest.v2+json
tag_desc dlist application/vnd.docker.distribution.manifest.list.v2+json "$(put_blob "$TEST_TMP/index-blob.json")"
run_cmd "${M[@]}" bundle dlist "$TEST_TMP/b4"
is "$status" 0 "bundle of a Docker manifest list exits 0"
check "the host image was unpacked" test -x "$TEST_TMP/b4/rootfs/bin/busybox"

# inspect and history of an index show the platform's image.
host_cfg=$("${M[@]}" inspect --type config host-img | jq -c .)
other_cfg=$("${M[@]}" inspect --type config other-img | jq -c .)
for name in multi dlist; do
  run_cmd "${M[@]}" inspect --type config "$name"
  is "$(jq -c . <<<"$output")" "$host_cfg" "inspect $name: the host platform's config"
done
run_cmd "${M[@]}" inspect multi
is "$(jq -r '.Digest + " " + .IndexDigest + " " + (.RepoTags | join(","))' <<<"$output")" \
  "$host_m $(manifest_of multi) docker.io/library/multi:latest" "inspect: Digest of the manifest, IndexDigest, RepoTags"
run_cmd "${M[@]}" inspect --type config --platform "linux/$other_arch" multi
is "$(jq -c . <<<"$output")" "$other_cfg" "inspect --platform linux/$other_arch: that platform's config"
run_cmd "${M[@]}" history --format json multi
is "$(jq -r '.[0].id' <<<"$output")" "$(jq -r .Id < <("${M[@]}" inspect host-img))" "history: the host image's"
run_cmd "${M[@]}" history --format json --platform "linux/$other_arch" multi
is "$(jq -r '.[0].id' <<<"$output")" "$(jq -r .Id < <("${M[@]}" inspect other-img))" "history --platform"
run_cmd "${M[@]}" history --platform linux/mips64le multi
isnt "$status" 0 "history of an absent platform fails"
like "$output" "no image for platform linux/mips64le" "naming the platform"
run_cmd "${M[@]}" images --format json
is "$(jq -r '.[] | select(.Name == "docker.io/library/multi:latest") | .Id' <<<"$output")" \
  "$(jq -r .Id < <("${M[@]}" inspect host-img))" "images: an index shows the host image's id, without a warning"
# prune keeps the unpacked layers of an image that only an index names,
# and removes those of no image (entries made by hand: which bundle fills
# the cache is not the point here).
"${M[@]}" rmi host-img >/dev/null
host_diff=$("${M[@]}" inspect --type config multi | jq -r '.rootfs.diff_ids[0]')
orphan=$(printf orphan | sha256sum | cut -d' ' -f1)
mkdir -p "$ROOT/cache/layers/${host_diff#sha256:}" "$ROOT/cache/layers/$orphan" \
  "$ROOT/cache/overlay/${host_diff#sha256:}" "$ROOT/cache/overlay/$orphan"
run_cmd "${M[@]}" prune
is "$status" 0 "prune with an index in the store"
check "it keeps the layer cache entry of the index's image" test -d "$ROOT/cache/layers/${host_diff#sha256:}"
check "and its overlay cache entry" test -d "$ROOT/cache/overlay/${host_diff#sha256:}"
check "it removes a layer cache entry no image uses" test ! -e "$ROOT/cache/layers/$orphan"
check "and such an overlay cache entry" test ! -e "$ROOT/cache/overlay/$orphan"
run_cmd "${M[@]}" inspect --platform linux multi
like "$output" '^muelle: inspect: --platform.*linux' "inspect: a bad --platform is refused"

# Malformed documents in the store.  expect_bad NAME WHAT PATTERN
expect_bad ()
{
  rm -rf "$TEST_TMP/bad"
  run_cmd "${M[@]}" bundle "$1" "$TEST_TMP/bad"
  isnt "$status" 0 "$2: bundle fails"
  like "$output" "$3" "$2: the error names the blob and the problem"
  is "$(wc -l <<<"$output")" 1 "$2: one line"
  check "$2: no bundle directory is left" test ! -e "$TEST_TMP/bad"
}

# An index whose entry digest is not a digest.
jq '.manifests[0].digest = "sha256:xyz"' "$TEST_TMP/index-blob.json" >"$TEST_TMP/bad-index.json"
bad=$(put_blob "$TEST_TMP/bad-index.json")
tag_desc badindex application/vnd.oci.image.index.v1+json "$bad"
expect_bad badindex "index with a bad entry digest" "image index $bad: .*manifests\\[0\\]\\.digest"

# A manifest with a negative layer size / missing config; a config without rootfs.
host_blob=$ROOT/blobs/sha256/${host_m#sha256:}
jq '.layers[0].size = -5' "$host_blob" >"$TEST_TMP/bad-manifest.json"
bad=$(put_blob "$TEST_TMP/bad-manifest.json")
tag_desc badsize application/vnd.oci.image.manifest.v1+json "$bad"
expect_bad badsize "manifest with a negative layer size" "manifest $bad: .*layers\\[0\\]\\.size"

jq 'del(.config)' "$host_blob" >"$TEST_TMP/bad-manifest2.json"
bad=$(put_blob "$TEST_TMP/bad-manifest2.json")
tag_desc noconfig application/vnd.oci.image.manifest.v1+json "$bad"
expect_bad noconfig "manifest without config" "manifest $bad: .*config"

jq '.layers = "nope"' "$host_blob" >"$TEST_TMP/bad-manifest3.json"
bad=$(put_blob "$TEST_TMP/bad-manifest3.json")
tag_desc badtype application/vnd.oci.image.manifest.v1+json "$bad"
expect_bad badtype "manifest with layers of the wrong type" "manifest .*$bad.*layers"

cfg_digest=$(jq -r .config.digest "$host_blob")
jq 'del(.rootfs)' "$ROOT/blobs/sha256/${cfg_digest#sha256:}" >"$TEST_TMP/bad-config.json"
badcfg=$(put_blob "$TEST_TMP/bad-config.json")
jq --arg d "$badcfg" --argjson s "$(stat -c %s "$TEST_TMP/bad-config.json")" '.config.digest = $d | .config.size = $s' \
  "$host_blob" >"$TEST_TMP/bad-manifest4.json"
tag_desc norootfs application/vnd.oci.image.manifest.v1+json "$(put_blob "$TEST_TMP/bad-manifest4.json")"
expect_bad norootfs "config without rootfs" "image config $badcfg: .*rootfs"

echo '{"architecture": 5}' >"$TEST_TMP/bad-config2.json"
badcfg=$(put_blob "$TEST_TMP/bad-config2.json")
jq --arg d "$badcfg" --argjson s "$(stat -c %s "$TEST_TMP/bad-config2.json")" '.config.digest = $d | .config.size = $s' \
  "$host_blob" >"$TEST_TMP/bad-manifest5.json"
tag_desc cfgtype application/vnd.oci.image.manifest.v1+json "$(put_blob "$TEST_TMP/bad-manifest5.json")"
expect_bad cfgtype "config with a wrongly typed member" "image config .*$badcfg.*architecture"

# A corrupted (not truncated: same name, other bytes) manifest blob.
cp "$TEST_TMP/bad-manifest.json" "$TEST_TMP/corrupt.json"
d=$(put_blob "$TEST_TMP/corrupt.json")
echo ' ' >>"$ROOT/blobs/sha256/${d#sha256:}"
tag_desc corrupt application/vnd.oci.image.manifest.v1+json "$d"
expect_bad corrupt "manifest blob whose content does not match its digest" "$d"

run_cmd "${M[@]}" bundle no-such-image "$TEST_TMP/bad"
isnt "$status" 0 "bundle of an unknown image fails"
like "$output" "no-such-image" "the error names the image"
check "no bundle directory is left for an unknown image" test ! -e "$TEST_TMP/bad"

done_testing
