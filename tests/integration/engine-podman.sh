#!/usr/bin/env bash
# podman --runtime estiba: run, run -it, run -d with exec, exec -it and logs,
# stop (SIGTERM, then SIGKILL), kill, rm, -v binds, --device, --privileged,
# -p on a bridge network, --memory and --pids-limit; where a result is not a
# constant, runc on the same step is the reference.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/engines.sh"
require_root
require_cmd podman conmon runc jq script curl nsenter unshare iptables
require_file /usr/lib/podman/netavark "netavark is not installed"
require_file /usr/lib/podman/aardvark-dns "aardvark-dns is not installed"

engine_setup
img=localhost/estiba-test
engine_image "$img"

# on_tty INPUT ARGS...: pm ARGS on a pseudo-terminal (script), typing INPUT.
on_tty ()
{
  local input=$1
  shift
  run_cmd env SHELL=/bin/bash script -qefc "$(pm_line "$@")" /dev/null < <(printf '%b' "$input")
}

inspect ()
{
  pm inspect --format "$2" "$1" 2>&1
}

# ------------------------------------------------------------------- run --

run_cmd pm run --rm --net none "$img" /probe ids
is "$status" 0 "run: exits 0"
is "$(kv "$output" uid)" 0 "run: the process ran, as root"
run_cmd pm run --rm --net none "$img" sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
is "$status" 3 "run: the exit status comes back"
like "$output" "to-stdout" "run: stdout comes back"
like "$output" "to-stderr" "run: stderr comes back"
run_cmd pm run --rm --net none "$img" /no/such/binary
is "$status" 127 "run: a missing binary exits 127, as with runc"

on_tty 'tty; echo sum=$((6*7)); exit 5\n' run -it --rm --net none "$img" /bin/sh
is "$status" 5 "run -it: the shell's exit status comes back"
like "$output" "/dev/pts/[0-9]+" "run -it: the shell runs on a pty"
like "$output" "sum=42" "run -it: typed input reaches the shell"

# ------------------------------------------------- run -d, exec, logs --

name=ep-main-$SRANDOM
run_cmd pm run -d --name "$name" --net none "$img" sh -c 'echo started; exec /probe signal-wait'
is "$status" 0 "run -d: starts"
wait_for 10 sh -c "$(pm_line logs "$name") | grep -q ready"
ok_if "logs: show the container's output" $?
run_cmd pm exec "$name" /probe pid
like "$output" "pid=[0-9]+" "exec: runs in the container"
isnt "$(kv "$output" pid)" 1 "exec: is not the container's init"
run_cmd pm exec "$name" sh -c 'exit 4'
is "$status" 4 "exec: the exit status comes back"
run_cmd pm exec --user 1000:1000 --workdir /tmp -e ESTIBA_T=x "$name" sh -c 'echo "$(id -u) $PWD $ESTIBA_T"'
is "$output" "1000 /tmp x" "exec: --user, --workdir and -e apply"
on_tty 'tty; echo exec-sum=$((2+3)); exit 6\n' exec -it "$name" /bin/sh
is "$status" 6 "exec -it: the shell's exit status comes back"
like "$output" "/dev/pts/[0-9]+" "exec -it: the shell runs on a pty"
like "$output" "exec-sum=5" "exec -it: typed input reaches the shell"

SECONDS=0
run_cmd pm stop -t 10 "$name"
is "$status" 0 "stop: succeeds"
[ "$SECONDS" -lt 8 ]
ok_if "stop: a process that exits on SIGTERM stops at once (${SECONDS}s)" $?
run_cmd pm logs "$name"
like "$output" "signal=TERM" "stop: sends SIGTERM first"
is "$(inspect "$name" '{{.State.Status}} {{.State.ExitCode}}')" "exited 0" "stop: the container exited 0"

# ------------------------------------------------ stop escalates, kill --

# stop_ignoring_term RUNTIME: exit code and seconds of `stop -t 1` on a
# container whose init ignores SIGTERM.
stop_ignoring_term ()
{
  # shellcheck disable=SC2034 # pm reads it
  local ENGINE_RUNTIME=$1 ctr=ep-stop-$SRANDOM t
  pm run -d --name "$ctr" --net none "$img" sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done' >/dev/null
  wait_for 10 sh -c "$(pm_line logs "$ctr") | grep -q ready"
  t=$SECONDS
  pm stop -t 1 "$ctr" >/dev/null 2>&1
  echo "$(inspect "$ctr" '{{.State.ExitCode}}') $((SECONDS - t))"
  pm rm -f -t 0 "$ctr" >/dev/null 2>&1
}
read -r code secs < <(stop_ignoring_term "$ESTIBA")
read -r runc_code _ < <(stop_ignoring_term runc)
is "$code" 137 "stop -t 1: SIGKILL follows when SIGTERM is ignored"
is "$code" "$runc_code" "stop -t 1: same exit code as with runc"
[ "$secs" -ge 1 ] && [ "$secs" -lt 8 ]
ok_if "stop -t 1: waits the timeout, then kills (${secs}s)" $?

