#!/usr/bin/env bash
# muelle save / load: docker-archive and oci-archive tars that skopeo reads,
# loaded back with the same ids; archives made by skopeo load too; a bad
# archive leaves nothing in the store.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd jq tar python3

ROOT=$TEST_TMP/store
M=("$MUELLE" --root "$ROOT")
make_rootfs "$TEST_TMP/rootfs"
tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/rootfs.tar" .
diff_id=sha256:$(sha256sum <"$TEST_TMP/rootfs.tar" | cut -d' ' -f1)
id=$("${M[@]}" import -c 'CMD ["/bin/echo", "hello"]' "$TEST_TMP/rootfs.tar" busybox) || bail "import failed"
"${M[@]}" tag busybox example.com/other:2 || bail "tag failed"
manifest=$(jq -r '.manifests[0].digest' "$ROOT/index.json")

# docker-archive
run_cmd "${M[@]}" save -o "$TEST_TMP/d.tar" busybox
is "$status" 0 "save (docker-archive by default)"
check "manifest.json names the config and the layer" \
  jq -e --arg c "${id#sha256:}.json" --arg l "${diff_id#sha256:}/layer.tar" \
  '.[0].Config == $c and .[0].Layers == [$l] and .[0].RepoTags == ["docker.io/library/busybox:latest"]' \
  <(tar -xOf "$TEST_TMP/d.tar" manifest.json)
