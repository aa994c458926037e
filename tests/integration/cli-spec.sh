#!/usr/bin/env bash
# estiba spec: runc's starter config.json (ociVersion aside), never
# overwriting anything, and runc's rootless variant.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq
require_file "$ESTIBA" "estiba is not built"

# ------------------------------------------------------ the default spec --

b=$TEST_TMP/bundle
mkdir "$b"
run_cmd "$ESTIBA" spec --bundle "$b"
is "$status" 0 "spec --bundle exits 0"
is "$output" "" "spec prints nothing"
check "config.json is valid JSON" jq -e . "$b/config.json"
is "$(jq -r .ociVersion "$b/config.json")" "1.3.0" "ociVersion is the runtime-spec version implemented"
is "$(stat -c %a "$b/config.json")" "$(printf '%o' $((0666 & ~$(umask))))" "config.json mode is 0666 minus the umask, as runc"

# The documented difference from runc: ociVersion only.
if command -v runc >/dev/null 2>&1; then
  mkdir "$TEST_TMP/runc"
  (cd "$TEST_TMP/runc" && runc spec) || bail "runc spec failed"
  is "$(jq -S 'del(.ociVersion)' "$b/config.json")" "$(jq -S 'del(.ociVersion)' "$TEST_TMP/runc/config.json")" \
    "spec matches runc spec field for field, ociVersion aside"
  is "$(jq -c 'del(.ociVersion)' "$b/config.json")" "$(jq -c 'del(.ociVersion)' "$TEST_TMP/runc/config.json")" \
    "members come in runc's order"
else
  skip "runc is not installed" 2
fi

# Parsing back and writing again changes nothing.
is "$(jq -S . "$b/config.json" | jq -S .)" "$(jq -S . "$b/config.json")" "the spec parses back to the same JSON"

# Spot checks that do not depend on runc being installed.
c=$b/config.json
is "$(jq -c .process.args "$c")" '["sh"]' "process.args is sh"
is "$(jq -r .process.terminal "$c")" true "terminal is on"
is "$(jq -c .process.user "$c")" '{"uid":0,"gid":0}' "user is root"
is "$(jq -c '.process.capabilities | keys' "$c")" '["ambient","bounding","effective","permitted"]' "no inheritable capabilities"
is "$(jq -c '.process.capabilities.bounding' "$c")" '["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]' "bounding set"
is "$(jq -c '.process.rlimits' "$c")" '[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]' "nofile rlimit"
is "$(jq -r .process.noNewPrivileges "$c")" true "noNewPrivileges"
is "$(jq -c .root "$c")" '{"path":"rootfs","readonly":true}' "read-only rootfs"
is "$(jq -r .hostname "$c")" runc "hostname is runc's (bundles identical to runc's)"
is "$(jq -c '[.mounts[].destination]' "$c")" '["/proc","/dev","/dev/pts","/dev/shm","/dev/mqueue","/sys","/sys/fs/cgroup"]' "mounts"
is "$(jq -c '.mounts[0] | keys' "$c")" '["destination","source","type"]' "/proc has no options member"
is "$(jq -c '[.linux.namespaces[].type]' "$c")" '["pid","network","ipc","uts","mount"]' "namespaces"
is "$(jq -c .linux.resources "$c")" '{"devices":[{"allow":false,"access":"rwm"}]}' "all devices denied"
is "$(jq '.linux.maskedPaths | length' "$c")" 10 "masked paths"
is "$(jq '.linux.readonlyPaths | length' "$c")" 5 "read-only paths"
is "$(jq -r 'has("uidMappings")' <(jq .linux "$c"))" false "no uid mappings"

# ------------------------------------------------------- never overwrite --

echo '{"mine":true}' >"$b/config.json.orig"
cp "$b/config.json.orig" "$b/config.json"
run_cmd "$ESTIBA" spec -b "$b"
is "$status" 1 "spec refuses an existing config.json"
is "$output" "estiba: File config.json exists. Remove it first" "with runc's message"
is "$(cat "$b/config.json")" '{"mine":true}' "the existing file is untouched"

