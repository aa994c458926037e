#!/usr/bin/env bash
# muelle build: a malformed Dockerfile or a failing step gives one
# "Dockerfile:LINE: reason" line, a non-zero exit, and leaves the store
# as it was: no tag, no scratch directory, no mount.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-build-helpers.bash"
require_root
build_setup

snapshot ()
{
  (cd "$ROOT" && find . -path ./build/cache -prune -o -path ./build/digests -prune -o -path ./cache -prune \
    -o -path ./blobs -prune -o -print | sort)
  cat "$ROOT/index.json"
}
echo data >"$TEST_TMP/file"
# A first good build fills the caches the failing ones may add to.
dockerfile "$TEST_TMP/good" <<'EOF2'
FROM busybox
RUN true
EOF2
build -q "$TEST_TMP/good"
is "$status" 0 "a good build"
before=$(snapshot)

# check_error NAME LINE_REGEX: the Dockerfile on stdin fails with that
# message and changes nothing.
check_error ()
{
  local name=$1 regex=$2
  dockerfile "$TEST_TMP/$name"
  cp "$TEST_TMP/file" "$TEST_TMP/$name/file"
  build -q -t "$name" "$TEST_TMP/$name"
  is "$status" 1 "$name: fails"
  like "$output" "$regex" "$name: says where and why"
  is "$(printf '%s\n' "$output" | wc -l)" 1 "$name: in one line"
  is "$(snapshot)" "$before" "$name: the store is unchanged"
}

check_error unknown-instruction '^muelle: Dockerfile:2: .*FOO' <<'EOF2'
FROM busybox
FOO bar
EOF2
check_error no-from '^muelle: Dockerfile:1: ' <<'EOF2'
RUN true
EOF2
check_error bad-json '^muelle: Dockerfile:3: .*' <<'EOF2'
FROM busybox
LABEL a=b
SHELL /bin/sh
EOF2
check_error bad-copy-from '^muelle: Dockerfile:2: .*' <<'EOF2'
FROM busybox
COPY --from=0 /x /y
EOF2
check_error failing-run '^muelle: Dockerfile:3: .*exited with status 3' <<'EOF2'
FROM busybox
RUN echo partial >/partial
RUN exit 3
EOF2
check_error missing-source '^muelle: Dockerfile:2: .*nothere' <<'EOF2'
FROM busybox
COPY nothere /x
EOF2
check_error missing-base '^muelle: Dockerfile:1: .*' <<'EOF2'
FROM localhost:1/no/such:image
EOF2
check_error bad-stopsignal '^muelle: Dockerfile:2: .*SIGNOPE' <<'EOF2'
FROM busybox
STOPSIGNAL SIGNOPE
EOF2
check_error volume-on-file '^muelle: Dockerfile:2: VOLUME: /etc/passwd exists and is not a directory' <<'EOF2'
FROM busybox
VOLUME /data /etc/passwd
EOF2
check_error undefined-var-required '^muelle: Dockerfile:2: .*' <<'EOF2'
FROM busybox
ENV X=${NOPE:?must be set}
EOF2

is "$(grep -c " $ROOT" /proc/self/mountinfo)" 0 "no mount is left in the store"
is "$(find "$ROOT/build/tmp" -mindepth 1 2>/dev/null | wc -l)" 0 "no scratch directory is left"

build -q "$TEST_TMP/nowhere"
like "$output" "nowhere" "a missing context is named"
build -q --network bridge "$TEST_TMP/good"
like "$output" "--network .bridge.: expected host or none" "a bad --network is refused"
build -q --secret id=x "$TEST_TMP/good"
like "$output" "src=PATH" "a --secret without src is refused"
SOURCE_DATE_EPOCH=soon build -q "$TEST_TMP/good"
like "$output" "SOURCE_DATE_EPOCH" "a bad SOURCE_DATE_EPOCH is refused"

# An interrupted build leaves nothing either.  The step's sleep has a
# duration no other process on the machine uses, so the checks below see
# only this test's process.
nap=30.$$$RANDOM
dockerfile "$TEST_TMP/slow" <<EOF2
FROM busybox
RUN sleep $nap
EOF2
"${M[@]}" build -q -t slow "$TEST_TMP/slow" >"$TEST_TMP/slow.out" 2>&1 &
pid=$!
wait_for 20 sh -c "ps -eo args | grep -qx 'sleep $nap'"
kill -TERM "$pid"
wait "$pid"
isnt "$?" 0 "SIGTERM stops the build with a failure"
check "nothing named slow" sh -c "! grep -q slow '$ROOT/index.json'"
is "$(find "$ROOT/build/tmp" -mindepth 1 2>/dev/null)" "" "no scratch directory is left after SIGTERM"
check "the step's process is gone" sh -c "! ps -eo args | grep -qx 'sleep $nap'"

done_testing
