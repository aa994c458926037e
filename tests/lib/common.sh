# shellcheck shell=bash
# Sourced by every integration test: TAP output, paths, test bundles, and a
# cleanup that always runs.  See docs/testing.md for the full API.
#
#   . "$SRCDIR/tests/lib/common.sh"       (or: . "$(dirname "$0")/../lib/common.sh")
#   require_root
#   make_bundle "$TEST_TMP/b" /probe ids
#   root=$(new_state_root)
#   run_cmd estiba_r "$root" run -b "$TEST_TMP/b" "$(unique_id)"
#   is "$status" 0 "run exits 0"
#   like "$output" 'uid=0' "runs as root"
#   done_testing
#
# Tests must not install their own EXIT/INT/TERM traps: use on_exit.

# ---------------------------------------------------------------- paths --

. "$(dirname "${BASH_SOURCE[0]}")/cleanup.sh"

: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILDDIR:=$SRCDIR}"
: "${ESTIBA:=$BUILDDIR/estiba}"
: "${MUELLE:=$BUILDDIR/muelle}"
: "${PROBE:=$BUILDDIR/tests/helpers/probe}"
export SRCDIR BUILDDIR ESTIBA MUELLE PROBE

# The harness points ESTIBA_TEST_TMPDIR at a per-run directory so it can
# check that each file removed everything it made.  Short: unix socket
# paths below it are limited to 107 bytes.
if [ -n "${ESTIBA_TEST_TMPDIR:-}" ]; then
  TEST_TMP=$ESTIBA_TEST_TMPDIR/$(basename "${0%.sh}")
else
  TEST_TMP=/tmp/estiba-$(basename "${0%.sh}")
fi
TEST_TMP=$(mktemp -d "$TEST_TMP.XXXXXX") || {
  echo "Bail out! cannot create a temporary directory"
  exit 1
}
chmod 0755 "$TEST_TMP"
export TEST_TMP

# Cleanup registrations live in files, not variables, so helpers called in
# command substitutions ($(new_state_root)) still register.
_CLEANUP_DIR=$TEST_TMP/.cleanup
mkdir -p "$_CLEANUP_DIR"
: >"$_CLEANUP_DIR/on_exit"
: >"$_CLEANUP_DIR/state_roots"
: >"$_CLEANUP_DIR/cgroups"

# ------------------------------------------------------------------ TAP --

_tap_count=0
_tap_failed=0
_tap_done=0

