#!/usr/bin/env bash
# busybox-rootfs.sh DIR [PROBE]: a busybox root filesystem in DIR, made from
# Debian's busybox-static: /bin/busybox and one symlink per applet, users
# root (0), tester (1000:1000, also in group testers 1001) and nobody
# (65534), and the usual empty directories.  With PROBE, the probe is
# copied to /probe and linked from /bin/probe.
# Used by the tests (through make_rootfs) and by examples/quickstart.sh.
set -eu

dir=$1
probe=${2:-}
busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  echo "$0: $busybox is missing or not static: apt-get install busybox-static" >&2
  exit 1
fi

mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,var,root,home/tester,tmp}
chmod 1777 "$dir/tmp"
chmod 0700 "$dir/root"
chown 1000:1000 "$dir/home/tester"
cp "$busybox" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list-full); do
  [ -e "$dir/$applet" ] || ln -s /bin/busybox "$dir/$applet"
done
if [ -n "$probe" ]; then
  cp "$probe" "$dir/probe"
  ln -sf /probe "$dir/bin/probe"
fi

cat >"$dir/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
tester:x:1000:1000:tester:/home/tester:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$dir/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
tester:x:1000:
testers:x:1001:tester
nogroup:x:65534:
GROUP
echo "127.0.0.1 localhost" >"$dir/etc/hosts"
: >"$dir/etc/resolv.conf"
echo "estiba-test" >"$dir/etc/hostname"
