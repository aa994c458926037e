#!/bin/sh
# Build every fuzz target (tests/fuzz/fuzz-*.c) with libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and run them for SECONDS in all (default 60,
# split evenly between the targets).
# Exits non-zero on any crash, leak, UB report or failed build.
#
#   tests/fuzz/run.sh [SECONDS]
#
# Needs clang and libclang-rt-14-dev (libFuzzer), libyajl-dev.  Everything
# it writes goes to a temporary directory (kept and printed on failure);
# the seed corpora in the tree are read, never modified.
set -eu

seconds=${1:-60}
case $seconds in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-clang}
work=$(mktemp -d "${TMPDIR:-/tmp}/ocispec-fuzz.XXXXXX")
keep=0
cleanup () {
  if [ "$keep" = 0 ]; then rm -rf "$work"; else echo "fuzz: artifacts kept in $work" >&2; fi
}
trap cleanup EXIT

# The library sources include <config.h>; a fuzz build needs only this.
printf '#define _GNU_SOURCE 1\n' > "$work/config.h"

flags="-g -O1 -std=gnu11 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
yajl_cflags=$(pkg-config --cflags yajl 2>/dev/null || true)
yajl_libs=$(pkg-config --libs yajl 2>/dev/null || echo -lyajl)
lib_sources=$(ls "$top"/libocispec/*.c)

status=0
# Every tests/fuzz/fuzz-NAME.c is a target with its seeds in corpus/NAME/.
# Header comments declare what else it needs beyond libocispec:
#   // fuzz-sources: paths relative to the top of the tree
#   // fuzz-libs: linker flags      // fuzz-includes: dirs relative to the top
#   // fuzz-dict: a dictionary file in tests/fuzz/
header_value () { # FILE KEY
  sed -n "s|^// $2: *||p" "$1" | head -n 1
}
targets=$(for f in "$here"/fuzz-*.c; do n=${f##*/fuzz-}; echo "${n%.c}"; done)
count=$(echo "$targets" | wc -w)
per_target=$((seconds / count))
[ "$per_target" -gt 0 ] || per_target=1

for target in $targets; do
  src="$here/fuzz-$target.c"
  extra_sources=""
  for f in $(header_value "$src" fuzz-sources); do extra_sources="$extra_sources $top/$f"; done
  extra_includes=""
  for d in $(header_value "$src" fuzz-includes); do extra_includes="$extra_includes -I$top/$d"; done
  extra_libs=$(header_value "$src" fuzz-libs)
  dict=$(header_value "$src" fuzz-dict)
  dict_flag=""
  [ -z "$dict" ] || dict_flag="-dict=$here/$dict"
  echo "fuzz: building fuzz-$target" >&2
  # shellcheck disable=SC2086
  if ! $CC $flags -I"$work" -I"$top/libocispec" $extra_includes $yajl_cflags -o "$work/fuzz-$target" \
      "$src" $lib_sources $extra_sources $extra_libs $yajl_libs; then
    echo "fuzz: cannot build fuzz-$target" >&2
    keep=1
    exit 1
  fi
  # A scratch copy of the seeds: libFuzzer adds what it finds to it.
  mkdir -p "$work/corpus-$target" "$work/artifacts-$target"
  cp -r "$here/corpus/$target"/. "$work/corpus-$target/"
  echo "fuzz: running fuzz-$target for ${per_target}s" >&2
  # shellcheck disable=SC2086
  if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      "$work/fuzz-$target" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 $dict_flag -artifact_prefix="$work/artifacts-$target/" \
      "$work/corpus-$target" > "$work/fuzz-$target.log" 2>&1; then
    echo "fuzz: fuzz-$target FAILED; last lines of its log:" >&2
    tail -n 60 "$work/fuzz-$target.log" >&2
    ls "$work/artifacts-$target" >&2
    keep=1
    status=1
  else
    grep -E '^stat::number_of_executed_runs|^Done' "$work/fuzz-$target.log" >&2 || true
    echo "fuzz: fuzz-$target: no crash" >&2
  fi
done
exit $status
