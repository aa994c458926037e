#!/usr/bin/env bash
# systemd-root.sh ROOT: add the host's systemd (PID 1 and systemctl, their
# shared libraries) to the VM's initramfs in ROOT, with the least it needs
# to boot into one unit: default.target wants estiba-vm-checks.service,
# which runs /checks-systemd.sh on the serial console and powers off.
# Transient units (estiba's scopes and slices) need no unit files; -.slice
# and system.slice are built into systemd.
set -eu

root=$1
sd=/lib/systemd/systemd
[ -x "$sd" ] || { echo "systemd-root.sh: $sd is missing (apt-get install systemd)" >&2; exit 1; }
ctl=$(command -v systemctl)
mkdir -p "$root/lib/systemd/system" "$root/etc/systemd/system" "$root/bin"
cp "$sd" "$root/lib/systemd/systemd"
cp "$ctl" "$root/bin/systemctl"
for lib in $(ldd "$sd" "$ctl" | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp -L /etc/os-release "$root/etc/os-release"
# A fixed machine id: nothing to generate or commit at boot.
echo 5e7ab1ee5e7ab1ee5e7ab1ee5e7ab1ee >"$root/etc/machine-id"

cat >"$root/lib/systemd/system/default.target" <<'UNIT'
[Unit]
Description=estiba VM checks
Wants=estiba-vm-checks.service
UNIT
cat >"$root/lib/systemd/system/estiba-vm-checks.service" <<'UNIT'
[Unit]
Description=estiba --systemd-cgroup checks
DefaultDependencies=no

[Service]
Type=oneshot
Environment=PATH=/bin:/sbin:/usr/bin:/usr/sbin
ExecStart=/bin/sh /checks-systemd.sh
# Whatever happens to the checks, the VM ends.
ExecStopPost=/bin/busybox poweroff -f
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
UNIT
# A sanitizer build of estiba checks itself as on the host.
for v in ASAN_OPTIONS UBSAN_OPTIONS; do
  [ -z "${!v:-}" ] || echo "Environment=$v=${!v}" >>"$root/lib/systemd/system/estiba-vm-checks.service"
done
