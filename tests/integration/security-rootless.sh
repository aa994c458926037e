#!/usr/bin/env bash
# Rootless: an ordinary user (made here with useradd) runs a container from
# an `estiba spec --rootless` bundle: a user namespace mapping its own uid
# (written directly) or ranges from /etc/subuid (through newuidmap and
# newgidmap), state under $XDG_RUNTIME_DIR/estiba, no cgroup.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq useradd userdel setpriv newuidmap newgidmap

user=estrl$(printf '%04x' $((SRANDOM % 65536)))
useradd -M -d /nonexistent -s /usr/sbin/nologin "$user" || bail "useradd $user"
on_exit "userdel $user 2>/dev/null; sed -i '/^$user:/d' /etc/subuid /etc/subgid"
uid=$(id -u "$user")
gid=$(id -g "$user")
# useradd gives a new user subordinate ids only when SUB_UID_COUNT allows:
# make sure it has a range of its own.
grep -q "^$user:" /etc/subuid || echo "$user:$((200000 + uid * 65536)):65536" >>/etc/subuid
grep -q "^$user:" /etc/subgid || echo "$user:$((200000 + uid * 65536)):65536" >>/etc/subgid
subuid=$(sed -n "s/^$user:\([0-9]*\):.*/\1/p" /etc/subuid | head -n1)
subgid=$(sed -n "s/^$user:\([0-9]*\):.*/\1/p" /etc/subgid | head -n1)

# The user's own directory (TEST_TMP's parents may not be open to it).
home=$(mktemp -d /tmp/estiba-rootless.XXXXXX)
on_exit "rm -rf '$home'"
chmod 755 "$home"
make_rootfs "$home/b/rootfs"
mkdir -p "$home/xdg"
chown -R "$uid:$gid" "$home"
chmod 700 "$home/xdg"
as_user ()
{
  run_cmd setpriv --reuid "$uid" --regid "$gid" --init-groups env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$home/xdg" "$@"
}

as_user sh -c "cd '$home/b' && '$ESTIBA' spec --rootless"
is "$status" 0 "estiba spec --rootless as the user"
is "$(jq -c .linux.uidMappings "$home/b/config.json")" "[{\"containerID\":0,\"hostID\":$uid,\"size\":1}]" "it maps the user's own uid to root"
jq '.process.terminal = false | .process.args = ["/probe", "ids"]' "$home/b/config.json" >"$home/c" && mv "$home/c" "$home/b/config.json"
chown "$uid:$gid" "$home/b/config.json"

id=$(unique_id rl)
as_user "$ESTIBA" run -b "$home/b" "$id"
is "$status" 0 "the user runs the rootless bundle"
is "$(kv "$output" uid):$(kv "$output" gid)" "0:0" "the process is root in its user namespace"
check "state lives under \$XDG_RUNTIME_DIR/estiba" test -d "$home/xdg/estiba"
is "$(stat -c %u "$home/xdg/estiba")" "$uid" "owned by the user"
is "$(ls "$home/xdg/estiba" | grep -c "$id")" 0 "the finished run left no state"
check_fails "no cgroup was made (none delegated)" test -e "/sys/fs/cgroup/pids/$id"

# Detached: the container's state, then its uid map seen from the host.
jq '.process.args = ["/probe", "sleep", "600"]' "$home/b/config.json" >"$home/c" && mv "$home/c" "$home/b/config.json"
chown "$uid:$gid" "$home/b/config.json"
id=$(unique_id rl)
setpriv --reuid "$uid" --regid "$gid" --init-groups env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$home/xdg" \
  "$ESTIBA" run -d -b "$home/b" "$id" >"$TEST_TMP/run.out" 2>&1 </dev/null
as_user "$ESTIBA" state "$id"
is "$(jq -r .status <<<"$output")" running "estiba state as the user: running"
pid=$(jq -r .pid <<<"$output")
is "$(awk '{print $1, $2, $3}' "/proc/$pid/uid_map")" "0 $uid 1" "the container's uid_map is the single-id map"
is "$(cat "/proc/$pid/setgroups")" deny "setgroups is denied (unprivileged gid map)"
is "$(stat -c %u "/proc/$pid")" "$uid" "the container process runs as the user on the host"
as_user "$ESTIBA" exec "$id" /probe ids
is "$(kv "$output" uid)" 0 "exec as the user joins the container"
as_user "$ESTIBA" delete --force "$id"
is "$status" 0 "delete as the user"

# Ranges from /etc/subuid through newuidmap/newgidmap.
jq --argjson u "$uid" --argjson g "$gid" --argjson su "$subuid" --argjson sg "$subgid" \
  '.process.args = ["/probe", "ids"] | .process.user = {uid: 1000, gid: 1000, additionalGids: [5]}
   | .linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $su, size: 65536}]
   | .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $sg, size: 65536}]' \
  "$home/b/config.json" >"$home/c" && mv "$home/c" "$home/b/config.json"
chown "$uid:$gid" "$home/b/config.json"
as_user "$ESTIBA" run -b "$home/b" "$(unique_id rl)"
is "$status" 0 "a rootless run with subordinate id ranges"
is "$(kv "$output" uid):$(kv "$output" gid):$(kv "$output" groups)" "1000:1000:5" "user and additionalGids from the subordinate range"

# A range the user does not own is refused by newuidmap: a clear error.
jq '.linux.uidMappings[1].hostID = 1' "$home/b/config.json" >"$home/c" && mv "$home/c" "$home/b/config.json"
chown "$uid:$gid" "$home/b/config.json"
id=$(unique_id rl)
as_user "$ESTIBA" run -b "$home/b" "$id"
isnt "$status" 0 "a range outside /etc/subuid is refused"
like "$output" "linux.uidMappings: newuidmap failed" "naming the field and the helper"
is "$(ls "$home/xdg/estiba" | grep -c "$id")" 0 "nothing left behind"

done_testing
