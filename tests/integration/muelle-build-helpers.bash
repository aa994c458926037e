# shellcheck shell=bash
# Helpers of the muelle-build-*.sh tests (sourced after common.sh): a store
# holding the test busybox root filesystem as busybox:latest, builds, and
# running a built image with estiba.

# build_setup: $ROOT (the store), M (muelle with it) and busybox:latest in it.
build_setup ()
{
  require_file "$MUELLE" "muelle is not built"
  require_cmd jq tar
  ROOT=$TEST_TMP/store
  M=("$MUELLE" --root "$ROOT")
  make_rootfs "$TEST_TMP/base"
  tar -C "$TEST_TMP/base" -cf "$TEST_TMP/base.tar" . || bail "cannot tar the base rootfs"
  rm -rf "$TEST_TMP/base"
  "${M[@]}" import "$TEST_TMP/base.tar" busybox >/dev/null || bail "cannot import busybox"
}

# dockerfile DIR: DIR/Dockerfile from stdin (DIR created).
dockerfile ()
{
  mkdir -p "$1" && cat >"$1/Dockerfile"
}

# build ARGS...: muelle build; $output, $status; the image id (last line of
# stdout) in $IMAGE.
build ()
{
  run_cmd "${M[@]}" build "$@"
  IMAGE=$(printf '%s\n' "$output" | grep -E '^sha256:[0-9a-f]{64}$' | tail -1)
}

# config IMAGE JQ: a jq query on the image config.
config ()
{
  "${M[@]}" inspect --type config "$1" | jq -c "$2"
}

# run_image IMAGE [ARGS...]: bundle IMAGE and run it with estiba; $output,
# $status.  ARGS replace the image's command (process.args).
run_image ()
{
  local image=$1 dir
  shift
  dir=$(mktemp -d "$TEST_TMP/run.XXXXXX")
  rmdir "$dir"
  "${M[@]}" bundle "$image" "$dir" >/dev/null || bail "cannot bundle $image"
  cfg "$dir" '.process.terminal = false'
  if [ $# -gt 0 ]; then
    local args
    args=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@") || bail "run_image: cannot encode args"
    cfg "$dir" '.process.args = $args' --argjson args "$args"
  fi
  local root
  root=$(new_state_root)
  run_cmd estiba_r "$root" run -b "$dir" "$(unique_id build)"
  rm -rf "$dir"
}
