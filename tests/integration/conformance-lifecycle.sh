#!/usr/bin/env bash
# Lifecycle rules of runtime.md that the OCI runtime-tools suite checks
# (files delete, hooks_stdin, poststart_fail, start): a created container is not
# deleted without --force, hooks run during create see the status
# "created", a failing poststart hook is only a warning, and a config
# without process is created but not started.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
root=$(new_state_root)
mkdir -p "$TEST_TMP/log"
log=$TEST_TMP/log/hooks

# --- delete: "created" is not "stopped" ------------------------------------
id=$(unique_id del)
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "create"
run_cmd estiba_r "$root" delete "$id"
isnt "$status" 0 "delete of a created container without --force fails (runtime.md delete)"
like "$output" "not stopped" "the error says the container is not stopped"
run_cmd estiba_r "$root" state "$id"
is "$(echo "$output" | jq -r .status 2>/dev/null)" created "the refused delete had no effect: still created"
pid=$(container_pid "$root" "$id")
check "its init is still alive" kill -0 "$pid"
run_cmd estiba_r "$root" delete --force "$id"
is "$status" 0 "delete --force removes the created container"

# --- hooks run by create see "created" ------------------------------------
# Each hook appends "PHASE STATUS" read from the state on its stdin.
hook ()
{
  jq -n --arg p "$1" --arg f "$2" '{path: "/bin/sh", args: ["sh", "-c",
    "read -r s; echo \"$0 $(echo \"$s\" | sed -n \"s/.*\\\"status\\\":\\\"\\([a-z]*\\)\\\".*/\\\\1/p\")\" >> \"$1\"", $p, $f]}'
}
cfg "$b" '.hooks = {prestart: [$pre], createRuntime: [$cr], poststart: [$ps]}' \
  --argjson pre "$(hook prestart "$log")" --argjson cr "$(hook createRuntime "$log")" \
  --argjson ps "$(hook poststart "$log")"
id=$(unique_id hooks)
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "create with prestart and createRuntime hooks"
is "$(cat "$log")" "prestart created
createRuntime created" "prestart and createRuntime get the status \"created\" (runtime.md: after lifecycle step 2)"
estiba_r "$root" start "$id" >>"$TEST_TMP/out" 2>&1
is "$(tail -n 1 "$log")" "poststart running" "poststart gets \"running\""
estiba_r "$root" delete --force "$id" >/dev/null 2>&1

# --- a failing poststart hook: a warning, the rest goes on ------------------
: >"$log"
cfg "$b" '.hooks = {poststart: [{path: "/bin/false"}, $ok]}' --argjson ok "$(hook poststart "$log")"
id=$(unique_id post)
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
run_cmd estiba_r "$root" start "$id"
is "$status" 0 "start succeeds although a poststart hook fails (runtime.md)"
like "$output" "poststart" "a warning names the failed poststart hook"
is "$(cat "$log")" "poststart running" "the next poststart hook still runs"
run_cmd estiba_r "$root" state "$id"
is "$(echo "$output" | jq -r .status 2>/dev/null)" running "the container keeps running"
estiba_r "$root" delete --force "$id" >/dev/null 2>&1

# --- no process: create works, start fails (config.md, runtime.md start) ----
cfg "$b" 'del(.process) | del(.hooks)'
id=$(unique_id noproc)
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "create of a config without process" || diag "$(cat "$TEST_TMP/out")"
run_cmd estiba_r "$root" state "$id"
is "$(echo "$output" | jq -r .status 2>/dev/null)" created "it is created"
run_cmd estiba_r "$root" start "$id"
isnt "$status" 0 "start fails without a process"
like "$output" "process: missing" "the error says the process is missing"
wait_for 5 sh -c "$ESTIBA --root $root state $id | grep -q '\"stopped\"'"
ok_if "the container is stopped afterwards, not created forever" $?
run_cmd estiba_r "$root" delete "$id"
is "$status" 0 "delete (without --force) removes it"

done_testing
