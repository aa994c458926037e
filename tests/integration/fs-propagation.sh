#!/usr/bin/env bash
# Mount propagation both ways: a host mount made under an "rslave" bind
# shows up in the running container; a mount the container makes under an
# "rshared" bind (with linux.rootfsPropagation rshared) shows up on the
# host.  And the default (rslave root, private binds) leaks nothing.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /bin/true
root=$(new_state_root)
d=$TEST_TMP/prop
mkdir -p "$d"
# The host side: its own shared mount, so both namespaces can share it.
mount --bind "$d" "$d" || bail "cannot bind $d"
on_exit "umount -R -l '$d'"
mount --make-shared "$d"
mkdir -p "$d/sub" "$d/csub"

wait_file () { local i; for i in $(seq 1 100); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

# host -> container (rslave)
cfg "$b" '.mounts += [{destination: "/prop", type: "bind", source: $d, options: ["rbind", "rslave"]}]
  | .process.args = ["/bin/sh", "-c", "touch /prop/ready; i=0; while [ ! -e /prop/sub/marker ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; cat /prop/sub/marker; grep \" /prop/sub \" /proc/self/mountinfo"]' --arg d "$d"
estiba_r "$root" run -b "$b" "$(unique_id slave)" >"$TEST_TMP/out" 2>&1 &
cpid=$!
if wait_file "$d/ready"; then
  mount -t tmpfs -o mode=755 estiba-prop "$d/sub" && echo from-host >"$d/sub/marker"
fi
wait "$cpid"
is "$?" 0 "the rslave container ran"
like "$(cat "$TEST_TMP/out")" "from-host" "a host mount under an rslave bind reaches the running container"
like "$(cat "$TEST_TMP/out")" " /prop/sub .*master:" "as a slave mount"
umount "$d/sub"
rm -f "$d/ready"

# container -> host (rshared); the container needs CAP_SYS_ADMIN to mount.
cfg "$b" '.linux.rootfsPropagation = "rshared"
  | .mounts = [.mounts[] | if .destination == "/prop" then .options = ["rbind", "rshared"] else . end]
  | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
  | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]
  | del(.linux.seccomp)
  | .process.args = ["/bin/sh", "-c", "mount -t tmpfs estiba-cprop /prop/csub && echo from-container > /prop/csub/marker && echo mounted"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id shared)"
is "$status" 0 "the rshared container ran" || diag "$output"
like "$output" "mounted" "the container mounted under its rshared bind"
is "$(cat "$d/csub/marker" 2>/dev/null)" "from-container" "the container's mount reached the host"
like "$(grep " $d/csub " /proc/self/mountinfo)" "estiba-cprop" "the host's mountinfo lists it"
umount "$d/csub" 2>/dev/null
unlike "$(grep " $b/rootfs" /proc/self/mountinfo)" "." "the rshared root leaves no rootfs mount on the host"

# The default (rslave root, bind without propagation option): the
# container's mount stays in the container.
cfg "$b" 'del(.linux.rootfsPropagation) | .mounts = [.mounts[] | if .destination == "/prop" then .options = ["rbind"] else . end]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id private)"
like "$output" "mounted" "the container mounted under its plain bind"
check_fails "nothing reached the host" test -e "$d/csub/marker"
umount "$d/csub" 2>/dev/null

done_testing
