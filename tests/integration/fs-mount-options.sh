#!/usr/bin/env bash
# Every mount option of config.md, observed from inside the container in
# /proc/self/mountinfo: the per-mount flags (field 6), the superblock
# options (after the " - "), the propagation (optional fields), the
# recursive r* options on a sub-mount, and an id-mapped bind.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq

b=$TEST_TMP/bundle
make_bundle "$b" /bin/cat /proc/self/mountinfo
root=$(new_state_root)

# A host directory with a sub-mount, for bind/rbind and the r* options.
src=$TEST_TMP/src
mkdir -p "$src/sub" "$src/dir"
echo hello >"$src/file"
mount -t tmpfs -o mode=755 estiba-sub "$src/sub" || bail "cannot mount the host sub-mount"
on_exit "umount -l '$src/sub'"

t () { jq -n --arg d "$1" --arg o "$2" '{destination: $d, type: "tmpfs", source: "tmpfs", options: ($o | split(","))}'; }
bnd () { jq -n --arg d "$1" --arg s "$2" --arg o "$3" '{destination: $d, type: "bind", source: $s, options: ($o | split(","))}'; }
mounts=$(
  {
    t /t/ro ro; t /t/rw rw; t /t/nosuid nosuid; t /t/suid nosuid,suid; t /t/nodev nodev; t /t/dev nodev,dev
    t /t/noexec noexec; t /t/exec noexec,exec; t /t/sync sync; t /t/async sync,async; t /t/dirsync dirsync
    t /t/noatime noatime; t /t/atime noatime,atime; t /t/strictatime strictatime
    t /t/nostrictatime strictatime,nostrictatime; t /t/relatime relatime; t /t/norelatime norelatime
    t /t/nodiratime nodiratime; t /t/diratime nodiratime,diratime; t /t/lazytime lazytime
    t /t/nolazytime lazytime,nolazytime; t /t/iversion iversion; t /t/noiversion iversion,noiversion
    t /t/silent silent; t /t/loud loud; t /t/mand mand; t /t/nomand nomand
    t /t/nosymfollow nosymfollow; t /t/symfollow nosymfollow,symfollow; t /t/size size=1m,mode=700
    t /t/private private; t /t/rprivate rprivate; t /t/shared shared; t /t/rshared rshared
    t /t/slave shared,slave; t /t/rslave rslave; t /t/unbindable unbindable; t /t/runbindable runbindable
    t /t/remount ro; t /t/remount remount,rw,noexec
    t /t/rnoexec rnoexec; t /t/rnosuid rnosuid; t /t/rnodev rnodev; t /t/rro rro
    bnd /b/bind "$src" bind,ro,nosuid,nodev,noexec,noatime,nosymfollow
    bnd /b/rbind "$src" rbind,ro
    bnd /b/rro "$src" rbind,rro,rnosuid,rnodev,rnoexec,rnoatime,rnosymfollow
    bnd /b/rrw "$src" rbind,rro,rrw,rnosuid,rsuid,rnoexec,rexec,rnodev,rdev,rnosymfollow,rsymfollow
    bnd /b/rstrictatime "$src" rbind,rstrictatime,rnodiratime
    bnd /b/rdiratime "$src" rbind,rnodiratime,rdiratime,rnoatime,ratime
    bnd /b/file "$src/file" bind,ro
    bnd /b/new/deep/file "$src/file" bind
    bnd /b/defaults "$src/dir" bind,defaults
  } | jq -s .
)
cfg "$b" '.mounts += $m' --argjson m "$mounts"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id opts)"
is "$status" 0 "a container with every mount option runs" || diag "$output"

# line MOUNTPOINT: its (last) mountinfo line.
line () { awk -v m="$1" '$5 == m { l = $0 } END { print l }' <<<"$output"; }
# per-mount options (field 6) and superblock options (after " - TYPE SOURCE ").
mnt_opts () { line "$1" | awk '{ print "," $6 "," }'; }
sb_opts () { line "$1" | sed -n 's/.* - [^ ]* [^ ]* \(.*\)$/,\1,/p'; }
opt_has () { like "$(mnt_opts "$1")" ",$2," "$1: mount option $2"; }
opt_lacks () { unlike "$(mnt_opts "$1")" ",$2," "$1: no mount option $2"; }
sb_has () { like "$(sb_opts "$1")" ",$2," "$1: superblock option $2"; }
sb_lacks () { unlike "$(sb_opts "$1")" ",$2," "$1: no superblock option $2"; }

