#!/usr/bin/env bash
# create/run options and cgroup placement: --no-pivot, linux.cgroupsPath
# (created in every hierarchy, removed on delete), the default cgroup, and
# signal forwarding by a foreground run.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe mounts
root=$(new_state_root)

# ------------------------------------------------------------ no-pivot --
run_cmd estiba_r "$root" run --no-pivot -b "$b" "$(unique_id opt)"
is "$status" 0 "run --no-pivot"
points=$(grep -v warning <<<"$output" | awk '{print $5}')
like "$points" "^/"$'\n' "the rootfs is mounted on the container's /"
unlike "$points" "/tmp/estiba-test" "no host path is a mount point in the container"
cfg "$b" '.process.args = ["/bin/sh", "-c", "ls /proc/1/root/ | grep -c probe"]'
run_cmd estiba_r "$root" run --no-pivot -b "$b" "$(unique_id opt)"
like "$output" "1" "--no-pivot: the process root is the rootfs"

# ---------------------------------------------------------- cgroupsPath --
cg=/estiba-test-$SRANDOM/sub
# estiba creates the path in every hierarchy: remove it from all of them.
cg_parent=${cg%/sub}
for h in /sys/fs/cgroup/*/; do track_cgroup "$h${cg_parent#/}"; done
cfg "$b" '.linux.cgroupsPath = $cg | .process.args = ["/probe", "sleep", "600"]' --arg cg "$cg"
id=$(unique_id opt)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
pid=$(container_pid "$root" "$id")
for h in memory pids cpuset cpu devices freezer; do
  [ -d "/sys/fs/cgroup/$h" ] || continue
  check "cgroupsPath: the init is in $h:$cg" grep -qx "$pid" "/sys/fs/cgroup/$h$cg/cgroup.procs"
done
if [ -d /sys/fs/cgroup/unified ]; then
  check "cgroupsPath: the init is in the cgroup2 hierarchy" grep -qx "$pid" "/sys/fs/cgroup/unified$cg/cgroup.procs"
fi
estiba_r "$root" exec -d "$id" /probe sleep 600 >"$TEST_TMP/out" 2>&1 </dev/null
is "$(wc -l <"/sys/fs/cgroup/pids$cg/cgroup.procs")" 2 "an exec'd process joins the cgroup"
check "delete --force" estiba_r "$root" delete --force "$id"
check_fails "delete removes the cgroup" test -e "/sys/fs/cgroup/memory$cg"
check_fails "delete removes the cgroup2 directory" test -e "/sys/fs/cgroup/unified$cg"

cfg "$b" 'del(.linux.cgroupsPath)'
id=$(unique_id opt)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
pid=$(container_pid "$root" "$id")
like "$(grep ':pids:' "/proc/$pid/cgroup")" "/$id\$" "without cgroupsPath the cgroup is named after the id (as runc)"
estiba_r "$root" delete --force "$id"
is "$(find /sys/fs/cgroup -maxdepth 7 -type d -name "$id")" "" "and is removed by delete"

cfg "$b" '.linux.cgroupsPath = "/../../etc"'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id opt)"
isnt "$status" 0 "a cgroupsPath with .. is refused"

# ---------------------------------------------------- signal forwarding --
cfg "$b" 'del(.linux.cgroupsPath) | .process.args = ["/bin/sh", "-c", "trap \"echo got-term; exit 5\" TERM; echo ready; while :; do sleep 0.1; done"]'
"$ESTIBA" --root "$root" run -b "$b" "$(unique_id opt)" >"$TEST_TMP/fg.out" 2>&1 </dev/null &
fg=$!
wait_for 10 grep -q ready "$TEST_TMP/fg.out"
kill -TERM "$fg"
wait "$fg"
is "$?" 5 "SIGTERM to a foreground run reaches the container"
like "$(cat "$TEST_TMP/fg.out")" "got-term" "the container's handler ran"

done_testing
