#!/usr/bin/env bash
# The pure cgroup v2 and pure v1 layouts, which this hybrid host cannot
# show: tests/vm/run.sh boots Debian 12's own kernel under qemu (TCG) twice,
# once with cgroup2 alone at /sys/fs/cgroup and every controller enabled,
# once with one v1 hierarchy per controller, and tests/vm/checks.sh runs
# estiba there: limits read back, update (recorded in the saved config),
# pause/resume (cgroup.freeze / freezer), ps, events --stats, the init
# born in its cgroup (clone3 CLONE_INTO_CGROUP on v2), hugetlb, an OOM
# kill reported by events, delete
# --force and kill --all (cgroup.kill on v2), the device rules (the eBPF
# program on v2, devices.allow/deny on v1), unified keys (converted on
# v1), --systemd-cgroup refused, nothing left in /sys/fs/cgroup.
# The VM's results are reported here, prefixed with the layout.
# Skipped only when qemu cannot start or Debian's kernel cannot be fetched.
# About 50 s on an idle 2-core machine with the kernel cached in
# /var/cache/estiba-vm (25 s more to fetch it); 90-150 s on a busy one.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
if ! echo quit | timeout 20 qemu-system-x86_64 -accel tcg -M none -display none -monitor stdio -S >/dev/null 2>&1; then
  skip_all "qemu-system-x86_64 cannot start here"
fi
kdir=$("$SRCDIR/tests/vm/kernel.sh" 2>"$TEST_TMP/kernel.err") ||
  skip_all "cannot fetch Debian's kernel: $(tail -1 "$TEST_TMP/kernel.err")"
diag "kernel: $kdir"

# report MODE LOG: the VM's lines as this file's TAP.
report ()
{
  local mode=$1 log=$2 line pending=() ended=0
  flush ()
  {
    [ ${#pending[@]} -eq 0 ] || diag "${pending[@]}"
    pending=()
  }
  while IFS= read -r line; do
    line=${line%$'\r'}
    line=${line##*VMTAP }
    case $line in
      "ok - "*) flush; pass "${line#ok - }" ;;
      "not ok - "*) flush; fail "${line#not ok - }" ;;
      "skip - "*) flush; skip "${line#skip - }" ;;
      "# "*) pending+=("${line#\# }") ;;
      "end $mode") ended=1 ;;
    esac
  done < <(grep -a 'VMTAP ' "$log")
  flush
  if [ "$ended" -eq 1 ]; then
    pass "$mode: the VM ran every check"
  else
    fail "$mode: the VM ran every check" "$(tail -n 30 "$log")"
  fi
}

for mode in v2 v1; do
  mkdir -p "$TEST_TMP/$mode"
  ESTIBA_VM_TIMEOUT=120 "$SRCDIR/tests/vm/run.sh" "$mode" "$TEST_TMP/$mode" >"$TEST_TMP/$mode.log" 2>&1
  st=$?
  [ "$st" -eq 0 ] || diag "$mode: qemu exited with status $st"
  report "$mode" "$TEST_TMP/$mode.log"
  rm -rf "${TEST_TMP:?}/$mode"
done
done_testing
