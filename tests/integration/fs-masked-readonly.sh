#!/usr/bin/env bash
# maskedPaths and readonlyPaths edge cases: files and directories,
# missing paths (ignored, as runc), paths through symlinks (stay in the
# rootfs), and devices: mode and owner of linux.devices, the default set.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /bin/true
root=$(new_state_root)
mkdir -p "$b/rootfs/secret/dir" "$b/rootfs/ro/dir"
echo topsecret >"$b/rootfs/secret/file"
echo inside >"$b/rootfs/secret/dir/inner"
ln -s /etc "$b/rootfs/etc-link"
tag=x$SRANDOM

cfg "$b" '.linux.maskedPaths = ["/secret/file", "/secret/dir", "/does/not/exist", "/etc-link/hostname"]
  | .linux.readonlyPaths = ["/ro", "/missing/ro", "/etc-link"]
  | .process.args = ["/bin/sh", "-c", "cat /secret/file; echo [; ls -A /secret/dir; echo ]; touch /secret/dir/x 2>/dev/null && echo dir-writable; touch /ro/dir/x 2>/dev/null && echo ro-writable; touch /etc/x 2>/dev/null && echo etc-writable; grep -E \" /(secret|ro|etc)[ /]\" /proc/self/mountinfo"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id masked)"
is "$status" 0 "missing masked and read-only paths are ignored" || diag "$output"
unlike "$output" "topsecret" "a masked file reads empty"
like "$output" $'\\[\n\\]' "a masked directory is empty"
unlike "$output" "dir-writable" "a masked directory is read-only"
unlike "$output" "ro-writable" "readonlyPaths makes the directory (and below) read-only"
unlike "$output" "etc-writable" "a read-only path through a symlink lands on the rootfs's own /etc"
like "$output" " /secret/dir ro,.* - tmpfs " "the masked directory is an empty read-only tmpfs"
like "$output" " /ro ro," "the read-only path is a read-only bind"
check "the host's /etc is still writable" touch "/etc/.estiba-$tag"
rm -f "/etc/.estiba-$tag"
check "nothing was masked on the host" grep -q topsecret "$b/rootfs/secret/file"

# linux.devices: type, major/minor, mode, owner; a block device; the default
# set stays even when listed again.
cfg "$b" 'del(.linux.maskedPaths) | del(.linux.readonlyPaths)
  | .linux.devices = [{path: "/dev/blk", type: "b", major: 7, minor: 0, fileMode: 416, uid: 12, gid: 34},
                      {path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 438},
                      {path: "/dev/deep/er/chr", type: "c", major: 1, minor: 5, fileMode: 420}]
  | .process.args = ["/bin/sh", "-c", "ls -ln /dev/blk /dev/null /dev/deep/er/chr /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; ls -ld /dev/shm /dev/pts /dev/stdin /dev/stdout /dev/stderr"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id devices)"
is "$status" 0 "linux.devices" || diag "$output"
like "$output" "brw-r----- +1 12 +34 +7, +0 .*/dev/blk" "block device with mode 0640 and owner 12:34"
like "$output" "crw-rw-rw- .* 1, +3 .*/dev/null" "a listed default device is kept"
like "$output" "crw-r--r-- .* 1, +5 .*/dev/deep/er/chr" "a device in new directories"
like "$output" "/dev/stdin -> /proc/self/fd/0" "/dev/stdin"
like "$output" "/dev/stderr -> /proc/self/fd/2" "/dev/stderr"
like "$output" "d.* /dev/shm" "/dev/shm"
like "$output" "d.* /dev/pts" "/dev/pts"

cfg "$b" '.linux.devices = [{path: "/dev/bad", type: "x", major: 1, minor: 3}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id devices)"
isnt "$status" 0 "an unknown device type is refused"
like "$output" "linux.devices\\[0\\].type" "naming the field"
cfg "$b" '.linux.devices = [{path: "/dev/../etc/evil", type: "c", major: 1, minor: 3}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id devices)"
isnt "$status" 0 "a device path leaving /dev is refused"
check_fails "nothing was made" test -e "$b/rootfs/etc/evil"

done_testing
