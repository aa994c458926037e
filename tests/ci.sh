#!/usr/bin/env bash
# Everything CI checks, from a fresh clone on Debian 12, as root:
# dependencies, a -Werror build, the whole test suite, the suite again under
# AddressSanitizer+UndefinedBehaviorSanitizer, the fuzzers, make distcheck,
# and the README's main job (examples/quickstart.sh).
#
#   tests/ci.sh [--no-deps] [--no-sanitizers] [--no-fuzz] [--no-distcheck] [--no-quickstart]
#
# Build directories: _build/ci, _build/asan and (the quick start's)
# _build/default.  Prints how long each phase
# took; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

want_deps=yes want_san=yes want_fuzz=yes want_distcheck=yes want_quickstart=yes
for arg in "$@"; do
  case $arg in
    --no-deps) want_deps=no ;;
    --no-sanitizers) want_san=no ;;
    --no-fuzz) want_fuzz=no ;;
    --no-distcheck) want_distcheck=no ;;
    --no-quickstart) want_quickstart=no ;;
    *) echo "usage: $0 [--no-deps] [--no-sanitizers] [--no-fuzz] [--no-distcheck] [--no-quickstart]" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "$0: must run as root (installs packages; the tests create namespaces, mounts and cgroups)" >&2
  exit 1
fi

jobs=$(nproc)
suite_dirs=()
timings=()
failed=()

# test_failures DIR: the failed checks of the suite run in build DIR, with
# the diagnostics that follow each, and the slowest files.  Printed again
# at the very end because CI logs are often read from their tail.
test_failures ()
{
  local logs=$1/tests/logs
  [ -d "$logs" ] || return 0
  echo
  echo "== $1: failed checks"
  awk '/not ok/ && !/# *[Tt][Oo][Dd][Oo]/ { n = 12; print FILENAME ": " $0; next }
       n > 0 && /^#/ { print "    " $0; n--; next } { n = 0 }' "$logs"/*.log | head -120
  if [ -f "$logs/summary" ]; then
    echo "== $1: slowest files (seconds verdict name)"
    sort -rn "$logs/summary" | head -8
  fi
}

report ()
{
  local dir
  for dir in "${suite_dirs[@]}"; do test_failures "$dir"; done
  echo
  echo "== phase timings"
  printf '%s\n' "${timings[@]}"
  printf '%-16s %5ds\n' total "$SECONDS"
  if [ ${#failed[@]} -eq 0 ]; then echo "== CI passed"; else echo "== CI FAILED: ${failed[*]}"; fi
}
trap report EXIT

# phase NAME CMD...: run one step, timed.  A failed step is recorded and
# the later, independent steps still run (a failing test must not hide a
# sanitizer report); steps that others need use `phase ... || exit 1`.
phase ()
{
  local name=$1 start=$SECONDS st=0
  shift
  echo
  echo "== $name: $*"
  "$@" || st=$?
  if [ "$st" -eq 0 ]; then
    timings+=("$(printf '%-16s %5ds' "$name" $((SECONDS - start)))")
  else
    timings+=("$(printf '%-16s %5ds  FAILED (status %d)' "$name" $((SECONDS - start)) "$st")")
    failed+=("$name")
  fi
  return "$st"
}

install_deps ()
{
  ./tests/install-deps.sh
}

# configure_in DIR ARGS...: a fresh out-of-tree build directory.
configure_in ()
{
  local dir=$1
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && "$top/configure" "$@")
}

# The sanitizers' run-time options: abort on the first report, leaks
# included.  estiba re-executes itself: the options travel in the
# environment, so the re-executed copy checks itself the same way.
sanitizer_env=(
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_odr_violation=0:print_summary=1
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
)

# The fuzzers build themselves (clang, libFuzzer) with their own options.
run_fuzz ()
{
  if [ -f tests/fuzz/run.sh ]; then
    env -u ASAN_OPTIONS -u UBSAN_OPTIONS sh tests/fuzz/run.sh 60
  else
    echo "tests/fuzz/run.sh not present: nothing to fuzz"
  fi
}

[ $want_deps = no ] || phase deps install_deps || exit 1
phase autogen ./autogen.sh || exit 1
phase configure configure_in _build/ci --enable-werror || exit 1
phase build make -C _build/ci -j"$jobs" || exit 1
suite_dirs+=(_build/ci)
phase check make -C _build/ci -j"$jobs" check || true
# The sanitizer pass runs every test but the engine tier and vm-cgroups:
# those drive the same estiba code paths through podman, containerd,
# dockerd and qemu, and would double the slowest part of CI for no new
# coverage.  vm-systemd stays: it alone reaches the D-Bus client.
if [ $want_san = yes ]; then
  phase asan-configure configure_in _build/asan --enable-werror --enable-sanitizers CC=clang &&
    phase asan-build make -C _build/asan -j"$jobs" &&
    suite_dirs+=(_build/asan) &&
    phase asan-check env "${sanitizer_env[@]}" TEST_EXCLUDE="engine- vm-cgroups" make -C _build/asan -j"$jobs" check || true
fi
[ $want_fuzz = no ] || phase fuzz run_fuzz || true
# distcheck proves the tarball builds and runs containers; its own test run
# repeats only lifecycle-basic, the suite already ran twice above.
# Its thousands of lines go to a log (the tail on failure): the suite's
# results must stay readable at the end of CI's output.
run_distcheck ()
{
  local log=_build/distcheck.log
  if make -C _build/ci -j"$jobs" distcheck TEST_PATTERNS=lifecycle-basic \
    DISTCHECK_CONFIGURE_FLAGS=--enable-werror >"$log" 2>&1; then
    grep -A2 'archives ready' "$log" || true
  else
    tail -40 "$log"
    return 1
  fi
}
[ $want_distcheck = no ] || phase distcheck run_distcheck || true

# The README's other command, the main job (its own build in
# _build/default, then build, bundle and run the sample image): last, as
# its autogen.sh regenerates the files the builds above were made from.
run_quickstart ()
{
  local log=_build/quickstart.log
  if bash examples/quickstart.sh --no-deps >"$log" 2>&1 && grep -q '^Hello, quickstart!' "$log"; then
    tail -2 "$log"
  else
    tail -30 "$log"
    return 1
  fi
}
[ $want_quickstart = no ] || phase quickstart run_quickstart || true
[ ${#failed[@]} -eq 0 ]
