#!/usr/bin/env bash
# process.rlimits are set in the init before it reports "created", as runc
# does: a limit the host refuses fails `create` (and `run`) with one line
# naming process.rlimits[i] and the reason, and leaves nothing behind; a
# valid one is already on the created init and reaches the program.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b"
# Set here: make_bundle hands its args to jq, which would take "-c" itself.
cfg "$b" '.process.args = ["/bin/sh", "-c", "cat /proc/self/limits; exec sleep 600"]'
cp "$b/config.json" "$TEST_TMP/good.json"
root=$(new_state_root)

# A NOFILE hard limit the host refuses: 1000000 when we cannot raise ours
# that far (no CAP_SYS_RESOURCE, as on the reference host), otherwise one
# above fs.nr_open, which nobody may set.
impossible=1000000
if (ulimit -Hn "$impossible") 2>/dev/null; then
  impossible=$(($(cat /proc/sys/fs/nr_open) + 1))
fi

leftovers ()
{
  local id=$1 out=""
  [ ! -e "$root/$id" ] || out+="state dir $root/$id; "
  out+=$(find /sys/fs/cgroup -maxdepth 7 -type d -name "$id" -printf 'cgroup %p; ' 2>/dev/null)
  out+=$(pgrep -f -- "$root" | sed 's/^/process /' | tr '\n' ' ')
  out+=$(grep -F -- "$TEST_TMP" /proc/self/mountinfo | sed 's/^/mount /' | tr '\n' ' ')
  [ ! -e "$TEST_TMP/pid" ] || out+="pid file; "
  printf '%s' "$out"
}

# nofile_of FILE: "soft hard" of "Max open files" in a /proc/PID/limits.
nofile_of ()
{
  sed -n 's/^Max open files  *\([0-9a-z]*\)  *\([0-9a-z]*\).*/\1 \2/p' "$1"
}

# expect_fails DESC CMD...: CMD (create or run) must fail at once with one
# line naming process.rlimits[1] and leave nothing.
expect_fails ()
{
  local desc=$1 id
  shift
  id=$(unique_id rlim)
  "$@" --pid-file "$TEST_TMP/pid" "$id" >"$TEST_TMP/out" 2>&1 </dev/null && status=0 || status=$?
  output=$(grep -v 'warning' "$TEST_TMP/out")
  is "$status" 1 "$desc: exit status 1"
  like "$output" "process\\.rlimits\\[1\\]: RLIMIT_NOFILE hard $impossible exceeds" \
    "$desc: the error names the rlimit and why"
  is "$(printf '%s\n' "$output" | wc -l)" 1 "$desc: one line"
  is "$(leftovers "$id")" "" "$desc: nothing left behind"
  rm -f "$TEST_TMP/pid"
}

# ------------------------------------------------------ refused at create --
cfg "$b" '.process.rlimits = [{type: "RLIMIT_CORE", soft: 0, hard: 0},
                              {type: "RLIMIT_NOFILE", soft: 1024, hard: $h}]' --argjson h "$impossible"
expect_fails "create" estiba_r "$root" create -b "$b"
expect_fails "run -d" estiba_r "$root" run -d -b "$b"
expect_fails "run" estiba_r "$root" run -b "$b"
cp "$TEST_TMP/good.json" "$b/config.json"

# ------------------------------------------------ valid: set before start --
cfg "$b" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 1024}]'
id=$(unique_id rlim)
on_exit "'$ESTIBA' --root '$root' delete -f '$id' >/dev/null 2>&1"
# The container keeps create's stdout: its program writes there.
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null && status=0 || status=$?
is "$status" 0 "create with a valid rlimit succeeds"
pid=$(container_pid "$root" "$id")
is "$(nofile_of "/proc/$pid/limits")" "512 1024" "the created init already has the limit"
run_cmd estiba_r "$root" start "$id"
is "$status" 0 "start succeeds"
check "the program ran" wait_for 10 grep -q 'Max open files' "$TEST_TMP/out"
is "$(nofile_of "$TEST_TMP/out")" "512 1024" "the program sees it in /proc/self/limits"
run_cmd estiba_r "$root" delete -f "$id"
is "$status" 0 "delete -f"
is "$(leftovers "$id")" "" "nothing left after delete"

# `run` likewise, in the foreground.
cfg "$b" '.process.args = ["cat", "/proc/self/limits"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id rlim)"
is "$status" 0 "run with a valid rlimit succeeds"
like "$output" "Max open files +512 +1024 " "run: the program sees it"

done_testing
