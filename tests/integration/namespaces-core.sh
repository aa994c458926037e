#!/usr/bin/env bash
# linux.namespaces: new ones, joined ones (path), user namespace id maps,
# hostname/domainname, time offsets, cgroup namespace.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe ns
root=$(new_state_root)
self_ns ()
{
  stat -L -c %i "/proc/self/ns/$1"
}

cfg "$b" '.linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"}, {type: "mount"},
  {type: "cgroup"}, {type: "time"}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id ns)"
is "$status" 0 "run with pid, net, ipc, uts, mount, cgroup and time namespaces"
for ns in pid net ipc uts mnt cgroup time; do
  isnt "$(kv "$output" "$ns")" "$(self_ns "$ns")" "new $ns namespace"
done
is "$(kv "$output" user)" "$(self_ns user)" "no user namespace unless asked"

cfg "$b" '.process.args = ["/probe", "cgroup"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id ns)"
like "$output" $'(^|\n)[0-9]+:memory:/(\n|$)' "in the cgroup namespace the container's cgroup is /"

cfg "$b" '.linux.namespaces -= [{type: "cgroup"}, {type: "time"}] | .process.args = ["/probe", "ns"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id ns)"
is "$(kv "$output" cgroup)" "$(self_ns cgroup)" "no cgroup namespace unless asked"

# hostname and domainname
cfg "$b" '.hostname = "box1" | .domainname = "example.org" | .process.args = ["/probe", "hostname"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id ns)"
is "$(kv "$output" hostname)" box1 "hostname"
is "$(kv "$output" domainname)" example.org "domainname"
is "$(hostname)" "$(uname -n)" "the host's hostname is untouched"

# time namespace offsets: boottime shows in /proc/uptime
cfg "$b" '.linux.namespaces += [{type: "time"}] | .linux.timeOffsets = {boottime: {secs: 86400000, nanosecs: 0}, monotonic: {secs: 1000}}
  | .process.args = ["/bin/cat", "/proc/uptime"]'
up=$(estiba_r "$root" run -b "$b" "$(unique_id ns)" 2>/dev/null)
up=${up%%.*}
check "timeOffsets.boottime moves the container's uptime by 1000 days" test "$up" -gt 86400000
cfg "$b" '.linux.namespaces -= [{type: "time"}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id ns)"
isnt "$status" 0 "timeOffsets without a time namespace fails"
cfg "$b" 'del(.linux.timeOffsets)'

# user namespace with id maps
cfg "$b" '.linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
  | .root.readonly = false
  | .process.args = ["/bin/sh", "-c", "/probe ids; cat /proc/self/uid_map /proc/self/gid_map; /probe ns; touch /tmp/x && stat -c %u /tmp/x"]'
chown -R 200000:200000 "$b/rootfs/tmp"
id=$(unique_id ns)
run_cmd estiba_r "$root" run -b "$b" "$id"
is "$status" 0 "run in a user namespace"
is "$(kv "$output" uid)" 0 "root inside"
like "$output" "0 +200000 +65536" "uid_map written from linux.uidMappings"
isnt "$(kv "$output" user)" "$(self_ns user)" "new user namespace"
is "$(stat -c %u "$b/rootfs/tmp/x")" 200000 "files created as root inside belong to host uid 200000"

# joining namespaces by path
cfg "$b" 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces -= [{type: "user"}] | .process.args = ["/probe", "sleep", "600"]'
id=$(unique_id ns)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
pid=$(container_pid "$root" "$id")
cfg "$b" '.linux.namespaces = [{type: "mount"}, {type: "pid"},
  {type: "network", path: ("/proc/" + $p + "/ns/net")}, {type: "ipc", path: ("/proc/" + $p + "/ns/ipc")},
  {type: "uts", path: ("/proc/" + $p + "/ns/uts")}] | del(.hostname, .domainname) | .process.args = ["/probe", "ns"]' --arg p "$pid"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id ns)"
is "$status" 0 "run joining namespaces by path"
for ns in net ipc uts; do
  is "$(kv "$output" "$ns")" "$(stat -L -c %i "/proc/$pid/ns/$ns")" "joined the other container's $ns namespace"
done
isnt "$(kv "$output" pid)" "$(stat -L -c %i "/proc/$pid/ns/pid")" "and has its own pid namespace"

done_testing
