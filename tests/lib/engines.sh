# shellcheck shell=bash
# Podman and buildah configured entirely under $TEST_TMP, driving a runtime
# we choose (estiba by default), with images made at test time from the
# busybox test root filesystem.  Nothing is downloaded, and nothing of the
# machine's own container setup is read or changed: configuration, storage,
# locks and runtime state live in ENGINE_DIR, and the engines run in a
# network and mount namespace of the test's own, so bridges, iptables rules,
# netavark's /run/containers/networks and storage mounts vanish with it.
#
#   . "$(dirname "$0")/../lib/common.sh"
#   . "$(dirname "$0")/../lib/engines.sh"
#   engine_setup                         # namespaces, config files, environment
#   engine_image localhost/estiba-test   # the busybox rootfs as an image
#   pm run --rm localhost/estiba-test /probe ids
#   ENGINE_RUNTIME=runc pm run ...       # the same step under runc, to compare
#   in_engine_ns curl http://127.0.0.1:8080/   # the engines' "host" network
#
# Needs common.sh sourced first (TEST_TMP, on_exit, make_rootfs, bail).
# Run as a script (`bash engines.sh teardown ENGINE_DIR`) it only tears down:
# that is what the test's on_exit registration calls, also from tests/run.

# engine_paths DIR: the layout below DIR.  Short names: conmon's sockets
# live below run/ and libpod/, and a unix socket path has at most 107 bytes.
engine_paths ()
{
  ENGINE_DIR=$1
  ENGINE_NS=$ENGINE_DIR/ns
  ENGINE_STATE=$ENGINE_DIR/state
  ENGINE_CGROUP=/estiba-$(basename "$(dirname "$ENGINE_DIR")")
  export CONTAINERS_CONF=$ENGINE_DIR/containers.conf
  export CONTAINERS_STORAGE_CONF=$ENGINE_DIR/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$ENGINE_DIR/registries.conf
  export TMPDIR=$ENGINE_DIR/tmp
}

# The runtime podman and buildah use: estiba unless a test compares.
: "${ENGINE_RUNTIME:=$ESTIBA}"

# in_engine_ns CMD...: CMD in the engines' network and mount namespaces.
in_engine_ns ()
{
  nsenter --net="$ENGINE_NS/net" --mount="$ENGINE_NS/mnt" "$@"
}

# The runtime's state goes under ENGINE_DIR too, one directory per runtime
# binary, seen from the host as _engine_state.
_engine_state ()
{
  echo "$ENGINE_STATE/${ENGINE_RUNTIME##*/}"
}

# The runtimes whose default state root (/run/NAME) is bound to
# $ENGINE_STATE/NAME in the engines' mount namespace.
_ENGINE_RUNTIMES="estiba runc"

# pm_argv ARGS...: the podman command line with every path of ours, in our
# namespaces, one word per line.  Containers get the test's cgroup parent:
# podman leaves a `run --rm` container's cgroups behind (with runc too).
# No `--runtime-flag root=`: the exit command conmon runs when a container
# exits (`podman container cleanup`, which deletes the runtime's container)
# does not carry runtime flags, so it would look in another root, find
# nothing, and podman would forget a container the runtime still holds.
# Every runtime call uses the default root instead, which the mount
# namespace maps to _engine_state.
pm_argv ()
{
  case ${1:-} in
    run | create) set -- "$1" --cgroup-parent "$ENGINE_CGROUP" "${@:2}" ;;
  esac
  printf '%s\n' timeout -s KILL 120 nsenter --net="$ENGINE_NS/net" --mount="$ENGINE_NS/mnt" \
    podman --root "$ENGINE_DIR/graph" --runroot "$ENGINE_DIR/run" --tmpdir "$ENGINE_DIR/libpod" \
    --network-config-dir "$ENGINE_DIR/networks" --runtime "$ENGINE_RUNTIME" "$@"
}

# pm ARGS...: run podman so.
pm ()
{
  local argv
  mapfile -t argv < <(pm_argv "$@")
  "${argv[@]}"
}

# pm_line ARGS...: the same as one shell-quoted string (for `script -c`).
pm_line ()
{
  local argv
  mapfile -t argv < <(pm_argv "$@")
  printf '%q ' "${argv[@]}"
}

# bh ARGS...: buildah with every path of ours, in our namespaces.  (Its
# runtime is chosen per command: bud/run --runtime, --runtime-flag.)
bh ()
{
  timeout -s KILL 120 nsenter --net="$ENGINE_NS/net" --mount="$ENGINE_NS/mnt" \
    buildah --root "$ENGINE_DIR/graph" --runroot "$ENGINE_DIR/run" \
    --registries-conf "$ENGINE_DIR/registries.conf" "$@"
}

# _engine_write_conf: containers.conf, storage.conf, registries.conf and a
# signature policy accepting only local transports.
_engine_write_conf ()
{
  local driver=$1
  cat >"$ENGINE_DIR/containers.conf" <<EOF
[containers]
# Root lacks CAP_SYS_RESOURCE here: podman's default nofile (1048576) fails.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[engine]
# No systemd on this machine.
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ENGINE_DIR/events.log"
# File locks in tmp_dir, not the machine-wide /dev/shm/libpod_lock, which
# podman reinitialises when it sees a fresh tmp_dir (under another podman).
lock_type = "file"
tmp_dir = "$ENGINE_DIR/libpod"
static_dir = "$ENGINE_DIR/graph/libpod"
volume_path = "$ENGINE_DIR/graph/volumes"
image_copy_tmp_dir = "$ENGINE_DIR/tmp"

[network]
network_backend = "netavark"
network_config_dir = "$ENGINE_DIR/networks"
EOF
  cat >"$ENGINE_DIR/storage.conf" <<EOF || return 1
[storage]
driver = "$driver"
graphroot = "$ENGINE_DIR/graph"
runroot = "$ENGINE_DIR/run"
EOF
  echo 'unqualified-search-registries = []' >"$ENGINE_DIR/registries.conf" || return 1
  cat >"$ENGINE_DIR/policy.json" <<'EOF'
{"default": [{"type": "reject"}],
 "transports": {"oci": {"": [{"type": "insecureAcceptAnything"}]},
                "oci-archive": {"": [{"type": "insecureAcceptAnything"}]},
                "docker-archive": {"": [{"type": "insecureAcceptAnything"}]},
                "containers-storage": {"": [{"type": "insecureAcceptAnything"}]}}}
EOF
}

