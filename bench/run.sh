#!/usr/bin/env bash
# Start-latency benchmark: estiba against crun, runc and the kernel's floor (bench/floor.c),
# interleaved round-robin in one run on one busybox bundle.  See BENCHMARKS.md for what
# each test means and docs/performance.md for where the time goes.
#
#   bench/run.sh [--quick] [--scale N] [--out DIR]
#
#   N_SEQ N_BATCH N_EXEC N_SCALE   iteration counts of (a)/(b), (c), (d), (h) (defaults
#                 100 20 100 20; 10 3 10 5 with --quick)
#   ESTIBA=path   use this estiba binary (default: build one out of tree in $BUILD,
#                 /tmp/estiba-bench-build unless set)
#   --quick       few iterations, 100 instead of 1,000 containers for (h): a smoke run;
#                 results go to /tmp/estiba-bench-quick unless --out is given
#   --scale N     number of already-created containers for (h)
#   --out DIR     where results go (default: bench/results, and then the "estiba start
#                 latency" section of BENCHMARKS.md is regenerated from them)
#
# Needs root, and Debian's crun runc gnuplot-nox time busybox-static python3 gcc
# (installed with apt-get when missing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
OUT=
QUICK=0
SCALE=1000
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1; SCALE=100; shift ;;
    --scale) SCALE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--quick] [--scale N] [--out DIR]" >&2; exit 2 ;;
  esac
done
if [ -z "$OUT" ]; then
  if [ "$QUICK" = 1 ]; then OUT=/tmp/estiba-bench-quick; else OUT=$HERE/results; fi
fi
# Iteration counts; each can be lowered from the environment (N_SEQ=50 bench/run.sh) when
# the machine is too busy for the full run.
if [ "$QUICK" = 1 ]; then
  N_SEQ=${N_SEQ:-10} N_BATCH=${N_BATCH:-3} N_EXEC=${N_EXEC:-10} N_SCALE=${N_SCALE:-5}
else
  N_SEQ=${N_SEQ:-100} N_BATCH=${N_BATCH:-20} N_EXEC=${N_EXEC:-100} N_SCALE=${N_SCALE:-20}
fi
MEM_LIMITS="4194304 1048576 524288 262144 131072 65536 32768"

[ "$(id -u)" = 0 ] || { echo "bench/run.sh: must run as root" >&2; exit 1; }

# --- packages ---------------------------------------------------------------------------
need=()
for p in crun:crun runc:runc gnuplot:gnuplot-nox /usr/bin/time:time /bin/busybox:busybox-static \
         /usr/bin/python3:python3 gcc:gcc strip:binutils; do
  command -v "${p%%:*}" >/dev/null 2>&1 || need+=("${p#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >&2
fi
PY=/usr/bin/python3

# --- estiba ------------------------------------------------------------------------------
if [ -z "${ESTIBA:-}" ]; then
  BUILD=${BUILD:-/tmp/estiba-bench-build}
  mkdir -p "$BUILD"
  if [ ! -f "$BUILD/Makefile" ]; then
    [ -x "$SRC/configure" ] || (cd "$SRC" && ./autogen.sh)
    (cd "$BUILD" && "$SRC/configure" >/dev/null)
  fi
  make -C "$BUILD" -j"$(nproc)" estiba >/dev/null
  ESTIBA=$BUILD/estiba
fi
ESTIBA=$(readlink -f "$ESTIBA")

# --- work dir and cleanup ----------------------------------------------------------------
WORK=$(mktemp -d /tmp/estiba-bench.XXXXXX)
NS_PID=
STATE_TMPFS=
RUNTIMES_ALL="estiba estiba-host crun runc"

cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] && [ -s "${LOG:-}" ]; then
    echo "bench/run.sh failed (exit $rc); runtime stderr, last lines:" >&2
    tail -5 "$LOG" >&2
  fi
  trap - EXIT INT TERM
  for rt in $RUNTIMES_ALL; do
    root=$WORK/state/root-$rt
    [ -d "$root" ] || continue
    for id in $(ls "$root" 2>/dev/null); do
      rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1
    done
  done
  [ -n "$NS_PID" ] && kill "$NS_PID" 2>/dev/null && wait "$NS_PID" 2>/dev/null
  [ -n "$STATE_TMPFS" ] && umount "$STATE_TMPFS"
  # cgroups left behind (a runtime that died mid-way, or a v1 memory cgroup still busy when
  # the runtime's delete gave up): only ours (ebench-*, also nested under the caller's own
  # cgroup, where runc and estiba put them), only empty ones; rmdir never removes a
  # populated cgroup.
  for _ in 1 2 3; do
    left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name 'ebench-*' 2>/dev/null)
    [ -z "$left" ] && break
    for d in $left; do rmdir "$d" 2>/dev/null; done
    sleep 1
  done
  [ -n "$left" ] && echo "bench/run.sh: cgroups left (not empty): $left" >&2
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# State roots (--root) live on a tmpfs, as /run does on a normal host and as every runtime
# documents.  This host's /run is on ext4, where an fsync of a state file costs 5-25 ms:
# that would measure the disk, not the runtime.  Mounted before the namespace below is made,
# so both views share it.
mkdir -p "$WORK/state"
mount -t tmpfs -o mode=0700,size=256m estiba-bench "$WORK/state"
STATE_TMPFS=$WORK/state

