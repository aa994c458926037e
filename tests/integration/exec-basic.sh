#!/usr/bin/env bash
# exec into a running container: namespaces and cgroup joined, the
# container's settings by default and the command-line overrides, exit
# status, detached exec with a pid file, --process, and errors.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
root=$(new_state_root)
id=$(unique_id exec)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
pid=$(container_pid "$root" "$id")
[ -n "$pid" ] || bail "cannot start the container: $(cat "$TEST_TMP/run.out")"

run_cmd estiba_r "$root" exec "$id" /probe ns
for ns in pid net ipc uts mnt; do
  is "$(kv "$output" "$ns")" "$(stat -L -c %i "/proc/$pid/ns/$ns")" "exec joins the container's $ns namespace"
done
is "$(estiba_r "$root" exec "$id" /probe cgroup 2>/dev/null)" "$(cat "/proc/$pid/cgroup")" "exec joins the container's cgroups"
run_cmd estiba_r "$root" exec "$id" /probe pid
like "$output" "pid=[0-9]+" "exec runs in the container's pid namespace"
isnt "$(kv "$output" pid)" 1 "and is not its pid 1"

run_cmd estiba_r "$root" exec "$id" /probe ids
is "$(kv "$output" uid)" 0 "default user is the container's"
run_cmd estiba_r "$root" exec -u 1000:1000 --additional-gids 1001 "$id" /probe ids
is "$(kv "$output" uid)" 1000 "-u sets the uid"
is "$(kv "$output" gid)" 1000 "-u sets the gid"
is "$(kv "$output" groups)" 1001 "--additional-gids sets the groups"

run_cmd estiba_r "$root" exec --cwd /tmp "$id" /probe cwd
is "$(kv "$output" cwd)" /tmp "--cwd"
run_cmd estiba_r "$root" exec -e FOO=bar -e PATH=/bin "$id" /probe env
like "$output" $'(^|\n)FOO=bar(\n|$)' "-e adds a variable"
like "$output" $'(^|\n)PATH=/bin(\n|$)' "-e replaces a variable"
is "$(grep -c '^PATH=' <<<"$output")" 1 "and does not duplicate it"

run_cmd estiba_r "$root" exec "$id" /probe caps
is "$(kv "$output" CapBnd)" 0000000020000420 "exec gets the container's bounding set"
is "$(kv "$output" NoNewPrivs)" 1 "and its noNewPrivileges"
run_cmd estiba_r "$root" exec --cap CAP_SYS_ADMIN "$id" /probe caps
is "$(kv "$output" CapBnd)" 0000000020200420 "--cap adds a capability"
run_cmd estiba_r "$root" exec --cap CAP_NONSENSE "$id" /probe caps
isnt "$status" 0 "--cap with an unknown name fails"
like "$output" "CAP_NONSENSE" "naming it"

run_cmd estiba_r "$root" exec "$id" /bin/sh -c 'exit 42'
is "$status" 42 "exec exits with the process's status"
run_cmd estiba_r "$root" exec "$id" /bin/sh -c 'kill -9 $$'
is "$status" 137 "exec exits 128+9 when the process is killed"
run_cmd estiba_r "$root" exec "$id" no-such-program
isnt "$status" 0 "exec of a missing program fails"
like "$output" "no-such-program" "naming it"

# --cgroup: a sub-cgroup of the container's
mkdir "/sys/fs/cgroup/pids$(grep ':pids:' "/proc/$pid/cgroup" | cut -d: -f3)/sub"
run_cmd estiba_r "$root" exec --cgroup pids:sub "$id" /probe cgroup
like "$output" ":pids:/$id/sub" "--cgroup pids:sub joins the sub-cgroup in the pids hierarchy"
like "$output" ":memory:.*/$id"$'\n' "and the container's cgroup elsewhere"
run_cmd estiba_r "$root" exec --cgroup nosuch "$id" /probe cgroup
isnt "$status" 0 "--cgroup with a missing sub-cgroup fails"
run_cmd estiba_r "$root" exec --cgroup ../.. "$id" /probe cgroup
isnt "$status" 0 "--cgroup with .. is refused"
rmdir "/sys/fs/cgroup/pids$(grep ':pids:' "/proc/$pid/cgroup" | cut -d: -f3)/sub"

# detached, with a pid file
estiba_r "$root" exec -d --pid-file "$TEST_TMP/exec.pid" "$id" /probe sleep 600 >"$TEST_TMP/exec.out" 2>&1 </dev/null
is "$?" 0 "exec -d exits 0"
epid=$(cat "$TEST_TMP/exec.pid")
like "$(tr '\0' ' ' <"/proc/$epid/cmdline")" "^/probe sleep 600" "the pid file names the exec'd process"
is "$(stat -L -c %i "/proc/$epid/ns/pid")" "$(stat -L -c %i "/proc/$pid/ns/pid")" "it runs in the container"
run_cmd estiba_r "$root" kill --all "$id" KILL
is "$status" 0 "kill --all"
wait_for 10 bash -c "! grep -qs -v '^ *Z' /proc/$epid/status 2>/dev/null && ! kill -0 $epid 2>/dev/null || grep -q 'State:.*Z' /proc/$epid/status"
check "kill --all reached the exec'd process" bash -c "! kill -0 $epid 2>/dev/null || grep -q 'State:.*Z' /proc/$epid/status"

# --process
estiba_r "$root" delete --force "$id" >/dev/null 2>&1
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
jq '.process | .args = ["/probe", "env"] | .env = ["FROM_FILE=1"]' "$b/config.json" >"$TEST_TMP/process.json"
run_cmd estiba_r "$root" exec --process "$TEST_TMP/process.json" "$id"
is "$status" 0 "exec --process"
like "$output" "FROM_FILE=1" "runs the process from the file"
echo '{"args": 5}' >"$TEST_TMP/bad.json"
run_cmd estiba_r "$root" exec --process "$TEST_TMP/bad.json" "$id"
isnt "$status" 0 "a bad --process file fails"
like "$output" "bad.json" "naming the file"

# not running
estiba_r "$root" kill "$id" KILL
wait_for 10 bash -c "[ \"\$('$ESTIBA' --root '$root' state '$id' | jq -r .status)\" = stopped ]"
run_cmd estiba_r "$root" exec "$id" /bin/true
isnt "$status" 0 "exec into a stopped container fails"
like "$output" "stopped" "saying it is stopped"
run_cmd estiba_r "$root" exec nosuch /bin/true
isnt "$status" 0 "exec into a missing container fails"

done_testing