is "sha256:$(tar -xOf "$TEST_TMP/d.tar" "${diff_id#sha256:}/layer.tar" | sha256sum | cut -d' ' -f1)" "$diff_id" \
  "the layer is stored uncompressed, matching its diff_id"
if command -v skopeo >/dev/null; then
  run_cmd skopeo inspect "docker-archive:$TEST_TMP/d.tar"
  is "$status" 0 "skopeo inspects the docker-archive"
  is "$(jq -r '.Layers[0]' <<<"$output")" "$diff_id" "skopeo sees the layer"
else
  skip "skopeo is not installed" 2
fi
run_cmd "$MUELLE" --root "$TEST_TMP/s2" load -i "$TEST_TMP/d.tar"
is "$status" 0 "load the docker-archive into another store"
is "$output" "Loaded image: docker.io/library/busybox:latest" "load names the image"
run_cmd "$MUELLE" --root "$TEST_TMP/s2" inspect busybox
is "$(jq -r .Id <<<"$output")" "$id" "the image id survives save/load"

# Two images in one archive, the shared layer once.
run_cmd "${M[@]}" save -o "$TEST_TMP/two.tar" busybox example.com/other:2
is "$(tar -tf "$TEST_TMP/two.tar" | grep -c 'layer.tar$')" 1 "a shared layer is saved once"
run_cmd "$MUELLE" --root "$TEST_TMP/s3" load -i "$TEST_TMP/two.tar"
like "$output" "example.com/other:2" "both images load"

# oci-archive
run_cmd "${M[@]}" save --format oci-archive -o "$TEST_TMP/o.tar" busybox
is "$status" 0 "save --format oci-archive"
check "the archive is an OCI layout" bash -c "tar -tf '$TEST_TMP/o.tar' | grep -qx oci-layout"
if command -v skopeo >/dev/null; then
  run_cmd skopeo inspect "oci-archive:$TEST_TMP/o.tar"
  is "$(jq -r .Digest <<<"$output")" "$manifest" "skopeo reads the oci-archive: same manifest digest"
else
  skip "skopeo is not installed"
fi
run_cmd "$MUELLE" --root "$TEST_TMP/s4" load -i "$TEST_TMP/o.tar"
is "$status" 0 "load the oci-archive"
is "$(jq -r '.manifests[0].digest' "$TEST_TMP/s4/index.json")" "$manifest" "same manifest digest after the round trip"

# Archives made by skopeo.
if command -v skopeo >/dev/null; then
  check "skopeo writes a docker-archive" skopeo copy "oci:$ROOT:docker.io/library/busybox:latest" \
    "docker-archive:$TEST_TMP/sk.tar:example.com/from-skopeo:1"
  run_cmd "$MUELLE" --root "$TEST_TMP/s5" load -i "$TEST_TMP/sk.tar"
  is "$status" 0 "muelle loads skopeo's docker-archive"
  like "$output" "example.com/from-skopeo:1" "with its tag"
  run_cmd "$MUELLE" --root "$TEST_TMP/s5" bundle example.com/from-skopeo:1 "$TEST_TMP/sb"
  is "$status" 0 "and bundles it"
  check "with the same tree" diff -r --no-dereference "$TEST_TMP/rootfs" "$TEST_TMP/sb/rootfs"
else
  skip "skopeo is not installed" 5
fi

# podman loads what muelle saves and muelle loads what podman saves.
if command -v podman >/dev/null; then
  printf '[engine]\ncgroup_manager="cgroupfs"\nevents_logger="file"\n[containers]\ndefault_ulimits=["nofile=20000:20000","nproc=32768:32768"]\n' \
    >"$TEST_TMP/containers.conf"
  # podman wants a run root of at most 50 characters.
  prun=$(mktemp -d /tmp/muelle-podman.XXXXXX) || bail "mktemp"
  on_exit "rm -rf '$prun'"
  P=(env CONTAINERS_CONF="$TEST_TMP/containers.conf" podman --root "$TEST_TMP/podman" --runroot "$prun"
    --storage-driver vfs)
  run_cmd timeout 120 "${P[@]}" load -i "$TEST_TMP/d.tar"
  is "$status" 0 "podman loads muelle's docker-archive"
  run_cmd "${P[@]}" image inspect --format '{{.Id}}' docker.io/library/busybox:latest
  is "$output" "${id#sha256:}" "podman sees the same image id"
  run_cmd timeout 120 "${P[@]}" save --format docker-archive -o "$TEST_TMP/podman.tar" docker.io/library/busybox:latest
  is "$status" 0 "podman saves a docker-archive"
  run_cmd "$MUELLE" --root "$TEST_TMP/s7" load -i "$TEST_TMP/podman.tar"
  is "$status" 0 "muelle loads podman's docker-archive"
  run_cmd "$MUELLE" --root "$TEST_TMP/s7" inspect busybox
  is "$(jq -r .Id <<<"$output")" "$id" "with the same image id"
else
  skip "podman is not installed" 5
fi

# Bad archives: one line, exit 1, nothing left in the store.
count ()
{
  find "$ROOT/blobs" "$ROOT/tmp" -mindepth 1 | wc -l
}
before=$(count)
index_before=$(cat "$ROOT/index.json")
printf 'garbage' >"$TEST_TMP/garbage.tar"
run_cmd "${M[@]}" load -i "$TEST_TMP/garbage.tar"
is "$status" 1 "loading garbage fails"
like "$output" "garbage.tar" "and names the file"
mkdir -p "$TEST_TMP/bad"
tar -C "$TEST_TMP/bad" -xf "$TEST_TMP/two.tar"
# Change the layer: its digest no longer matches the config's diff_id.
layer=$(find "$TEST_TMP/bad" -name layer.tar)
echo extra >"$TEST_TMP/extra"
tar -C "$TEST_TMP" -rf "$layer" extra
tar -C "$TEST_TMP/bad" -cf "$TEST_TMP/bad.tar" .
run_cmd "${M[@]}" load -i "$TEST_TMP/bad.tar"
is "$status" 1 "a layer that does not match its diff_id fails"
like "$output" "does not match|expects" "and says so"
# An oci-archive with a corrupt blob.
mkdir -p "$TEST_TMP/badoci"
tar -C "$TEST_TMP/badoci" -xf "$TEST_TMP/o.tar"
cfgd=$(jq -r .config.digest "$TEST_TMP/badoci/blobs/sha256/${manifest#sha256:}")
echo ' ' >>"$TEST_TMP/badoci/blobs/sha256/${cfgd#sha256:}"
tar -C "$TEST_TMP/badoci" -cf "$TEST_TMP/badoci.tar" .
run_cmd "$MUELLE" --root "$TEST_TMP/s6" load -i "$TEST_TMP/badoci.tar"
is "$status" 1 "an oci-archive with a corrupt blob fails"
like "$output" "$cfgd" "and names the blob"
is "$(find "$TEST_TMP/s6/blobs" -type f | wc -l)" 0 "and leaves no blob"
is "$(jq '.manifests | length' "$TEST_TMP/s6/index.json")" 0 "and no index entry"
python3 - "$TEST_TMP/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    ti = tarfile.TarInfo("../../evil"); ti.size = 1
    t.addfile(ti, io.BytesIO(b"x"))
PY
run_cmd "${M[@]}" load -i "$TEST_TMP/evil.tar"
is "$status" 1 "an archive with ../ entries is refused"
is "$(count)" "$before" "failed loads leave no blob or temp file"
is "$(cat "$ROOT/index.json")" "$index_before" "failed loads leave index.json unchanged"
run_cmd "${M[@]}" save -o "$TEST_TMP/x.tar" nosuchimage
is "$status" 1 "save of an unknown image fails"
check "and writes no file" test ! -e "$TEST_TMP/x.tar"
check "and no temp file" bash -c "! ls '$TEST_TMP'/x.tar.tmp-* 2>/dev/null"

done_testing
