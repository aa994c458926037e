#!/usr/bin/env bash
# Build benchmark: `muelle build` against `buildah bud` (chroot isolation,
# vfs storage) on the same 5-step Dockerfile and the same busybox base:
# cold build (empty caches), fully cached rebuild, and a rebuild after one
# copied file changed.  Then muelle's fully cached rebuild with a context of
# 1k, 10k and 100k small files (stat-keyed digest cache: nothing unchanged
# is read again).  Medians of N runs (min-max in brackets), in seconds.
#
#   bench/build.sh [--muelle PATH] [--runs N] [--no-buildah] [--no-scale]
#
# Needs: buildah jq bc (Debian packages), /bin/busybox (busybox-static).
# Run as root.
set -euo pipefail

MUELLE=${MUELLE:-./muelle}
RUNS=5
BUILDAH=1
SCALE=1
while [ $# -gt 0 ]; do
  case $1 in
    --muelle) MUELLE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --no-buildah) BUILDAH=0; shift ;;
    --no-scale) SCALE=0; shift ;;
    *) echo "usage: $0 [--muelle PATH] [--runs N] [--no-buildah] [--no-scale]" >&2; exit 2 ;;
  esac
done
[ -x "$MUELLE" ] || { echo "$0: $MUELLE is not an executable muelle (use --muelle)" >&2; exit 2; }
MUELLE=$(realpath "$MUELLE")
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root" >&2; exit 2; }
for c in jq bc; do
  command -v "$c" >/dev/null || { echo "$0: $c is missing" >&2; exit 2; }
done
if [ "$BUILDAH" = 1 ] && ! command -v buildah >/dev/null; then
  echo "$0: buildah is missing (or use --no-buildah)" >&2
  exit 2
fi

work=$(mktemp -d /var/tmp/muelle-build-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The base: busybox-static with one symlink per applet.
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/base.tar" .
base_store=$work/base-store
"$MUELLE" --root "$base_store" import "$work/base.tar" busybox >/dev/null
"$MUELLE" --root "$base_store" save --format oci-archive -o "$work/busybox-oci.tar" busybox

ctx=$work/ctx
mkdir -p "$ctx/src"
for i in $(seq 1 20); do echo "file $i" >"$ctx/src/f$i.txt"; done
echo "config v1" >"$ctx/app.conf"
cat >"$ctx/Dockerfile" <<'EOF2'
ARG BASE=busybox
FROM ${BASE}
COPY src /app/src
RUN cat /app/src/*.txt | wc -l >/app/count
COPY app.conf /app/app.conf
RUN sed 's/v1/v1-built/' /app/app.conf >/app/app.built
CMD ["cat", "/app/app.built"]
EOF2

# time_cmd CMD...: seconds the command took.
time_cmd ()
{
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
# stats: median [min-max] of the numbers on stdin.
stats ()
{
  sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2;
    printf "%.3f [%.3f-%.3f]", m, a[1], a[NR]}'
}

muelle_fresh ()
{
  rm -rf "$work/m"
  cp -a "$base_store" "$work/m"
}
M=("$MUELLE" --root "$work/m")
B=(buildah --root "$work/b/root" --runroot "$work/b/run" --storage-driver vfs)
buildah_fresh ()
{
  "${B[@]}" rmi -a -f >/dev/null 2>&1 || true
  rm -rf "$work/b"
}
bud () { "${B[@]}" bud --isolation chroot --layers --build-arg BASE="oci-archive:$work/busybox-oci.tar" -t bench "$ctx"; }

declare -A res
for _ in $(seq 1 "$RUNS"); do
  echo "config v1" >"$ctx/app.conf"
  muelle_fresh
  res[mcold]+="$(time_cmd "${M[@]}" build -q -t bench "$ctx") "
  res[mcached]+="$(time_cmd "${M[@]}" build -q -t bench "$ctx") "
  echo "config v$RANDOM" >"$ctx/app.conf"
  res[mone]+="$(time_cmd "${M[@]}" build -q -t bench "$ctx") "
  if [ "$BUILDAH" = 1 ]; then
    echo "config v1" >"$ctx/app.conf"
    buildah_fresh
    res[bcold]+="$(time_cmd bud) "
    res[bcached]+="$(time_cmd bud) "
    echo "config v$RANDOM" >"$ctx/app.conf"
    res[bone]+="$(time_cmd bud) "
  fi
done
buildah_fresh

printf '%-34s %-24s %s\n' "5-step Dockerfile ($RUNS runs)" "muelle build" "buildah bud"
for k in cold cached one; do
  case $k in cold) label="cold build" ;; cached) label="fully cached rebuild" ;; one) label="one file changed" ;; esac
  m=$(tr ' ' '\n' <<<"${res[m$k]}" | grep . | stats)
  b=-
  [ "$BUILDAH" = 1 ] && b=$(tr ' ' '\n' <<<"${res[b$k]}" | grep . | stats)
  printf '%-34s %-24s %s\n' "$label" "$m" "$b"
done

if [ "$SCALE" = 1 ]; then
  echo
  printf '%-34s %-24s %s\n' "context size" "first build" "fully cached rebuild"
  for n in 1000 10000 100000; do
    big=$work/big-$n
    mkdir -p "$big/files"
    (cd "$big/files" && for d in $(seq 0 $((n / 1000))); do mkdir "d$d"; done &&
      seq 1 "$n" | awk '{f = "d" int($1 / 1000) "/f" $1; print $1 > f; close(f)}')
    printf 'FROM busybox\nCOPY files /files\nRUN ls /files | wc -l >/count\n' >"$big/Dockerfile"
    muelle_fresh
    first=$(time_cmd "${M[@]}" build -q "$big")
    cached=$(for _ in $(seq 1 "$RUNS"); do time_cmd "${M[@]}" build -q "$big"; done | stats)
    printf '%-34s %-24s %s\n' "$n files" "$(printf %.3f "$first")" "$cached"
    rm -rf "$big"
  done
fi
