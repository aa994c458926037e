#!/usr/bin/env bash
# A config without any namespace inherits every namespace of the runtime
# (config-linux.md; the OCI runtime-tools suite's linux_ns_itype), the mount
# namespace included — yet nothing of the container is mounted on the host:
# the init returns to the runtime's mount namespace and runs chrooted in a
# detached copy of its root.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
cfg "$b" '.linux.namespaces = [] | del(.hostname)'
root=$(new_state_root)
id=$(unique_id nons)

estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "create with no namespaces at all" || diag "$(cat "$TEST_TMP/out")"
pid=$(container_pid "$root" "$id")
for ns in cgroup ipc mnt net pid user uts; do
  is "$(readlink "/proc/$pid/ns/$ns")" "$(readlink "/proc/self/ns/$ns")" "the init is in the runtime's $ns namespace"
done
is "$(grep -c "$TEST_TMP" /proc/self/mountinfo)" 0 "nothing of the container is mounted in the host's namespace"
check "the init's root is the container's rootfs" test -x "/proc/$pid/root/probe"
check_fails "the init's root is not the host's" test -e "/proc/$pid/root$TEST_TMP"

estiba_r "$root" start "$id" >>"$TEST_TMP/out" 2>&1
run_cmd estiba_r "$root" exec "$id" /bin/sh -c 'test -x /probe && echo root=container; test -d /proc/1 && echo proc=yes'
is "$(kv "$output" root)" container "exec runs in the container's root"
is "$(kv "$output" proc)" yes "the config's /proc is mounted in it"
run_cmd estiba_r "$root" delete --force "$id"
is "$status" 0 "delete --force"
is "$(grep -c "$TEST_TMP" /proc/self/mountinfo)" 0 "nothing is left mounted"

# A user namespace alone cannot come back to the runtime's mount namespace.
cfg "$b" '.linux.namespaces = [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
run_cmd estiba_r "$root" create -b "$b" "$(unique_id nons)"
isnt "$status" 0 "a user namespace without a mount namespace is refused"
like "$output" "mount namespace" "the error says a mount namespace is needed"

done_testing
