#!/usr/bin/env bash
# linux.mountLabel: the SELinux context= option of the container's
# filesystem mounts where SELinux is on; where it is off (as on the build
# machines) a clean no-op — the container runs and no mount carries the
# option, which the kernel would refuse (runc fails such a config there).
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /bin/cat /proc/self/mountinfo
label='system_u:object_r:container_file_t:s0:c1,c2'
cfg "$b" '.linux.mountLabel = $l | .mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]' \
  --arg l "$label"
root=$(new_state_root)

run_cmd estiba_r "$root" run -b "$b" "$(unique_id label)"
is "$status" 0 "run with linux.mountLabel"
scratch=$(echo "$output" | awk '$5 == "/scratch"')
isnt "$scratch" "" "the tmpfs is mounted"
if [ -d /sys/fs/selinux ] && [ -e /sys/fs/selinux/enforce ]; then
  like "$scratch" "context=\"?$label" "SELinux is on: the tmpfs carries context= with the label"
else
  unlike "$output" "context=" "SELinux is off: no mount carries context="
fi

done_testing
