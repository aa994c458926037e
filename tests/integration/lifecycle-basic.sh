#!/usr/bin/env bash
# The lifecycle state machine: create -> created -> start -> running ->
# stopped -> delete, the state JSON, list, kill, run's exit status, and the
# one-line errors for commands in the wrong state.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
root=$(new_state_root)
id=$(unique_id life)

# gone PID: the process exited (a zombie waiting for its reaper counts).
gone ()
{
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# create and run -d leave the container holding their stdout/stderr: a
# command substitution would wait for it to exit.  Capture into a file.
detached ()
{
  "$@" >"$TEST_TMP/detached.out" 2>&1 </dev/null && status=0 || status=$?
  output=$(cat "$TEST_TMP/detached.out")
}

# ---------------------------------------------------------------- create --
detached estiba_r "$root" create -b "$b" --pid-file "$TEST_TMP/pid" "$id"
is "$status" 0 "create exits 0"
st=$(estiba_r "$root" state "$id")
is "$(jq -r .status <<<"$st")" created "state: created after create"
pid=$(jq -r .pid <<<"$st")
is "$(cat "$TEST_TMP/pid")" "$pid" "pid file holds the state pid"
check "the init process exists" kill -0 "$pid"
is "$(jq -r .ociVersion <<<"$st")" 1.3.0 "state: ociVersion"
is "$(jq -r .id <<<"$st")" "$id" "state: id"
is "$(jq -r .bundle <<<"$st")" "$b" "state: bundle is absolute"
is "$(jq -r .rootfs <<<"$st")" "$b/rootfs" "state: rootfs"
is "$(jq -r .owner <<<"$st")" root "state: owner"
like "$(jq -r .created <<<"$st")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$' "state: created is RFC3339"
unlike "$(tr '\0' ' ' <"/proc/$pid/cmdline")" 'probe' "the program does not run before start"

# config edits after create must not matter
cfg "$b" '.process.args = ["/probe", "exit", "7"]'

detached estiba_r "$root" create -b "$b" "$id"
isnt "$status" 0 "a duplicate id is refused"
like "$output" "already exists" "the error says the id exists"
is "$(estiba_r "$root" state "$id" | jq -r .status)" created "the first container is untouched"

run_cmd estiba_r "$root" create -b "$b" 'bad/id'
isnt "$status" 0 "an id with a slash is refused"
like "$output" "invalid container id" "the error names the id"
run_cmd estiba_r "$root" create -b "$b" '..'
isnt "$status" 0 "the id '..' is refused"

# ----------------------------------------------------------------- start --
run_cmd estiba_r "$root" start "$id"
is "$status" 0 "start exits 0"
is "$(estiba_r "$root" state "$id" | jq -r .status)" running "state: running after start"
like "$(tr '\0' ' ' <"/proc/$pid/cmdline")" '^/probe sleep 600' "the init exec'd the args saved at create"
run_cmd estiba_r "$root" start "$id"
isnt "$status" 0 "start of a running container fails"
like "$output" "not in created state: running" "the error names the state"

# ------------------------------------------------------------------ list --
run_cmd estiba_r "$root" list
like "$output" "^ID +PID +STATUS +BUNDLE +CREATED +OWNER" "list prints runc's header"
like "$output" "$id +$pid +running +$b " "list shows the container"
is "$(estiba_r "$root" list -q)" "$id" "list -q prints ids"
is "$(estiba_r "$root" list --format json | jq -r '.[0].status')" running "list --format json"

# ---------------------------------------------------------------- delete --
run_cmd estiba_r "$root" delete "$id"
isnt "$status" 0 "delete of a running container without --force fails"
like "$output" "not stopped" "the error says why"
check "the container still runs" kill -0 "$pid"

# ------------------------------------------------------------------ kill --
run_cmd estiba_r "$root" kill "$id" NOSUCHSIG
isnt "$status" 0 "kill with an unknown signal fails"
run_cmd estiba_r "$root" kill "$id" SIGKILL
is "$status" 0 "kill SIGKILL"
wait_for 10 bash -c "[ \"\$('$ESTIBA' --root '$root' state '$id' | jq -r .status)\" = stopped ]"
is "$(estiba_r "$root" state "$id" | jq -r .status)" stopped "stopped after the init dies"
is "$(estiba_r "$root" state "$id" | jq -r .pid)" 0 "a stopped container shows pid 0"
run_cmd estiba_r "$root" kill "$id" KILL
isnt "$status" 0 "kill of a stopped container fails"
run_cmd estiba_r "$root" delete "$id"
is "$status" 0 "delete of a stopped container"
run_cmd estiba_r "$root" state "$id"
isnt "$status" 0 "state after delete fails"
like "$output" "does not exist" "and says the container does not exist"
is "$(ls -A "$root")" "" "the state root is empty"

# -------------------------------------------------- delete of created --
id2=$(unique_id life)
detached estiba_r "$root" create -b "$b" "$id2"
pid2=$(container_pid "$root" "$id2")
run_cmd estiba_r "$root" delete "$id2"
isnt "$status" 0 "delete of a created container without --force fails (runtime.md: it is not stopped)"
run_cmd estiba_r "$root" delete --force "$id2"
is "$status" 0 "delete --force of a created container"
check "and killed its init" gone "$pid2"

# ----------------------------------------------------- kill by number --
id3=$(unique_id life)
cfg "$b" '.process.args = ["/probe", "sleep", "600"]'
detached estiba_r "$root" run -d -b "$b" "$id3"
pid3=$(container_pid "$root" "$id3")
check "run -d leaves the container running" kill -0 "$pid3"
run_cmd estiba_r "$root" kill "$id3" 9
is "$status" 0 "kill by number"
wait_for 10 gone "$pid3"
check "the process got SIGKILL" gone "$pid3"
run_cmd estiba_r "$root" delete "$id3"
is "$status" 0 "delete after kill"

# ------------------------------------------------------ delete --force --
id4=$(unique_id life)
detached estiba_r "$root" run -d -b "$b" "$id4"
pid4=$(container_pid "$root" "$id4")
run_cmd estiba_r "$root" delete --force "$id4"
is "$status" 0 "delete --force of a running container"
check "its init is gone" gone "$pid4"
run_cmd estiba_r "$root" delete --force "no-such-container"
is "$status" 0 "delete --force of a missing container is not an error (as runc)"

# ------------------------------------------------------ run exit status --
cfg "$b" '.process.args = ["/bin/sh", "-c", "exit 3"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id life)"
is "$status" 3 "run exits with the container's status"
# Without a pid namespace: a pid 1 cannot SIGKILL itself.
cfg "$b" '.process.args = ["/bin/sh", "-c", "kill -9 $$"] | .linux.namespaces -= [{type: "pid"}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id life)"
is "$status" 137 "run exits 128+9 when the container is killed"
is "$(ls -A "$root")" "" "run removes the container afterwards"
id5=$(unique_id life)
cfg "$b" '.process.args = ["/bin/true"] | .linux.namespaces += [{type: "pid"}]'
run_cmd estiba_r "$root" run --keep -b "$b" "$id5"
is "$(estiba_r "$root" state "$id5" | jq -r .status)" stopped "run --keep keeps the stopped container"
check "and it can be deleted" estiba_r "$root" delete "$id5"

# ------------------------------------------------------------ pid reuse --
id6=$(unique_id life)
cfg "$b" '.process.args = ["/probe", "sleep", "600"]'
detached estiba_r "$root" run -d -b "$b" "$id6"
dir=$root/$id6
# Fake a reused pid: our own shell's pid with the stored start time.
jq --argjson p $$ '.pid = $p' "$dir/state.json" >"$dir/state.json.new" && mv "$dir/state.json.new" "$dir/state.json"
is "$(estiba_r "$root" state "$id6" | jq -r .status)" stopped "a live pid with another start time reads as stopped"
check "and kill does not signal it" bash -c "! '$ESTIBA' --root '$root' kill '$id6' 0"
estiba_r "$root" delete --force "$id6" >/dev/null 2>&1

done_testing
