#!/usr/bin/env bash
# Mount targets are resolved inside the rootfs: symlinks in the image
# (absolute or "..") cannot make a mount land on the host.  Masked and
# read-only paths, root.readonly, and the default /dev.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe mounts
root=$(new_state_root)
tag=x$SRANDOM
host_target=/tmp/estiba-escape-$tag
on_exit "rm -rf '$host_target'"

# An absolute symlink and a ".." symlink pointing at host paths.
ln -s /tmp "$b/rootfs/abs-escape"
ln -s ../../../../../../../../tmp "$b/rootfs/dotdot-escape"
cfg "$b" '.mounts += [
  {destination: ("/abs-escape/estiba-escape-" + $t), type: "tmpfs", source: "tmpfs"},
  {destination: ("/dotdot-escape/estiba-escape-" + $t + "-2"), type: "tmpfs", source: "tmpfs"}]' --arg t "$tag"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id paths)"
is "$status" 0 "run with mounts through symlinks"
check_fails "nothing was created on the host through the absolute symlink" test -e "$host_target"
check_fails "nothing was created on the host through the .. symlink" test -e "$host_target-2"
like "$output" " /tmp/estiba-escape-$tag " "the mount landed inside the rootfs (absolute symlink)"
like "$output" " /tmp/estiba-escape-$tag-2 " "the mount landed inside the rootfs (.. symlink)"
check "the rootfs got the directory" test -d "$b/rootfs/tmp/estiba-escape-$tag"

# A device path through a symlink stays inside too.
cfg "$b" '.mounts = [.mounts[] | select(.destination | startswith("/abs") or startswith("/dotdot") | not)]'
cfg "$b" '.process.args = ["/bin/sh", "-c", "cat /proc/kcore | head -c1 | wc -c; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname && echo wrote; touch /newfile && echo touched; ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/ptmx /dev/fd /dev/stdin"] | .root.readonly = true'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id paths)"
like "$output" $'(^|\n)0\n0\n' "masked /proc/kcore reads empty and masked /sys/firmware is empty"
unlike "$output" "wrote" "readonly /proc/sys cannot be written"
unlike "$output" "touched" "root.readonly makes / read-only"
for dev in null:1,\ *3 zero:1,\ *5 full:1,\ *7 random:1,\ *8 urandom:1,\ *9 tty:5,\ *0; do
  name=${dev%%:*}
  like "$output" "^c.* ${dev#*:} .*/dev/$name|"$'\n'"c.* ${dev#*:} .*/dev/$name" "default device /dev/$name"
done
like "$output" "/dev/ptmx -> pts/ptmx" "/dev/ptmx points into the container's devpts"
like "$output" "/dev/fd -> /proc/self/fd" "/dev/fd symlink"

# linux.devices
cfg "$b" '.process.args = ["/bin/sh", "-c", "ls -ln /dev/mydev /dev/sub/fifo"] | .root.readonly = false
  | .linux.devices = [{path: "/dev/mydev", type: "c", major: 1, minor: 3, fileMode: 384, uid: 1000, gid: 1001},
                      {path: "/dev/sub/fifo", type: "p"}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id paths)"
like "$output" "crw------- +1 1000 +1001 +1, +3 .*/dev/mydev" "linux.devices: char device with mode and owner"
like "$output" "prw-rw-rw- .*/dev/sub/fifo" "linux.devices: fifo in a new directory"
cfg "$b" '.linux.devices = [{path: "/etc/evil", type: "c", major: 1, minor: 3}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id paths)"
isnt "$status" 0 "a device outside /dev is refused"
like "$output" "linux.devices\\[0\\].path" "naming the field"

done_testing
