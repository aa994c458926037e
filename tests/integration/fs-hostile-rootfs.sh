#!/usr/bin/env bash
# Hostile root filesystems and failing mounts: symlinks to /, to "..", to
# /proc, symlink loops, proc and sysfs onto symlinks or files.  Nothing may
# land on the host, and a failing mount is reported in one line naming its
# index, destination, type, source, options and the errno, with nothing
# left mounted on the host.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /bin/cat /proc/self/mountinfo
root=$(new_state_root)
base_mounts=$(jq -c .mounts "$b/config.json")
host_mounts () { wc -l </proc/self/mountinfo; }
reset () { cfg "$b" '.mounts = $m | .process.args = ["/bin/cat", "/proc/self/mountinfo"]' --argjson m "$base_mounts"; }

# ------------------------------------------------------------- errors --
before=$(host_mounts)
cfg "$b" '.mounts += [{destination: "/ok", type: "tmpfs", source: "tmpfs"},
                      {destination: "/bad", type: "tmpfs", source: "mysrc", options: ["noexec", "size=bogus"]}]'
idx=$(jq '.mounts | length - 1' "$b/config.json")
id=$(unique_id err)
run_cmd estiba_r "$root" run -b "$b" "$id"
isnt "$status" 0 "a failing mount fails the run"
like "$output" "^estiba: mounts\\[$idx\\]: destination '/bad', type 'tmpfs', source 'mysrc', options 'noexec,size=bogus': .*: Invalid argument$" \
  "the error names index, destination, type, source, options and errno"
is "$(grep -c . <<<"$output")" 1 "in one line"
is "$(host_mounts)" "$before" "nothing stays mounted on the host"
unlike "$(grep " $b/rootfs" /proc/self/mountinfo)" "." "not even the rootfs bind"
run_cmd estiba_r "$root" state "$id"
isnt "$status" 0 "no container state is left behind"

reset
cfg "$b" '.mounts += [{destination: "/missing", type: "bind", source: "/nonexistent/estiba-src", options: ["rbind"]}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id err)"
like "$output" "mounts\\[[0-9]+\\]: destination '/missing', type 'bind', source '/nonexistent/estiba-src', options 'rbind': .*No such file or directory" \
  "a missing bind source is named"

# ------------------------------------------------- hostile symlinks --
reset
mkdir -p "$b/rootfs/data"
ln -s / "$b/rootfs/slash"
ln -s .. "$b/rootfs/data/up"
ln -s /proc "$b/rootfs/toproc"
ln -s loop1 "$b/rootfs/loop2"
ln -s loop2 "$b/rootfs/loop1"
tag=x$SRANDOM
on_exit "rm -rf '/estiba-$tag' '/proc/estiba-$tag' '/tmp/estiba-$tag'"
cfg "$b" '.mounts += [{destination: ("/slash/estiba-" + $t), type: "tmpfs", source: "tmpfs"},
                      {destination: ("/data/up/data/up/../../tmp/estiba-" + $t), type: "tmpfs", source: "tmpfs"}]' --arg t "$tag"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id hostile)"
is "$status" 0 "mounts through symlinks to / and to .. run"
like "$output" " /estiba-$tag " "the symlink to / leads to the rootfs's /"
like "$output" " /tmp/estiba-$tag " "the .. symlinks stop at the rootfs's /"
check_fails "nothing created at the host's /" test -e "/estiba-$tag"
check_fails "nothing created in the host's /tmp" test -e "/tmp/estiba-$tag"

reset
cfg "$b" '.mounts += [{destination: "/loop1/x", type: "tmpfs", source: "tmpfs"}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id hostile)"
isnt "$status" 0 "a symlink loop in a destination fails"
like "$output" "mounts\\[[0-9]+\\]: destination '/loop1/x'.*symbolic links" "with ELOOP, naming the mount"

# proc and sysfs only onto real directories.
for kind in proc sysfs; do
  reset
  rm -rf "$b/rootfs/$kind-target"
  ln -s /etc "$b/rootfs/$kind-target"
  cfg "$b" '.mounts += [{destination: ("/" + $k + "-target"), type: $k, source: $k}]' --arg k "$kind"
  run_cmd estiba_r "$root" run -b "$b" "$(unique_id hostile)"
  isnt "$status" 0 "$kind onto a symlink is refused"
  like "$output" "mounts\\[[0-9]+\\]: destination '/$kind-target', type '$kind'.*only be mounted on a directory" "$kind: naming the reason"
  rm -f "$b/rootfs/$kind-target"
  touch "$b/rootfs/$kind-target"
  run_cmd estiba_r "$root" run -b "$b" "$(unique_id hostile)"
  isnt "$status" 0 "$kind onto a file is refused"
  rm -f "$b/rootfs/$kind-target"
done

# /proc of the image is a symlink to /etc: the container's proc mount
# (in the default mounts) must be refused, never land on /etc.
reset
mv "$b/rootfs/proc" "$b/rootfs/proc.real"
ln -s /etc "$b/rootfs/proc"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id hostile)"
isnt "$status" 0 "a rootfs whose /proc is a symlink is refused"
like "$output" "destination '/proc', type 'proc'" "naming the proc mount"
rm "$b/rootfs/proc"
mv "$b/rootfs/proc.real" "$b/rootfs/proc"

# A mount through a symlink to /proc stays inside the rootfs's /proc
# directory (the real host /proc is never touched).
reset
cfg "$b" '.mounts += [{destination: ("/toproc/estiba-" + $t), type: "tmpfs", source: "tmpfs"}]' --arg t "$tag"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id hostile)"
check_fails "nothing created in the host's /proc" test -e "/proc/estiba-$tag"

# /dev of the image is a symlink to /tmp: devices are made in the
# rootfs's /tmp, never in the host's /tmp.
reset
rm -rf "$b/rootfs/dev"
ln -s /tmp "$b/rootfs/dev"
# Only the names devices_setup makes: other tests share the host's /tmp.
dev_names="null zero full random urandom tty fd stdin stdout stderr ptmx pts shm console"
tmp_devs () { local n; for n in $dev_names; do [ -e "/tmp/$n" ] || [ -L "/tmp/$n" ] && echo "$n"; done; }
before_tmp=$(tmp_devs)
cfg "$b" '.mounts = [.mounts[] | select(.destination | startswith("/dev") | not)] | .process.args = ["/bin/ls", "/tmp"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id hostile)"
is "$(tmp_devs)" "$before_tmp" "no device or /dev symlink was created in the host's /tmp"
check_fails "no device node in the host's /tmp" test -e /tmp/urandom
rm -f "$b/rootfs/dev"
mkdir "$b/rootfs/dev"

done_testing
