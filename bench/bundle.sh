#!/usr/bin/env bash
# Bundle benchmark: `muelle bundle` against `umoci unpack` of the same
# multi-layer image (a busybox root, python's standard library, perl's,
# a layer of whiteouts and a layer of random data), runs interleaved in one
# process, each into an empty directory; medians and min-max reported.
#
# muelle is measured twice: with its unpacked-layer cache warm (the usual
# case: the image was bundled before, or pulled and bundled once) and cold
# (cache/layers emptied before every run: decompress, verify, extract).
#
#   bench/bundle.sh [--muelle PATH] [--baseline PATH] [--runs N]
#
# --baseline adds rows for another muelle build (e.g. before a change),
# run on the same store in the same interleaved loop.
#
# Needs: umoci skopeo jq bc (Debian packages).  Run as root.
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
for c in umoci skopeo jq bc; do
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

: >"$work/warm.times"
: >"$work/cold.times"
: >"$work/umoci.times"
: >"$work/bwarm.times"
: >"$work/bcold.times"
for run in $(seq "$RUNS"); do
  rm -rf "$work/out-warm" "$work/out-cold" "$work/out-umoci" "$work/store/cache/layers"
  sync
  t0=$(now)
  "$MUELLE" --root "$work/store" bundle bench "$work/out-cold" >/dev/null
  t1=$(now)
  "$MUELLE" --root "$work/store" bundle bench "$work/out-warm" >/dev/null
  t2=$(now)
  umoci unpack --image "$work/oci:bench" "$work/out-umoci" >/dev/null
  t3=$(now)
  echo "$t1 - $t0" | bc >>"$work/cold.times"
  echo "$t2 - $t1" | bc >>"$work/warm.times"
  echo "$t3 - $t2" | bc >>"$work/umoci.times"
  if [ -n "$BASE" ]; then
    rm -rf "$work/store/cache/layers"
    sync
    t0=$(now)
    "$BASE" --root "$work/store" bundle bench "$work/out-bcold" >/dev/null
    t1=$(now)
    "$BASE" --root "$work/store" bundle bench "$work/out-bwarm" >/dev/null
    t2=$(now)
    rm -rf "$work/out-bcold" "$work/out-bwarm"
    echo "$t1 - $t0" | bc >>"$work/bcold.times"
    echo "$t2 - $t1" | bc >>"$work/bwarm.times"
  fi
  printf 'run %d: muelle cold %.3fs, muelle warm %.3fs, umoci %.3fs\n' "$run" "$(tail -1 "$work/cold.times")" \
    "$(tail -1 "$work/warm.times")" "$(tail -1 "$work/umoci.times")" >&2
done

read -r um umin umax < <(stats <"$work/umoci.times")
read -r wm wmin wmax < <(stats <"$work/warm.times")
read -r cm cmin cmax < <(stats <"$work/cold.times")
printf '%d runs; image: %d layers, %d files, %d MiB unpacked\n' "$RUNS" "$layers" "$files" "$size"
printf '| %-28s | %8s | %15s | %8s |\n' tool median min-max "vs umoci"
printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %8s |\n' "umoci unpack" "$um" "$umin" "$umax" 1.00
printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %8.2f |\n' "muelle bundle (warm cache)" "$wm" "$wmin" "$wmax" "$(echo "$wm / $um" | bc -l)"
printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %8.2f |\n' "muelle bundle (cold cache)" "$cm" "$cmin" "$cmax" "$(echo "$cm / $um" | bc -l)"
if [ -n "$BASE" ]; then
  read -r wm wmin wmax < <(stats <"$work/bwarm.times")
  read -r cm cmin cmax < <(stats <"$work/bcold.times")
  printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %8.2f |\n' "baseline bundle (warm cache)" "$wm" "$wmin" "$wmax" "$(echo "$wm / $um" | bc -l)"
  printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %8.2f |\n' "baseline bundle (cold cache)" "$cm" "$cmin" "$cmax" "$(echo "$cm / $um" | bc -l)"
fi
