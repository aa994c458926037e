#!/usr/bin/env bash
# kernel.sh: print the directory holding Debian 12's stock kernel
# (boot/vmlinuz-*, lib/modules/*), fetched with `apt-get download` (the
# version linux-image-amd64 depends on) and unpacked with `dpkg -x` into
# the cache (ESTIBA_VM_CACHE, default /var/cache/estiba-vm), keeping only
# the kernel and the modules the VM loads; nothing is installed into
# /boot.  A second run finds it in the cache.
set -eu

cache=${ESTIBA_VM_CACHE:-/var/cache/estiba-vm}
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
  echo "kernel.sh: apt knows no linux-image-amd64 (run apt-get update)" >&2
  exit 1
fi
dir=$cache/$pkg
if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$cache"
exec {lock}>"$cache/.lock"
flock "$lock"
if [ ! -f "$dir/.complete" ]; then
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # apt's _apt user cannot write into a root-owned 0755 directory.
  chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download -q "$pkg" >&2)
  mkdir "$tmp/x"
  dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/x"
  # Keep the kernel and the modules run.sh loads (400 MB -> 10 MB).
  find "$tmp/x" -name '*.ko*' ! -path '*/fs/overlayfs/*' -delete
  rm -rf "$tmp/x/usr/share"
  rm -rf "$dir"
  mv "$tmp/x" "$dir"
  touch "$dir/.complete"
fi
echo "$dir"