opt_has /t/ro ro; opt_has /t/rw rw
opt_has /t/nosuid nosuid; opt_lacks /t/suid nosuid
opt_has /t/nodev nodev; opt_lacks /t/dev nodev
opt_has /t/noexec noexec; opt_lacks /t/exec noexec
sb_has /t/sync sync; sb_lacks /t/async sync
sb_has /t/dirsync dirsync
opt_has /t/noatime noatime; opt_lacks /t/atime noatime; opt_has /t/atime relatime
opt_lacks /t/strictatime relatime; opt_lacks /t/strictatime noatime
opt_has /t/nostrictatime relatime; opt_has /t/relatime relatime; opt_has /t/norelatime relatime
opt_has /t/nodiratime nodiratime; opt_lacks /t/diratime nodiratime
sb_has /t/lazytime lazytime; sb_lacks /t/nolazytime lazytime
# iversion, silent/loud and mand have no trace in mountinfo for tmpfs on
# this kernel (i_version is always on, mand is gone since 5.15): the mount
# must just succeed with them.
for m in iversion noiversion silent loud mand nomand; do
  like "$(line /t/$m)" "tmpfs" "/t/$m: mounted"
done
opt_has /t/nosymfollow nosymfollow; opt_lacks /t/symfollow nosymfollow
sb_has /t/size size=1024k; sb_has /t/size mode=700

# Propagation: optional fields between field 6 and " - ".
opt_fields () { line "$1" | sed 's/ - .*//' | cut -d' ' -f7- ; }
unlike "$(opt_fields /t/private)" "shared:|master:" "/t/private: private"
unlike "$(opt_fields /t/rprivate)" "shared:|master:" "/t/rprivate: private"
like "$(opt_fields /t/shared)" "shared:" "/t/shared: shared"
like "$(opt_fields /t/rshared)" "shared:" "/t/rshared: shared"
# A slave of a peer group it was alone in has no master left: private.
unlike "$(opt_fields /t/slave)" "shared:|master:" "/t/slave: shared then slave (alone) is private"
unlike "$(opt_fields /t/rslave)" "shared:" "/t/rslave: not shared"
like "$(opt_fields /t/unbindable)" "unbindable" "/t/unbindable: unbindable"
like "$(opt_fields /t/runbindable)" "unbindable" "/t/runbindable: unbindable"

# remount changes the existing mount at the destination.
opt_has /t/remount rw; opt_has /t/remount noexec

# rro/rnosuid/... on a tmpfs (no sub-mounts: same as the plain ones).
opt_has /t/rnoexec noexec; opt_has /t/rnosuid nosuid; opt_has /t/rnodev nodev; opt_has /t/rro ro

# Binds: flags on the top mount; the r* options reach the sub-mount too.
for o in ro nosuid nodev noexec noatime nosymfollow; do opt_has /b/bind $o; done
opt_has /b/rbind ro; opt_has /b/rbind/sub rw
like "$(line /b/rbind/sub)" "estiba-sub" "rbind brings the sub-mount"
for o in ro nosuid nodev noexec noatime nosymfollow; do
  opt_has /b/rro $o
  opt_has /b/rro/sub $o
done
for o in ro nosuid nodev noexec nosymfollow; do opt_lacks /b/rrw/sub $o; done
opt_lacks /b/rstrictatime/sub relatime; opt_lacks /b/rstrictatime/sub noatime
opt_has /b/rstrictatime/sub nodiratime
opt_has /b/rdiratime/sub relatime; opt_lacks /b/rdiratime/sub nodiratime
opt_has /b/file ro
like "$(line /b/new/deep/file)" "." "a file bind onto a missing path creates it with its parents"
check "the file bind target was created inside the rootfs" test -f "$b/rootfs/b/new/deep/file"
like "$(line /b/defaults)" "." "defaults is accepted"