# Prefix every line with "# " so command output never looks like a result.
diag ()
{
  local line
  printf '%s\n' "$*" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

# Names the first caller outside this file, so a failure points at a line
# of the test.
_diag_caller ()
{
  local i
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    if [ "${BASH_SOURCE[i]}" != "${BASH_SOURCE[0]}" ]; then
      diag "  at ${BASH_SOURCE[i]}:${BASH_LINENO[i - 1]}"
      return
    fi
  done
}

pass ()
{
  _tap_count=$((_tap_count + 1))
  printf 'ok %d - %s\n' "$_tap_count" "$1"
}

fail ()
{
  _tap_count=$((_tap_count + 1))
  _tap_failed=$((_tap_failed + 1))
  printf 'not ok %d - %s\n' "$_tap_count" "$1"
  [ $# -lt 2 ] || diag "${@:2}"
  _diag_caller
  return 1
}

# ok_if "desc" STATUS: pass if STATUS is 0 (for conditions computed by hand).
ok_if ()
{
  if [ "$2" -eq 0 ]; then pass "$1"; else fail "$1"; fi
}

# run_cmd CMD...: $output gets stdout+stderr, $status the exit status.
# Output goes through a file, not a pipe: a process CMD leaves running (a
# created container holding its stdio) must not make the test wait for it.
run_cmd ()
{
  local file=$_CLEANUP_DIR/output.$BASHPID
  "$@" >"$file" 2>&1 && status=0 || status=$?
  output=$(cat "$file")
  rm -f "$file"
}

# check "desc" CMD...: ok if CMD exits 0; on failure show its output.
check ()
{
  local desc=$1 output status
  shift
  run_cmd "$@"
  if [ "$status" -eq 0 ]; then
    pass "$desc"
  else
    fail "$desc" "command: $*" "exit status: $status" "$output"
  fi
}

# check_fails "desc" CMD...: ok if CMD exits non-zero (and did not crash).
check_fails ()
{
  local desc=$1 output status
  shift
  run_cmd "$@"
  if [ "$status" -ne 0 ] && [ "$status" -lt 128 ]; then
    pass "$desc"
  else
    fail "$desc" "command: $*" "expected failure, got exit status: $status" "$output"
  fi
}

is ()
{
  if [ "$1" == "$2" ]; then
    pass "$3"
  else
    fail "$3" "     got: '$1'" "expected: '$2'"
  fi
}

isnt ()
{
  if [ "$1" != "$2" ]; then
    pass "$3"
  else
    fail "$3" "     got: '$1'" "expected anything else"
  fi
}

like ()
{
  if [[ $1 =~ $2 ]]; then
    pass "$3"
  else
    fail "$3" "     got: '$1'" "expected to match: $2"
  fi
}

unlike ()
{
  if [[ $1 =~ $2 ]]; then
    fail "$3" "     got: '$1'" "expected not to match: $2"
  else
    pass "$3"
  fi
}

# skip "reason" [count]
skip ()
{
  local i n=${2:-1}
  for ((i = 0; i < n; i++)); do
    _tap_count=$((_tap_count + 1))
    printf 'ok %d # SKIP %s\n' "$_tap_count" "$1"
  done
}

# skip_all "reason": skip the rest of the file (the harness counts it once).
skip_all ()
{
  if [ "$_tap_count" -eq 0 ]; then
    printf '1..0 # SKIP %s\n' "$1"
    _tap_done=1
    exit 0
  fi
  skip "$1"
  done_testing
}

# bail "reason": abort the file; the harness counts it as a failure.
bail ()
{
  printf 'Bail out! %s\n' "$*"
  _tap_done=1
  exit 1
}

done_testing ()
{
  printf '1..%d\n' "$_tap_count"
  _tap_done=1
  if [ "$_tap_failed" -gt 0 ]; then
    diag "failed $_tap_failed of $_tap_count"
    exit 1
  fi
  exit 0
}

# ----------------------------------------------------------- requirements --

require_root ()
{
  [ "$(id -u)" -eq 0 ] || bail "this test must run as root"
}

require_cmd ()
{
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip_all "$c is not installed"
  done
}

# require_file PATH [reason]: skip the file when a built program is missing.
require_file ()
{
  [ -e "$1" ] || skip_all "${2:-$1 does not exist}"
}

# --------------------------------------------------------------- rootfs --

_ROOTFS_CACHE=$BUILDDIR/tests/cache/rootfs

# Changes when busybox, the probe or the recipe changes.
_rootfs_stamp ()
{
  stat -Lc %Y:%s /bin/busybox "$PROBE" "$SRCDIR/tests/lib/busybox-rootfs.sh" | tr '\n' ' '
}

# make_rootfs DIR: a busybox root filesystem with /probe, copied from a cache
# built once per build directory.
make_rootfs ()
{
  local dir=$1 lock stamp
  [ -x "$PROBE" ] || bail "make_rootfs: $PROBE is not built (run make check)"
  mkdir -p "$(dirname "$_ROOTFS_CACHE")" || bail "make_rootfs: cannot create $(dirname "$_ROOTFS_CACHE")"
  stamp=$(_rootfs_stamp)
  exec {lock}>"$_ROOTFS_CACHE.lock"
  flock "$lock"
  if [ "$(cat "$_ROOTFS_CACHE/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$_ROOTFS_CACHE" "$_ROOTFS_CACHE.new"
    bash "$SRCDIR/tests/lib/busybox-rootfs.sh" "$_ROOTFS_CACHE.new" "$PROBE" >&2 || bail "make_rootfs: cannot build $_ROOTFS_CACHE"
    echo "$stamp" >"$_ROOTFS_CACHE.new/.stamp"
    mv -T "$_ROOTFS_CACHE.new" "$_ROOTFS_CACHE"
  fi
  exec {lock}>&-
  mkdir -p "$dir" && cp -a "$_ROOTFS_CACHE/." "$dir/" && rm -f "$dir/.stamp" ||
    bail "make_rootfs: cannot copy the root filesystem to $dir"
}

# ---------------------------------------------------------------- bundle --

# make_bundle DIR [ARGS...]: DIR/rootfs plus DIR/config.json running ARGS
# (default /bin/sh) without a terminal.
make_bundle ()
{
  local dir=$1 args
  shift
  [ $# -gt 0 ] || set -- /bin/sh
  make_rootfs "$dir/rootfs"
  rm -f "$dir/config.json"
  if ! "$ESTIBA" spec --bundle "$dir" >/dev/null 2>&1 || ! jq -e .ociVersion "$dir/config.json" >/dev/null 2>&1; then
    diag "make_bundle: '$ESTIBA spec' failed; using the embedded default spec"
    cp "$SRCDIR/tests/lib/default-spec.json" "$dir/config.json" || bail "make_bundle: cannot write $dir/config.json"
  fi
  args=$(jq -n '$ARGS.positional' --args "$@") || bail "make_bundle: cannot encode args"
  cfg "$dir" '.process.terminal = false | .process.args = $args | .root.path = "rootfs"' --argjson args "$args"
}

# cfg BUNDLE FILTER [JQ OPTIONS...]: edit BUNDLE/config.json in place with jq.
cfg ()
{
  local file=$1/config.json filter=$2
  shift 2
  jq "$@" "$filter" "$file" >"$file.new" && mv "$file.new" "$file" || {
    rm -f "$file.new"
    bail "cfg: jq filter failed on $file: $filter"
  }
}

# ------------------------------------------------------------ containers --

# new_state_root: a fresh --root directory, cleaned up at exit.
new_state_root ()
{
  local root
  root=$(mktemp -d "$TEST_TMP/state.XXXXXX") || bail "new_state_root: mktemp failed"
  echo "$root" >>"$_CLEANUP_DIR/state_roots"
  echo "$root"
}

estiba_r ()
{
  local root=$1
  shift
  "$ESTIBA" --root "$root" "$@"
}

unique_id ()
{
  printf '%s-%08x\n' "${1:-estiba-test}" "$SRANDOM"
}

# kv "$output" KEY: the value of a KEY=value line (probe output).
kv ()
{
  printf '%s\n' "$1" | sed -n "s/^$2=//p" | head -n 1
}

# container_pid ROOT ID: the pid from `estiba state`.
container_pid ()
{
  estiba_r "$1" state "$2" 2>/dev/null | jq -r '.pid // empty'
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_for ()
{
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# --------------------------------------------------------------- cleanup --

# on_exit "CMD": run CMD (with eval) at exit, last registered first.
on_exit ()
{
  printf '%s\n' "$1" >>"$_CLEANUP_DIR/on_exit"
}

# track_cgroup PATH: remove PATH (and cgroups below it) at exit, killing
# whatever still runs in it.
track_cgroup ()
{
  echo "$1" >>"$_CLEANUP_DIR/cgroups"
}

_cleanup ()
{
  local st=$?
  trap - EXIT INT TERM HUP
  cleanup_test_dir "$TEST_TMP"
  if [ "$_tap_done" -eq 0 ] && [ "$_tap_count" -gt 0 ]; then
    echo "# test script exited (status $st) before done_testing"
  fi
  exit "$st"
}

trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
