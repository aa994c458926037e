#!/usr/bin/env bash
# muelle's store: import a busybox root filesystem, then images, tag,
# inspect, history, rmi, prune; the store is an OCI layout other tools
# (skopeo, umoci) read and write.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd jq tar

ROOT=$TEST_TMP/store
M=("$MUELLE" --root "$ROOT")
make_rootfs "$TEST_TMP/rootfs"
tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/rootfs.tar" .
diff_id=sha256:$(sha256sum <"$TEST_TMP/rootfs.tar" | cut -d' ' -f1)

run_cmd "${M[@]}" import "$TEST_TMP/rootfs.tar" busybox
is "$status" 0 "import exits 0"
like "$output" '^sha256:[0-9a-f]{64}$' "import prints the image id"
id=$output
check "oci-layout is written" jq -e '.imageLayoutVersion == "1.0.0"' "$ROOT/oci-layout"
is "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$ROOT/index.json")" \
  "docker.io/library/busybox:latest" "index.json names the image with its normalised name"

run_cmd "${M[@]}" images
is "$status" 0 "images exits 0"
like "$output" 'REPOSITORY +TAG +IMAGE ID +CREATED +SIZE' "images prints the table header"
like "$output" "docker.io/library/busybox +latest +${id:7:12}" "images lists the import"

run_cmd "${M[@]}" images --format json
is "$(jq -r '.[0].Id' <<<"$output")" "$id" "images --format json gives the id"
run_cmd "${M[@]}" images -q
is "$output" "${id:7:12}" "images -q prints the short id"

run_cmd "${M[@]}" inspect busybox
is "$status" 0 "inspect by short name"
is "$(jq -r '.Config.rootfs.diff_ids[0]' <<<"$output")" "$diff_id" "diff_id is the sha256 of the uncompressed tar"
is "$(jq -r '.Config.os + "/" + .Config.architecture' <<<"$output")" "linux/$(dpkg --print-architecture)" \
  "config has the host's os and architecture"
is "$(jq -r '.Manifest.layers[0].mediaType' <<<"$output")" "application/vnd.oci.image.layer.v1.tar+gzip" \
  "the layer is gzip'd"