d=$TEST_TMP/cwd
mkdir "$d"
run_cmd sh -c "cd '$d' && '$ESTIBA' spec"
is "$status" 0 "spec without --bundle writes into the current directory"
check "config.json is in the current directory" jq -e .ociVersion "$d/config.json"

s=$TEST_TMP/symlink
mkdir "$s"
ln -s "$TEST_TMP/target.json" "$s/config.json"
run_cmd "$ESTIBA" spec -b "$s"
is "$status" 1 "spec refuses a dangling config.json symlink"
check_fails "nothing is written through the symlink" test -e "$TEST_TMP/target.json"

run_cmd "$ESTIBA" spec -b "$TEST_TMP/missing"
is "$status" 1 "spec fails for a missing bundle directory"
like "$output" "^estiba: spec: open bundle directory '$TEST_TMP/missing': No such file or directory$" "naming the directory"
check_fails "and creates nothing" test -e "$TEST_TMP/missing"

ro=$TEST_TMP/readonly
mkdir "$ro"
mount -t tmpfs -o ro tmpfs "$ro"
run_cmd "$ESTIBA" spec -b "$ro"
is "$status" 1 "spec fails on a read-only directory"
like "$output" "^estiba: spec: create $ro/config.json: Read-only file system$" "naming the file and the reason"
umount "$ro"

# A full disk: the partial file is removed.
full=$TEST_TMP/full
mkdir "$full"
mount -t tmpfs -o size=4k tmpfs "$full"
dd if=/dev/zero of="$full/fill" bs=4k count=1 status=none 2>/dev/null || true
run_cmd "$ESTIBA" spec -b "$full"
is "$status" 1 "spec fails on a full filesystem"
check_fails "no partial config.json is left behind" test -e "$full/config.json"
umount "$full"

# ------------------------------------------------------------- rootless --

r=$TEST_TMP/rootless
mkdir "$r"
check "spec --rootless exits 0" "$ESTIBA" spec --rootless -b "$r"
c=$r/config.json
if command -v runc >/dev/null 2>&1; then
  mkdir "$TEST_TMP/runc-rootless"
  (cd "$TEST_TMP/runc-rootless" && runc spec --rootless) || bail "runc spec --rootless failed"
  is "$(jq -S 'del(.ociVersion)' "$c")" "$(jq -S 'del(.ociVersion)' "$TEST_TMP/runc-rootless/config.json")" \
    "spec --rootless matches runc spec --rootless, ociVersion aside"
else
  skip "runc is not installed"
fi
is "$(jq -c '[.linux.namespaces[].type]' "$c")" '["pid","ipc","uts","mount","user"]' "rootless: user namespace, no network namespace"
is "$(jq -c .linux.uidMappings "$c")" '[{"containerID":0,"hostID":0,"size":1}]' "rootless: root's uid mapped"
is "$(jq -r 'has("resources")' <(jq .linux "$c"))" false "rootless: no cgroup resources"
is "$(jq -c '.mounts[] | select(.destination == "/sys")' "$c")" \
  '{"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]}' \
  "rootless: /sys bind mounted from the host"
is "$(jq -c '[.mounts[].options // [] | .[] | select(startswith("gid=") or startswith("uid="))]' "$c")" '[]' \
  "rootless: no uid=/gid= mount options"

# As another user the mappings name that user.
if command -v setpriv >/dev/null 2>&1; then
  u=$TEST_TMP/user
  mkdir "$u"
  chown 65534:65534 "$u"
  # From inside the directory: the harness' parent directories are private.
  run_cmd sh -c "cd '$u' && exec setpriv --reuid=65534 --regid=65534 --clear-groups '$ESTIBA' spec --rootless"
  is "$status" 0 "spec --rootless as uid 65534" || diag "$output"
  is "$(jq -c '[.linux.uidMappings, .linux.gidMappings]' "$u/config.json" 2>/dev/null)" \
    '[[{"containerID":0,"hostID":65534,"size":1}],[{"containerID":0,"hostID":65534,"size":1}]]' \
    "the caller's uid and gid are mapped to root"
else
  skip "setpriv is not installed" 2
fi

done_testing