run_cmd pm run -d --name "$name-k" --net none "$img" /probe signal-wait 1
wait_for 10 sh -c "$(pm_line logs "$name-k") | grep -q ready"
run_cmd pm kill -s HUP "$name-k"
is "$status" 0 "kill -s HUP: succeeds"
wait_for 10 sh -c "$(pm_line logs "$name-k") | grep -q signal=HUP"
ok_if "kill -s HUP: the container gets SIGHUP" $?
run_cmd pm run -d --name "$name-k9" --net none "$img" /probe sleep 600
run_cmd pm kill "$name-k9"
is "$status" 0 "kill: succeeds"
wait_for 10 sh -c "[ \"\$($(pm_line inspect --format '{{.State.Status}}' "$name-k9"))\" = exited ]"
ok_if "kill: the container stops" $?
is "$(inspect "$name-k9" '{{.State.ExitCode}}')" 137 "kill: default SIGKILL, exit code 137"
run_cmd pm kill "$name-k9"
isnt "$status" 0 "kill: a stopped container is refused"

# -------------------------------------------------------------------- rm --

id=$(inspect "$name" '{{.Id}}')
run_cmd pm rm "$name" "$name-k" "$name-k9"
is "$status" 0 "rm: removes stopped containers"
check_fails "rm: the container is gone" pm container exists "$name"
# podman deletes the runtime's container from the exit command conmon runs
# (`podman container cleanup`), which may still be at work when rm returns.
estiba_state_gone ()
{
  ! "$ESTIBA" --root "$(_engine_state)" list -q | grep -q "$1"
}
wait_for 10 estiba_state_gone "$id"
ok_if "rm: estiba's state is gone" $?
# A container that exits by itself is deleted from the runtime by that exit
# command alone (issue 7: it once looked in another state root, podman took
# the container for deleted and rm left estiba's state behind).
run_cmd pm run -d --name "$name-x" --net none "$img" true
id=$(inspect "$name-x" '{{.Id}}')
wait_for 10 sh -c "[ \"\$($(pm_line inspect --format '{{.State.Status}}' "$name-x"))\" = exited ]"
run_cmd pm rm "$name-x"
is "$status" 0 "rm: removes a container that exited by itself"
wait_for 10 estiba_state_gone "$id"
ok_if "rm: estiba's state of a container that exited by itself is gone" $?
run_cmd pm run -d --name "$name-rm" --net none "$img" /probe sleep 600
run_cmd pm rm "$name-rm"
isnt "$status" 0 "rm: a running container is refused without -f"
run_cmd pm rm -f -t 0 "$name-rm"
is "$status" 0 "rm -f: removes a running container"

# ------------------------------------------------------------- -v binds --

mkdir -p "$TEST_TMP/vol" && echo host-data >"$TEST_TMP/vol/in"
run_cmd pm run --rm --net none -v "$TEST_TMP/vol:/data" "$img" sh -c 'cat /data/in && echo ctr-data >/data/out'
is "$output" host-data "-v: the container reads the host's file"
is "$(cat "$TEST_TMP/vol/out" 2>&1)" ctr-data "-v: the host reads the container's file"
run_cmd pm run --rm --net none -v "$TEST_TMP/vol:/data:ro" "$img" sh -c 'echo x >/data/out2'
isnt "$status" 0 "-v :ro: writing fails"
[ ! -e "$TEST_TMP/vol/out2" ]
ok_if "-v :ro: nothing reached the host" $?

# ------------------------------------------------ --device, --privileged --

# podman writes fileMode as a whole st_mode (020666 for a char device); runc
# ignores the file type bits, estiba once refused the config.
run_cmd pm run --rm --net none --device /dev/null:/dev/mynull "$img" stat -c '%a %t,%T' /dev/mynull
is "$output" "666 1,3" "--device: the node is made with fileMode's permission bits"
caps_of ()
{
  ENGINE_RUNTIME=$1 pm run --rm --net none --privileged "$img" sh -c '/probe caps; ls /dev | wc -l' 2>&1
}
privileged=$(caps_of "$ESTIBA")
like "$privileged" "CapEff=000001fffeffffff" "--privileged: every capability"
is "$privileged" "$(caps_of runc)" "--privileged: same capabilities and /dev as with runc"
make_bundle "$TEST_TMP/dev"
cfg "$TEST_TMP/dev" '.process.args = ["stat", "-c", "%a %t,%T", "/dev/typed"]
  | .linux.devices += [{path: "/dev/typed", type: "c", major: 1, minor: 3, fileMode: 8630}]'
