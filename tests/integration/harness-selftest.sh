#!/usr/bin/env bash
# The harness checks itself: the test root filesystem and bundle run under
# runc (so they are valid before estiba can run them), cleanup removes
# everything even when a test fails or is killed, and tests/run counts
# results and failures the way it promises.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd runc jq

# ------------------------------------------------------------ the rootfs --

make_rootfs "$TEST_TMP/rootfs"
r=$TEST_TMP/rootfs
check "rootfs has a static busybox" test -x "$r/bin/busybox"
is "$(readlink "$r/bin/sh")" /bin/busybox "/bin/sh is a busybox applet link"
check "rootfs has /probe and /bin/probe" test -x "$r/probe" -a -L "$r/bin/probe"
like "$(cat "$r/etc/passwd")" 'tester:x:1000:1000:' "passwd has tester 1000:1000"
like "$(cat "$r/etc/passwd")" 'nobody:x:65534:65534:' "passwd has nobody"
like "$(cat "$r/etc/group")" 'testers:x:1001:tester' "group has a supplementary group for tester"
is "$(stat -c %a "$r/tmp")" 1777 "/tmp is sticky and world-writable"
is "$(stat -c %u:%g "$r/home/tester")" 1000:1000 "tester owns its home"
make_rootfs "$TEST_TMP/rootfs2"
touch "$TEST_TMP/rootfs2/etc/scribble"
check_fails "copies are independent of each other and of the cache" test -e "$r/etc/scribble"

# ------------------------------------------------------------ the bundle --

b=$TEST_TMP/bundle
make_bundle "$b" /probe ids
check "config.json is valid JSON" jq -e . "$b/config.json"
is "$(jq -c .process.args "$b/config.json")" '["/probe","ids"]' "process.args set from make_bundle arguments"
is "$(jq -r .process.terminal "$b/config.json")" false "terminal is off"
is "$(jq -r .root.path "$b/config.json")" rootfs "root.path is rootfs"
cfg "$b" '.process.env += [$e]' --arg e "PROBE_TEST=1"
like "$(jq -r '.process.env[]' "$b/config.json")" 'PROBE_TEST=1' "cfg edits config.json in place, passing jq options"
run_cmd bash -c ". '$SRCDIR/tests/lib/common.sh'; cfg '$b' '.process.args = ['; echo not reached"
isnt "$status" 0 "cfg with a broken filter aborts the test"
check "a broken filter leaves config.json intact" jq -e .process.args "$b/config.json"

make_bundle "$TEST_TMP/default"
is "$(jq -c .process.args "$TEST_TMP/default/config.json")" '["/bin/sh"]' "default args are /bin/sh"

# ------------------------------------------------------ it runs under runc --

runc_root=$TEST_TMP/runc
runc_run ()
{
  local id
  id=$(unique_id runc)
  on_exit "runc --root '$runc_root' delete --force '$id'"
  run_cmd timeout 60 runc --root "$runc_root" run -b "$1" "$id"
}

runc_run "$b"
is "$status" 0 "runc runs the bundle"
like "$output" $'(^|\n)uid=0\n' "probe ids runs inside the container as root"

cfg "$b" '.process.user = {uid: 1000, gid: 1000, additionalGids: [1001]}'
runc_run "$b"
like "$output" $'uid=1000\ngid=1000\neuid=1000' "cfg-edited user takes effect"
is "$(kv "$output" groups)" 1001 "additional gids visible"

cfg "$b" '.process.args = ["/probe", "caps"]'
runc_run "$b"
is "$(kv "$output" NoNewPrivs)" 1 "probe caps reports NoNewPrivs"
is "$(kv "$output" CapBnd)" 0000000020000420 "probe caps reports the bounding set (runc default: AUDIT_WRITE KILL NET_BIND_SERVICE)"

cfg "$b" '.process.args = ["/probe", "ns"]'
runc_run "$b"
isnt "$(kv "$output" pid)" "$(stat -Lc %i /proc/self/ns/pid)" "probe ns sees a new pid namespace"

cfg "$b" '.process.args = ["/bin/sh", "-c", "echo hello from busybox; ls /bin | wc -l"]'
runc_run "$b"
like "$output" 'hello from busybox' "busybox sh runs"

cfg "$b" '.process.args = ["/probe", "exit", "7"]'
runc_run "$b"
is "$status" 7 "the exit status comes through"

# ------------------------------------------ cleanup after a failing test --

