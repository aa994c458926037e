# shellcheck shell=bash
# Container engines for the engine tests: containerd and dockerd, each
# started by the test with its own configuration, root, state, sockets and
# pidfile under $TEST_TMP, stopped by pid at exit; and the image they run,
# a docker-archive made from the busybox test rootfs (nothing is pulled).
#
#   . "$SRCDIR/tests/lib/common.sh"
#   . "$SRCDIR/tests/lib/daemons.sh"
#   make_image_archive "$TEST_TMP/img.tar" estiba-test:latest
#   containerd_start "$TEST_TMP/c"       # sets CTRD_SOCK; ctr ARGS... talks to it
#   dockerd_start "$TEST_TMP/d" '{"default-runtime": "estiba"}'   # dk ARGS... talks to it
#
# Source it after require_cmd: its ctr function would satisfy
# `require_cmd ctr` even where ctr is not installed.
#
# Both engines' runc shim (containerd-shim-runc-v2) puts its socket in
# /run/containerd/s/ whatever the configuration says; the daemons' cleanup
# removes the ones its shims left there.

# The real docker client: the first `docker` in PATH may be another one.
DOCKER_CLIENT=${DOCKER_CLIENT:-/usr/bin/docker}

# -------------------------------------------------------------- images --

# docker_test_prepare: what every dockerd test starts with: a cgroup parent
# of its own in $cgparent (tracked, so it is removed at exit) instead of
# docker's shared /docker, and the busybox image as $TEST_TMP/img.tar.
docker_test_prepare ()
{
  local hierarchy
  cgparent=estiba-test-$SRANDOM
  for hierarchy in /sys/fs/cgroup/*/; do
    track_cgroup "$hierarchy$cgparent"
  done
  make_image_archive "$TEST_TMP/img.tar" estiba-test:latest
}

# make_image_archive TAR NAME:TAG [ROOTFS]: a docker-archive (what `docker
# save` writes: manifest.json, the image config, one layer tar) of ROOTFS,
# by default a fresh busybox rootfs with the probe.  Both `docker load` and
# `ctr image import` read it.
make_image_archive ()
{
  local tar=$1 ref=$2 rootfs=${3:-} dir layer_sha config config_sha
  dir=$(mktemp -d "$TEST_TMP/image.XXXXXX") || bail "make_image_archive: mktemp failed"
  if [ -z "$rootfs" ]; then
    rootfs=$dir/rootfs
    make_rootfs "$rootfs"
  fi
  mkdir -p "$dir/archive/layer" || bail "make_image_archive: mkdir failed"
  # Numeric owners and a fixed order: the layer digest must not depend on
  # this host's user database.
  tar -C "$rootfs" --numeric-owner --sort=name -cf "$dir/archive/layer/layer.tar" . ||
    bail "make_image_archive: cannot tar $rootfs"
  layer_sha=$(sha256sum "$dir/archive/layer/layer.tar" | cut -d' ' -f1)
  config=$(jq -nc --arg diff "sha256:$layer_sha" --arg arch "$(_image_arch)" '{
      architecture: $arch, os: "linux",
      config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/sh"]},
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created_by: "estiba tests/lib/daemons.sh make_image_archive"}]
    }') || bail "make_image_archive: cannot write the image config"
  config_sha=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
  printf '%s' "$config" >"$dir/archive/$config_sha.json"
  jq -nc --arg cfg "$config_sha.json" --arg ref "$ref" \
    '[{Config: $cfg, RepoTags: [$ref], Layers: ["layer/layer.tar"]}]' >"$dir/archive/manifest.json" ||
    bail "make_image_archive: cannot write manifest.json"
  tar -C "$dir/archive" -cf "$tar" manifest.json "$config_sha.json" layer/layer.tar ||
    bail "make_image_archive: cannot write $tar"
  rm -rf "$dir"
}

# _image_arch: this machine's architecture as images name it (GOARCH).
_image_arch ()
{
  case $(uname -m) in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    armv7l | armv6l) echo arm ;;
    i?86) echo 386 ;;
    *) uname -m ;;
  esac
}

# ------------------------------------------------------------- daemons --

# daemon_stop PIDFILE [SECONDS]: SIGTERM the daemon, SIGKILL it if it is
# still there after SECONDS (default 15).
daemon_stop ()
{
  local pidfile=$1 secs=${2:-15} pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  wait_for "$secs" bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
  wait_for 5 bash -c "! kill -0 $pid"
}

# _daemon_spawn PIDFILE LOG CMD...: CMD in the background, in its own
# session (a Ctrl-C in the terminal is for the test, not the daemon).
_daemon_spawn ()
{
  local pidfile=$1 log=$2
  shift 2
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo $! >"$pidfile"
}

# _shims_of ADDRESS: "pid namespace id" of every runc shim serving the
# containerd at ADDRESS (its command line names it).
_shims_of ()
{
  local addr=$1 f arg args
  for f in /proc/[0-9]*/cmdline; do
    args=()
    { while IFS= read -r -d '' arg; do args+=("$arg"); done <"$f"; } 2>/dev/null
    [[ ${args[0]:-} == *containerd-shim* && " ${args[*]} " == *" -address $addr "* ]] || continue
    f=${f#/proc/}
    printf '%s %s %s\n' "${f%/cmdline}" "$(_arg_after -namespace "${args[@]}")" "$(_arg_after -id "${args[@]}")"
  done
}

_arg_after ()
{
  local flag=$1
  shift
  while [ $# -gt 1 ]; do
    [ "$1" = "$flag" ] && { echo "$2"; return; }
    shift
  done
}

# shims_stop ADDRESS: SIGKILL the runc shims left by the containerd at
# ADDRESS and remove their sockets: containerd 1.6 puts them in
# /run/containerd/s/ whatever its configuration says, named by
# sha256(ADDRESS/NAMESPACE/ID), and only a shim that exits cleanly removes
# its own.  Then the directories the shims and ctr made there, if empty.
shims_stop ()
{
  local addr=$1 pid ns id hash
  while read -r pid ns id; do
    kill -KILL "$pid" 2>/dev/null
    hash=$(printf '%s' "$addr/$ns/$id" | sha256sum | cut -d' ' -f1)
    rm -f "/run/containerd/s/$hash"
  done < <(_shims_of "$addr")
  rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
  return 0
}

# containerd_start DIR: a containerd with config, root, state and sockets
# in DIR; sets CTRD_SOCK and CTRD_DIR.  Without the CRI plugin: ctr is the
# client.
containerd_start ()
{
  CTRD_DIR=$1
  CTRD_SOCK=$CTRD_DIR/c.sock
  mkdir -p "$CTRD_DIR" || bail "containerd_start: cannot create $CTRD_DIR"
  cat >"$CTRD_DIR/config.toml" <<EOF_TOML
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$CTRD_SOCK"

[ttrpc]
  address = "$CTRD_DIR/t.sock"

[debug]
  address = "$CTRD_DIR/d.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"
EOF_TOML
  export CTRD_SOCK CTRD_DIR
  on_exit "containerd_stop"
  _daemon_spawn "$CTRD_DIR/pid" "$CTRD_DIR/log" containerd --config "$CTRD_DIR/config.toml"
  wait_for 30 ctr version || bail "containerd did not start: $(tail -n 3 "$CTRD_DIR/log")"
}

# containerd_stop: remove every task and container it still has (so their
# shims exit cleanly), stop it by pid, then whatever shim is left.
containerd_stop ()
{
  [ -n "${CTRD_DIR:-}" ] || return 0
  _ctr_remove_all
  daemon_stop "$CTRD_DIR/pid"
  shims_stop "$CTRD_SOCK"
  _daemon_keep_log "$CTRD_DIR/log" containerd
}

# _daemon_keep_log LOG NAME: LOG next to the test's own log, as
# tests/logs/TEST.NAME: what the daemon and its shims said about the
# runtime's calls (a failed `delete --force`, say) is only there, and
# TEST_TMP is gone after the test.
_daemon_keep_log ()
{
  [ -f "$1" ] && [ -d "${BUILDDIR:-}/tests/logs" ] || return 0
  cp "$1" "$BUILDDIR/tests/logs/${TEST_NAME:-daemon}.$2" 2>/dev/null
  return 0
}

_ctr_remove_all ()
{
  local ns id
  kill -0 "$(cat "$CTRD_DIR/pid" 2>/dev/null)" 2>/dev/null || return 0
  for ns in $(timeout 10 command ctr --address "$CTRD_SOCK" namespaces ls -q 2>/dev/null); do
    for id in $(CTR_NS=$ns timeout 10 ctr containers ls -q 2>/dev/null); do
      CTR_NS=$ns timeout 10 ctr task kill -a -s KILL "$id" >/dev/null 2>&1
      CTR_NS=$ns timeout 10 ctr task delete -f "$id" >/dev/null 2>&1
      CTR_NS=$ns timeout 10 ctr containers delete "$id" >/dev/null 2>&1
    done
  done
}

# ctr ARGS...: the ctr client of the test's containerd, in namespace
# $CTR_NS (default "estiba").
ctr ()
{
  command ctr --address "$CTRD_SOCK" --namespace "${CTR_NS:-estiba}" "$@"
}

# in_pty CMD...: CMD with a pseudo-terminal as its stdin/stdout/stderr (what
# `-t`/`-it` clients insist on), through script(1); exits with CMD's status.
# Functions are not visible there: pass real commands.  script runs the
# line with $SHELL: bash, which reads printf %q's quoting (and execs a
# single command, which so stays in the terminal's foreground group).
in_pty ()
{
  SHELL=/bin/bash script -qec "$(printf '%q ' "$@")" /dev/null </dev/null
}

# ctr_pty ARGS...: ctr ARGS in a pseudo-terminal.
ctr_pty ()
{
  in_pty ctr --address "$CTRD_SOCK" --namespace "${CTR_NS:-estiba}" "$@"
}

# -------------------------------------------------------------- dockerd --

# dockerd_start DIR [JSON]: a dockerd with its configuration file, data
# root, exec root (where it runs its own containerd), pidfile and socket in
# DIR, estiba registered as runtime "estiba", and no iptables rules; JSON is
# merged into the configuration.  It runs in a network namespace of its
# own (lo up) so the bridges, overlay and swarm ports it makes never touch
# the host's network.  Sets DOCKER_DIR and DOCKER_SOCK; dk ARGS... is its
# client.
dockerd_start ()
{
  DOCKER_DIR=$1
  DOCKER_SOCK=$DOCKER_DIR/docker.sock
  mkdir -p "$DOCKER_DIR" || bail "dockerd_start: cannot create $DOCKER_DIR"
  jq -n --arg d "$DOCKER_DIR" --arg estiba "$ESTIBA" --argjson extra "${2:-{\}}" '{
      "data-root": "\($d)/data", "exec-root": "\($d)/x", pidfile: "\($d)/docker.pid",
      hosts: ["unix://\($d)/docker.sock"], "deprecated-key-path": "\($d)/key.json",
      runtimes: {estiba: {path: $estiba}},
      iptables: false, "ip-masq": false, "ip-forward": false, bridge: "none",
      "storage-driver": "overlay2", "log-driver": "json-file"
    } + $extra' >"$DOCKER_DIR/daemon.json" || bail "dockerd_start: bad configuration $2"
  export DOCKER_DIR DOCKER_SOCK
  on_exit "dockerd_stop"
  _daemon_spawn "$DOCKER_DIR/spawn.pid" "$DOCKER_DIR/log" unshare --net sh -c \
    'ip link set lo up && exec dockerd --config-file "$1"' sh "$DOCKER_DIR/daemon.json"
  wait_for 60 dk version || bail "dockerd did not start: $(tail -n 3 "$DOCKER_DIR/log")"
}

# dockerd_stop: leave the swarm, remove its containers, stop it by pid (it
# stops its containerd), then whatever shim is left.
dockerd_stop ()
{
  [ -n "${DOCKER_DIR:-}" ] || return 0
  if kill -0 "$(cat "$DOCKER_DIR/spawn.pid" 2>/dev/null)" 2>/dev/null; then
    dk swarm leave --force >/dev/null 2>&1
    dk ps -aq 2>/dev/null | xargs -r timeout 60 "$DOCKER_CLIENT" -H "unix://$DOCKER_SOCK" rm -f >/dev/null 2>&1
  fi
  daemon_stop "$DOCKER_DIR/spawn.pid" 30
  daemon_stop "$DOCKER_DIR/x/containerd/containerd.pid"
  shims_stop "$DOCKER_DIR/x/containerd/containerd.sock"
  _daemon_keep_log "$DOCKER_DIR/log" dockerd
  rmdir /run/docker/plugins /run/docker 2>/dev/null
  return 0
}

# dk ARGS...: the docker client of the test's dockerd.
dk ()
{
  timeout 120 "$DOCKER_CLIENT" -H "unix://$DOCKER_SOCK" "$@"
}

# dk_pty ARGS...: the same in a pseudo-terminal (for -it).
dk_pty ()
{
  # --foreground: timeout's own process group would be a background one
  # on the pty, where the client's first terminal ioctl stops it.
  in_pty timeout --foreground 120 "$DOCKER_CLIENT" -H "unix://$DOCKER_SOCK" "$@"
}
