#!/usr/bin/env bash
# muelle pull and push against a real docker-registry (distribution 2.8),
# cross-checked with skopeo and podman: the same manifest digests on both
# sides, blobs skipped when present, mounts between repositories, and
# clean failures for unknown images and registries.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-registry-helpers.bash"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd /usr/bin/docker-registry skopeo umoci jq python3 curl

start_registry reg1
R1=$REG
start_registry reg2
R2=$REG
layout=$TEST_TMP/oci
make_oci_image "$layout" v1 amd64 3
push_with_skopeo "$layout" v1 "$R1/test/bb:v1"
want=$(registry_digest "$R1/test/bb:v1")
like "$want" '^sha256:[0-9a-f]{64}$' "skopeo pushed a three-layer image to the registry"

store=$TEST_TMP/store

# --------------------------------------------------------------- pull ---

run_cmd muelle_r "$store" pull --tls-verify=false "$R1/test/bb:v1"
is "$status" 0 "pull from a plain-HTTP loopback registry with --tls-verify=false"
[ "$status" -eq 0 ] || diag "$output"
id=$(printf '%s\n' "$output" | tail -n 1)
is "$(store_digest "$store" "$R1/test/bb:v1")" "$want" "the store tags the registry's manifest digest"
manifest=$store/blobs/sha256/${want#sha256:}
is "$(sha256sum <"$manifest" | cut -d' ' -f1)" "${want#sha256:}" "the manifest is stored byte for byte"
config=$(jq -r .config.digest "$manifest")
is "$id" "${config#sha256:}" "pull prints the image id (config digest)"
missing=0
for d in $(jq -r '.config.digest, .layers[].digest' "$manifest"); do
  f=$store/blobs/sha256/${d#sha256:}
  [ -f "$f" ] && [ "$(sha256sum <"$f" | cut -d' ' -f1)" == "${d#sha256:}" ] || missing=1
done
is "$missing" 0 "config and the three layers are in the store with their digests"
like "$output" 'Copying blob sha256:[0-9a-f]{64} done' "progress names each blob (not a terminal: plain lines)"
check "no temp files are left in the store" store_tmp_empty "$store"

run_cmd muelle_r "$store" pull --tls-verify=false "$R1/test/bb:v1"
like "$output" 'skipped: already exists' "a second pull skips blobs already present"
run_cmd muelle_r "$store" pull -q --tls-verify=false "$R1/test/bb:v1"
is "$output" "${config#sha256:}" "-q prints only the id"

run_cmd muelle_r "$store" pull -q --tls-verify=false "$R1/test/bb@$want"
is "$status" 0 "pull by digest"
is "$(store_digest "$store" "$R1/test/bb@$want")" "$want" "a pull by digest is tagged NAME@DIGEST"

run_cmd muelle_r "$store" pull --tls-verify=false "$R1/test/bb:nope"
is "$status" 1 "pulling an unknown tag fails"
like "$output" "$R1/test/bb:nope.*not found" "the error names the image and says it is not found"
is "$(printf '%s\n' "$output" | grep -c 'muelle:')" 1 "one error line"
run_cmd muelle_r "$store" pull --tls-verify=false "$R1/no/such/repo"
is "$status" 1 "pulling an unknown repository fails"
run_cmd muelle_r "$store" pull "$R1/test/bb:v1"
is "$status" 1 "TLS is required unless --tls-verify=false"
like "$output" 'tls-verify=false' "the error says how to reach a plain-HTTP registry"
run_cmd muelle_r "$store" pull --tls-verify=false --retry 0 "127.0.0.1:1/x:y"
is "$status" 1 "an unreachable registry fails"
like "$output" 'connect to registry 127.0.0.1:1' "the error names the registry"
run_cmd muelle_r "$store" pull "Bad Name"
is "$status" 1 "an invalid reference is rejected"
like "$output" 'invalid reference "Bad Name"' "the error names the reference"
is "$(store_tags "$store" | tr '\n' ' ')" "$R1/test/bb:v1 $R1/test/bb@$want " "failed pulls tagged nothing"

# ------------------------------------------------ short names, registry ---

run_cmd muelle_r "$store" pull -q --tls-verify=false --registry "$R1" test/bb:v1
is "$status" 0 "a short name resolves against --registry"
run_cmd env MUELLE_DEFAULT_REGISTRY="$R1" "$MUELLE" --root "$store" pull -q --tls-verify=false test/bb:v1
is "$status" 0 "a short name resolves against MUELLE_DEFAULT_REGISTRY"

# --------------------------------------------------------------- push ---

run_cmd muelle_r "$store" push --tls-verify=false "$R1/test/bb:v1" "$R2/pushed/bb:v2"
is "$status" 0 "push to another registry"
[ "$status" -eq 0 ] || diag "$output"
is "$(printf '%s\n' "$output" | tail -n 1)" "$want" "push prints the manifest digest"
like "$output" 'Copying blob sha256:[0-9a-f]{64} done' "blobs were uploaded"
is "$(registry_digest "$R2/pushed/bb:v2")" "$want" "skopeo sees the same manifest digest"
check "skopeo can copy the pushed image with every blob verified" \
  skopeo copy --quiet --src-tls-verify=false "docker://$R2/pushed/bb:v2" "oci:$TEST_TMP/copied:x"
is "$(jq -r '.manifests[0].digest' "$TEST_TMP/copied/index.json")" "$want" "the copy has the same digest"

run_cmd muelle_r "$store" push --tls-verify=false "$R1/test/bb:v1" "$R2/pushed/bb:v2"
like "$output" 'skipped: already exists' "pushing again skips blobs the registry has"

run_cmd muelle_r "$store" push --tls-verify=false --digestfile "$TEST_TMP/digest" "$R1/test/bb:v1" \
  "docker://$R1/mounted/copy:m"
is "$status" 0 "push to another repository of the same registry"
like "$output" 'Copying blob sha256:[0-9a-f]{64} mounted' "blobs are mounted across repositories, not uploaded"
is "$(cat "$TEST_TMP/digest")" "$want" "--digestfile holds the manifest digest"
is "$(registry_digest "$R1/mounted/copy:m")" "$want" "the mounted image has the same digest"

run_cmd muelle_r "$store" push --tls-verify=false "${config#sha256:}" "$R2/byid/bb:latest"
is "$status" 0 "push an image named by its id"
run_cmd muelle_r "$store" push --tls-verify=false "no/such:image" "$R2/x/y:z"
is "$status" 1 "pushing an image the store does not have fails"

# --------------------------------------- with the store's own commands ---

mkdir -p "$TEST_TMP/rootfs/bin"
cp /bin/busybox "$TEST_TMP/rootfs/bin/busybox"
tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/rootfs.tar" .
run_cmd muelle_r "$store" import "$TEST_TMP/rootfs.tar" localhost/imported:1
is "$status" 0 "muelle import makes an image to push"
run_cmd muelle_r "$store" push -q --tls-verify=false localhost/imported:1 "$R2/imported/img:1"
is "$status" 0 "push an imported image"
is "$(registry_digest "$R2/imported/img:1")" "$(store_digest "$store" localhost/imported:1)" \
  "the registry serves the imported image under the store's manifest digest"
run_cmd muelle_r "$store" bundle "$R1/test/bb:v1" "$TEST_TMP/bundle"
is "$status" 0 "a pulled image unpacks into a bundle"
check "the bundle has the image's files from all three layers" \
  test -x "$TEST_TMP/bundle/rootfs/bin/busybox" -a -f "$TEST_TMP/bundle/rootfs/etc/layer-3"

if command -v podman >/dev/null 2>&1; then
  pdir=$TEST_TMP/podman
  mkdir -p "$pdir"
  cat >"$pdir/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
EOF
  # podman wants a run root shorter than 50 characters.
  prun=$(mktemp -d /tmp/mpr.XXXXXX)
  on_exit "rm -rf $prun"
  pod=(env CONTAINERS_CONF="$pdir/containers.conf" podman --root "$pdir/root" --runroot "$prun" --storage-driver vfs)
  run_cmd "${pod[@]}" pull -q --tls-verify=false "$R2/pushed/bb:v2"
  is "$status" 0 "podman pulls what muelle pushed"
  [ "$status" -eq 0 ] || diag "$output"
  run_cmd "${pod[@]}" image inspect --format '{{.Digest}}' "$R2/pushed/bb:v2"
  is "$output" "$want" "podman records the same manifest digest"
else
  skip "podman is not installed" 2
fi

done_testing
