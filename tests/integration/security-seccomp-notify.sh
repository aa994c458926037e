#!/usr/bin/env bash
# SCMP_ACT_NOTIFY (config-linux.md "Seccomp", "The Container Process
# State"): the runtime connects to listenerPath, sends the container
# process state with the seccomp listener fd as SCM_RIGHTS, and a seccomp
# agent answers the container's intercepted syscalls.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq python3

if [ "$("$ESTIBA" features 2>/dev/null | jq -r '.linux.seccomp.enabled')" != true ]; then
  skip_all "seccomp not wired into the init yet (estiba features: linux.seccomp.enabled is not true)"
fi
if ! "$ESTIBA" features | jq -e '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY")' >/dev/null; then
  skip_all "estiba features does not list SCMP_ACT_NOTIFY"
fi

# A seccomp agent: saves what arrives on the socket (the JSON and how many
# fds came with it), then answers every notification with -ENOSPC until
# no process uses the filter any more.
cat >"$TEST_TMP/agent.py" <<'EOF'
import array, fcntl, json, os, select, socket, struct, sys

sock_path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(4)
conn, _ = srv.accept()
data, fds, first_fds_at = b"", [], None
while True:
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16))
    for level, kind, d in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += array.array("i", d[: len(d) - len(d) % 4]).tolist()
            first_fds_at = first_fds_at if first_fds_at is not None else len(data)
    if not msg:
        break
    data += msg
conn.close()
with open(out + ".tmp", "w") as f:
    json.dump({"msg": json.loads(data), "nfds": len(fds), "fds_at": first_fds_at,
               "is_listener": bool(fds) and "seccomp" in os.readlink("/proc/self/fd/%d" % fds[0])}, f)
os.rename(out + ".tmp", out)

NOTIF_RECV, NOTIF_SEND = 0xC0502100, 0xC0182101  # SECCOMP_IOCTL_NOTIF_RECV / _SEND
p = select.poll()
p.register(fds[0], select.POLLIN)
answered = 0
while True:
    ev = p.poll(30000)
    if not ev or ev[0][1] & select.POLLHUP:
        break
    req = bytearray(80)
    try:
        fcntl.ioctl(fds[0], NOTIF_RECV, req)
    except OSError:
        continue
    notif_id, pid, _, nr = struct.unpack_from("<QIIi", req)
    resp = bytearray(struct.pack("<QqiI", notif_id, 0, -28, 0))
    try:
        fcntl.ioctl(fds[0], NOTIF_SEND, resp)
        answered += 1
    except OSError:
        pass
with open(out + ".answered", "w") as f:
    f.write(str(answered))
EOF

start_agent ()
{
  local pid
  rm -f "$TEST_TMP/agent.sock" "$TEST_TMP/agent.json"
  python3 "$TEST_TMP/agent.py" "$TEST_TMP/agent.sock" "$TEST_TMP/agent.json" &
  pid=$!
  on_exit "kill $pid 2>/dev/null"
  wait_for 10 test -S "$TEST_TMP/agent.sock" || bail "the seccomp agent did not start"
}

b=$TEST_TMP/bundle
make_bundle "$b" /probe syscall mkdir chmod
root=$(new_state_root)
cfg "$b" '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","listenerPath":$sock,"listenerMetadata":"MKDIR=nospace",
  "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}' --arg sock "$TEST_TMP/agent.sock"

start_agent
id=$(unique_id notify)
run_cmd estiba_r "$root" run -b "$b" "$id"
is "$status" 0 "run with an SCMP_ACT_NOTIFY rule"
is "$(kv "$output" mkdir)" ENOSPC "the agent answered the intercepted mkdir"
is "$(kv "$output" chmod)" EFAULT "other syscalls are not intercepted"
wait_for 10 test -e "$TEST_TMP/agent.json"
msg=$(cat "$TEST_TMP/agent.json" 2>/dev/null || echo '{}')
is "$(jq -r '.nfds' <<<"$msg")" 1 "one fd arrived with the container process state"
is "$(jq -r '.fds_at' <<<"$msg")" 0 "with the first sendmsg"
is "$(jq -r '.is_listener' <<<"$msg")" true "and it is a seccomp listener"
is "$(jq -c '.msg.fds' <<<"$msg")" '["seccompFd"]' 'fds names it "seccompFd"'
like "$(jq -r '.msg.ociVersion' <<<"$msg")" '^1\.' "ociVersion is set"
is "$(jq -r '.msg.metadata' <<<"$msg")" MKDIR=nospace "metadata is listenerMetadata verbatim"
is "$(jq -r '.msg.state.id' <<<"$msg")" "$id" "state.id is the container's"
like "$(jq -r '.msg.state.bundle' <<<"$msg")" "^$b\$" "state.bundle is the bundle"
like "$(jq -r '.msg.pid' <<<"$msg")" '^[1-9][0-9]*$' "pid is set"
is "$(jq -r '.msg.pid' <<<"$msg")" "$(jq -r '.msg.state.pid' <<<"$msg")" "pid is the container process (state.pid)"

# noNewPrivileges false: the filter loads before the capabilities go.
cfg "$b" '.process.noNewPrivileges = false'
start_agent
run_cmd estiba_r "$root" run -b "$b" "$(unique_id notify)"
is "$(kv "$output" mkdir)" ENOSPC "noNewPrivileges false: the agent answers too"

# Nobody listening: the spec says the runtime MUST fail.
rm -f "$TEST_TMP/agent.sock"
id=$(unique_id notify)
run_cmd estiba_r "$root" run -b "$b" "$id"
isnt "$status" 0 "no agent at listenerPath: run fails"
like "$output" "listenerPath" "naming listenerPath"
unlike "$output" "mkdir=" "and the program never ran"
estiba_r "$root" delete -f "$id" >/dev/null 2>&1

done_testing
