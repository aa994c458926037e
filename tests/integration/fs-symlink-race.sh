#!/usr/bin/env bash
# CVE-2021-30465 class: a path component of a mount destination is swapped
# between a real directory and a symlink to a host directory while estiba
# sets the container up.  Every mount target must be resolved inside the
# rootfs and mounted through the resolved fd, so nothing may ever be
# created (or mounted) in the host directory.
#
# How we know the test can fail: the same racer is first run against a
# "naive" check-then-use implementation written here in shell (resolve the
# path with realpath, check it is inside the rootfs, then mkdir/touch by
# path, which is what runc did before 1.0.0-rc95).  The test insists that
# the racer beats it at least once; only then do the estiba runs mean
# anything.  An estiba that created its targets by path would lose the
# same way.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq
require_cmd python3

b=$TEST_TMP/bundle
make_bundle "$b" /bin/true
root=$(new_state_root)
victim=$TEST_TMP/victim
mkdir -p "$victim" "$b/rootfs/race/x"
echo data >"$TEST_TMP/srcfile"

# The racer: exchange race/x (a directory) and race/x.sym (a symlink to
# the victim) atomically with renameat2(RENAME_EXCHANGE), as fast as it can.
ln -s "$victim" "$b/rootfs/race/x.sym"
python3 - "$b/rootfs/race" <<'PY' &
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1].encode()
a, s = d + b"/x", d + b"/x.sym"
while True:
    libc.renameat2(-100, a, -100, s, 2)
PY
racer=$!
on_exit "kill $racer 2>/dev/null; wait $racer 2>/dev/null"

naive_setup ()
{
  local p
  p=$(realpath -m "$b/rootfs/race/x/naive") || return 0
  case $p in
    "$b/rootfs"/*) mkdir -p "$b/rootfs/race/x/naive" 2>/dev/null ;;
  esac
}
escaped=0
for _ in $(seq 1 400); do
  naive_setup
  if [ -e "$victim/naive" ]; then
    escaped=1
    break
  fi
done
is "$escaped" 1 "calibration: the racer makes a check-then-use implementation create on the host"
rm -rf "${victim:?}/naive"

cfg "$b" '.mounts += [{destination: "/race/x/dir", type: "tmpfs", source: "tmpfs"},
                      {destination: "/race/x/sub/file", type: "bind", source: $f, options: ["bind"]}]' \
  --arg f "$TEST_TMP/srcfile"
runs=0
last_error=""
# At least 25 runs; more (up to 200) until one has started, since a slow
# build (ASan) can lose every one of the first 25 to the racer.
for i in $(seq 1 200); do
  run_cmd estiba_r "$root" run -b "$b" "race$i-$$"
  if [ "$status" -eq 0 ]; then runs=$((runs + 1)); else last_error=$output; fi
  [ -n "$(ls -A "$victim")" ] && break
  [ "$i" -ge 25 ] && [ "$runs" -gt 0 ] && break
done
diag "$runs of $i runs started (a run may fail when the walk meets the symlink's in-root target mid-swap)"
[ -n "$last_error" ] && diag "last failure: $last_error"
is "$(ls -A "$victim")" "" "nothing was created in the host directory the symlink points to"
ok_if "at least one container ran during the race" "$([ "$runs" -gt 0 ]; echo $?)"
kill "$racer" 2>/dev/null
wait "$racer" 2>/dev/null
unlike "$(grep "$victim" /proc/self/mountinfo)" "." "nothing is mounted on the host directory"

done_testing
