#!/usr/bin/env bash
# cgroup fields the OCI runtime-tools suite checks (files
# linux_cgroups_memory, linux_cgroups_relative_memory): on a v1 memory
# controller memory.kernelTCP is written to memory.kmem.tcp.limit_in_bytes
# (the kernel still enforces it; memory.kernel is gone from the kernel and
# is only warned about).
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq
[ -f /sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes ] || skip_all "no v1 memory.kmem.tcp.limit_in_bytes"

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
root=$(new_state_root)
id=$(unique_id kmem)
parent=estiba-test-$id
cgpath=/$parent/$id
for c in /sys/fs/cgroup/*/; do track_cgroup "$c$parent"; done

cfg "$b" '.linux.cgroupsPath = $p | .linux.resources.memory = {limit: 67108864, kernelTCP: 50593792}' --arg p "$cgpath"
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "create with memory.kernelTCP" || diag "$(cat "$TEST_TMP/out")"
is "$(cat /sys/fs/cgroup/memory$cgpath/memory.kmem.tcp.limit_in_bytes 2>&1)" 50593792 \
  "memory.kernelTCP -> memory.kmem.tcp.limit_in_bytes"
estiba_r "$root" delete --force "$id" >/dev/null 2>&1

# update changes it too.
id=$(unique_id kmem)
cgpath=/$parent/$id
cfg "$b" '.linux.cgroupsPath = $p | .linux.resources.memory = {limit: 67108864}' --arg p "$cgpath"
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "create without kernelTCP"
echo '{"memory": {"kernelTCP": 33554432}}' >"$TEST_TMP/res.json"
run_cmd estiba_r "$root" update --resources "$TEST_TMP/res.json" "$id"
is "$status" 0 "update --resources with memory.kernelTCP"
is "$(cat /sys/fs/cgroup/memory$cgpath/memory.kmem.tcp.limit_in_bytes 2>&1)" 33554432 \
  "update writes memory.kmem.tcp.limit_in_bytes"
estiba_r "$root" delete --force "$id" >/dev/null 2>&1

done_testing