# Relative destinations are taken from the root, as runc does.
cfg "$b" '.mounts = [.mounts[] | select(.destination | startswith("/t/") or startswith("/b/") | not)]
  | .mounts += [{destination: "rel/dir", type: "tmpfs", source: "tmpfs", options: ["noexec"]}]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id opts)"
opt_has /rel/dir noexec

# An id-mapped bind: the file owned by 0 on disk is seen as 1234:5678
# through the mount, inside; on the host, the file is unchanged.
cfg "$b" '.process.args = ["/bin/sh", "-c", "stat -c %u:%g /idmapped/file /ridmapped/sub; grep -E \" /r?idmapped \" /proc/self/mountinfo"]
  | .mounts += [{destination: "/idmapped", type: "bind", source: $s, options: ["bind", "idmap"],
                 uidMappings: [{containerID: 0, hostID: 1234, size: 1}], gidMappings: [{containerID: 0, hostID: 5678, size: 1}]},
                {destination: "/ridmapped", type: "bind", source: $s, options: ["rbind", "ridmap"],
                 uidMappings: [{containerID: 0, hostID: 1234, size: 1}], gidMappings: [{containerID: 0, hostID: 5678, size: 1}]}]' --arg s "$src"
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap)"
is "$status" 0 "id-mapped binds" || diag "$output"
like "$output" $'1234:5678\n1234:5678' "the id-mapped mount shows the mapped owner inside (also on the ridmap sub-mount)"
like "$output" "idmapped" "mountinfo lists the id-mapped mount (idmapped)"
is "$(stat -c %u:%g "$src/file")" "0:0" "the file keeps its owner on the host"
cfg "$b" '.process.args = ["/bin/sh", "-c", "stat -c %u:%g /idmapped/file /idmapped/sub"] | .mounts |= map(select(.destination != "/ridmapped"))
  | .mounts |= map(if .destination == "/idmapped" then .options = ["rbind", "idmap"] else . end)'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap)"
like "$output" $'^1234:5678\n0:0' "rbind+idmap (not ridmap) maps the top mount only, not the sub-mount"
cfg "$b" '.mounts |= map(if .destination == "/idmapped" then del(.uidMappings) | del(.gidMappings) else . end)'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id idmap)"
isnt "$status" 0 "idmap without any mapping fails"
like "$output" "mounts\\[[0-9]+\\]: destination '/idmapped'.*uid and gid mappings" "naming the mount and the reason"

# tmpcopyup: the tmpfs starts with a copy of the image's directory (files,
# sub-directories, symlinks, modes and owners), even when read-only.
mkdir -p "$b/rootfs/seed/sub"
echo seeded >"$b/rootfs/seed/sub/file"
chmod 0751 "$b/rootfs/seed/sub"
chown 7:8 "$b/rootfs/seed/sub/file"
ln -s sub/file "$b/rootfs/seed/link"
chmod 0710 "$b/rootfs/seed"
cfg "$b" '.mounts = [.mounts[] | select(.destination | startswith("/idmapped") or startswith("/ridmapped") | not)]
  | .mounts += [{destination: "/seed", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "ro"]}]
  | .process.args = ["/bin/sh", "-c", "cat /seed/link; stat -c \"%a %u:%g %n\" /seed /seed/sub /seed/sub/file; touch /seed/new 2>/dev/null && echo writable; grep \" /seed \" /proc/self/mountinfo"]'
run_cmd estiba_r "$root" run -b "$b" "$(unique_id copyup)"
is "$status" 0 "tmpcopyup" || diag "$output"
like "$output" "^seeded" "the file is copied, reached through the copied symlink"
like "$output" "710 0:0 /seed"$'\n'"751 0:0 /seed/sub"$'\n'"644 7:8 /seed/sub/file" "modes and owners are copied"
unlike "$output" "writable" "ro applies after the copy"
like "$output" " /seed ro,.* - tmpfs " "/seed is a read-only tmpfs"
check "the image's directory is unchanged" test ! -e "$b/rootfs/seed/new"

done_testing
