#!/usr/bin/env bash
# process.capabilities: the five sets exactly as configured, as the
# container process sees them in /proc/self/status, for root and across a
# change of user; the same for `exec` (CVE-2022-29162: an exec'd process
# gets no inheritable capability that was not asked for); unknown names
# refused before anything is created.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe caps
root=$(new_state_root)

# CHOWN=0 KILL=5 SETUID=7 NET_BIND_SERVICE=10 NET_RAW=13.  After execve
# of a file without file capabilities, a non-root process keeps only its
# ambient set as permitted and effective (capabilities(7)): they are
# listed in all three so each set can be checked exactly.
sets='{bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_NET_RAW"],
       inheritable: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
       permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
       effective: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
       ambient: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
all_sets ()
{
  echo "Bnd=$(kv "$1" CapBnd) Inh=$(kv "$1" CapInh) Prm=$(kv "$1" CapPrm) Eff=$(kv "$1" CapEff) Amb=$(kv "$1" CapAmb)"
}
expected="Bnd=00000000000024a1 Inh=0000000000002421 Prm=0000000000000421 Eff=0000000000000421 Amb=0000000000000421"

cfg "$b" ".process.noNewPrivileges = true | .process.user = {uid: 1000, gid: 1000} | .process.capabilities = $sets"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id caps)"
is "$status" 0 "run with five capability sets as uid 1000"
is "$(all_sets "$output")" "$expected" "uid 1000: all five sets exact, kept across the uid change"

# Permitted without ambient does not survive a non-root execve (kernel).
cfg "$b" '.process.capabilities.ambient = ["CAP_KILL"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id caps)"
is "$(all_sets "$output")" "Bnd=00000000000024a1 Inh=0000000000002421 Prm=0000000000000020 Eff=0000000000000020 Amb=0000000000000020" \
  "uid 1000: ambient decides what survives execve"

# Root with noNewPrivileges: execve may not add to permitted, so it is the
# configured set; effective becomes all of it (uid 0 execve).
cfg "$b" ".process.user = {uid: 0, gid: 0} | .process.capabilities = $sets | .process.capabilities.permitted = [\"CAP_CHOWN\"] | .process.capabilities.effective = [\"CAP_CHOWN\"] | .process.capabilities.ambient = []"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id caps)"
is "$(all_sets "$output")" "Bnd=00000000000024a1 Inh=0000000000002421 Prm=0000000000000001 Eff=0000000000000001 Amb=0000000000000000" \
  "root with noNewPrivileges: permitted and effective exactly as configured"
# Without it the kernel's uid 0 rule applies: permitted = inheritable | bounding.
cfg "$b" '.process.noNewPrivileges = false'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id caps)"
is "$(kv "$output" CapPrm)" 00000000000024a1 "root without noNewPrivileges: permitted = bounding | inheritable (execve as uid 0)"
cfg "$b" '.process.noNewPrivileges = true'

# Empty and missing object: nothing at all.
cfg "$b" '.process.user = {uid: 1000, gid: 1000} | .process.capabilities = {}'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id caps)"
is "$(kv "$output" CapBnd):$(kv "$output" CapPrm):$(kv "$output" CapEff):$(kv "$output" CapInh):$(kv "$output" CapAmb)" \
  "0000000000000000:0000000000000000:0000000000000000:0000000000000000:0000000000000000" "an empty capabilities object drops everything"

# Ambient without inheritable cannot be raised: not an error (runc's
# default config does this).
cfg "$b" '.process.capabilities = {bounding: ["CAP_KILL"], permitted: ["CAP_KILL"], effective: ["CAP_KILL"], ambient: ["CAP_KILL"]}'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id caps)"
is "$status" 0 "an ambient capability that is not inheritable does not fail the container"
is "$(kv "$output" CapAmb)" 0000000000000000 "and is not raised"

# Unknown names: an error naming the set and the name, nothing left behind.
cfg "$b" '.process.capabilities = {bounding: ["CAP_CHOWN", "CAP_TEST"], permitted: ["CAP_CHOWN"]}'
id=$(unique_id caps)
run_cmd estiba_r "$root" run -b "$b" "$id"
isnt "$status" 0 "CAP_TEST is refused (process_capabilities_fail)"
like "$output" "process.capabilities.bounding: unknown capability 'CAP_TEST'" "naming the set and the capability"
is "$(ls "$root" | grep -c "$id")" 0 "no state is left behind"
cfg "$b" '.process.capabilities = {effective: ["cap_chown"]}'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id caps)"
isnt "$status" 0 "a lowercase name is not a spec capability name"
like "$output" "effective: unknown capability 'cap_chown'" "and is named"

# exec: the container's sets, not the runtime's; inheritable only as asked
# (CVE-2022-29162: runc once gave exec'd processes a full inheritable set).
cfg "$b" ".process.user = {uid: 1000, gid: 1000} | .process.capabilities = $sets | .process.args = [\"/probe\", \"sleep\", \"600\"]"
id=$(unique_id caps)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
run_cmd estiba_r "$root" exec "$id" /probe caps
is "$status" 0 "exec into a container with five capability sets"
is "$(all_sets "$output")" "$expected" "exec: all five sets exact, inheritable nothing more than asked"
run_cmd estiba_r "$root" exec --cap CAP_SYS_ADMIN "$id" /probe caps
is "$(kv "$output" CapEff)" 0000000000200421 "exec --cap adds to effective"
is "$(kv "$output" CapInh)" 0000000000202421 "exec --cap adds to inheritable only because the config uses it (as runc)"
cat >"$TEST_TMP/process.json" <<'JSON'
{"args": ["/probe", "caps"], "cwd": "/", "user": {"uid": 0, "gid": 0},
 "capabilities": {"bounding": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"]}}
JSON
run_cmd estiba_r "$root" exec --process "$TEST_TMP/process.json" "$id"
is "$(kv "$output" CapInh)" 0000000000000000 "exec --process without inheritable: empty inheritable set"
is "$(kv "$output" CapPrm)" 0000000000000001 "exec --process as root: permitted = bounding (no inheritable leaked in)"
run_cmd estiba_r "$root" exec --cap CAP_BOGUS "$id" /probe caps
isnt "$status" 0 "exec --cap with an unknown name fails"
jq '.capabilities.permitted = ["CAP_TEST"]' "$TEST_TMP/process.json" >"$TEST_TMP/bad.json"
run_cmd estiba_r "$root" exec --process "$TEST_TMP/bad.json" "$id"
isnt "$status" 0 "exec --process with CAP_TEST fails"
like "$output" "unknown capability 'CAP_TEST'" "naming it"
estiba_r "$root" delete --force "$id"

done_testing
