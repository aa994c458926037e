#!/usr/bin/env bash
# events: an OOM kill in the container's memory cgroup is reported as an
# "oom" event, and the stream ends when the container stops.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq
[ -d /sys/fs/cgroup/memory ] || skip_all "no v1 memory controller"

b=$TEST_TMP/bundle
make_bundle "$b" /bin/sh
root=$(new_state_root)
id=$(unique_id cgoom)
cgpath=/estiba-test-$id/$id
for c in /sys/fs/cgroup/*/; do track_cgroup "$c/estiba-test-$id"; done
# the shell waits for a child that fills memory until the OOM killer ends it
cfg "$b" '.linux.cgroupsPath = $p | .linux.resources.memory = {limit: 16777216, swap: 16777216}
  | .process.args = ["/bin/sh", "-c", "sleep 1; tail /dev/zero; sleep 2"]' --arg p "$cgpath"

"$ESTIBA" --root "$root" run -d -b "$b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
is "$?" 0 "run -d a container that will run out of memory" || diag "$(cat "$TEST_TMP/run.out")"
timeout 20 "$ESTIBA" --root "$root" events --interval 10s "$id" >"$TEST_TMP/events.out" 2>"$TEST_TMP/events.err"
st=$?
is "$st" 0 "events ends by itself when the container stops" || diag "$(cat "$TEST_TMP/events.err")"
is "$(jq -r 'select(.type == "oom") | .id' "$TEST_TMP/events.out")" "$id" "events reports the OOM kill"
is "$(jq -r 'select(.type == "stats") | .id' "$TEST_TMP/events.out" | head -n1)" "$id" "events starts with a stats event"
ok_if "the kernel counted the OOM kill" "$(grep -q '^oom_kill [1-9]' /sys/fs/cgroup/memory$cgpath/memory.oom_control; echo $?)"
check "delete" "$ESTIBA" --root "$root" delete "$id"
done_testing
