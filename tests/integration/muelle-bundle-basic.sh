#!/usr/bin/env bash
# muelle bundle: an image becomes a runtime bundle that runc runs as is,
# with the same tree umoci unpack makes, layers and whiteouts applied.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd jq tar

ROOT=$TEST_TMP/store
M=("$MUELLE" --root "$ROOT")
make_rootfs "$TEST_TMP/rootfs"
# Something of every kind for the comparison with umoci.
mkdir -p "$TEST_TMP/rootfs/data/sub"
echo content >"$TEST_TMP/rootfs/data/file"
ln "$TEST_TMP/rootfs/data/file" "$TEST_TMP/rootfs/data/hardlink"
chown 1000:1001 "$TEST_TMP/rootfs/data/file"
chmod 4750 "$TEST_TMP/rootfs/data/file"
chmod 0700 "$TEST_TMP/rootfs/data/sub"
ln -s ../data/file "$TEST_TMP/rootfs/data/rel-link"
mkfifo "$TEST_TMP/rootfs/data/fifo"
mknod "$TEST_TMP/rootfs/data/null" c 1 3
touch -d '2001-02-03 04:05:06' "$TEST_TMP/rootfs/data/sub"
setfattr -n user.muelle -v yes "$TEST_TMP/rootfs/data/file" 2>/dev/null || true
tar --xattrs --xattrs-include='*' -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/rootfs.tar" .

run_cmd "${M[@]}" import -c 'CMD ["/bin/echo", "hello from a muelle bundle"]' "$TEST_TMP/rootfs.tar" hello
is "$status" 0 "import"

run_cmd "${M[@]}" bundle hello "$TEST_TMP/b"
is "$status" 0 "bundle exits 0"
check "config.json is written" jq -e '.ociVersion' "$TEST_TMP/b/config.json"
is "$(jq -c .process.args "$TEST_TMP/b/config.json")" '["/bin/echo","hello from a muelle bundle"]' \
  "process.args from Cmd"
is "$(jq -r .root.path "$TEST_TMP/b/config.json")" rootfs "root.path is rootfs"
is "$(ls "$TEST_TMP/b")" "$(printf 'config.json\nrootfs')" "nothing else in the bundle"
is "$(ls -A "$ROOT/cache/layers")" "" "a layer's first bundle comes straight from its blob: no cache entry yet"
is "$(stat -c '%u:%g %a' "$TEST_TMP/b/rootfs/data/file")" "1000:1001 4750" "owner and set-uid mode kept"
is "$(stat -c %i "$TEST_TMP/b/rootfs/data/file")" "$(stat -c %i "$TEST_TMP/b/rootfs/data/hardlink")" "hardlink kept"
is "$(stat -c %F "$TEST_TMP/b/rootfs/data/null")" "character special file" "device node created"
is "$(stat -c %Y "$TEST_TMP/b/rootfs/data/sub")" "$(stat -c %Y "$TEST_TMP/rootfs/data/sub")" "directory mtime kept"
if getfattr -n user.muelle "$TEST_TMP/rootfs/data/file" >/dev/null 2>&1; then
  is "$(getfattr --only-values -n user.muelle "$TEST_TMP/b/rootfs/data/file" 2>/dev/null)" yes "xattr kept"
else
  skip "no user xattrs here (attr not installed?)"
fi

if command -v runc >/dev/null; then
  id=muelle-bundle-$$
  run_cmd bash -c "cd '$TEST_TMP/b' && timeout 60 runc run $id </dev/null"
  is "$output" "hello from a muelle bundle" "runc runs the bundle unchanged"
  runc delete -f "$id" >/dev/null 2>&1 || true
else
  skip "runc is not installed"
fi

run_cmd "${M[@]}" bundle hello "$TEST_TMP/b"
is "$status" 1 "bundle refuses a non-empty directory"
like "$output" "not empty" "and says so"
run_cmd "${M[@]}" bundle nosuchimage "$TEST_TMP/nb"
is "$status" 1 "bundle of an unknown image fails"
check "and creates nothing" test ! -e "$TEST_TMP/nb"

