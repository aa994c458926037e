#!/usr/bin/env bash
# Bundle benchmark: `muelle bundle` against `umoci unpack` of the same
# multi-layer image (a busybox root, python's standard library, perl's,
# a layer of whiteouts and a layer of random data), runs interleaved in one
# process, each into an empty directory; medians and min-max reported.
#
# muelle is measured three times per run, as a user meets it: the first
# bundle of the image (empty layer cache, layers never bundled: each is
# extracted straight from its blob), the second (the layer cache is filled,
# then copied) and a later one (warm: copied from the cache).
#
#   bench/bundle.sh [--muelle PATH] [--baseline PATH] [--runs N]
#
# --baseline adds rows for another muelle build (e.g. before a change),
# run on the same store in the same interleaved loop: its first and a
# later bundle.
#
# No tool's run follows a mass deletion: outputs and emptied caches are
# renamed into a trash directory removed at exit.  (On an ext4 without a
# journal, like this VM's, every file created soon after many deletions
# scans past the recently deleted inodes: whoever runs right after an
# `rm -rf` pays for it.)
#
# Needs: umoci skopeo jq bc attr (Debian packages).  Run as root.
set -euo pipefail

MUELLE=${MUELLE:-./muelle}
RUNS=7
BASE=
while [ $# -gt 0 ]; do
  case $1 in
    --muelle) MUELLE=$2; shift 2 ;;
    --baseline) BASE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--muelle PATH] [--baseline PATH] [--runs N]" >&2; exit 2 ;;
  esac
done
[ -x "$MUELLE" ] || { echo "$0: $MUELLE is not an executable muelle (use --muelle)" >&2; exit 2; }
for c in umoci skopeo jq bc setfattr; do
  command -v "$c" >/dev/null || { echo "$0: $c is missing" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (both tools restore owners)" >&2; exit 2; }

work=$(mktemp -d /var/tmp/muelle-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "building the image..." >&2
umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:bench" >/dev/null
umoci config --image "$work/oci:bench" --config.cmd /bin/sh >/dev/null
layer ()
{
  rm -rf "$work/b"
  umoci unpack --image "$work/oci:bench" "$work/b" >/dev/null
  "$@"
  umoci repack --image "$work/oci:bench" "$work/b" >/dev/null
}
busybox_root ()
{
  mkdir -p "$work/b/rootfs/bin" "$work/b/rootfs/etc"
  cp /bin/busybox "$work/b/rootfs/bin/"
  for a in sh ls cat; do ln -s busybox "$work/b/rootfs/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$work/b/rootfs/etc/passwd"
}
copy_tree () { mkdir -p "$work/b/rootfs/$(dirname "$1")"; cp -a "$1" "$work/b/rootfs/$1"; }
whiteouts () { rm -rf "$work/b/rootfs/usr/lib/python3.11/test" "$work/b/rootfs/usr/share/perl/5.36/unicore"; }
random_data () { mkdir -p "$work/b/rootfs/data"; head -c $((16 << 20)) /dev/urandom >"$work/b/rootfs/data/blob"; }
layer busybox_root
layer copy_tree /usr/lib/python3.11
layer copy_tree /usr/share/perl
layer whiteouts
layer random_data
rm -rf "$work/b"
skopeo copy --quiet "oci:$work/oci:bench" "oci:$work/store:bench" >/dev/null
manifest=$(jq -r '.manifests[0].digest' "$work/store/index.json")
layers=$(jq '.layers | length' "$work/store/blobs/sha256/${manifest#sha256:}")
"$MUELLE" --root "$work/store" bundle bench "$work/warmup" >/dev/null
files=$(find "$work/warmup/rootfs" | wc -l)
size=$(du -sm "$work/warmup/rootfs" | cut -f1)
rm -rf "$work/warmup"

now () { date +%s.%N; }
stats ()
{
  sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}

# The first bundle of a layer marks its blob (user.muelle.bundled); a
# "first bundle" run starts from unmarked blobs and an empty cache.
forget_bundles ()
{
  local b
  [ ! -d "$work/store/cache/layers" ] || mv "$work/store/cache/layers" "$work/trash/layers.$RANDOM$RANDOM"
  for b in "$work"/store/blobs/sha256/*; do
    setfattr -x user.muelle.bundled "$b" 2>/dev/null || true
  done
}
mkdir -p "$work/trash"
trash () { local d; for d; do [ ! -e "$d" ] || mv "$d" "$work/trash/$(basename "$d").$RANDOM$RANDOM"; done; }
timed ()
{
  local out=$1 t0 t1
  shift
  t0=$(now)
  "$@" >/dev/null
  t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/$out.times"
}

for t in first second warm umoci bfirst bwarm; do : >"$work/$t.times"; done
for run in $(seq "$RUNS"); do
  trash "$work"/out-*
  forget_bundles
  sync
  timed first "$MUELLE" --root "$work/store" bundle bench "$work/out-first"
  timed second "$MUELLE" --root "$work/store" bundle bench "$work/out-second"
  timed warm "$MUELLE" --root "$work/store" bundle bench "$work/out-warm"
  timed umoci umoci unpack --image "$work/oci:bench" "$work/out-umoci"
  if [ -n "$BASE" ]; then
    forget_bundles
    sync
    timed bfirst "$BASE" --root "$work/store" bundle bench "$work/out-bfirst"
    timed bwarm "$BASE" --root "$work/store" bundle bench "$work/out-bwarm"
  fi
  printf 'run %d: muelle first %.3fs, second %.3fs, warm %.3fs, umoci %.3fs\n' "$run" \
    "$(tail -1 "$work/first.times")" "$(tail -1 "$work/second.times")" "$(tail -1 "$work/warm.times")" \
    "$(tail -1 "$work/umoci.times")" >&2
done

read -r um umin umax < <(stats <"$work/umoci.times")
row ()
{
  local m min max
  read -r m min max < <(stats <"$work/$2.times")
  printf '| %-36s | %7.3fs | %6.3f-%6.3fs | %8.2f |\n' "$1" "$m" "$min" "$max" "$(echo "$m / $um" | bc -l)"
}
printf '%d runs; image: %d layers, %d files, %d MiB unpacked\n' "$RUNS" "$layers" "$files" "$size"
printf '| %-36s | %8s | %15s | %8s |\n' tool median min-max "vs umoci"
printf '| %-36s | %7.3fs | %6.3f-%6.3fs | %8s |\n' "umoci unpack" "$um" "$umin" "$umax" 1.00
row "muelle bundle, first (cold)" first
row "muelle bundle, second (fills cache)" second
row "muelle bundle, later (warm cache)" warm
if [ -n "$BASE" ]; then
  row "baseline bundle, cold cache" bfirst
  row "baseline bundle, warm cache" bwarm
fi
