#!/usr/bin/env bash
# A process whose environment has no HOME (or an empty one) gets its
# user's home directory from the container's /etc/passwd, "/" without an
# entry, as runc does (containerd's ctr sets no HOME and relies on it);
# a FIFO planted at /etc/passwd does not block the container.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/b
make_bundle "$b" /probe env
root=$(new_state_root)
have_runc=no
command -v runc >/dev/null 2>&1 && have_runc=yes
runc_root=$TEST_TMP/runc-root
on_exit "runc --root '$runc_root' delete --force home-r >/dev/null 2>&1"

# home_of RUNTIME: the HOME the container's process sees.
home_of ()
{
  local out
  if [ "$1" = estiba ]; then
    out=$(timeout 30 "$ESTIBA" --root "$root" run -b "$b" "home-$SRANDOM" 2>/dev/null </dev/null)
  else
    out=$(timeout 30 runc --root "$runc_root" run -b "$b" home-r 2>/dev/null </dev/null)
  fi
  kv "$out" HOME
}

# case_is DESC EXPECTED: estiba gives EXPECTED, and runc agrees.
case_is ()
{
  is "$(home_of estiba)" "$2" "$1"
  if [ $have_runc = yes ]; then
    is "$(home_of runc)" "$2" "$1: the same under runc"
  else
    skip "runc is not installed"
  fi
}

cfg "$b" '.process.env = ["PATH=/bin"]'
case_is "root without HOME: /root" /root
cfg "$b" '.process.user = {uid: 1000, gid: 1000}'
case_is "uid 1000 without HOME: /home/tester" /home/tester
cfg "$b" '.process.env = ["PATH=/bin", "HOME="]'
case_is "an empty HOME is replaced" /home/tester
cfg "$b" '.process.user = {uid: 4242, gid: 4242}'
case_is "a uid without a passwd entry: /" /
cfg "$b" '.process.env = ["PATH=/bin", "HOME=/elsewhere"]'
case_is "a HOME in the environment is kept" /elsewhere
run_cmd bash -c "timeout 30 '$ESTIBA' --root '$root' run -b '$b' home-count 2>/dev/null | grep -c '^HOME='"
is "$output" 1 "HOME is set once"

cfg "$b" '.process.env = ["PATH=/bin"] | .process.user = {uid: 0, gid: 0}'
mv "$b/rootfs/etc/passwd" "$TEST_TMP/passwd"
case_is "no /etc/passwd: /" /
# runc would block on it; estiba must not.
mkfifo "$b/rootfs/etc/passwd"
is "$(home_of estiba)" / "a FIFO at /etc/passwd is not read: /"
rm "$b/rootfs/etc/passwd"

# exec: the same rule.
cp "$TEST_TMP/passwd" "$b/rootfs/etc/passwd"
cfg "$b" '.process.args = ["/probe", "sleep", "600"]'
id=home-exec-$SRANDOM
"$ESTIBA" --root "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
is "$?" 0 "run -d"
run_cmd "$ESTIBA" --root "$root" exec --env PATH=/bin "$id" /probe env
like "$output" $'(^|\n)HOME=/root(\n|$)' "exec: HOME from /etc/passwd"
run_cmd "$ESTIBA" --root "$root" exec --user 1000:1000 "$id" /probe env
like "$output" $'(^|\n)HOME=/home/tester(\n|$)' "exec --user 1000: /home/tester"
"$ESTIBA" --root "$root" delete --force "$id" >/dev/null 2>&1

done_testing