# _engine_namespaces: a network namespace (loopback up) and a mount
# namespace, kept alive by bind mounts in ENGINE_NS.  In the mount namespace
# a tmpfs covers /run: netavark's IPAM database and aardvark-dns's state
# (/run/containers/networks) and podman's /run/netns are the test's own, and
# storage mounts never reach the machine's mount table.  Each runtime's
# default state root there (/run/estiba, /run/runc) is its _engine_state.
_engine_namespaces ()
{
  local binds="" runtime
  mkdir -p "$ENGINE_NS" || return 1
  # A namespace can only be bound onto a file of a private mount.
  mount --bind "$ENGINE_NS" "$ENGINE_NS" && mount --make-private "$ENGINE_NS" || return 1
  touch "$ENGINE_NS/net" "$ENGINE_NS/mnt" || return 1
  for runtime in $_ENGINE_RUNTIMES; do
    mkdir -p "$ENGINE_STATE/$runtime" || return 1
    binds+=" && mkdir /run/$runtime && mount --bind '$ENGINE_STATE/$runtime' /run/$runtime"
  done
  unshare --net="$ENGINE_NS/net" --mount="$ENGINE_NS/mnt" --propagation slave \
    sh -c "mount -t tmpfs -o mode=0755 engine-run /run$binds && ip link set lo up"
}

# engine_setup [DRIVER]: namespaces, configuration (storage DRIVER, default
# overlay) and environment; registers the teardown.
engine_setup ()
{
  engine_paths "$TEST_TMP/e"
  mkdir -p "$ENGINE_DIR"/{graph,run,tmp,libpod,networks} "$ENGINE_STATE/estiba" || bail "cannot create $ENGINE_DIR"
  # The harness deletes estiba containers left in there, and the cgroups.
  echo "$ENGINE_STATE/estiba" >>"$_CLEANUP_DIR/state_roots"
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/; do
    track_cgroup "$hierarchy${ENGINE_CGROUP#/}"
  done
  # Registered first, so it runs after the test's own on_exit commands.
  on_exit "ESTIBA='$ESTIBA' bash '$SRCDIR/tests/lib/engines.sh' teardown '$ENGINE_DIR'"
  _engine_write_conf "${1:-overlay}" || bail "cannot write the engine configuration in $ENGINE_DIR"
  _engine_namespaces || bail "cannot create the engine namespaces in $ENGINE_NS"
}

# engine_image NAME: import the busybox test root filesystem as image NAME.
engine_image ()
{
  local name=$1 rootfs=$ENGINE_DIR/rootfs
  if [ ! -f "$ENGINE_DIR/rootfs.tar" ]; then
    make_rootfs "$rootfs"
    tar -C "$rootfs" -cf "$ENGINE_DIR/rootfs.tar" . || bail "cannot tar the test rootfs"
    rm -rf "$rootfs"
  fi
  pm import --change 'CMD=["/bin/sh"]' "$ENGINE_DIR/rootfs.tar" "$name" >"$ENGINE_DIR/import.log" 2>&1 ||
    bail "podman import failed: $(tail -n 1 "$ENGINE_DIR/import.log")"
}

# engine_teardown: remove every container, pod, network and image podman
# and buildah made, stop aardvark-dns, drop the namespaces.  Each step is
# bounded: a hung runtime must not hang the cleanup.
engine_teardown ()
{
  local runtime pid
  [ -e "$ENGINE_NS/mnt" ] && [ -e "$ENGINE_NS/net" ] || return 0
  bh rm -a >/dev/null 2>&1
  for runtime in "$ENGINE_STATE"/*; do
    [ -d "$runtime" ] || continue
    ENGINE_RUNTIME=$(basename "$runtime")
    [ "$ENGINE_RUNTIME" != estiba ] || ENGINE_RUNTIME=$ESTIBA
    pm rm -af -t 0 >/dev/null 2>&1
  done
  ENGINE_RUNTIME=$ESTIBA
  pm pod rm -af -t 0 >/dev/null 2>&1
  pm network prune -f >/dev/null 2>&1
  pm system reset --force >/dev/null 2>&1
  # aardvark-dns outlives its last container for a moment; conmon names
  # ENGINE_DIR on its command line, the harness kills those.
  pid=$(in_engine_ns cat /run/containers/networks/aardvark-dns/aardvark.pid 2>/dev/null)
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null
  umount -l "$ENGINE_NS/mnt" "$ENGINE_NS/net" "$ENGINE_NS" 2>/dev/null
  return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = teardown ] && [ -n "${2:-}" ]; then
  : "${ESTIBA:?ESTIBA must name the estiba binary}"
  engine_paths "$2"
  ENGINE_RUNTIME=$ESTIBA
  engine_teardown
fi
