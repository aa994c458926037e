#!/usr/bin/env bash
# process.terminal: the pty made in the container's devpts, its slave as
# controlling terminal, stdio and /dev/console, the master sent to
# --console-socket (create/run -d/exec -d) or proxied in the foreground.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq script
RECVTTY=$BUILDDIR/tests/helpers/recvtty
require_file "$RECVTTY" "recvtty is not built"

b=$TEST_TMP/bundle
make_bundle "$b"
cfg "$b" '.process.args = ["/bin/sh", "-c", "/probe tty; ls -l /dev/console; /probe stat /dev/console"]
  | .process.terminal = true | .process.consoleSize = {height: 30, width: 100}'
root=$(new_state_root)

# recv SOCKET OUT: a recvtty writing what it reads from the pty to OUT.
recv ()
{
  rm -f "$1"
  "$RECVTTY" -n -o "$2" -p "$TEST_TMP/recv.pid" "$1" >/dev/null 2>&1 &
  on_exit "kill $! 2>/dev/null"
  wait_for 10 test -S "$1"
}

recv "$TEST_TMP/tty.sock" "$TEST_TMP/tty.out"
id=$(unique_id tty)
estiba_r "$root" run -d --console-socket "$TEST_TMP/tty.sock" -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
is "$?" 0 "run -d --console-socket"
wait_for 10 grep -q ctty_pgrp "$TEST_TMP/tty.out"
out=$(cat "$TEST_TMP/tty.out")
like "$out" "fd0=/dev/pts/[0-9]+" "stdin is a pty"
like "$out" "fd1=/dev/pts/[0-9]+" "stdout is a pty"
like "$out" "ctty_pgrp=1" "the pty is the controlling terminal"
like "$out" "rows=30" "consoleSize height"
like "$out" "cols=100" "consoleSize width"
like "$out" "/dev/console" "/dev/console exists"
like "$out" "type=char" "/dev/console is the pty (a character device)"
estiba_r "$root" delete --force "$id" >/dev/null 2>&1

# create without a console socket: refused (nobody could get the pty).
run_cmd estiba_r "$root" create -b "$b" "$(unique_id tty)"
isnt "$status" 0 "create with terminal but no --console-socket fails"
like "$output" "console-socket" "saying why"

# foreground run -t: proxied to our terminal (script gives us one).
run_cmd timeout 30 script -qec "'$ESTIBA' --root '$root' run -b '$b' $(unique_id tty)" /dev/null </dev/null
like "$output" "fd0=/dev/pts/" "foreground run proxies the pty"
like "$output" "ctty_pgrp=1" "with the pty as controlling terminal"

# exec -t, foreground and with a console socket.
cfg "$b" '.process.terminal = false | .process.args = ["/probe", "sleep", "600"]'
id=$(unique_id tty)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
run_cmd timeout 30 script -qec "'$ESTIBA' --root '$root' exec -t '$id' /probe tty" /dev/null </dev/null
like "$output" "fd0=/dev/pts/" "exec -t proxies a pty"
recv "$TEST_TMP/tty2.sock" "$TEST_TMP/tty2.out"
run_cmd estiba_r "$root" exec -t -d --console-socket "$TEST_TMP/tty2.sock" "$id" /probe tty
is "$status" 0 "exec -t -d --console-socket"
wait_for 10 grep -q ctty_pgrp "$TEST_TMP/tty2.out"
like "$(cat "$TEST_TMP/tty2.out")" "fd1=/dev/pts/" "the exec'd process writes to the pty sent to the socket"
run_cmd estiba_r "$root" exec -t -d "$id" /probe tty
isnt "$status" 0 "exec -t -d without --console-socket fails"

done_testing
