#!/usr/bin/env bash
# test-timeout: 600
# --systemd-cgroup with systemd as PID 1, which this host lacks:
# tests/vm/run.sh boots Debian 12's own kernel under qemu (TCG) with the
# host's systemd 252 as PID 1 on pure cgroup v2 (tests/vm/systemd-root.sh),
# and tests/vm/checks-systemd.sh runs as its one service: a container in
# system.slice:estiba:NAME is the scope estiba-NAME.scope (ControlGroup,
# Delegate and the limits as systemd shows them, the limits in the cgroup
# files, the init alone in it), update (the files and systemd's
# properties), pause/resume, events, exec, an existing unit refused in one
# line with nothing left, a failure after the unit started undone, kill +
# delete and delete --force removing the unit, run in another slice, the
# default cgroupsPath, a .slice name, bad slice and unit names refused, no
# unit or cgroup left.
# Skipped only when qemu cannot start, Debian's kernel cannot be fetched
# or the host has no systemd to copy.
# About 60-90 s on an idle 2-core machine with the kernel cached in
# /var/cache/estiba-vm; up to 150 s on a busy one.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

. "$SRCDIR/tests/vm/report.sh"
[ -x /lib/systemd/systemd ] && command -v systemctl >/dev/null ||
  skip_all "the host has no systemd to boot in the VM (apt-get install systemd)"
vm_require

mkdir -p "$TEST_TMP/systemd"
start=$SECONDS
ESTIBA_VM_TIMEOUT=240 "$SRCDIR/tests/vm/run.sh" systemd "$TEST_TMP/systemd" >"$TEST_TMP/systemd.log" 2>&1
st=$?
[ "$st" -eq 0 ] || diag "systemd: qemu exited with status $st"
diag "systemd: the VM took $((SECONDS - start)) s"
report systemd "$TEST_TMP/systemd.log"
rm -rf "${TEST_TMP:?}/systemd"
done_testing
