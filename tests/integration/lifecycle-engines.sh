#!/usr/bin/env bash
# The call sequences engines use: podman (no global flags, an empty
# environment: no PATH) and containerd/dockerd's shim (--root --log
# --log-format json before every command).
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600

# ------------------------------------------------------------- podman --
id=$(unique_id podman)
on_exit "'$ESTIBA' delete --force '$id'"
env -i "$ESTIBA" create --bundle "$b" --pid-file "$TEST_TMP/p.pid" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "podman: create with an empty environment and the default root"
check "podman: state is under /run/estiba" test -d "/run/estiba/$id"
is "$(env -i "$ESTIBA" state "$id" | jq -r .status)" created "podman: created"
check "podman: start" env -i "$ESTIBA" start "$id"
jq '.process | .args = ["/probe", "sleep", "600"]' "$b/config.json" >"$TEST_TMP/proc.json"
env -i "$ESTIBA" exec --pid-file "$TEST_TMP/e.pid" --process "$TEST_TMP/proc.json" --detach "$id" >"$TEST_TMP/eout" 2>&1 </dev/null
is "$?" 0 "podman: exec --process --detach"
epid=$(cat "$TEST_TMP/e.pid")
check "podman: the exec'd process runs" kill -0 "$epid"
check "podman: kill 15" env -i "$ESTIBA" kill "$id" 15
check "podman: kill 9" env -i "$ESTIBA" kill "$id" 9
wait_for 10 bash -c "[ \"\$(env -i '$ESTIBA' state '$id' | jq -r .status)\" = stopped ]"
check "podman: delete --force" env -i "$ESTIBA" delete --force "$id"
check_fails "podman: the state dir is gone" test -e "/run/estiba/$id"

# --------------------------------------------------------- containerd --
root=$(new_state_root)
log=$TEST_TMP/shim.log
shim ()
{
  "$ESTIBA" --root "$root" --log "$log" --log-format json "$@"
}
id=$(unique_id ctrd)
shim create --bundle "$b" --pid-file "$TEST_TMP/c.pid" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "containerd: create"
check "containerd: start" shim start "$id"
is "$(shim state "$id" | jq -r .status)" running "containerd: state"
run_cmd shim exec --process "$TEST_TMP/proc.json" --detach --pid-file "$TEST_TMP/ce.pid" "$id"
is "$status" 0 "containerd: exec --detach"
check "containerd: kill --all" shim kill --all "$id" 9
wait_for 10 bash -c "[ \"\$('$ESTIBA' --root '$root' state '$id' | jq -r .status)\" = stopped ]"
check "containerd: delete" shim delete "$id"
run_cmd shim start "$id"
is "$status" 1 "containerd: start of a deleted container fails"
last=$(tail -n 1 "$log")
check "containerd: the log line is JSON" jq -e . <<<"$last"
is "$(jq -r .level <<<"$last")" error "containerd: at error level"
like "$(jq -r .msg <<<"$last")" "does not exist" "containerd: the error message is in the log"

done_testing
