#!/usr/bin/env bash
# run.sh MODE WORKDIR: boot Debian 12's kernel under qemu (TCG, no KVM
# needed) with an initramfs built here, holding busybox, $ESTIBA with its
# shared libraries, a busybox rootfs and the bundles checks.sh runs, and
# print the serial console (the VM's TAP lines are prefixed "VMTAP").
# MODE is v2 (cgroup2 at /sys/fs/cgroup, every controller enabled), v1
# (one hierarchy per controller) or systemd (the host's systemd as PID 1
# on pure cgroup v2, running checks-systemd.sh as its one service).
# Exits 2 when qemu cannot start at all.
set -eu

mode=$1
work=$2
: "${ESTIBA:?}" "${SRCDIR:?}"
vmdir=$SRCDIR/tests/vm
kdir=$("$vmdir/kernel.sh")
kver=$(basename "$kdir"/lib/modules/*)
root=$work/initramfs

rm -rf "$root"
mkdir -p "$root"/{bin,modules,proc,sys,dev,tmp,run,etc,bundles}
cp /bin/busybox "$root/bin/busybox"
cp "$ESTIBA" "$root/bin/estiba"
for lib in $(ldd "$ESTIBA" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# overlay for the rootfs tests; missing modules only cost their checks.
for m in fs/overlayfs/overlay.ko; do
  [ ! -f "$kdir/lib/modules/$kver/kernel/$m" ] || cp "$kdir/lib/modules/$kver/kernel/$m" "$root/modules/"
done
cp "$vmdir/init" "$root/init"
cp "$vmdir/checks.sh" "$vmdir/checks-systemd.sh" "$vmdir/tap.sh" "$root/"
[ "$mode" != systemd ] || "$vmdir/systemd-root.sh" "$root"
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

# One read-only rootfs shared by every bundle.
bash "$SRCDIR/tests/lib/busybox-rootfs.sh" "$root/bundles/rootfs" >/dev/null
rm -f "$work/config.json"
"$ESTIBA" spec --bundle "$work" >/dev/null
base=$work/config.json
bundle ()
{
  local name=$1 filter=$2
  shift 2
  mkdir -p "$root/bundles/$name"
  jq '.root.path = "/bundles/rootfs" | .process.terminal = false | .process.args = ["sleep", "1000"]
      | .linux.cgroupsPath = "/estiba-vm/" + $name | '"$filter" --arg name "$name" "$@" "$base" \
    >"$root/bundles/$name/config.json"
}
# The bundles of the mode's checks: checks.sh (v1, v2) or checks-systemd.sh.
if [ "$mode" != systemd ]; then
bundle plain '.process.args = ["echo", "hello from the container"]'
bundle limits '.linux.resources += {memory: {limit: 67108864, swap: 134217728, reservation: 33554432},
  pids: {limit: 50}, cpu: {shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0"},
  hugepageLimits: [{pageSize: "2MB", limit: 4194304}]}'
bundle sleeper '.'
bundle oom '.linux.resources.memory = {limit: 16777216, swap: 16777216}
  | .process.args = ["sh", "-c", "sleep 1; tail /dev/zero; sleep 2"]'
# mknod is allowed by the default rules (as runc); opening a char device
# outside the allowed set is not.  /dev/kmsg (1:11) opens for writing
# without any capability, so only the device filter can refuse it.
devscript='echo x >/dev/null; echo null=$?; mknod /dev/k c 1 11; echo mknod=$?; (echo x >/dev/k) 2>/dev/null; echo open=$?'
bundle devdeny '.process.args = ["sh", "-c", $s] | .process.capabilities.bounding += ["CAP_MKNOD"]
  | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]' \
  --arg s "$devscript"
bundle devallow '.process.args = ["sh", "-c", $s] | .process.capabilities.bounding += ["CAP_MKNOD"]
  | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]
  | .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 11, access: "rw"}]' \
  --arg s "$devscript"
bundle unified '.linux.resources.unified = {"memory.max": "50331648", "pids.max": "33", "cpu.weight": "200"}'
bundle badunified '.linux.resources.unified = {"memory.no_such_file": "1"}'
else
# --systemd-cgroup (checks-systemd.sh).
bundle sdlimits '.linux.cgroupsPath = "system.slice:estiba:sd1"
  | .linux.resources += {memory: {limit: 67108864}, pids: {limit: 50},
    cpu: {shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0"}}'
bundle sdplain '.linux.cgroupsPath = "estiba-test.slice:estiba:sd2" | .process.args = ["cat", "/proc/self/cgroup"]'
bundle sddefault 'del(.linux.cgroupsPath)'
bundle sdbadslice '.linux.cgroupsPath = "bad:estiba:sd3"'
bundle sdbadname '.linux.cgroupsPath = "system.slice:estiba:a+b"'
bundle sdslice '.linux.cgroupsPath = "system.slice:estiba:estiba-pod.slice" | .linux.resources.pids = {limit: 40}'
bundle sdbadres '.linux.cgroupsPath = "system.slice:estiba:sd5" | .linux.resources.unified = {"memory.no_such_file": "1"}'
fi

(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) >"$work/initramfs.cpio"

sdargs=
[ "$mode" != systemd ] || sdargs="systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 systemd.log_level=warning systemd.log_target=console"

# -smp 2: multi-threaded TCG; the console is the first serial port.
set +e
timeout -k 5 "${ESTIBA_VM_TIMEOUT:-170}" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 \
  -nographic -no-reboot -monitor none -nic none \
  -kernel "$kdir/boot/vmlinuz-$kver" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3 estiba.cgroup=$mode $sdargs" </dev/null
st=$?
set -e
exit $st
