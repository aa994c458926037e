#!/usr/bin/env bash
# linux.devices in a container with a user namespace, where mknod is not
# allowed: each device is the host's node bind-mounted at its path (as
# runc), with missing parent directories created searchable, and nothing is
# left on the host.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq
[ -c /dev/fuse ] && [ -c /dev/net/tun ] || skip_all "no /dev/fuse or /dev/net/tun on this host"

b=$TEST_TMP/bundle
make_bundle "$b"
chown -R 100000:100000 "$b/rootfs"
cfg "$b" '.process.args = ["/bin/sh", "-c", "for d in /dev/fuse /dev/net/tun; do stat -c \"dev=%n %F %t:%T\" $d; done; ls /dev/net >/dev/null && echo search=ok; awk '"'"'$5 == \"/dev/fuse\" || $5 == \"/dev/net/tun\" {print \"mnt=\" $4 \" \" $5}'"'"' /proc/self/mountinfo"]
  | .linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.devices = [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438},
                      {path: "/dev/net/tun", type: "c", major: 10, minor: 200, fileMode: 438}]'
root=$(new_state_root)

run_cmd estiba_r "$root" run -b "$b" "$(unique_id udev)"
is "$status" 0 "run with linux.devices in a user namespace" || diag "$output"
like "$output" "dev=/dev/fuse character special file a:e5" "/dev/fuse is the host's character device 10:229"
like "$output" "dev=/dev/net/tun character special file a:c8" "/dev/net/tun is the host's character device 10:200"
is "$(kv "$output" search)" ok "the created parent /dev/net is searchable by the container's root"
like "$output" "mnt=/fuse /dev/fuse" "/dev/fuse is a bind of the host's node"
like "$output" "mnt=/net/tun /dev/net/tun" "/dev/net/tun is a bind of the host's node"
is "$(grep -c "$TEST_TMP" /proc/self/mountinfo)" 0 "nothing is left mounted on the host"

done_testing
