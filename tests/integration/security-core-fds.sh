#!/usr/bin/env bash
# No host fd or host directory reaches a container process (CVE-2024-21626
# class), the fds asked for do (--preserve-fds, LISTEN_FDS), and the
# runtime runs from a sealed copy of itself (CVE-2019-5736 class).
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe fds
root=$(new_state_root)

fds_of ()
{
  printf '%s\n' "$1" | grep -E '^[0-9]+=' | cut -d= -f1 | sort -n | tr '\n' ' '
}

# Extra fds open in the runtime: a host directory, a host file, the log.
run_cmd bash -c "exec 5<'$TEST_TMP' 7<'$b/config.json'; cd '$TEST_TMP'; '$ESTIBA' --root '$root' --log '$TEST_TMP/log' run -b '$b' $(unique_id fds)"
is "$status" 0 "run with extra fds open"
is "$(fds_of "$output")" "0 1 2 " "the container process has only fds 0, 1, 2"

run_cmd bash -c "exec 3<'$b/config.json' 4<'$TEST_TMP' 9<'$TEST_TMP'; '$ESTIBA' --root '$root' run --preserve-fds 2 -b '$b' $(unique_id fds)"
is "$(fds_of "$output")" "0 1 2 3 4 " "--preserve-fds 2 passes fds 3 and 4 only"
like "$output" "3=$b/config.json" "fd 3 is the preserved file"

run_cmd bash -c "'$ESTIBA' --root '$root' run --preserve-fds 2 -b '$b' $(unique_id fds) 3<&- 4<&-"
isnt "$status" 0 "--preserve-fds with fds that are not open fails"
like "$output" "preserve-fds" "naming the option"

cfg "$b" '.process.args = ["/bin/sh", "-c", "/probe fds; /probe env"]'
run_cmd bash -c "exec 3<'$b/config.json'; export LISTEN_FDS=1; exec sh -c 'LISTEN_PID=\$\$ exec \"\$0\" \"\$@\"' '$ESTIBA' --root '$root' run -b '$b' $(unique_id fds)"
like "$output" "(^|"$'\n'")3=$b/config.json" "LISTEN_FDS=1 passes fd 3"
like "$output" "LISTEN_FDS=1" "LISTEN_FDS reaches the container"
like "$output" "LISTEN_PID=1" "LISTEN_PID is rewritten to 1"

# cwd: the container process starts in process.cwd, inside the container.
cfg "$b" '.process.args = ["/bin/sh", "-c", "/probe cwd; ls -l /proc/self/cwd; /probe fds"] | .process.cwd = "/tmp"'
run_cmd bash -c "cd '$TEST_TMP'; '$ESTIBA' --root '$root' run -b '$b' $(unique_id fds)"
is "$(kv "$output" cwd)" /tmp "the process starts in process.cwd"
like "$(grep 'proc/self/cwd' <<<"$output")" "-> /tmp$" "/proc/self/cwd is the container's /tmp, not the host's cwd"

# exec: same rules.
cfg "$b" '.process.args = ["/probe", "sleep", "600"] | .process.cwd = "/"'
id=$(unique_id fds)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
run_cmd bash -c "exec 5<'$TEST_TMP' 7<'$b/config.json'; cd '$TEST_TMP'; '$ESTIBA' --root '$root' exec '$id' /probe fds"
is "$(fds_of "$output")" "0 1 2 " "an exec'd process has only fds 0, 1, 2"
run_cmd bash -c "cd '$TEST_TMP'; '$ESTIBA' --root '$root' exec '$id' /bin/sh -c 'ls -l /proc/self/cwd'"
like "$output" "-> /$" "an exec'd process starts in the container's /"

# A created container's init waits for start holding none of the runtime's
# fds, and its /proc/PID/fd is closed to processes exec'd into it.
cfg "$b" '.process.args = ["/probe", "sleep", "600"]'
id3=$(unique_id fds)
bash -c "exec 5<'$TEST_TMP' 7<'$b/config.json'; exec '$ESTIBA' --root '$root' --log '$TEST_TMP/log' create -b '$b' '$id3'" >"$TEST_TMP/c.out" 2>&1 </dev/null
init=$(container_pid "$root" "$id3")
is "$(ls "/proc/$init/fd" | wc -l)" 4 "the waiting init holds only stdio and its start socket"
unlike "$(ls -l "/proc/$init/fd" | grep -v ' [012] -> ')" "$TEST_TMP|config.json|log" "no host directory or file among them"
run_cmd estiba_r "$root" exec "$id3" /bin/sh -c "ls -l /proc/1/fd/ 2>&1"
unlike "$output" "socket:|/dev/null" "an exec'd process cannot read the waiting init's fds"
estiba_r "$root" delete --force "$id3"

# The runtime runs from a sealed memfd (moved onto it in place, or
# re-executed from it), so a container cannot overwrite it through
# /proc/PID/exe or /proc/PID/map_files.
cfg "$b" '.process.args = ["/probe", "sleep", "600"]'
id2=$(unique_id fds)
"$ESTIBA" --root "$root" run -b "$b" "$id2" >"$TEST_TMP/fg.out" 2>&1 </dev/null &
fg=$!
wait_for 10 bash -c "[ \"\$('$ESTIBA' --root '$root' state '$id2' | jq -r .status)\" = running ]"
exe_real=$(readlink -f "$ESTIBA")
like "$(readlink "/proc/$fg/exe")" "^/memfd:" "the runtime runs from a memfd"
unlike "$(cat "/proc/$fg/maps")" "$exe_real" "no mapping of its file on disk is left"
check_fails "its /proc/PID/exe cannot be opened for writing" bash -c "echo x >>/proc/$fg/exe"
init=$(container_pid "$root" "$id2")
like "$(readlink "/proc/$init/exe")" "probe" "the container process is the program, not the runtime"
estiba_r "$root" kill "$id2" KILL
wait "$fg"
is "$?" 137 "the foreground run exits 128+9"

done_testing
