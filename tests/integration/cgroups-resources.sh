#!/usr/bin/env bash
# linux.resources on this hybrid host: every field whose controller exists
# is written where the controller lives (v1 controllers, hugetlb in the
# cgroup2 mount) and read back from the cgroup files; a field whose
# controller is missing fails create with an error naming the field and
# leaves nothing behind.  --systemd-cgroup without systemd is refused.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq
[ -d /sys/fs/cgroup/memory ] || skip_all "no v1 memory controller"

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
root=$(new_state_root)
id=$(unique_id cgres)
parent=estiba-test-$id
cgpath=/$parent/$id
for c in /sys/fs/cgroup/*/; do track_cgroup "$c$parent"; done

detached ()
{
  "$@" >"$TEST_TMP/detached.out" 2>&1 </dev/null && status=0 || status=$?
  output=$(cat "$TEST_TMP/detached.out")
}
cgfile () { cat "/sys/fs/cgroup/$1$cgpath/$2"; }

# a block device for the throttle rules: the first disk
disk=$(lsblk -dno MAJ:MIN | head -n 1 | tr -d ' ')
[ -n "$disk" ] || bail "no block device found"
cfg "$b" '.linux.cgroupsPath = $p | .linux.resources += {
  memory: {limit: 67108864, reservation: 33554432, swap: 134217728, swappiness: 10, disableOOMKiller: false},
  cpu: {shares: 512, quota: 50000, period: 100000, burst: 10000, cpus: "0", mems: "0", idle: 0},
  blockIO: {throttleReadBpsDevice: [{major: $maj, minor: $min, rate: 1048576}],
    throttleWriteBpsDevice: [{major: $maj, minor: $min, rate: 2097152}],
    throttleReadIOPSDevice: [{major: $maj, minor: $min, rate: 100}],
    throttleWriteIOPSDevice: [{major: $maj, minor: $min, rate: 200}]},
  pids: {limit: 50},
  hugepageLimits: [{pageSize: "2MB", limit: 4194304}],
  unified: {"cgroup.max.descendants": "5"}
}' --arg p "$cgpath" --argjson maj "${disk%:*}" --argjson min "${disk#*:}"

detached estiba_r "$root" create -b "$b" "$id"
is "$status" 0 "create with memory, cpu, cpuset, pids, blkio throttle, hugetlb and unified limits" || diag "$output"
unlike "$output" "not applied" "no 'limits not applied' warning"
is "$(cgfile memory memory.limit_in_bytes)" 67108864 "memory.limit -> memory.limit_in_bytes"
is "$(cgfile memory memory.soft_limit_in_bytes)" 33554432 "memory.reservation -> memory.soft_limit_in_bytes"
is "$(cgfile memory memory.memsw.limit_in_bytes)" 134217728 "memory.swap -> memory.memsw.limit_in_bytes"
is "$(cgfile memory memory.swappiness)" 10 "memory.swappiness"
is "$(cgfile cpu cpu.shares)" 512 "cpu.shares"
is "$(cgfile cpu cpu.cfs_quota_us)" 50000 "cpu.quota -> cpu.cfs_quota_us"
is "$(cgfile cpu cpu.cfs_period_us)" 100000 "cpu.period -> cpu.cfs_period_us"
is "$(cgfile cpu cpu.cfs_burst_us)" 10000 "cpu.burst -> cpu.cfs_burst_us"
is "$(cgfile cpu cpu.idle)" 0 "cpu.idle"
is "$(cgfile blkio blkio.throttle.read_bps_device)" "$disk 1048576" "blockIO.throttleReadBpsDevice"
is "$(cgfile blkio blkio.throttle.write_bps_device)" "$disk 2097152" "blockIO.throttleWriteBpsDevice"
is "$(cgfile blkio blkio.throttle.read_iops_device)" "$disk 100" "blockIO.throttleReadIOPSDevice"
is "$(cgfile blkio blkio.throttle.write_iops_device)" "$disk 200" "blockIO.throttleWriteIOPSDevice"
is "$(cgfile cpuset cpuset.cpus)" 0 "cpu.cpus -> cpuset.cpus"
is "$(cgfile cpuset cpuset.mems)" 0 "cpu.mems -> cpuset.mems"
is "$(cgfile pids pids.max)" 50 "pids.limit -> pids.max"
is "$(cgfile unified hugetlb.2MB.max)" 4194304 "hugepageLimits -> hugetlb.2MB.max in the cgroup2 mount (hybrid)"
is "$(cgfile unified cgroup.max.descendants)" 5 "unified keys are written in the cgroup2 directory"
devs=$(cgfile devices devices.list)
unlike "$devs" 'a \*:\* rwm' "devices: the default spec's deny-all rule is applied"
like "$devs" 'c 1:3 rwm' "devices: /dev/null stays allowed"
like "$devs" 'c 136:\* rwm' "devices: /dev/pts stays allowed"
pid=$(container_pid "$root" "$id")
like "$(cat /proc/$pid/cgroup)" "memory:$cgpath" "the init runs in the memory cgroup"

check "start" estiba_r "$root" start "$id"
wait_for 5 test "$(estiba_r "$root" state "$id" | jq -r .status)" = running

# ---------------------------------------------------------------- update --
check "update --memory --memory-swap --pids-limit --cpu-quota --cpu-share" estiba_r "$root" update \
  --memory 100M --memory-swap 200M --pids-limit 20 --cpu-quota 20000 --cpu-share 256 --cpuset-cpus 0 "$id"
is "$(cgfile memory memory.limit_in_bytes)" 104857600 "update: memory limit (100M)"
is "$(cgfile memory memory.memsw.limit_in_bytes)" 209715200 "update: memory+swap limit (200M)"
is "$(cgfile pids pids.max)" 20 "update: pids.max"
is "$(cgfile cpu cpu.cfs_quota_us)" 20000 "update: cpu quota"
is "$(cgfile cpu cpu.shares)" 256 "update: cpu shares"
echo '{"pids": {"limit": 30}, "memory": {"limit": 52428800, "swap": 104857600}}' >"$TEST_TMP/res.json"
check "update -r resources.json" estiba_r "$root" update -r "$TEST_TMP/res.json" "$id"
is "$(cgfile pids pids.max)" 30 "update -r: pids.max"
is "$(cgfile memory memory.limit_in_bytes)" 52428800 "update -r: lower memory limit (memsw written after)"
is "$(cgfile memory memory.memsw.limit_in_bytes)" 104857600 "update -r: lower memsw limit"
check "update -r - reads standard input" bash -c 'echo "{\"pids\": {\"limit\": 25}}" | "$0" --root "$1" update -r - "$2"' "$ESTIBA" "$root" "$id"
is "$(cgfile pids pids.max)" 25 "update -r -: pids.max"
echo '{"pids": {"limit": 30}}' | estiba_r "$root" update -r - "$id"
run_cmd estiba_r "$root" update --blkio-weight 500 "$id"
isnt "$status" 0 "update --blkio-weight fails without blkio weight files"
like "$output" "blockIO.weight" "the error names blockIO.weight"
run_cmd estiba_r "$root" update --memory lots "$id"
isnt "$status" 0 "update --memory with a bad value fails"
like "$output" "--memory" "the error names the flag"
echo '{"pids": {"limit": "x"}}' >"$TEST_TMP/bad.json"
run_cmd estiba_r "$root" update -r "$TEST_TMP/bad.json" "$id"
isnt "$status" 0 "update -r with a wrong JSON type fails"
like "$output" "bad.json" "the error names the file"

# ------------------------------------------------------- pause / resume --
check "pause" estiba_r "$root" pause "$id"
is "$(cgfile freezer freezer.state)" FROZEN "pause returns with the freezer FROZEN"
is "$(estiba_r "$root" state "$id" | jq -r .status)" paused "state: paused"
is "$(sed 's/.*) //' /proc/$pid/stat | cut -d' ' -f1)" D "the init is frozen (the kernel shows frozen tasks as D)"
run_cmd estiba_r "$root" pause "$id"
isnt "$status" 0 "pausing a paused container fails"
run_cmd estiba_r "$root" delete "$id"
isnt "$status" 0 "delete of a paused container needs --force"
check "resume" estiba_r "$root" resume "$id"
is "$(cgfile freezer freezer.state)" THAWED "resume returns with the freezer THAWED"
is "$(estiba_r "$root" state "$id" | jq -r .status)" running "state: running after resume"
run_cmd estiba_r "$root" resume "$id"
isnt "$status" 0 "resuming a running container fails"
like "$output" "not paused" "the error says it is not paused"

# -------------------------------------------------------------------- ps --
run_cmd estiba_r "$root" ps -f json "$id"
is "$status" 0 "ps -f json"
is "$(jq -c . <<<"$output")" "[$pid]" "ps -f json lists the init pid"
run_cmd estiba_r "$root" ps "$id"
like "$output" "^UID +PID" "ps prints ps(1)'s header"
like "$output" "[[:space:]]$pid[[:space:]].*probe" "ps shows the container's process"
is "$(wc -l <<<"$output")" 2 "ps shows only the container's processes"
run_cmd estiba_r "$root" ps "$id" -o pid,comm
like "$output" "^ *PID COMMAND" "ps passes extra arguments to ps(1)"
like "$output" "$pid probe" "ps -o pid,comm shows the process"

# ---------------------------------------------------------------- events --
run_cmd estiba_r "$root" events --stats "$id"
is "$status" 0 "events --stats"
is "$(jq -r .type <<<"$output")" stats "events --stats: type stats"
is "$(jq -r .id <<<"$output")" "$id" "events --stats: id"
is "$(jq -r .data.memory.usage.limit <<<"$output")" 52428800 "events --stats: memory limit"
is "$(jq -r .data.pids.current <<<"$output")" 1 "events --stats: pids.current"
is "$(jq -r .data.pids.limit <<<"$output")" 30 "events --stats: pids.limit"
ok_if "events --stats: cpu usage counted" "$(jq '.data.cpu.usage.total > 0' <<<"$output" | grep -c true | sed 's/1/0/;t;s/.*/1/')"
is "$(jq -r '.data.hugetlb["2MB"].usage' <<<"$output")" 0 "events --stats: hugetlb from the cgroup2 mount"
"$ESTIBA" --root "$root" events --interval 200ms "$id" >"$TEST_TMP/events.out" 2>&1 &
evpid=$!
sleep 1.1
kill "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null
n=$(jq -r 'select(.type == "stats") | .id' "$TEST_TMP/events.out" | grep -c "^$id$")
# At most one every 200ms; at least two even on a loaded machine.
ok_if "events --interval 200ms streams a stats event every 200ms ($n in 1.1s)" "$([ "$n" -ge 2 ] && [ "$n" -le 7 ]; echo $?)"
run_cmd estiba_r "$root" events --interval 0s "$id"
isnt "$status" 0 "events --interval 0s is refused"