# The private mount namespace where /sys/fs/cgroup/unified is detached: crun 1.8 refuses
# hybrid hosts otherwise.  One long-lived holder; every timed command setns()es into it
# from timeit's forked child (one syscall), instead of paying an unshare+sh per iteration.
# All runtimes and the floor run in it, so the comparison is fair; "estiba-host" is estiba
# on the unchanged host.
unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup/unified && exec sleep 1000000' &
NS_PID=$!
sleep 0.2
NS=/proc/$NS_PID/ns/mnt
grep -q ' /sys/fs/cgroup/unified ' "/proc/$NS_PID/mountinfo" && { echo "unified still mounted in ns" >&2; exit 1; }

cc -O2 -Wall -o "$WORK/timeit" "$HERE/timeit.c"
cc -O2 -Wall -o "$WORK/floor" "$HERE/floor.c"
TIMEIT=$WORK/timeit
FLOOR=$WORK/floor

# estiba is timed as it is installed: stripped, as Debian's crun and runc are.  (Unstripped,
# the debug information is copied into the sealed memfd on every start: +0.9 ms of CPU.)
ESTIBA_BUILT=$ESTIBA
cp "$ESTIBA_BUILT" "$WORK/estiba"
strip "$WORK/estiba"
ESTIBA=$WORK/estiba

# rt_cmd RUNTIME ARGS: the runtime's command line (no namespace switch: for setup/cleanup).
rt_cmd() {
  local rt=$1; shift
  case $rt in
    estiba|estiba-host) nsflag "$rt" "$ESTIBA" --root "$WORK/state/root-$rt" "$@" ;;
    crun) nsflag "$rt" crun --root "$WORK/state/root-$rt" "$@" ;;
    runc) nsflag "$rt" runc --root "$WORK/state/root-$rt" "$@" ;;
  esac
}
# nsflag RUNTIME CMD...: run CMD inside the private namespace unless RUNTIME is estiba-host.
nsflag() {
  local rt=$1; shift
  if [ "$rt" = estiba-host ]; then "$@"; else nsenter --mount="$NS" -- "$@"; fi
}
# rt_ns RUNTIME: timeit's namespace flag ("-m NS" except for estiba-host).
rt_ns() {
  [ "$1" = estiba-host ] || echo "-m $NS"
}
# rt_bin RUNTIME: the runtime's argv prefix, for timeit (which does the setns itself).
rt_bin() {
  case $1 in
    estiba|estiba-host) echo "$ESTIBA --root $WORK/state/root-$1" ;;
    crun|runc) echo "$1 --root $WORK/state/root-$1" ;;
  esac
}

