#!/usr/bin/env bash
# The other cgroup layouts, run for real inside private mount namespaces
# (the host's mounts are never changed):
#  - pure v1: the cgroup2 mount detached; limits still land in the v1
#    controllers, hugepageLimits (hugetlb lived only in cgroup2) fail
#    naming the field;
#  - the cgroup2 freezer: the v1 freezer detached, pause/resume go through
#    cgroup.freeze on the unified hierarchy and wait for "frozen 1/0".
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq unshare
[ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/unified ] || skip_all "not the hybrid layout"

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
root=$(new_state_root)
id=$(unique_id cglay)
cgpath=/estiba-test-$id/$id
for c in /sys/fs/cgroup/*/; do track_cgroup "$c/estiba-test-$id"; done
export ESTIBA root id cgpath b

# in_ns UMOUNT SCRIPT: run bash SCRIPT in a private mount namespace with
# UMOUNT lazily detached.
in_ns ()
{
  unshare -m --propagation private bash -c 'umount -l "$0" && eval "$1"' "$1" "$2"
}

# ----------------------------------------------------------- pure v1 --
cfg "$b" '.linux.cgroupsPath = $p | .linux.resources += {memory: {limit: 33554432}, pids: {limit: 40}}' --arg p "$cgpath"
run_cmd in_ns /sys/fs/cgroup/unified '
  "$ESTIBA" --root "$root" create -b "$b" "$id" >/dev/null 2>&1 </dev/null || { echo create failed; exit 1; }
  echo "mem=$(cat /sys/fs/cgroup/memory$cgpath/memory.limit_in_bytes)"
  echo "pids=$(cat /sys/fs/cgroup/pids$cgpath/pids.max)"
  "$ESTIBA" --root "$root" start "$id"
  "$ESTIBA" --root "$root" pause "$id" && echo "paused=$(cat /sys/fs/cgroup/freezer$cgpath/freezer.state)"
  "$ESTIBA" --root "$root" resume "$id"
  "$ESTIBA" --root "$root" events --stats "$id" | jq -r "\"stats_limit=\" + (.data.memory.usage.limit|tostring)"
  "$ESTIBA" --root "$root" delete --force "$id" && echo deleted
  test -e /sys/fs/cgroup/memory$cgpath || echo gone'
is "$status" 0 "pure v1: create, start, pause, resume, events, delete" || diag "$output"
is "$(kv "$output" mem)" 33554432 "pure v1: memory limit in the v1 memory controller"
is "$(kv "$output" pids)" 40 "pure v1: pids limit"
is "$(kv "$output" paused)" FROZEN "pure v1: pause through the v1 freezer"
is "$(kv "$output" stats_limit)" 33554432 "pure v1: events --stats"
like "$output" "gone" "pure v1: the cgroup is removed on delete"

cfg "$b" '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 2097152}]'
run_cmd in_ns /sys/fs/cgroup/unified '"$ESTIBA" --root "$root" create -b "$b" "$id" </dev/null'
isnt "$status" 0 "pure v1: hugepageLimits fail without a hugetlb controller"
like "$output" "hugepageLimits\\[0\\]" "the error names the field"
ok_if "pure v1: nothing is left behind" "$([ ! -e "$root/$id" ] && [ ! -e /sys/fs/cgroup/memory$cgpath ]; echo $?)"

# ------------------------------------------------------ v2 freezer --
cfg "$b" 'del(.linux.resources.hugepageLimits)'
run_cmd in_ns /sys/fs/cgroup/freezer '
  "$ESTIBA" --root "$root" run -d -b "$b" "$id" >/dev/null 2>&1 </dev/null || { echo run failed; exit 1; }
  "$ESTIBA" --root "$root" pause "$id" || exit 1
  echo "freeze=$(cat /sys/fs/cgroup/unified$cgpath/cgroup.freeze)"
  echo "events=$(grep frozen /sys/fs/cgroup/unified$cgpath/cgroup.events)"
  echo "status=$("$ESTIBA" --root "$root" state "$id" | jq -r .status)"
  "$ESTIBA" --root "$root" resume "$id" || exit 1
  echo "thawed=$(grep frozen /sys/fs/cgroup/unified$cgpath/cgroup.events)"
  echo "status2=$("$ESTIBA" --root "$root" state "$id" | jq -r .status)"
  "$ESTIBA" --root "$root" pause "$id" || exit 1
  "$ESTIBA" --root "$root" delete --force "$id" && echo deleted'
is "$status" 0 "v2 freezer: run, pause, resume, pause, delete --force" || diag "$output"
is "$(kv "$output" freeze)" 1 "v2 freezer: pause writes cgroup.freeze"
is "$(kv "$output" events)" "frozen 1" "v2 freezer: pause returns once cgroup.events says frozen 1"
is "$(kv "$output" status)" paused "v2 freezer: state says paused"
is "$(kv "$output" thawed)" "frozen 0" "v2 freezer: resume returns once thawed"
is "$(kv "$output" status2)" running "v2 freezer: running after resume"
like "$output" "deleted" "v2 freezer: delete --force kills a paused container"
done_testing
