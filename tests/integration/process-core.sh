#!/usr/bin/env bash
# process.*: args, env, cwd, user (uid, gid, umask, additionalGids),
# rlimits, oomScoreAdj, noNewPrivileges, capabilities, execCPUAffinity,
# sysctl, as seen from inside the container with /probe.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe env
root=$(new_state_root)
probe ()
{
  local args
  args=$(jq -n '$ARGS.positional' --args "$@")
  cfg "$b" '.process.args = ["/probe"] + $a' --argjson a "$args"
  run_cmd estiba_r "$root" run -b "$b" "$(unique_id proc)"
}

cfg "$b" '.process.env = ["A=1", "B=two words", "PATH=/bin"]'
probe env
# ... plus HOME from the container's /etc/passwd when env has none, as runc does.
is "$(grep -v warning <<<"$output" | sort | tr '\n' ';')" "A=1;B=two words;HOME=/root;PATH=/bin;" "process.env is the whole environment (and HOME)"
cfg "$b" '.process.env = ["A=1", "HOME=/elsewhere"]'
probe env
is "$(grep -v warning <<<"$output" | sort | tr '\n' ';')" "A=1;HOME=/elsewhere;" "a HOME in process.env is kept"

cfg "$b" '.process.env = ["PATH=/usr/bin:/bin"] | .process.args = ["probe", "cwd"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id proc)"
is "$(kv "$output" cwd)" / "args[0] without a slash is found in the container's PATH"
cfg "$b" '.process.env = []'
run_cmd env -i "$ESTIBA" --root "$root" run -b "$b" "$(unique_id proc)"
is "$(kv "$output" cwd)" / "with no PATH at all (podman clears it) a default PATH is searched"

cfg "$b" '.process.cwd = "/home/tester"'
probe cwd
is "$(kv "$output" cwd)" /home/tester "process.cwd"

cfg "$b" '.process.user = {uid: 1000, gid: 1000, additionalGids: [1001, 5], umask: 23} | .process.cwd = "/"'
probe ids
is "$(kv "$output" uid)" 1000 "user.uid"
is "$(kv "$output" euid)" 1000 "effective uid"
is "$(kv "$output" suid)" 1000 "saved uid"
is "$(kv "$output" gid)" 1000 "user.gid"
is "$(kv "$output" groups)" 5,1001 "user.additionalGids (the kernel sorts them)"
is "$(kv "$output" umask)" 0027 "user.umask"
cfg "$b" '.process.user = {uid: 0, gid: 0}'
probe ids
is "$(kv "$output" groups)" "" "no additionalGids: no supplementary groups"
is "$(kv "$output" umask)" 0022 "no umask: the caller's umask"

cfg "$b" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 1024}, {type: "RLIMIT_CORE", soft: 0, hard: 0}]'
probe limits
is "$(kv "$output" RLIMIT_NOFILE)" 512:1024 "rlimits NOFILE"
is "$(kv "$output" RLIMIT_CORE)" 0:0 "rlimits CORE"
cfg "$b" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1048576, hard: 1048576}]'
probe limits
isnt "$status" 0 "a NOFILE above the host hard limit fails"
like "$output" "RLIMIT_NOFILE" "naming the limit"
cfg "$b" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1024, hard: 1024}]'

cfg "$b" '.process.oomScoreAdj = 500'
probe oom
like "$output" "500" "oomScoreAdj"
cfg "$b" 'del(.process.oomScoreAdj)'

cfg "$b" '.process.noNewPrivileges = false'
probe caps
is "$(kv "$output" NoNewPrivs)" 0 "noNewPrivileges false"
cfg "$b" '.process.noNewPrivileges = true | .process.capabilities = {bounding: ["CAP_CHOWN", "CAP_KILL"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"]}'
probe caps
is "$(kv "$output" NoNewPrivs)" 1 "noNewPrivileges true"
is "$(kv "$output" CapBnd)" 0000000000000021 "capabilities.bounding"
is "$(kv "$output" CapEff)" 0000000000000001 "capabilities.effective"
is "$(kv "$output" CapPrm)" 0000000000000001 "capabilities.permitted"

if [ "$(nproc)" -ge 2 ]; then
  cfg "$b" '.process.execCPUAffinity = {initial: "0", final: "1"}'
  probe affinity
  like "$output" "1" "execCPUAffinity.final"
  cfg "$b" 'del(.process.execCPUAffinity)'
else
  skip "execCPUAffinity needs 2 CPUs"
fi

cfg "$b" '.linux.sysctl = {"kernel.domainname": "sysctl.example", "net.ipv4.ip_forward": "1"}'
probe sysctl kernel.domainname net.ipv4.ip_forward
is "$(kv "$output" kernel.domainname)" sysctl.example "sysctl kernel.domainname in the uts namespace"
is "$(kv "$output" net.ipv4.ip_forward)" 1 "sysctl net.* in the network namespace"
cfg "$b" '.linux.namespaces -= [{type: "network"}]'
probe sysctl net.ipv4.ip_forward
isnt "$status" 0 "a net.* sysctl without a network namespace is refused"
cfg "$b" 'del(.linux.sysctl) | .linux.namespaces += [{type: "network"}]'

done_testing
