#!/usr/bin/env bash
# Lifecycle hooks: order, the state JSON on stdin, where each phase runs
# (runtime vs container namespaces), and failures.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
mkdir -p "$TEST_TMP/hooklog"
log=$TEST_TMP/hooklog/log
root=$(new_state_root)

# Host-side hooks append "PHASE STATUS PID MNTNS" to the log; the
# startContainer hook runs inside the container and sees the log at /hooklog.
hook ()
{
  local phase=$1 file=$2
  jq -n --arg p "$phase" --arg f "$file" '{path: "/bin/sh", args: ["sh", "-c",
    "read -r s; st=$(echo \"$s\" | sed -n \"s/.*\\\"status\\\":\\\"\\([a-z]*\\)\\\".*/\\\\1/p\"); echo \"$0 $st $(readlink /proc/self/ns/mnt)\" >> \"$1\"", $p, $f]}'
}
cfg "$b" '.mounts += [{destination: "/hooklog", type: "bind", source: $d, options: ["rbind"]}]
  | .hooks = {prestart: [$pre], createRuntime: [$cr], createContainer: [$cc], startContainer: [$sc],
              poststart: [$ps], poststop: [$pst]}' \
  --arg d "$TEST_TMP/hooklog" \
  --argjson pre "$(hook prestart "$log")" --argjson cr "$(hook createRuntime "$log")" \
  --argjson cc "$(hook createContainer "$log")" --argjson sc "$(hook startContainer /hooklog/log)" \
  --argjson ps "$(hook poststart "$log")" --argjson pst "$(hook poststop "$log")"

id=$(unique_id hooks)
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
is "$?" 0 "create runs prestart, createRuntime and createContainer"
pid=$(container_pid "$root" "$id")
is "$(cut -d' ' -f1 "$log" | tr '\n' ' ')" "prestart createRuntime createContainer " "create-time hooks in order"
estiba_r "$root" start "$id" >>"$TEST_TMP/out" 2>&1
is "$?" 0 "start runs startContainer and poststart"
estiba_r "$root" delete --force "$id" >>"$TEST_TMP/out" 2>&1
is "$(cut -d' ' -f1 "$log" | tr '\n' ' ')" "prestart createRuntime createContainer startContainer poststart poststop " \
  "all six phases in order"
is "$(awk '{print $2}' "$log" | tr '\n' ' ')" "created created created created running stopped " \
  "each hook gets the state with the status of its phase on stdin"
host_mnt=$(readlink /proc/self/ns/mnt)
is "$(awk '$1 == "prestart" {print $3}' "$log")" "$host_mnt" "prestart runs in the runtime's mount namespace"
is "$(awk '$1 == "createRuntime" {print $3}' "$log")" "$host_mnt" "createRuntime runs in the runtime's mount namespace"
isnt "$(awk '$1 == "createContainer" {print $3}' "$log")" "$host_mnt" "createContainer runs in the container's mount namespace"
isnt "$(awk '$1 == "startContainer" {print $3}' "$log")" "$host_mnt" "startContainer runs in the container's mount namespace"
is "$(awk '$1 == "poststop" {print $3}' "$log")" "$host_mnt" "poststop runs in the runtime's mount namespace"

# A failing createRuntime hook fails create and leaves nothing.
cfg "$b" '.hooks = {createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "echo hook-said-no >&2; exit 3"]}]}'
id=$(unique_id hooks)
run_cmd estiba_r "$root" create -b "$b" "$id"
isnt "$status" 0 "a failing createRuntime hook fails create"
like "$output" "createRuntime" "the error names the phase"
check_fails "no state is left" test -e "$root/$id"

# A failing poststop hook only warns; delete still succeeds.
cfg "$b" '.hooks = {poststop: [{path: "/bin/false"}, {path: "/bin/sh", args: ["sh", "-c", "echo second >> \"$0\"", $l]}]}' --arg l "$log"
: >"$log"
id=$(unique_id hooks)
estiba_r "$root" run -d -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
run_cmd estiba_r "$root" delete --force "$id"
is "$status" 0 "a failing poststop hook does not fail delete"
is "$(cat "$log")" "second" "the other poststop hooks still run"

done_testing
