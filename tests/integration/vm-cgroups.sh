#!/usr/bin/env bash
# test-timeout: 600
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

. "$SRCDIR/tests/vm/report.sh"
vm_require

for mode in v2 v1; do
  mkdir -p "$TEST_TMP/$mode"
  ESTIBA_VM_TIMEOUT=240 "$SRCDIR/tests/vm/run.sh" "$mode" "$TEST_TMP/$mode" >"$TEST_TMP/$mode.log" 2>&1
  st=$?
  [ "$st" -eq 0 ] || diag "$mode: qemu exited with status $st"
  report "$mode" "$TEST_TMP/$mode.log"
  rm -rf "${TEST_TMP:?}/$mode"
done
done_testing