is "$(jq -r '.Id' <<<"$output")" "$id" "inspect Id is the image id"
layer=$(jq -r '.Manifest.layers[0].digest' <<<"$output")
is "sha256:$(zcat "$ROOT/blobs/sha256/${layer#sha256:}" | sha256sum | cut -d' ' -f1)" "$diff_id" \
  "the stored layer decompresses to the imported tar"
run_cmd "${M[@]}" inspect "${id:7:12}"
is "$status" 0 "inspect by id prefix"
run_cmd "${M[@]}" inspect --type config docker.io/library/busybox:latest
is "$(jq -r '.history[0].created_by' <<<"$output")" "muelle import $TEST_TMP/rootfs.tar" "history entry in the config"

run_cmd "${M[@]}" history busybox
like "$output" "muelle import" "history shows the import"

check "tag" "${M[@]}" tag busybox example.com/team/bb:v1 other
run_cmd "${M[@]}" images
like "$output" "example.com/team/bb +v1 +${id:7:12}" "the new tag is listed"
like "$output" "docker.io/library/other +latest" "a short new name is normalised"
run_cmd "${M[@]}" inspect example.com/team/bb:v1
is "$(jq -r '.RepoTags | length' <<<"$output")" 3 "inspect lists the three names"

run_cmd "${M[@]}" rmi "${id:7:12}"
is "$status" 1 "rmi by id of an image with several names needs -f"
like "$output" "has 3 names" "and says why"

# Other OCI tools read and write the store directly.
if command -v skopeo >/dev/null; then
  run_cmd skopeo inspect "oci:$ROOT:docker.io/library/busybox:latest"
  is "$status" 0 "skopeo inspects the store"
  is "$(jq -r '.Layers[0]' <<<"$output")" "$layer" "skopeo sees the layer"
  check "skopeo copies out of the store" skopeo copy "oci:$ROOT:example.com/team/bb:v1" "oci:$TEST_TMP/copy:bb"
  check "skopeo copies back into the store" skopeo copy "oci:$TEST_TMP/copy:bb" "oci:$ROOT:roundtrip"
  run_cmd "${M[@]}" inspect roundtrip
  is "$(jq -r .Id <<<"$output")" "$id" "the round trip keeps the image id"
else
  skip "skopeo is not installed" 6
fi
if command -v umoci >/dev/null; then
  run_cmd umoci ls --layout "$ROOT"
  like "$output" "docker.io/library/busybox:latest" "umoci lists the store's tags"
else
  skip "umoci is not installed"
fi

# Errors: one line naming the thing, exit 1, nothing changed.
blobs_before=$(find "$ROOT/blobs" -type f | wc -l)
run_cmd "${M[@]}" inspect nosuchimage
is "$status" 1 "unknown image fails"
like "$output" "^muelle: image \`nosuchimage\` not found" "and names it"
is "$(wc -l <<<"$output")" 1 "in one line"
run_cmd "${M[@]}" tag busybox 'Bad::Name'
is "$status" 1 "a bad reference fails"
like "$output" "Bad::Name" "and names it"
run_cmd "${M[@]}" images --bogus
is "$status" 1 "unknown option fails"
like "$output" "unknown option \`--bogus\`" "and names the option"
run_cmd "${M[@]}" nosuchcommand
is "$status" 1 "unknown command fails"

printf 'not a tar at all, just some bytes\n' >"$TEST_TMP/junk.tar"
run_cmd "${M[@]}" import "$TEST_TMP/junk.tar" junk
is "$status" 1 "importing a non-tar fails"
like "$output" "junk.tar" "and names the file"
gzip -c "$TEST_TMP/rootfs.tar" | head -c 100000 >"$TEST_TMP/truncated.tar.gz"
run_cmd "${M[@]}" import "$TEST_TMP/truncated.tar.gz" truncated
is "$status" 1 "importing a truncated tar.gz fails"
is "$(find "$ROOT/blobs" -type f | wc -l)" "$blobs_before" "failed imports leave no blob"
is "$(find "$ROOT/tmp" -mindepth 1 | wc -l)" 0 "failed imports leave no temp file"
run_cmd "${M[@]}" import -c 'FROBNICATE x' "$TEST_TMP/rootfs.tar" bad-change
is "$status" 1 "an unknown --change instruction fails"
like "$output" "FROBNICATE" "and names it"

# Import from stdin with changes.
run_cmd bash -c "gzip -c '$TEST_TMP/rootfs.tar' | '$MUELLE' --root '$ROOT' import -c 'CMD [\"/bin/sh\"]' -c 'ENV A=1' - stdin-image"
is "$status" 0 "import from stdin (gzip'd) with --change"
run_cmd "${M[@]}" inspect --type config stdin-image
is "$(jq -c '.config.Cmd' <<<"$output")" '["/bin/sh"]' "CMD applied"
is "$(jq -r '.rootfs.diff_ids[0]' <<<"$output")" "$diff_id" "diff_id of the decompressed stream"

# A corrupt blob is detected and named.
cfg=$(jq -r '.config.digest' "$ROOT/blobs/sha256/$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="docker.io/library/stdin-image:latest") | .digest' "$ROOT/index.json" | cut -d: -f2)")
cp "$ROOT/blobs/sha256/${cfg#sha256:}" "$TEST_TMP/cfg.bak"
echo ' ' >>"$ROOT/blobs/sha256/${cfg#sha256:}"
run_cmd "${M[@]}" inspect stdin-image
is "$status" 1 "a corrupt config blob fails"
like "$output" "$cfg is corrupt" "and names the blob"
cp "$TEST_TMP/cfg.bak" "$ROOT/blobs/sha256/${cfg#sha256:}"

# rmi and prune.
run_cmd "${M[@]}" rmi other example.com/team/bb:v1 roundtrip
is "$status" 0 "rmi of three names"
like "$output" "Untagged: docker.io/library/other:latest" "rmi reports the untag"
run_cmd "${M[@]}" rmi busybox stdin-image
is "$status" 0 "rmi of the last names"
like "$output" "Deleted: sha256:" "rmi reports the deletion"
is "$(jq '.manifests | length' "$ROOT/index.json")" 0 "index.json is empty"
is "$(find "$ROOT/blobs" -type f | wc -l)" 0 "rmi removed the unreferenced blobs"
run_cmd "${M[@]}" rmi busybox
is "$status" 1 "rmi of a missing image fails"
run_cmd "${M[@]}" prune
is "$status" 0 "prune on an empty store"

done_testing
