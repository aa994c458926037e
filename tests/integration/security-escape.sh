#!/usr/bin/env bash
# Container escape regressions, each a check a naive runtime fails:
#   CVE-2019-16884 / CVE-2023-27561: something other than procfs mounted on
#     /proc (so the runtime's LSM label write lands in a plain file);
#   CVE-2019-5736 / CVE-2016-9962: the container opening the runtime's
#     /proc/PID/exe or fds while `exec` sets a process up;
#   CVE-2024-21626: process.cwd through a leaked fd (/proc/self/fd/N).
# AppArmor is not enabled on this host: a profile is an error (runc's).
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe cwd
root=$(new_state_root)

# ---- CVE-2019-16884 / CVE-2023-27561: fake procfs
mkdir -p "$b/rootfs/fakeproc/self/attr" "$TEST_TMP/fakeproc"
for m in '{destination: "/proc", type: "tmpfs", source: "tmpfs"}' \
  '{destination: "/proc/", type: "bind", source: "/fakeproc", options: ["rbind"]}' \
  "{destination: \"//proc\", type: \"bind\", source: \"$TEST_TMP/fakeproc\", options: [\"bind\"]}"; do
  cfg "$b" ".mounts += [$m]"
  id=$(unique_id esc)
  run_cmd estiba_r "$root" run -b "$b" "$id"
  isnt "$status" 0 "a fake procfs on /proc is refused: $m"
  like "$output" "cannot be mounted on (/proc|'/+proc/?')" "naming /proc"
  is "$(ls "$root" | grep -c "$id")" 0 "nothing left behind"
  cfg "$b" '.mounts |= .[:-1]'
done
cfg "$b" ".mounts += [{destination: \"/proc/self/attr\", type: \"bind\", source: \"$TEST_TMP/fakeproc\", options: [\"bind\"]}]"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id esc)"
isnt "$status" 0 "a non-procfs bind over a /proc subdirectory is refused"
cfg "$b" '.mounts |= .[:-1]'
cfg "$b" '.mounts += [{destination: "/proc/uptime", type: "bind", source: "/proc/uptime", options: ["bind"]}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id esc)"
is "$status" 0 "a procfs file bound below /proc is allowed (lxcfs-style)"
cfg "$b" '.mounts |= .[:-1]'

# ---- AppArmor absent here: asking for a profile is an error, never a crash.
if [ -e /sys/kernel/security/apparmor ]; then
  skip "AppArmor is enabled on this host"
else
  cfg "$b" '.process.apparmorProfile = "estiba-test-profile"'
  id=$(unique_id esc)
  run_cmd estiba_r "$root" run -b "$b" "$id"
  isnt "$status" 0 "apparmorProfile without AppArmor fails (linux_process_apparmor_profile)"
  like "$output" "apparmorProfile: profile 'estiba-test-profile' specified but AppArmor is not enabled" "with runc's reason"
  is "$(ls "$root" | grep -c "$id")" 0 "nothing left behind"
  cfg "$b" 'del(.process.apparmorProfile)'
fi
# SELinux off here: a label is ignored, as runc does.
if [ -e /sys/fs/selinux/enforce ]; then
  skip "SELinux is enabled on this host"
else
  cfg "$b" '.process.selinuxLabel = "system_u:system_r:container_t:s0" | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
  run_cmd estiba_r "$root" run -b "$b" "$(unique_id esc)"
  is "$status" 0 "SELinux labels are ignored where SELinux is off"
  cfg "$b" 'del(.process.selinuxLabel) | del(.linux.mountLabel)'
fi

# ---- CVE-2024-21626: cwd through an fd the runtime leaked.
touch "$TEST_TMP/HOST_MARKER"
leaks=""
for n in 3 4 5 6 7 8 9 10; do
  cfg "$b" ".process.args = [\"/bin/sh\", \"-c\", \"ls -a . .. ../.. ../../.. 2>/dev/null\"] | .process.cwd = \"/proc/self/fd/$n\""
  run_cmd bash -c "exec 5<'$TEST_TMP' 7<'$TEST_TMP'; cd '$TEST_TMP'; '$ESTIBA' --root '$root' run -b '$b' $(unique_id esc)"
  grep -q HOST_MARKER <<<"$output" && leaks="$leaks $n"
