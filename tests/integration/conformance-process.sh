#!/usr/bin/env bash
# Process setup rules the OCI runtime-tools suite checks (file
# linux_seccomp): a seccomp profile denying getcwd does not stop the
# container from starting, although estiba checks the cwd with getcwd
# (the CVE-2024-21626 guard) — the check runs before the filter is loaded.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

if [ "$("$ESTIBA" features 2>/dev/null | jq -r '.linux.seccomp.enabled')" != true ]; then
  skip_all "seccomp not enabled in this build"
fi

b=$TEST_TMP/bundle
make_bundle "$b" /probe syscall getcwd
root=$(new_state_root)

for nnp in false true; do
  cfg "$b" '.process.noNewPrivileges = $n
    | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["getcwd"], action: "SCMP_ACT_ERRNO"}]}' \
    --argjson n "$nnp"
  run_cmd estiba_r "$root" run -b "$b" "$(unique_id cwd)"
  is "$status" 0 "noNewPrivileges=$nnp: a profile denying getcwd still runs the container"
  is "$(kv "$output" getcwd)" EPERM "noNewPrivileges=$nnp: getcwd is denied inside, as configured"
done

# The guard itself still works with such a profile: a cwd outside the root
# (a leaked fd) is refused.
cfg "$b" '.process.cwd = "/proc/self/fd/7"'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id cwd)" 7</tmp
isnt "$status" 0 "process.cwd through a leaked fd is still refused with getcwd denied"

done_testing