run_cmd estiba_r "$(new_state_root)" run -b "$TEST_TMP/dev" "$(unique_id)"
is "$output" "666 1,3" "estiba run: fileMode 020666 (type bits) makes a 0666 node"
cfg "$TEST_TMP/dev" '.linux.devices[-1].fileMode = 74166'
run_cmd estiba_r "$(new_state_root)" run -b "$TEST_TMP/dev" "$(unique_id)"
isnt "$status" 0 "estiba run: fileMode 0220666 is refused"
like "$output" "fileMode" "estiba run: the error names fileMode"

# ----------------------------------------------------- -p on a bridge --

net=estiba-net-$SRANDOM
run_cmd pm network create --subnet 10.89.77.0/24 "$net"
is "$status" 0 "network create: a bridge network"
mkdir -p "$TEST_TMP/www" && echo "served-by-estiba" >"$TEST_TMP/www/index.html"
run_cmd pm run -d --name "$name-web" --network "$net" -p 127.0.0.1:18080:8080 -v "$TEST_TMP/www:/www:ro" \
  "$img" httpd -f -p 8080 -h /www
is "$status" 0 "run -p: starts a web server on the bridge"
like "$(inspect "$name-web" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")" '^10\.89\.77\.' \
  "run -p: the container has an address on the bridge"
wait_for 10 in_engine_ns curl -sf -o /dev/null http://127.0.0.1:18080/index.html
run_cmd in_engine_ns curl -sS --max-time 5 http://127.0.0.1:18080/index.html
is "$output" "served-by-estiba" "run -p: the host reaches the published port on 127.0.0.1"
run_cmd pm run --rm --network "$net" "$img" wget -qO- "http://$name-web:8080/index.html"
is "$output" "served-by-estiba" "run --network: another container reaches it by name (aardvark-dns)"
run_cmd pm rm -f -t 0 "$name-web"
run_cmd pm network rm "$net"
is "$status" 0 "network rm: succeeds"
run_cmd in_engine_ns ip -o link show type bridge
unlike "$output" "podman" "network rm: the bridge is gone"

# ---------------------------------------------- --memory, --pids-limit --

# cgroup_limits RUNTIME: what a container's v1 cgroup files say, read on
# the host, for --memory 64m --pids-limit 42.
cgroup_limits ()
{
  # shellcheck disable=SC2034 # pm reads it
  local ENGINE_RUNTIME=$1 ctr=ep-cg-$SRANDOM pid mem pids
  pm run -d --name "$ctr" --net none --memory 64m --pids-limit 42 "$img" /probe sleep 600 >/dev/null
  pid=$(inspect "$ctr" '{{.State.Pid}}')
  mem=$(sed -n 's/^[0-9]*:memory://p' "/proc/$pid/cgroup")
  pids=$(sed -n 's/^[0-9]*:pids://p' "/proc/$pid/cgroup")
  echo "mem=$(cat "/sys/fs/cgroup/memory$mem/memory.limit_in_bytes" 2>&1)" \
    "memsw=$(cat "/sys/fs/cgroup/memory$mem/memory.memsw.limit_in_bytes" 2>/dev/null)" \
    "pids=$(cat "/sys/fs/cgroup/pids$pids/pids.max" 2>&1)" \
    "inside=$(pm exec "$ctr" cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>&1 | tr '\n' ,)"
  pm rm -f -t 0 "$ctr" >/dev/null 2>&1
}
limits=$(cgroup_limits "$ESTIBA")
runc_limits=$(cgroup_limits runc)
like "$limits" "mem=67108864 " "--memory 64m: memory.limit_in_bytes"
like "$limits" "pids=42 " "--pids-limit 42: pids.max"
like "$limits" "inside=67108864,42," "the container sees its own limits in /sys/fs/cgroup"
is "$limits" "$runc_limits" "--memory, --pids-limit: the same cgroup files as with runc"

run_cmd pm run --rm --net none --pids-limit 5 "$img" sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait'
like "$output" "fork|Resource temporarily unavailable|can't" "--pids-limit 5: a sixth process cannot start"

done_testing