done
is "$leaks" "" "process.cwd /proc/self/fd/N never reaches a host directory"
cfg "$b" '.process.args = ["/probe", "sleep", "600"] | .process.cwd = "/"'
id=$(unique_id esc)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
leaks=""
for n in 3 4 5 6 7 8 9 10; do
  run_cmd bash -c "exec 5<'$TEST_TMP' 7<'$TEST_TMP'; cd '$TEST_TMP'; '$ESTIBA' --root '$root' exec --cwd /proc/self/fd/$n '$id' /bin/sh -c 'ls -a . .. ../.. ../../.. 2>/dev/null'"
  grep -q HOST_MARKER <<<"$output" && leaks="$leaks $n"
done
is "$leaks" "" "exec --cwd /proc/self/fd/N never reaches a host directory"
estiba_r "$root" delete --force "$id"

# ---- CVE-2019-5736 / CVE-2016-9962: while `exec` sets a process up, the
# container watches every process it can see and tries to read its exe
# link, open its exe (the first step of overwriting the runtime) and list
# its fds.  Only the container's own programs may ever be visible.
cat >"$b/rootfs/watch.sh" <<'SH'
# The container's own programs, by content: a process may execve one of
# them between two looks, so what was opened is what is checked.
ours="$(md5sum </probe) $(md5sum </bin/busybox)"
exe_sum () { md5sum <"$1/exe" 2>/dev/null | cut -d' ' -f1; }
ours () { case "$ours" in *"$1"*) return 0 ;; esac; return 1; }
gone () { st=Z; read -r _ _ st _ <"$1/stat" 2>/dev/null; [ "$st" = Z ]; }
# An exiting process has dropped its memory (no exe) before its fds: under
# load that window is wide.  Such a process is a zombie or reaped soon.
exiting () { for _ in 1 2 3 4 5 6 7 8 9 10; do gone "$1" && return 0; sleep 0.1; done; return 1; }
while [ ! -e /stop ]; do
  for d in /proc/[0-9]*; do
    t=$(readlink "$d/exe" 2>/dev/null) || t=""
    case "$t" in /bin/busybox|/probe|"") ;; *) echo "SEEN ${d#/proc/} $t" ;; esac
    s=$(exe_sum "$d")
    if [ -n "$s" ] && ! ours "$s"; then echo "OPENED ${d#/proc/} $t"; fi
    if [ -n "$(ls "$d/fd/" 2>/dev/null)" ]; then
      s=$(exe_sum "$d")
      if [ -n "$s" ] && ! ours "$s"; then echo "FDS ${d#/proc/} $t"; fi
      if [ -z "$s" ] && ! exiting "$d"; then echo "FDS ${d#/proc/} (exe unreadable)"; fi
    fi
  done
done
echo watch-done
SH
sum_before=$(sha256sum <"$ESTIBA")
cfg "$b" '.process.args = ["/bin/sh", "/watch.sh"]'
id=$(unique_id esc)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/watch.out" 2>&1 </dev/null
ok=0
for i in $(seq 1 40); do
  estiba_r "$root" exec "$id" /probe cwd >/dev/null 2>&1 && ok=$((ok + 1))
done
is "$ok" 40 "40 execs while the container watches"
touch "$b/rootfs/stop"
wait_for 10 grep -q watch-done "$TEST_TMP/watch.out"
unlike "$(cat "$TEST_TMP/watch.out")" "SEEN|OPENED|FDS" "the container never saw, opened or listed a runtime process"
is "$(sha256sum <"$ESTIBA")" "$sum_before" "the runtime binary is unchanged"
estiba_r "$root" delete --force "$id"

done_testing
