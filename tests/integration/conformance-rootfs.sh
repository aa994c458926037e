#!/usr/bin/env bash
# linux.rootfsPropagation "unbindable"/"runbindable" as the OCI
# runtime-tools suite checks it (file linux_rootfs_propagation): the
# container's own "/" cannot be bind-mounted (EINVAL), while with
# "private" it can.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b"
cfg "$b" '.process.args = ["/bin/sh", "-c", "mkdir -p /tmp/x && mount --bind / /tmp/x 2>&1; echo bind=$?"]
  | .root.readonly = false | .process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
root=$(new_state_root)

for prop in unbindable runbindable private; do
  cfg "$b" '.linux.rootfsPropagation = $p' --arg p "$prop"
  run_cmd estiba_r "$root" run -b "$b" "$(unique_id prop)"
  is "$status" 0 "run with rootfsPropagation $prop"
  if [ "$prop" = private ]; then
    is "$(kv "$output" bind)" 0 "private: / can be bind-mounted inside"
  else
    isnt "$(kv "$output" bind)" 0 "$prop: bind-mounting / inside fails"
    like "$output" "Invalid argument" "$prop: with EINVAL (an unbindable mount)"
  fi
done

done_testing