# User resolution through the image's /etc/passwd and /etc/group.
for spec in "tester:1000:1000:[1000,1001]" "1000:1000:1000:null" "tester:testers:1000:1001:null" \
  "0:tty:0:5:null" "nobody:65534:65534:[65534]"; do
  IFS=: read -r -a f <<<"$spec"
  if [ ${#f[@]} -eq 5 ]; then user=${f[0]}:${f[1]} uid=${f[2]} gid=${f[3]} add=${f[4]}; else
    user=${f[0]} uid=${f[1]} gid=${f[2]} add=${f[3]}; fi
  run_cmd "${M[@]}" import -c "USER $user" "$TEST_TMP/rootfs.tar" "user-test"
  rm -rf "$TEST_TMP/ub"
  run_cmd "${M[@]}" bundle user-test "$TEST_TMP/ub"
  is "$(jq -c '[.process.user.uid, .process.user.gid, .process.user.additionalGids]' "$TEST_TMP/ub/config.json")" \
    "[$uid,$gid,$add]" "User $user resolves to $uid:$gid, additionalGids $add"
done
run_cmd "${M[@]}" import -c "USER nosuchuser" "$TEST_TMP/rootfs.tar" "user-test"
rm -rf "$TEST_TMP/ub"
run_cmd "${M[@]}" bundle user-test "$TEST_TMP/ub"
is "$status" 1 "an unknown user fails"
like "$output" "nosuchuser" "and names the user"
check "and leaves no bundle directory" test ! -e "$TEST_TMP/ub"

# Annotations per conversion.md; Labels win.
run_cmd "${M[@]}" import -c 'LABEL org.opencontainers.image.os=custom' -c 'STOPSIGNAL SIGINT' \
  -c 'EXPOSE 80' -c 'EXPOSE 53/udp' -c 'ENV PATH=/bin' -c 'WORKDIR /data' "$TEST_TMP/rootfs.tar" anno
rm -rf "$TEST_TMP/ab"
run_cmd "${M[@]}" bundle anno "$TEST_TMP/ab"
a=$TEST_TMP/ab/config.json
is "$(jq -r '.annotations["org.opencontainers.image.os"]' "$a")" custom "Labels take precedence"
is "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' "$a")" SIGINT "StopSignal annotation"
is "$(jq -r '.annotations["org.opencontainers.image.exposedPorts"]' "$a")" "80/tcp,53/udp" "exposedPorts annotation"
is "$(jq -r '.annotations["org.opencontainers.image.architecture"]' "$a")" "$(dpkg --print-architecture)" \
  "architecture annotation"
is "$(jq -c '[.process.env[] | select(startswith("PATH="))]' "$a")" '["PATH=/bin"]' "image Env wins over defaults"
is "$(jq -r .process.cwd "$a")" /data "WorkingDir becomes cwd"

# A user-namespaced bundle: owners shifted, mappings in the config.
rm -rf "$TEST_TMP/nsb"
run_cmd "${M[@]}" bundle --uid-map 0:100000:65536 --gid-map 0:100000:65536 hello "$TEST_TMP/nsb"
is "$status" 0 "bundle with --uid-map/--gid-map"
is "$(stat -c '%u:%g' "$TEST_TMP/nsb/rootfs/data/file")" "101000:101001" "owners shifted into the range"
is "$(stat -c '%u:%g' "$TEST_TMP/nsb/rootfs")" "100000:100000" "the root belongs to the mapped root"
is "$(jq -c '.linux.uidMappings' "$TEST_TMP/nsb/config.json")" '[{"containerID":0,"hostID":100000,"size":65536}]' \
  "uidMappings in the config"
is "$(jq -r '[.linux.namespaces[].type] | index("user") != null' "$TEST_TMP/nsb/config.json")" true \
  "a user namespace in the config"
if command -v runc >/dev/null; then
  id=muelle-userns-$$
  run_cmd bash -c "cd '$TEST_TMP/nsb' && timeout 60 runc run $id </dev/null"
  is "$output" "hello from a muelle bundle" "runc runs the user-namespaced bundle"
  runc delete -f "$id" >/dev/null 2>&1 || true
else
  skip "runc is not installed"
fi
run_cmd "${M[@]}" bundle --uid-map 0:100000 hello "$TEST_TMP/bad"
is "$status" 1 "a malformed --uid-map fails"

# Same tree as umoci unpack (names, types, modes, owners, sizes, link
# targets, contents), and whiteouts of a second layer made by umoci repack.
listing ()
{
  (cd "$1" && find . -printf '%p %y %m %U %G %s %l\n' | sort && find . -type f -exec md5sum {} + | sort)
}
if command -v umoci >/dev/null && command -v skopeo >/dev/null; then
  L=$TEST_TMP/layout
  check "skopeo copies the image to a layout" skopeo copy "oci:$ROOT:docker.io/library/hello:latest" "oci:$L:hello"
  check "umoci unpack" umoci unpack --image "$L:hello" "$TEST_TMP/ub1"
  rm -rf "$TEST_TMP/mb1"
  run_cmd "${M[@]}" bundle hello "$TEST_TMP/mb1"
  is "$(listing "$TEST_TMP/mb1/rootfs")" "$(listing "$TEST_TMP/ub1/rootfs")" "muelle bundle == umoci unpack"

  # Second layer: delete files and a directory, replace a file by a dir.
  rm -rf "$TEST_TMP/ub1/rootfs/data/sub" "$TEST_TMP/ub1/rootfs/bin/ls" "$TEST_TMP/ub1/rootfs/data/hardlink"
  rm -f "$TEST_TMP/ub1/rootfs/data/rel-link"
  mkdir "$TEST_TMP/ub1/rootfs/data/rel-link"
  echo new >"$TEST_TMP/ub1/rootfs/data/rel-link/new"
  check "umoci repack" umoci repack --image "$L:hello2" "$TEST_TMP/ub1"
  check "skopeo copies the two-layer image into the store" skopeo copy "oci:$L:hello2" "oci:$ROOT:two"
  rm -rf "$TEST_TMP/ub2" "$TEST_TMP/mb2"
  check "umoci unpack of two layers" umoci unpack --image "$L:hello2" "$TEST_TMP/ub2"
  run_cmd "${M[@]}" bundle two "$TEST_TMP/mb2"
  is "$status" 0 "bundle of two layers"
  check "whiteout removed /bin/ls" test ! -e "$TEST_TMP/mb2/rootfs/bin/ls"
  check "whiteout removed a directory" test ! -e "$TEST_TMP/mb2/rootfs/data/sub"
  is "$(listing "$TEST_TMP/mb2/rootfs")" "$(listing "$TEST_TMP/ub2/rootfs")" "two layers: muelle bundle == umoci unpack"
  # The second bundle of the whiteout layer fills the layer cache and copies from it.
  run_cmd "${M[@]}" bundle two "$TEST_TMP/mb3"
  is "$(listing "$TEST_TMP/mb3/rootfs")" "$(listing "$TEST_TMP/ub2/rootfs")" "two layers through the cache == umoci unpack"
else
  skip "umoci or skopeo is not installed" 12
fi

# The layer cache: each layer is unpacked once, by diff_id.
hello_diff=$("${M[@]}" inspect --type config hello | jq -r '.rootfs.diff_ids[0]')
check "the layer is cached by diff_id" test -x "$ROOT/cache/layers/${hello_diff#sha256:}/bin/busybox"
is "$(find "$ROOT/cache/layers" -mindepth 1 -maxdepth 1 -name '.tmp-*' | wc -l)" 0 "no temporary cache entry left"
hello_layer=$("${M[@]}" inspect --type manifest hello | jq -r '.layers[0].digest')
mv "$ROOT/blobs/sha256/${hello_layer#sha256:}" "$TEST_TMP/layer.blob"
rm -rf "$TEST_TMP/cached"
run_cmd "${M[@]}" bundle hello "$TEST_TMP/cached"
is "$status" 0 "a second bundle comes from the cache (the blob is not read again)"
is "$(listing "$TEST_TMP/cached/rootfs")" "$(listing "$TEST_TMP/b/rootfs")" "and gives the same tree"
mv "$TEST_TMP/layer.blob" "$ROOT/blobs/sha256/${hello_layer#sha256:}"
check "cached trees keep whiteouts as files" \
  bash -c "find '$ROOT/cache/layers' -name '.wh.*' | grep -q ."
run_cmd "${M[@]}" rmi --force hello two
run_cmd "${M[@]}" images -a -q
for img in $output; do "${M[@]}" rmi -f "$img" >/dev/null; done
is "$(find "$ROOT/cache/layers" -mindepth 1 -maxdepth 1 | wc -l)" 0 "removing every image empties the layer cache"

done_testing