# --- the bundle ---------------------------------------------------------------------------
make_rootfs() {
  local r=$1
  mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,root}
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do
    [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
  echo 'root:x:0:' >"$r/etc/group"
  [ -x "$r/bin/true" ] || { echo "rootfs has no /bin/true" >&2; exit 1; }
}
# make_bundle DIR ARGS_JSON [MEMORY_LIMIT]: config from "estiba spec", args replaced, no
# terminal, a cgroup namespace added (runc's and crun's default specs have one; the floor
# unshares the same six), ociVersion 1.0.2 because crun 1.8 refuses 1.3.0.  The rootfs is
# shared (absolute root.path) so every runtime and test starts the very same files.
make_bundle() {
  local dir=$1 args=$2 mem=${3:-}
  mkdir -p "$dir"
  rm -f "$dir/config.json"
  (cd "$dir" && "$ESTIBA" spec)
  $PY - "$dir/config.json" "$args" "$WORK/rootfs" "$mem" <<'EOF'
import json, sys
path, args, rootfs, mem = sys.argv[1:5]
c = json.load(open(path))
c["ociVersion"] = "1.0.2"
c["process"]["args"] = json.loads(args)
c["process"]["terminal"] = False
c["root"]["path"] = rootfs
ns = c["linux"]["namespaces"]
if not any(n["type"] == "cgroup" for n in ns):
    ns.append({"type": "cgroup"})
if mem:
    c["linux"].setdefault("resources", {})["memory"] = {"limit": int(mem)}
json.dump(c, open(path, "w"), indent=1)
EOF
}
make_rootfs "$WORK/rootfs"
BUNDLE=$WORK/bundle-true
make_bundle "$BUNDLE" '["/bin/true"]'
make_bundle "$WORK/bundle-sleep" '["/bin/sleep","1000000"]'

mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RAW=$OUT/start-latency-raw.tsv
printf 'test\truntime\titer\twall_us\tmaxrss_kb\tstatus\tcpu_us\n' >"$RAW"
LOG=$WORK/stderr.log

