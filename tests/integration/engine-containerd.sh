#!/usr/bin/env bash
# containerd 1.6 drives estiba through its runc shim (`ctr run --runc-binary`):
# run with and without a tty, task exec with and without a tty, kill,
# delete; what the container sees matches runc under the same containerd.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd containerd ctr containerd-shim-runc-v2 jq script sha256sum
. "$(dirname "$0")/../lib/daemons.sh"

img=docker.io/library/estiba-test:latest
make_image_archive "$TEST_TMP/img.tar" "$img"
containerd_start "$TEST_TMP/c"
# A namespace of our own: containerd's default cgroupsPath is /NS/ID, and
# the shim's runtime root RUNC_ROOT/NS.
export CTR_NS=estiba-test-$SRANDOM
for hierarchy in /sys/fs/cgroup/*/; do
  track_cgroup "$hierarchy$CTR_NS"
done
rroot=$TEST_TMP/rr
estate=$rroot/$CTR_NS
# ctr keeps the fifos of a detached process in /run/containerd/fifo otherwise.
fifo=$TEST_TMP/fifo

check "ctr image import of a docker-archive" ctr image import "$TEST_TMP/img.tar"

# run RUNTIME ARGS...: `ctr run` with RUNTIME as the shim's runc binary.
run_with ()
{
  local rt=$1
  shift
  ctr run --fifo-dir "$fifo" --runc-binary "$rt" --runc-root "$rroot" "$@"
}

# ---------------------------------------------------------------- run --
run_cmd run_with "$ESTIBA" --rm "$img" run1 /probe ids
is "$status" 0 "ctr run --rm exits 0"
is "$(kv "$output" uid)" 0 "the container ran as root"
run_cmd run_with "$ESTIBA" --rm "$img" run2 /bin/sh -c 'echo out; echo err >&2; exit 3'
is "$status" 3 "ctr run passes the exit status on"
like "$output" $'out\nerr|err\nout' "ctr run relays stdout and stderr"
run_cmd run_with "$ESTIBA" --rm "$img" run3 /probe tty
like "$output" "fd0=notty" "without -t the container has no terminal"
# Regression: runc (and crun) set HOME from /etc/passwd when the
# environment has none, and ctr does not set it.
run_cmd run_with "$ESTIBA" --rm "$img" run4 /probe env
like "$output" $'(^|\n)HOME=/root(\n|$)' "HOME comes from the container's /etc/passwd"
run_cmd ctr_pty run --fifo-dir "$fifo" --runc-binary "$ESTIBA" --runc-root "$rroot" -t --rm "$img" run5 /probe tty
is "$status" 0 "ctr run -t exits 0"
like "$output" "fd0=/dev/pts/[0-9]+" "ctr run -t: stdin is a pty"
like "$output" "fd1=/dev/pts/[0-9]+" "ctr run -t: stdout is a pty"
like "$output" $'ctty_pgrp=1\r' "ctr run -t: the container process is the terminal's foreground"
run_cmd ctr_pty run --fifo-dir "$fifo" --runc-binary "$ESTIBA" --runc-root "$rroot" -t --rm "$img" run6 /bin/sh -c 'exit 4'
is "$status" 4 "ctr run -t passes the exit status on"

# The same probes under runc: containerd must see no difference (stdout
# only: the runtimes' diagnostics differ).
probes='for p in ids caps env cwd limits "stat /dev/pts/ptmx" "syscall mount unshare"; do /probe $p; done'
run_with "$ESTIBA" --rm "$img" cmp-e /bin/sh -c "$probes" >"$TEST_TMP/estiba.out" 2>/dev/null
run_with runc --rm "$img" cmp-r /bin/sh -c "$probes" >"$TEST_TMP/runc.out" 2>/dev/null
run_cmd diff "$TEST_TMP/runc.out" "$TEST_TMP/estiba.out"
is "$output" "" "ids, caps, env, cwd, limits, /dev/pts/ptmx, syscalls: the same as runc"

# ---------------------------------------------- a detached task, exec --
check "ctr run -d" run_with "$ESTIBA" -d --null-io "$img" t1 /probe signal-wait
run_cmd ctr task ls
like "$output" $'(^|\n)t1 +[0-9]+ +RUNNING' "ctr task ls: running"
tpid=$(ctr task ls | awk '$1 == "t1" {print $2}')
is "$(estiba_r "$estate" state t1 | jq -r .status)" running "estiba's state under --runc-root says running"
is "$(estiba_r "$estate" state t1 | jq -r .pid)" "$tpid" "estiba and containerd agree on the pid"
cgroup=$(awk -F: '$2 == "memory" {print $3}' "/proc/$tpid/cgroup")
is "$cgroup" "/$CTR_NS/t1" "the task is in containerd's default cgroup /namespace/id"

run_cmd ctr task exec --fifo-dir "$fifo" --exec-id e1 t1 /probe ids
is "$status" 0 "ctr task exec exits 0"
is "$(kv "$output" uid)" 0 "ctr task exec runs in the container"
run_cmd ctr task exec --fifo-dir "$fifo" --exec-id e2 t1 /bin/sh -c 'exit 5'
is "$status" 5 "ctr task exec passes the exit status on"
run_cmd ctr task exec --fifo-dir "$fifo" --exec-id e3 t1 /probe pid
like "$output" "pid=[0-9]+" "the exec'd process is in the container's pid namespace"
run_cmd ctr task exec --fifo-dir "$fifo" --exec-id e4 t1 /probe tty
like "$output" "fd0=notty" "ctr task exec without -t: no terminal"
run_cmd ctr task exec --fifo-dir "$fifo" --exec-id e5 t1 /probe env
like "$output" $'(^|\n)HOME=/root(\n|$)' "ctr task exec: HOME from /etc/passwd too"
run_cmd ctr_pty task exec --fifo-dir "$fifo" -t --exec-id e6 t1 /probe tty
like "$output" "fd0=/dev/pts/[0-9]+" "ctr task exec -t: stdin is a pty"
like "$output" "fd2=/dev/pts/[0-9]+" "ctr task exec -t: stderr is a pty"
run_cmd ctr_pty task exec --fifo-dir "$fifo" -t --exec-id e7 t1 /bin/sh -c 'exit 6'
is "$status" 6 "ctr task exec -t passes the exit status on"
check "ctr task exec -d" ctr task exec --fifo-dir "$fifo" -d --exec-id e8 t1 /probe sleep 600
run_cmd ctr task ps t1
is "$(grep -c '^[0-9]' <<<"$output")" 2 "ctr task ps lists the init and the exec'd process"
epid=$(awk -v init="$tpid" '$1 ~ /^[0-9]+$/ && $1 != init {print $1}' <<<"$output")

# ------------------------------------------------------- kill, delete --
check "ctr task kill (SIGTERM)" ctr task kill t1
wait_for 10 bash -c "ctr_ls=\$(command ctr --address '$CTRD_SOCK' -n '$CTR_NS' task ls); [[ \$ctr_ls =~ t1\ +[0-9]+\ +STOPPED ]]"
ok_if "the task stopped on SIGTERM" $?
check_fails "the exec'd process died with the container" kill -0 "${epid:-0}"
run_cmd ctr task delete t1
is "$status" 0 "ctr task delete"
check_fails "estiba's state of t1 is gone" test -e "$estate/t1"
check "ctr container delete" ctr container delete t1

check "ctr run -d (a process ignoring SIGTERM)" run_with "$ESTIBA" -d --null-io "$img" t2 /probe sleep 600
check "ctr task exec -d" ctr task exec --fifo-dir "$fifo" -d --exec-id s1 t2 /probe sleep 600
check "ctr task kill -a -s KILL" ctr task kill -a -s KILL t2
wait_for 10 bash -c "ctr_ls=\$(command ctr --address '$CTRD_SOCK' -n '$CTR_NS' task ls); [[ \$ctr_ls =~ t2\ +[0-9]+\ +STOPPED ]]"
ok_if "the task stopped on SIGKILL" $?
run_cmd ctr task delete t2
like "$output" "exit code 137" "ctr task delete reports the SIGKILL"
check "ctr container delete" ctr container delete t2
check_fails "estiba's state of t2 is gone" test -e "$estate/t2"
run_cmd ctr task ls -q
is "$output" "" "no task is left"
run_cmd bash -c "ls '$estate'"
is "$output" "" "estiba's runtime root is empty"

done_testing