# A stand-in for estiba that only knows list/state/delete, so cleanup can
# be checked before the real runtime works.  delete leaves the process
# running on purpose: cleanup must still kill it from the recorded pid.
fake=$TEST_TMP/fake-estiba
calls=$TEST_TMP/fake-calls
cat >"$fake" <<EOF
#!/bin/bash
root=\$2; cmd=\$3
echo "\$*" >>'$calls'
case \$cmd in
  list) for d in "\$root"/*/; do [ -f "\$d/state.json" ] && basename "\$d"; done ;;
  state) cat "\$root/\$4/state.json" ;;
  delete) rm -rf "\$root/\$5" ;;
esac
EOF
chmod +x "$fake"

# child.sh: a test file that sets up everything cleanup must remove, then
# fails (MODE=fail), hangs until killed (MODE=hang), or dies by SIGKILL
# with a process of its own running in another session (MODE=killed), so
# that it cannot clean up and tests/run must.
child=$TEST_TMP/child.sh
cat >"$child" <<'EOF'
. "$SRCDIR/tests/lib/common.sh"
echo "tmp=$TEST_TMP"
root=$(new_state_root)
mkdir "$root/c1"
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
echo "{\"id\":\"c1\",\"pid\":$!}" >"$root/c1/state.json"
echo "sleeper=$!"
mkdir "$TEST_TMP/mnt" && mount -t tmpfs estiba-selftest "$TEST_TMP/mnt" && mkdir "$TEST_TMP/mnt/sub" &&
  mount -t tmpfs estiba-selftest "$TEST_TMP/mnt/sub" && pass mounted
cg=/sys/fs/cgroup/pids/estiba-selftest-$$
mkdir "$cg" && track_cgroup "$cg" && mkdir "$cg/inner" && echo "cgroup=$cg"
sh -c 'echo $$ >"$1/inner/cgroup.procs"; exec sleep 1000' _ "$cg" </dev/null >/dev/null 2>&1 &
on_exit "touch '$MARKER'"
echo "armed"
case $MODE in
  fail) fail "deliberate failure"; done_testing ;;
  hang) sleep 1000 ;;
  killed)
    setsid "$PROBE" sleep 1000 "$TEST_TMP/stray" </dev/null >/dev/null 2>&1 &
    wait_for 10 grep -qF "$TEST_TMP/stray" /proc/$!/cmdline
    kill -9 $$
    ;;
esac
EOF

# left_nothing MODE OUTPUT: check the child's recorded resources are gone.
left_nothing ()
{
  local mode=$1 tmp sleeper cg
  tmp=$(kv "$2" tmp)
  sleeper=$(kv "$2" sleeper)
  cg=$(kv "$2" cgroup)
  like "$2" armed "[$mode] the child set everything up" || diag "$2"
  [ -n "$tmp" ] && [ ! -e "$tmp" ]
  ok_if "[$mode] TEST_TMP removed" $?
  unlike "$(cat /proc/self/mountinfo)" "$tmp" "[$mode] its mounts are gone"
  [ -n "$cg" ] && [ ! -e "$cg" ]
  ok_if "[$mode] its cgroup (with a process in a child cgroup) is gone" $?
  [ -n "$sleeper" ] && wait_for 5 sh -c "! kill -0 $sleeper 2>/dev/null"
  ok_if "[$mode] the container process recorded in state is killed" $?
  is "$(cleanup_processes_under "$tmp")" "" "[$mode] no process started from its directory is left"
}

child_cleans_up ()
{
  local mode=$1
  rm -f "$calls" "$TEST_TMP/marker"
  # hang: killed the way tests/run kills a test that times out.
  MODE=$mode MARKER=$TEST_TMP/marker ESTIBA=$fake ESTIBA_TEST_TMPDIR=$TEST_TMP \
    timeout -k 30 "$([ "$mode" = hang ] && echo 15 || echo 60)" bash "$child" >"$TEST_TMP/child.out" 2>&1
  status=$?
  output=$(cat "$TEST_TMP/child.out")
  if [ "$mode" = fail ]; then
    is "$status" 1 "[$mode] the failing child exits 1"
    like "$output" 'not ok 2 - deliberate failure' "[$mode] the child reported its failure"
  else
    is "$status" 124 "[$mode] the child timed out"
  fi
  left_nothing "$mode" "$output"
  like "$(cat "$calls" 2>/dev/null)" "delete --force c1" "[$mode] cleanup ran delete --force for the listed container"
  check "[$mode] on_exit commands ran" test -e "$TEST_TMP/marker"
}
child_cleans_up fail
child_cleans_up hang

# ------------------------------------------------- tests/run counts right --

fake_src=$TEST_TMP/fake-src
fake_build=$TEST_TMP/fake-build
mkdir -p "$fake_src/tests/integration" "$fake_build/tests/unit"
ln -s "$SRCDIR/tests/lib" "$fake_src/tests/lib"
write_test ()
{
  printf '%s\n' ". \"\$SRCDIR/tests/lib/common.sh\"" "$2" >"$fake_src/tests/integration/$1.sh"
}
write_test good 'pass a; is x x b; skip "not here" 2; done_testing'
write_test bad 'pass a; fail b; done_testing'
write_test skipper 'skip_all "no frobnicator"'
write_test noplan 'pass a; exit 0'
write_test crash 'pass a; kill -SEGV $$'
write_test hangs 'pass a; sleep 100'
write_test plan 'echo "1..3"; echo "ok 1 - a"; echo "ok 2 - b"'
write_test bailer 'pass a; bail "cannot go on"'
printf '#!/bin/sh\necho "ok 1 - unit"\necho "1..1"\n' >"$fake_build/tests/unit/test-fake"
chmod +x "$fake_build/tests/unit/test-fake"
touch "$fake_build/tests/unit/test-fake.o"

run_cmd env TEST_TIMEOUT=10 "$SRCDIR/tests/run" --srcdir "$fake_src" --builddir "$fake_build"
is "$status" 1 "tests/run fails when any test fails"
is "$(tail -n 1 <<<"$output")" "10 passed, 6 failed, 3 skipped" "tests/run counts passes, failures (crash, timeout, no plan, bad plan, bail) and skips" ||
  diag "$output"
like "$output" '\[good\] ok 1 - a' "output lines are prefixed with the test name"
like "$output" 'hangs: timed out' "a timeout is named"
like "$output" 'crash: exited with status 139 \(SIGSEGV\)' "a crash is named"
like "$output" "bad.sh:2"$'\n' "a failure names the line of the test"
check "each file's output is kept in tests/logs" grep -q 'not ok 2 - b' "$fake_build/tests/logs/bad.log"

run_cmd "$SRCDIR/tests/run" --srcdir "$fake_src" --builddir "$fake_build" good test-fake
is "$status" 0 "tests/run passes when all selected tests pass"
is "$(tail -n 1 <<<"$output")" "3 passed, 0 failed, 2 skipped" "patterns select tests"

run_cmd "$SRCDIR/tests/run" --srcdir "$fake_src" --builddir "$fake_build" no-such-test
is "$status" 1 "tests/run fails when no test matches"

# killed: the test cannot clean up itself, tests/run must do it.
echo "MODE=killed MARKER=$TEST_TMP/marker ESTIBA=$fake PROBE=$PROBE; . $child" >"$fake_src/tests/integration/killed.sh"
rm -f "$TEST_TMP/marker"
run_cmd "$SRCDIR/tests/run" --srcdir "$fake_src" --builddir "$fake_build" killed
like "$output" 'killed: exited with status 137 \(SIGKILL\); no TAP plan.*; left behind: process [0-9]+ \(.*probe sleep 1000' \
  "[killed] tests/run reports the kill and the process left behind"
left_nothing killed "$(cat "$fake_build/tests/logs/killed.log")"
check "[killed] tests/run ran the test's on_exit commands" test -e "$TEST_TMP/marker"
rm "$fake_src/tests/integration/killed.sh"

write_test leaky 'mkdir "$ESTIBA_TEST_TMPDIR/left-over"; pass a; done_testing'
run_cmd "$SRCDIR/tests/run" --srcdir "$fake_src" --builddir "$fake_build" leaky
like "$output" 'leaky: left behind: file .*left-over' "leftovers after a test count as a failure"
is "$(tail -n 1 <<<"$output")" "1 passed, 1 failed, 0 skipped" "a leftover is one failure"

if [ "$(id -u nobody)" -ne 0 ]; then
  run_cmd setpriv --reuid=65534 --regid=65534 --clear-groups "$SRCDIR/tests/run" --srcdir "$fake_src" --builddir "$fake_build"
  like "$output" 'must run as root' "tests/run refuses to run without root"
  isnt "$status" 0 "... and fails"
fi

done_testing