# record TEST RUNTIME ITER TIMEIT-ARGS...: one timed measurement appended to the raw TSV.
record() {
  local test=$1 rt=$2 iter=$3; shift 3
  local line
  line=$("$TIMEIT" "$@" </dev/null 2>>"$LOG")
  printf '%s\t%s\t%s\t%s\n' "$test" "$rt" "$iter" "${line// /$'\t'}" >>"$RAW"
  read -r _ _ status _ <<<"$line"
  [ "$status" = 0 ] || { echo "  $test/$rt/$iter failed: $line" >&2; tail -3 "$LOG" >&2; }
}
# rotate LIST I: LIST rotated by I, so no runtime always runs right after the same other.
rotate() {
  local -a a=($1); local n=${#a[@]} i=$(( $2 % ${#a[@]} ))
  echo "${a[@]:i}" "${a[@]:0:i}"
}

echo "estiba: $ESTIBA; work: $WORK; results: $OUT" >&2

# --- (a) sequential run --------------------------------------------------------------------
echo "(a) sequential run of /bin/true, $N_SEQ each" >&2
for i in $(seq 1 "$N_SEQ"); do
  for rt in $(rotate "estiba estiba-host crun runc floor" "$i"); do
    if [ "$rt" = floor ]; then
      record a_run floor "$i" -m "$NS" "$FLOOR" "$WORK/rootfs"
    else
      record a_run "$rt" "$i" $(rt_ns "$rt") $(rt_bin "$rt") run -b "$BUNDLE" "ebench-a-$i"
    fi
  done
done

# --- (b) create + start + wait + delete ----------------------------------------------------
# As containerd-shim/conmon do it: create (with --pid-file), start, wait for the init to
# exit (timeit is the subreaper, as the shim is), delete.
echo "(b) create/start/wait/delete, $N_SEQ each" >&2
for i in $(seq 1 "$N_SEQ"); do
  for rt in $(rotate "$RUNTIMES_ALL" "$i"); do
    r=$(rt_bin "$rt"); pf=$WORK/pid-b-$rt
    # shellcheck disable=SC2046,SC2086
    record b_lifecycle "$rt" "$i" $(rt_ns "$rt") $r create --pid-file "$pf" -b "$BUNDLE" "ebench-b-$i" \
      :: $r start "ebench-b-$i" :: @wait "$pf" :: $r delete "ebench-b-$i"
  done
done

# --- (c) 8 concurrent runs -------------------------------------------------------------------
echo "(c) batches of 8 concurrent runs, $N_BATCH each" >&2
for i in $(seq 1 "$N_BATCH"); do
  for rt in $(rotate "estiba estiba-host crun runc floor" "$i"); do
    if [ "$rt" = floor ]; then
      record c_concurrent8 floor "$i" -m "$NS" -j 8 "$FLOOR" "$WORK/rootfs"
    else
      # shellcheck disable=SC2046
      record c_concurrent8 "$rt" "$i" $(rt_ns "$rt") -j 8 $(rt_bin "$rt") run -b "$BUNDLE" "ebench-c-$i-{}"
    fi
  done
done

# --- (d) exec into a running container -------------------------------------------------------
echo "(d) exec /bin/true into a running sleep container, $N_EXEC each" >&2
for rt in $RUNTIMES_ALL; do
  rt_cmd "$rt" run -d -b "$WORK/bundle-sleep" "ebench-d" </dev/null >/dev/null 2>>"$LOG"
done
for i in $(seq 1 "$N_EXEC"); do
  for rt in $(rotate "$RUNTIMES_ALL" "$i"); do
    # shellcheck disable=SC2046
    record d_exec "$rt" "$i" $(rt_ns "$rt") $(rt_bin "$rt") exec ebench-d /bin/true
  done
done
for rt in $RUNTIMES_ALL; do
  rt_cmd "$rt" delete --force ebench-d >/dev/null 2>>"$LOG" || true
done

# --- (e) smallest memory limit under which a container starts --------------------------------
# Also records the limit the kernel actually holds for the container's memory cgroup (read
# from the host while a sleep container with a 64 MiB limit runs), to show whether the
# runtime created the cgroup and applied the limit at all.
echo "(e) memory limits" >&2
MEM=$OUT/start-latency-memory.tsv
printf 'runtime\tlimit_bytes\tstarted\tnote\n' >"$MEM"
make_bundle "$WORK/bundle-mem-probe" '["/bin/sleep","1000000"]' 67108864
for rt in $RUNTIMES_ALL; do
  note=
  if rt_cmd "$rt" run -d --pid-file "$WORK/pid-e" -b "$WORK/bundle-mem-probe" ebench-e-probe \
      </dev/null >/dev/null 2>>"$LOG"; then
    pid=$(cat "$WORK/pid-e")
    path=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")
    applied=$(cat "/sys/fs/cgroup/memory$path/memory.limit_in_bytes" 2>/dev/null || echo none)
    note="64MiB probe: memory cgroup '$path' limit_in_bytes=$applied"
  else
    note="64MiB probe failed to start"
  fi
  rt_cmd "$rt" delete --force ebench-e-probe >/dev/null 2>>"$LOG" || true
  for lim in $MEM_LIMITS; do
    make_bundle "$WORK/bundle-mem-$lim" '["/bin/true"]' "$lim"
    if rt_cmd "$rt" run -b "$WORK/bundle-mem-$lim" "ebench-e-$lim" \
        </dev/null >/dev/null 2>>"$LOG"; then
      ok=yes
    else
      ok=no
    fi
    rt_cmd "$rt" delete --force "ebench-e-$lim" >/dev/null 2>&1 || true
    printf '%s\t%s\t%s\t%s\n' "$rt" "$lim" "$ok" "$note" >>"$MEM"
  done
done

# --- (g) stripped binary size ----------------------------------------------------------------
SIZES=$OUT/start-latency-size.tsv
printf 'binary\tpath\tbytes_stripped\tlinkage\n' >"$SIZES"
for b in "estiba:$ESTIBA" "crun:$(command -v crun)" "runc:$(command -v runc)" "floor:$FLOOR"; do
  cp "${b#*:}" "$WORK/strip-me"
  strip "$WORK/strip-me"
  link=$(file -b "$WORK/strip-me" 2>/dev/null | grep -o 'dynamically linked\|statically linked' || echo '?')
  printf '%s\t%s\t%s\t%s\n' "${b%%:*}" "${b#*:}" "$(stat -c %s "$WORK/strip-me")" "$link" >>"$SIZES"
done

# --- (h) growth with many created containers --------------------------------------------------
# SCALE containers created (an init each, waiting for start), then run/state/list timed
# again; all three are first timed with one container for a baseline taken in the same
# phase (the machine's load drifts between phases, so (a) is no baseline for this).
echo "(h) run/state/list with $SCALE created containers" >&2
for rt in estiba crun runc; do
  a="$(rt_ns "$rt") $(rt_bin "$rt")"
  rt_cmd "$rt" create -b "$BUNDLE" ebench-h-probe </dev/null >/dev/null 2>>"$LOG"
  for i in $(seq 1 "$N_SCALE"); do
    # shellcheck disable=SC2086
    record h_run_1 "$rt" "$i" $a run -b "$BUNDLE" "ebench-h-run1-$i"
    # shellcheck disable=SC2086
    record h_state_1 "$rt" "$i" $a state ebench-h-probe
    # shellcheck disable=SC2086
    record h_list_1 "$rt" "$i" $a list
  done
  # xargs gives its commands /dev/null as stdin already.
  seq 1 "$SCALE" | xargs -P 2 -I{} "$TIMEIT" $a create -b "$BUNDLE" "ebench-h-{}" >/dev/null 2>>"$LOG"
  created=$(ls "$WORK/state/root-$rt" | wc -l)
  echo "  $rt: $created containers in its root" >&2
  for i in $(seq 1 "$N_SCALE"); do
    # shellcheck disable=SC2086
    record h_run_N "$rt" "$i" $a run -b "$BUNDLE" "ebench-h-run-$i"
    # shellcheck disable=SC2086
    record h_state_N "$rt" "$i" $a state ebench-h-probe
    # shellcheck disable=SC2086
    record h_list_N "$rt" "$i" $a list
  done
  for id in $(ls "$WORK/state/root-$rt"); do echo "$id"; done |
    xargs -P 2 -I{} "$TIMEIT" $a delete --force {} >/dev/null 2>>"$LOG"
done

# --- summary, chart, machine ------------------------------------------------------------------
MACHINE=$OUT/start-latency-machine.txt
{
  echo "date: $STAMP"
  echo "kernel: $(uname -r)"
  echo "cpus: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
  echo "memory: $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
  echo "cgroups: hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified with hugetlb only)"
  echo "estiba: $("$ESTIBA" --version 2>&1 | head -1) ($ESTIBA_BUILT stripped, git $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "crun: $(crun --version | head -1)"
  echo "runc: $(runc --version | head -1)"
  echo "iterations: seq=$N_SEQ batch=$N_BATCH exec=$N_EXEC scale=$SCALE x $N_SCALE quick=$QUICK"
  echo "load during run (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$MACHINE"
"$PY" "$HERE/summarize.py" "$RAW" "$OUT/start-latency-summary.tsv" "$OUT/start-latency-chart.dat"
gnuplot -e "datafile='$OUT/start-latency-chart.dat'; outfile='$OUT/start-latency.png'" "$HERE/chart.gp"
if [ "$OUT" = "$HERE/results" ]; then
  "$PY" "$HERE/report.py" "$OUT" "$SRC/BENCHMARKS.md"
  echo "BENCHMARKS.md section 'estiba start latency' regenerated" >&2
fi
column -t -s $'\t' "$OUT/start-latency-summary.tsv"
cat "$MEM" "$SIZES" "$MACHINE"
if [ -s "$LOG" ]; then
  echo "--- runtime stderr (last 20 lines) ---" >&2
  tail -20 "$LOG" >&2
fi
