#!/usr/bin/env bash
# Bad input and failures at every step of create: a one-line error naming
# the thing and the reason, exit status 1, and nothing left behind (no state
# dir, no cgroup, no process, no pid file).
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /probe sleep 600
cp "$b/config.json" "$TEST_TMP/good.json"
root=$(new_state_root)

leftovers ()
{
  local id=$1 out=""
  [ ! -e "$root/$id" ] || out+="state dir $root/$id; "
  out+=$(find /sys/fs/cgroup -maxdepth 7 -type d -name "$id" -printf 'cgroup %p; ' 2>/dev/null)
  out+=$(pgrep -f -- "$root" | sed 's/^/process /' | tr '\n' ' ')
  [ ! -e "$TEST_TMP/pid" ] || out+="pid file; "
  printf '%s' "$out"
}

# expect_create_fails DESC PATTERN: create with the current config must
# fail with one line matching PATTERN and leave nothing.
expect_create_fails ()
{
  local desc=$1 pattern=$2 id
  id=$(unique_id err)
  estiba_r "$root" create -b "$b" --pid-file "$TEST_TMP/pid" "$id" >"$TEST_TMP/out" 2>&1 </dev/null && status=0 || status=$?
  output=$(grep -v 'warning' "$TEST_TMP/out")
  is "$status" 1 "$desc: exit status 1"
  like "$output" "$pattern" "$desc: the error says why"
  is "$(printf '%s\n' "$output" | wc -l)" 1 "$desc: one line"
  is "$(leftovers "$id")" "" "$desc: nothing left behind"
  rm -f "$TEST_TMP/pid"
  cp "$TEST_TMP/good.json" "$b/config.json"
}

run_cmd estiba_r "$root" create -b "$TEST_TMP/nonexistent" x1
is "$status" 1 "a missing bundle fails"
like "$output" "nonexistent" "the error names the bundle"

echo '{"ociVersion": "1.3.0", "process": 5}' >"$b/config.json"
expect_create_fails "invalid config" "config.json.*process"

echo '{ not json' >"$b/config.json"
expect_create_fails "config that is not JSON" "config.json"

cfg "$b" '.root.path = "nope"'
expect_create_fails "missing rootfs" "root.path"

cfg "$b" '.mounts += [{destination: "/mnt", type: "bind", source: "/nonexistent/src", options: ["bind"]}]'
expect_create_fails "bind mount of a missing source" "mounts\\[7\\].*/nonexistent/src"

cfg "$b" '.mounts += [{destination: "/mnt", type: "nosuchfs", source: "x"}]'
expect_create_fails "unknown filesystem type" "mounts\\[7\\].*nosuchfs"

cfg "$b" '.process.cwd = "/does/not/exist"'
expect_create_fails "missing cwd" "process.cwd.*/does/not/exist"

cfg "$b" '.process.args = ["no-such-program"]'
expect_create_fails "program not found" "no-such-program"

cfg "$b" '.linux.namespaces += [{type: "bogus"}]'
expect_create_fails "unknown namespace type" "linux.namespaces\\[5\\].type.*bogus"

cfg "$b" '.linux.namespaces += [{type: "net", path: "/nonexistent/ns"}]'
expect_create_fails "namespace path that does not exist" "linux.namespaces"

# Without a mount namespace the runtime's is inherited (conformance-namespaces),
# but not together with a new user namespace.
cfg "$b" '.linux.namespaces -= [{type: "mount"}] | .linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.gidMappings = .linux.uidMappings'
expect_create_fails "user namespace without a mount namespace" "mount namespace"

cfg "$b" '.linux.namespaces += [{type: "user"}]'
expect_create_fails "user namespace without mappings" "uidMappings"

cfg "$b" '.linux.namespaces -= [{type: "uts"}]'
expect_create_fails "hostname without a uts namespace" "hostname"

cfg "$b" '.process.terminal = true'
expect_create_fails "terminal without --console-socket" "console-socket"

cfg "$b" '.hooks.createRuntime = [{path: "/bin/false"}]'
expect_create_fails "failing createRuntime hook" "createRuntime"

cfg "$b" '.hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]'
expect_create_fails "failing createContainer hook" "createContainer"

cfg "$b" '.process.user.uid = 4294967294 | .linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1000}] | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 1000}]'
id=$(unique_id err)
estiba_r "$root" create -b "$b" "$id" >"$TEST_TMP/out" 2>&1 </dev/null
run_cmd estiba_r "$root" start "$id"
isnt "$status" 0 "start with an unmapped user fails"
like "$output" "process.user" "the error names process.user"
cp "$TEST_TMP/good.json" "$b/config.json"
estiba_r "$root" delete --force "$id" >/dev/null 2>&1
is "$(leftovers "$id")" "" "nothing left after deleting it"

run_cmd estiba_r "$root" start nosuch
is "$status" 1 "start of a missing container fails"
like "$output" "container 'nosuch' does not exist" "and says so"
run_cmd estiba_r "$root" kill nosuch KILL
is "$status" 1 "kill of a missing container fails"
run_cmd estiba_r "$root" delete nosuch
is "$status" 1 "delete of a missing container fails"

done_testing
