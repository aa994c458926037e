#!/usr/bin/env bash
# The "cgroup" mount type on this hybrid host: with a cgroup namespace every
# hierarchy (the v1 controllers and the cgroup2 mount) is the real cgroupfs,
# rooted by the kernel at the container's cgroup (as runc); without one, a
# read-only bind of the container's cgroup directory.  Either way the
# container sees its own limits at the top, and the host's hierarchies are
# left as they were.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq
[ -d /sys/fs/cgroup/memory ] || skip_all "no v1 memory controller"

b=$TEST_TMP/bundle
make_bundle "$b"
root=$(new_state_root)
id=$(unique_id cgmnt)
parent=estiba-test-$id
for c in /sys/fs/cgroup/*/; do track_cgroup "$c$parent"; done

# PRINT: "TYPE ROOT MOUNTPOINT" of every mount under /sys/fs/cgroup/, the
# memory limit seen at the top, and whether the top can be written.
cfg "$b" '.process.args = ["/bin/sh", "-c", "awk '"'"'$5 ~ \"^/sys/fs/cgroup/\" {for (i = 7; $i != \"-\"; i++); print \"mnt=\" $(i+1), $4, $5}'"'"' /proc/self/mountinfo; echo limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); touch /sys/fs/cgroup/memory/x 2>/dev/null; echo write=$?"]
  | .linux.resources.memory = {limit: 67108864}'

for mode in cgroupns bind; do
  n=$(unique_id c)
  if [ $mode = cgroupns ]; then
    cfg "$b" '.linux.namespaces |= (map(select(.type != "cgroup")) + [{type: "cgroup"}]) | .linux.cgroupsPath = $p' --arg p "/$parent/$n"
  else
    cfg "$b" '.linux.namespaces |= map(select(.type != "cgroup")) | .linux.cgroupsPath = $p' --arg p "/$parent/$n"
  fi
  run_cmd estiba_r "$root" run -b "$b" "$n"
  is "$status" 0 "$mode: run with a cgroup mount" || continue
  mounts=$(echo "$output" | sed -n 's/^mnt=//p')
  is "$(kv "$output" limit)" 67108864 "$mode: the container's memory limit is at the top of memory/"
  is "$(kv "$output" write)" 1 "$mode: the cgroup mount is read-only (options ro)"
  if [ $mode = cgroupns ]; then
    for h in cpu memory pids systemd; do
      echo "$mounts" | grep -qx "cgroup / /sys/fs/cgroup/$h"
      ok_if "cgroupns: $h is a cgroup filesystem rooted at the namespace's /" $?
    done
    echo "$mounts" | grep -qx "cgroup2 / /sys/fs/cgroup/unified"
    ok_if "cgroupns: unified is the cgroup2 filesystem rooted at /" $?
  else
    echo "$mounts" | grep -qx "cgroup /$parent/$n /sys/fs/cgroup/memory"
    ok_if "bind: memory is the container's cgroup directory, bound" $?
  fi
done

# The host's hierarchies keep their options (a read-only mount in the
# container must not turn a shared superblock read-only).
for h in memory cpu; do
  like "$(awk -v m=/sys/fs/cgroup/$h '$5 == m {for (i = 7; $i != "-"; i++); print $(i+3)}' /proc/self/mountinfo)" \
    "^rw," "the host's $h hierarchy is still rw"
done

done_testing
