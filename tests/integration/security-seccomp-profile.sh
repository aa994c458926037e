#!/usr/bin/env bash
# A real-world profile: the default of containers-common (podman's, ~470
# names, argument rules, defaultErrnoRet ENOSYS) gives the same answer to
# every syscall the probe knows as it does under runc.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

if [ "$("$ESTIBA" features 2>/dev/null | jq -r '.linux.seccomp.enabled')" != true ]; then
  skip_all "seccomp not wired into the init yet (estiba features: linux.seccomp.enabled is not true)"
fi
profile=/usr/share/containers/seccomp.json
require_file "$profile" "$profile is not installed (containers-common)"

# Every syscall name of the probe's table.
names=$(sed -n '/^} syscalls\[\] = {/,/^};/p' "$SRCDIR/tests/helpers/probe.c" | sed -n 's/^ *{ "\([a-z_0-9]*\)".*/\1/p')
[ -n "$names" ] || bail "no syscall names found in tests/helpers/probe.c"

b=$TEST_TMP/bundle
# shellcheck disable=SC2086
make_bundle "$b" /probe syscall $names
# The OCI part of containers-common's format, as podman resolves it for an
# x86_64 container without extra capabilities: rules gated on a capability
# or on another architecture left out.
cfg "$b" '.linux.seccomp = ($p[0] | {defaultAction, defaultErrnoRet,
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [.syscalls[]
      | select((.includes.caps // []) == []
               and ((.includes.arches // []) == [] or (.includes.arches | index("amd64")))
               and (((.excludes.arches // []) | index("amd64")) | not))
      | {names, action} + (if .errnoRet then {errnoRet} else {} end) + (if .args then {args} else {} end)]})' \
  --slurpfile p "$profile"
root=$(new_state_root)

run_cmd estiba_r "$root" run -b "$b" "$(unique_id profile)"
is "$status" 0 "a container runs under the default profile"
ours=$output
is "$(kv "$ours" getpid)" 0 "an allowed syscall works"
is "$(kv "$ours" add_key)" ENOSYS "a syscall outside the allow list gets defaultErrnoRet (ENOSYS)"
is "$(kv "$ours" reboot)" EPERM "a syscall the profile answers with errnoRet 1 gets EPERM"

run_cmd estiba_r "$root" run -b "$b" "$(unique_id profile)"
is "$output" "$ours" "the second run (cached filter) answers the same"

if command -v runc >/dev/null 2>&1; then
  run_cmd runc --root "$TEST_TMP/runc" run -b "$b" "$(unique_id profile)"
  if [ "$status" -eq 0 ]; then
    is "$ours" "$output" "every probed syscall gets the same answer as under runc"
  else
    skip "runc cannot run the bundle here: $(head -n 1 <<<"$output")"
  fi
else
  skip "runc is not installed"
fi

done_testing
