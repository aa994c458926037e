#!/usr/bin/env bash
# idmap/ridmap bind mounts in a container with a user namespace (container
# 0 -> host 100000).  The init is then not privileged over the host's
# filesystems, so the id-mapped trees are built by stage 1 before it enters
# the user namespace (as runc 1.2 does in the runtime) and only attached by
# the init.  Ownership is checked inside and on the host; errors name
# mounts[i] in one line and leave nothing behind.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b"
chown -R 100000:100000 "$b/rootfs"
src=$TEST_TMP/src
mkdir -p "$src/sub"
echo data >"$src/file"
chown -R 1000:1000 "$src"
chmod 0777 "$src"
# A sub-mount of the source, owned by 1000 too: only ridmap maps it.
mount -t tmpfs -o uid=1000,gid=1000,mode=0755 idmap-sub "$src/sub" || bail "mount the sub-mount"
on_exit "umount -l '$src/sub'"
cfg "$b" '.linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
root=$(new_state_root)

nothing_left ()
{
  is "$(grep -c "$TEST_TMP/bundle" /proc/self/mountinfo)" 0 "$1: nothing is left mounted on the host"
  is "$(ls "$root")" "" "$1: no state is left"
}

# The container's mappings: on-disk 1000 is seen as 1000 inside (without
# idmap it is unmapped: the overflow id 65534), and what the container's
# root creates is owned by root on the disk.  (/plain is an rbind: a plain
# bind of a tree with a sub-mount is refused by the kernel in a user
# namespace, EINVAL, since the sub-mount is locked.)
cfg "$b" '.process.args = ["/bin/sh", "-c", "stat -c \"%n %u:%g\" /plain/file /data/file; touch /data/new && echo created; grep \" /data \" /proc/self/mountinfo"]
  | .mounts += [{destination: "/plain", type: "bind", source: $s, options: ["rbind"]},
                {destination: "/data", type: "bind", source: $s, options: ["bind", "idmap"]}]' --arg s "$src"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap)"
is "$status" 0 "idmap bind with the container's mappings" || diag "$output"
like "$output" "/plain/file 65534:65534" "without idmap, the host's 1000 is unmapped inside"
like "$output" "/data/file 1000:1000" "with idmap, the file shows as owned by 1000 inside"
like "$output" "created" "the container's root can create a file there"
is "$(stat -c %u:%g "$src/new" 2>/dev/null)" "0:0" "which is owned by root on the host"
like "$output" " /data .*idmapped" "mountinfo lists the mount as idmapped"
is "$(stat -c %u:%g "$src/file")" "1000:1000" "the file keeps its owner on the host"
rm -f "$src/new"

# The mount's own mappings win over the container's: 1000 on disk ->
# host 100005 -> 5 inside (gid 100007 -> 7).  The other options still
# apply (set before the tree is attached).
cfg "$b" '.process.args = ["/bin/sh", "-c", "stat -c \"%n %u:%g\" /data/file; grep \" /data \" /proc/self/mountinfo"]
  | .mounts |= map(if .destination == "/data" then
      .options = ["bind", "idmap", "ro", "nosuid", "noexec"]
      | .uidMappings = [{containerID: 1000, hostID: 100005, size: 1}]
      | .gidMappings = [{containerID: 1000, hostID: 100007, size: 1}] else . end)'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap)"
is "$status" 0 "idmap bind with the mount's own uidMappings/gidMappings" || diag "$output"
like "$output" "/data/file 5:7" "the mount's own mappings are used"
like "$output" " /data ro,nosuid,.*noexec,.*idmapped" "ro, nosuid, noexec apply to the id-mapped mount"

# ridmap maps the sub-mount too; rbind + idmap only the top mount.
cfg "$b" '.process.args = ["/bin/sh", "-c", "stat -c \"%n %u:%g\" /data/file /data/sub"]
  | .mounts |= map(if .destination == "/data" then del(.uidMappings) | del(.gidMappings) | .options = ["rbind", "ridmap"] else . end)'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id ridmap)"
is "$status" 0 "rbind + ridmap" || diag "$output"
like "$output" $'/data/file 1000:1000\n/data/sub 1000:1000' "ridmap maps the tree and its sub-mount"
cfg "$b" '.mounts |= map(if .destination == "/data" then .options = ["rbind", "idmap"] else . end)'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id ridmap)"
is "$status" 0 "rbind + idmap" || diag "$output"
like "$output" $'/data/file 1000:1000\n/data/sub 65534:65534' "idmap maps the top mount only, not the sub-mount"
cfg "$b" '.mounts |= map(select(.destination != "/data" and .destination != "/plain"))'
nothing_left "after the runs"

# Errors: one line naming mounts[i], nothing left.
n=$(jq '.mounts | length' "$b/config.json")
cfg "$b" '.mounts += [{destination: "/t", type: "tmpfs", source: "tmpfs", options: ["idmap"]}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap-err)"
isnt "$status" 0 "idmap on a tmpfs (not a bind mount) fails"
like "$output" "mounts\\[$n\\]: destination '/t', type 'tmpfs'.*idmap.*bind mounts" "naming the mount and the reason"
is "$(printf '%s\n' "$output" | wc -l)" 1 "in one line"
nothing_left "idmap on tmpfs"

cfg "$b" '.mounts[-1] = {destination: "/data", type: "bind", source: $s, options: ["bind", "idmap"],
                         uidMappings: [{containerID: 0, hostID: 100000, size: 1}]}' --arg s "$src"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap-err)"
isnt "$status" 0 "own uidMappings without gidMappings fails"
like "$output" "mounts\\[$n\\]\\.gidMappings: MUST be specified along with uidMappings" "naming the field and the reason"
nothing_left "missing gidMappings"

cfg "$b" '.mounts[-1] = {destination: "/data", type: "bind", source: $s, options: ["bind", "ridmap"]}' --arg s "$TEST_TMP/missing"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap-err)"
isnt "$status" 0 "a missing idmap source fails"
like "$output" "mounts\\[$n\\]: destination '/data'.*open the source: No such file" "naming the mount and the reason"
nothing_left "missing source"

# proc does not support id-mapped mounts: the kernel refuses (EINVAL).
cfg "$b" '.mounts[-1] = {destination: "/data", type: "bind", source: "/proc", options: ["bind", "idmap"]}'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap-err)"
isnt "$status" 0 "idmap of a filesystem without id-mapped mount support fails"
like "$output" "mounts\\[$n\\]: destination '/data'.*id-map the mount: Invalid argument" "naming the mount and the kernel's reason"
nothing_left "unsupported filesystem"

done_testing
