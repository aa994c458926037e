#!/usr/bin/env bash
# What cgroup v2 does without controllers, on this hybrid host's cgroup2
# mount (/sys/fs/cgroup/unified), plus the cgroupsPath forms, the unified
# keys converted for v1 controllers and update's record of the limits:
#  - the eBPF device filter: in a private mount namespace with the v1
#    devices hierarchy detached, the rules become a BPF_CGROUP_DEVICE
#    program on the cgroup2 directory (/dev/null opens, a char device
#    outside the rules does not, an allow rule lets it open);
#  - delete --force and kill --all KILL kill every process of a container
#    without a pid namespace (cgroup.kill);
#  - "slice:prefix:name" needs --systemd-cgroup, and is validated with it;
#  - unified memory.max / pids.max / cpu.weight land in the v1 files;
#  - update records the new limits in the saved config.
# The pure v2 and v1 layouts are tested in a VM: vm-cgroups.sh.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq unshare
[ -d /sys/fs/cgroup/devices ] && [ -d /sys/fs/cgroup/unified ] || skip_all "not the hybrid layout"

b=$TEST_TMP/bundle
root=$(new_state_root)
id=$(unique_id cgv2)
parent=estiba-test-$id
cgpath=/$parent/$id
for c in /sys/fs/cgroup/*/; do track_cgroup "$c$parent"; done
export ESTIBA root id b

detached ()
{
  "$@" >"$TEST_TMP/detached.out" 2>&1 </dev/null && status=0 || status=$?
  output=$(cat "$TEST_TMP/detached.out")
}

# ------------------------------------------------------ eBPF devices --
# /dev/kmsg (c 1:11) opens for writing without any capability: only the
# device filter can refuse it.
script='echo x >/dev/null; echo null=$?; mknod /dev/k c 1 11; echo mknod=$?; (echo x >/dev/k) 2>/dev/null; echo open=$?'
make_bundle "$b" true
cfg "$b" '.process.args = ["sh", "-c", $s] | .linux.cgroupsPath = $p | .process.capabilities.bounding += ["CAP_MKNOD"]
  | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]' \
  --arg p "$cgpath" --arg s "$script"
in_ns_no_v1_devices ()
{
  unshare -m --propagation private bash -c 'umount -l /sys/fs/cgroup/devices && "$ESTIBA" --root "$root" run -b "$b" "$id"' </dev/null
}
run_cmd in_ns_no_v1_devices
is "$(echo $output)" "null=0 mknod=0 open=1" "eBPF filter: /dev/null allowed, mknod allowed, opening c 1:11 refused"
cfg "$b" '.linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 11, access: "w"}]'
run_cmd in_ns_no_v1_devices
is "$(echo $output)" "null=0 mknod=0 open=0" "eBPF filter: an allow rule for c 1:11 w lets it open"
cfg "$b" '.linux.resources.devices += [{allow: false, type: "c", major: 1, minor: 11}]'
run_cmd in_ns_no_v1_devices
is "$(echo $output)" "null=0 mknod=0 open=1" "eBPF filter: a later deny rule for c 1:11 wins over the allow"
cfg "$b" '.linux.resources.devices += [{allow: true, type: "x"}]'
run_cmd in_ns_no_v1_devices
isnt "$status" 0 "a device rule of unknown type is refused"
like "$output" 'devices\[[0-9]+\]\.type' "the error names the rule's field"
ok_if "nothing is left behind" "$([ ! -e "$root/$id" ] && [ ! -e /sys/fs/cgroup/unified$cgpath ]; echo $?)"
# the same rules through the v1 devices controller, for comparison
cfg "$b" 'del(.linux.resources.devices[-1])'
detached estiba_r "$root" run -b "$b" "$id"
is "$(echo $output)" "null=0 mknod=0 open=1" "v1 devices: the same rules give the same result"
cfg "$b" 'del(.linux.resources.devices[-1])'
detached estiba_r "$root" run -b "$b" "$id"
is "$(echo $output)" "null=0 mknod=0 open=0" "v1 devices: without the deny rule, c 1:11 opens"

# --------------------------------------------------------- cgroup.kill --
procs_are () { [ "$(wc -l <"/sys/fs/cgroup/unified$cgpath/cgroup.procs")" -eq "$1" ]; }
make_bundle "$b" true
cfg "$b" '.process.args = ["sh", "-c", "sleep 600 & sleep 600 & exec sleep 600"] | .linux.cgroupsPath = $p | .linux.namespaces |= map(select(.type != "pid"))' --arg p "$cgpath"
detached estiba_r "$root" run -d -b "$b" "$id"
is "$status" 0 "run -d a container without a pid namespace" || diag "$output"
wait_for 10 procs_are 3
is "$(wc -l <"/sys/fs/cgroup/unified$cgpath/cgroup.procs")" 3 "three processes in its cgroup2 directory"
check "kill --all KILL" estiba_r "$root" kill --all "$id" KILL
wait_for 10 procs_are 0
is "$(wc -l <"/sys/fs/cgroup/unified$cgpath/cgroup.procs")" 0 "kill --all KILL: every process is gone"
check "delete the stopped container" estiba_r "$root" delete "$id"
detached estiba_r "$root" run -d -b "$b" "$id"
wait_for 10 procs_are 3
check "delete --force a running container without a pid namespace" estiba_r "$root" delete --force "$id"
ok_if "its processes and cgroups are gone" \
  "$([ ! -e /sys/fs/cgroup/unified$cgpath ] && [ ! -e /sys/fs/cgroup/pids$cgpath ]; echo $?)"

# ----------------------------------------------------- cgroupsPath forms --
make_bundle "$b" true
for p in 'system.slice:estiba:x' 'a:b:c'; do
  cfg "$b" '.linux.cgroupsPath = $p' --arg p "$p"
  detached estiba_r "$root" create -b "$b" "$id"
  isnt "$status" 0 "cgroupsPath '$p' without --systemd-cgroup is refused"
  like "$output" "needs --systemd-cgroup" "the error says why ('$p')"
done
for p in 'foo:estiba:x|not a valid systemd slice' 'a-.slice:estiba:x|not a valid systemd slice' \
  'system.slice::x|must be non-empty' 'system.slice:a/b:x|contain no' 'a:b|slice:prefix:name'; do
  cfg "$b" '.linux.cgroupsPath = $p' --arg p "${p%|*}"
  detached "$ESTIBA" --root "$root" --systemd-cgroup create -b "$b" "$id"
  isnt "$status" 0 "--systemd-cgroup with cgroupsPath '${p%|*}' is refused"
  like "$output" "${p#*|}" "the error explains '${p%|*}'"
done
cfg "$b" '.linux.cgroupsPath = "system.slice:estiba:x"'
detached "$ESTIBA" --root "$root" --systemd-cgroup create -b "$b" "$id"
isnt "$status" 0 "--systemd-cgroup with a valid slice path, systemd not PID 1: refused"
like "$output" "systemd is not running as PID 1 \\(PID 1 is '[^']+'\\)" "the error names PID 1"
is "$(echo "$output" | wc -l)" 1 "one line"
ok_if "nothing is left behind" "$([ ! -e "$root/$id" ] && [ ! -e /sys/fs/cgroup/memory$cgpath ]; echo $?)"

# ------------------------------------------------ unified on v1 controllers --
make_bundle "$b" sleep 600
cfg "$b" '.linux.cgroupsPath = $p | .linux.resources.unified = {"memory.max": "50331648", "pids.max": "33",
  "cpu.weight": "100", "cpu.max": "20000 100000", "cgroup.max.depth": "3"}' --arg p "$cgpath"
detached estiba_r "$root" create -b "$b" "$id"
is "$status" 0 "create with unified keys for v1 controllers" || diag "$output"
is "$(cat /sys/fs/cgroup/memory$cgpath/memory.limit_in_bytes)" 50331648 "unified memory.max -> memory.limit_in_bytes"
is "$(cat /sys/fs/cgroup/pids$cgpath/pids.max)" 33 "unified pids.max -> v1 pids.max"
is "$(cat /sys/fs/cgroup/cpu$cgpath/cpu.shares)" 1024 "unified cpu.weight 100 -> cpu.shares 1024"
is "$(cat /sys/fs/cgroup/cpu$cgpath/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu$cgpath/cpu.cfs_period_us)" \
  "20000 100000" "unified cpu.max -> cfs quota and period"
is "$(cat /sys/fs/cgroup/unified$cgpath/cgroup.max.depth)" 3 "a key the cgroup2 directory has is written there"

# ----------------------------------------------------- update's record --
check "start" estiba_r "$root" start "$id"
check "update --memory --pids-limit --cpu-share" estiba_r "$root" update --memory 40M --pids-limit 20 --cpu-share 512 "$id"
is "$(jq -c '.linux.resources | [.memory.limit, .pids.limit, .cpu.shares, .unified["pids.max"]]' "$root/$id/config.json")" \
  '[41943040,20,512,"33"]' "the saved config records the new limits"
echo '{"unified": {"pids.max": "22"}, "hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}' >"$TEST_TMP/res.json"
check "update -r with unified and hugepageLimits" estiba_r "$root" update -r "$TEST_TMP/res.json" "$id"
is "$(cat /sys/fs/cgroup/pids$cgpath/pids.max)" 22 "update: unified pids.max converted"
is "$(jq -c '.linux.resources | [.unified["pids.max"], .hugepageLimits]' "$root/$id/config.json")" \
  '["22",[{"pageSize":"2MB","limit":2097152}]]' "the saved config records them"
detached estiba_r "$root" update --memory-swap 80M "$id"
is "$status" 0 "update --memory-swap alone" || diag "$output"
is "$(cat /sys/fs/cgroup/memory$cgpath/memory.memsw.limit_in_bytes)" 83886080 "memsw set against the recorded limit"
check "delete --force" estiba_r "$root" delete --force "$id"
done_testing