check "pause again" estiba_r "$root" pause "$id"
check "delete --force of a paused container" estiba_r "$root" delete --force "$id"
# SIGKILL of a thawed process is asynchronous: give it a moment to die.
for _ in $(seq 50); do
  st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
  case ${st:-gone} in gone | Z | X) break ;; esac
  sleep 0.1
done
ok_if "the frozen init is killed (state '${st:-gone}')" "$([ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]; echo $?)"
ok_if "the cgroup is removed" "$([ ! -e /sys/fs/cgroup/memory$cgpath ] && [ ! -e /sys/fs/cgroup/unified$cgpath ]; echo $?)"

# ------------------------------------------- unavailable controllers --
for f in 'blockIO: {weight: 500}|blockIO.weight' 'network: {classID: 1048577}|network.classID' \
  'network: {priorities: [{name: "lo", priority: 1}]}|network.priorities' \
  'unified: {"memory.high": "1000000"}|unified\["memory.high"\]'; do
  res=${f%|*} name=${f#*|}
  make_bundle "$b" /probe sleep 600
  cfg "$b" ".linux.cgroupsPath = \$p | .linux.resources += {$res}" --arg p "$cgpath"
  detached estiba_r "$root" create -b "$b" "$id"
  isnt "$status" 0 "create with $res fails on this host"
  like "$output" "$name" "the error names $name"
  ok_if "nothing is left behind ($name)" "$([ ! -e /sys/fs/cgroup/memory$cgpath ] && [ ! -e "$root/$id" ]; echo $?)"
done

# ---------------------------------------------------------- systemd --
make_bundle "$b" /probe sleep 600
run_cmd "$ESTIBA" --root "$root" --systemd-cgroup create -b "$b" "$id"
isnt "$status" 0 "--systemd-cgroup without systemd as PID 1 is refused"
like "$output" "systemd-cgroup: systemd is not running" "the error says why"
done_testing
