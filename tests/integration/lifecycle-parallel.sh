#!/usr/bin/env bash
# 20 create/start/state/delete cycles at once against one state root:
# no corruption, no error, nothing leaked (state dirs, cgroups, processes).
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
root=$(new_state_root)
N=20

cycle ()
{
  local id=$1
  "$ESTIBA" --root "$root" create -b "$b" "$id" >"$TEST_TMP/$id.create" 2>&1 </dev/null || return 1
  "$ESTIBA" --root "$root" start "$id" || return 2
  [ "$("$ESTIBA" --root "$root" state "$id" | jq -r .status)" = running ] || return 3
  "$ESTIBA" --root "$root" list >/dev/null || return 4
  "$ESTIBA" --root "$root" kill "$id" KILL || return 5
  "$ESTIBA" --root "$root" delete --force "$id" || return 6
}

pids=()
for i in $(seq 1 $N); do
  cycle "par-$i-$SRANDOM" >"$TEST_TMP/cycle-$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || {
    failed=$((failed + 1))
    diag "cycle $((i + 1)) failed: $(cat "$TEST_TMP/cycle-$((i + 1)).log")"
  }
done
is "$failed" 0 "$N parallel create/start/state/kill/delete cycles succeed"
is "$(ls -A "$root")" "" "no state is left"
is "$(find /sys/fs/cgroup -maxdepth 7 -type d -name 'par-*' 2>/dev/null)" "" "no cgroup is left"
is "$(pgrep -f -- "$root" | wc -l)" 0 "no process is left"

# Concurrent commands on one container serialise: two starts, one wins.
id=$(unique_id par)
"$ESTIBA" --root "$root" create -b "$b" "$id" >"$TEST_TMP/c.out" 2>&1 </dev/null
"$ESTIBA" --root "$root" start "$id" >"$TEST_TMP/s1" 2>&1 &
p1=$!
"$ESTIBA" --root "$root" start "$id" >"$TEST_TMP/s2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
is "$((r1 + r2))" 1 "of two concurrent starts exactly one succeeds"
is "$("$ESTIBA" --root "$root" state "$id" | jq -r .status)" running "the container runs once"
"$ESTIBA" --root "$root" delete --force "$id"
is "$(ls -A "$root")" "" "deleted"

done_testing
