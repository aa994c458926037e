#!/usr/bin/env bash
# Smoke test with a real engine: podman drives estiba through run, exec
# (with and without a tty), stop and rm.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd podman jq script

make_rootfs "$TEST_TMP/rootfs"
cat >"$TEST_TMP/containers.conf" <<'CONF'
[engine]
cgroup_manager="cgroupfs"
events_logger="file"
[containers]
default_ulimits=["nofile=20000:20000","nproc=32768:32768"]
CONF
export CONTAINERS_CONF=$TEST_TMP/containers.conf
# With the cgroupfs manager podman puts its containers (and conmon) below
# /libpod_parent in every hierarchy: removed at exit unless already there.
for h in /sys/fs/cgroup/*/; do
  [ -e "${h}libpod_parent" ] || track_cgroup "${h}libpod_parent"
done
# podman wants a runroot shorter than 50 characters.
runroot=$(mktemp -d /tmp/epm.XXXXXX) || bail "mktemp"
on_exit "rm -rf '$runroot'"
pm ()
{
  timeout -s KILL 120 podman --root "$TEST_TMP/storage" --runroot "$runroot" --tmpdir "$TEST_TMP/tmp" \
    --storage-driver vfs --runtime "$ESTIBA" "$@"
}
on_exit "podman --root '$TEST_TMP/storage' --runroot '$runroot' --storage-driver vfs --runtime '$ESTIBA' rm -af -t 0"
tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/rootfs.tar" . || bail "cannot tar the rootfs"
pm import "$TEST_TMP/rootfs.tar" localhost/estiba-test:latest >"$TEST_TMP/import.log" 2>&1 || skip_all "podman import failed: $(tail -n 1 "$TEST_TMP/import.log")"

run_cmd pm run --rm --net none localhost/estiba-test /probe ids
is "$status" 0 "podman run --rm"
is "$(kv "$output" uid)" 0 "the container ran"
run_cmd pm run --rm --net none localhost/estiba-test /bin/sh -c 'exit 3'
is "$status" 3 "podman run passes the exit status on"

name=estiba-pm-$SRANDOM
run_cmd pm run -d --name "$name" --net none localhost/estiba-test /probe sleep 600
is "$status" 0 "podman run -d"
run_cmd pm exec "$name" /probe pid
like "$output" "pid=[0-9]+" "podman exec"
run_cmd pm exec -t "$name" /probe tty </dev/null
like "$output" "fd0=/dev/pts/" "podman exec -t gets a pty"
run_cmd pm stop -t 1 "$name"
is "$status" 0 "podman stop"
run_cmd pm rm "$name"
is "$status" 0 "podman rm"

done_testing
