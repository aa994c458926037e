#!/usr/bin/env bash
# `estiba features` tells the truth: every namespace, mount option, hook,
# capability list and seccomp support it claims works in a real container.
# (cli-features.sh checks the document's form; this checks its claims.)
# shellcheck source=tests/lib/common.sh disable=SC2016 # $names in single quotes are jq variables
. "$(dirname "$0")/../lib/common.sh"
require_root
require_cmd jq
require_file "$ESTIBA" "estiba is not built"

f=$TEST_TMP/features.json
"$ESTIBA" features >"$f" || bail "estiba features failed"
root=$(new_state_root)
b=$TEST_TMP/bundle
make_bundle "$b" /bin/sh /check.sh
mkdir -p "$b/rootfs/mnt" "$b/rootfs/hooks"
cp "$b/config.json" "$TEST_TMP/base.json"

# run_check "SCRIPT" [JQ FILTER [JQ OPTIONS...]]: run SCRIPT in a fresh
# container from the base config edited by FILTER; $output is its stdout,
# $status its exit status, $errors its stderr.
run_check ()
{
  local script=$1 filter=${2:-.}
  shift 2 2>/dev/null || shift $#
  printf '%s\n' "$script" >"$b/rootfs/check.sh"
  jq "$@" "$filter" "$TEST_TMP/base.json" >"$b/config.json" || bail "run_check: bad jq filter: $filter"
  output=$(timeout 30 "$ESTIBA" --root "$root" run -b "$b" "$(unique_id truth)" 2>"$TEST_TMP/errors") && status=0 || status=$?
  errors=$(cat "$TEST_TMP/errors")
}

# ------------------------------------------------------------ namespaces --

declare -A ns_file=([pid]=pid [network]=net [ipc]=ipc [uts]=uts [mount]=mnt [user]=user [cgroup]=cgroup [time]=time)
claimed=$(jq -r '.linux.namespaces // [] | .[]' "$f")
for ns in $claimed; do
  file=${ns_file[$ns]:-}
  [ -n "$file" ] || { fail "namespace $ns: unknown to this test"; continue; }
  filter='.linux.namespaces = (.linux.namespaces + [{"type": $ns}] | unique_by(.type))'
  if [ "$ns" = user ]; then
    filter+=' | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}] | .linux.gidMappings = .linux.uidMappings'
  fi
  # A time namespace applies to the children of the process that made it.
  run_check "readlink /proc/self/ns/$file; readlink /proc/self/ns/${file}_for_children 2>/dev/null; true" \
    "$filter" --arg ns "$ns"
  host=$(readlink "/proc/self/ns/$file")
  own=$(sed -n 1p <<<"$output")
  children=$(sed -n 2p <<<"$output")
  if [ "$status" -eq 0 ] && [ -n "$own" ] && { [ "$own" != "$host" ] || [ "${children:-$host}" != "$host" ]; }; then
    pass "claimed namespace $ns: the container gets its own"
  else
    fail "claimed namespace $ns: the container gets its own" "status $status, host $host" "output: $output" "$errors"
  fi
done
[ -n "$claimed" ] || pass "no namespace claimed"

# --------------------------------------------------------- mount options --

# What an option shows in the container's /proc/self/mountinfo line for
# /mnt: "per-mount options | optional fields | superblock options".
expect_option ()
{
  local o=$1 line=$2 mnt opt sb
  mnt=$(awk '{print $6}' <<<"$line")
  opt=$(awk '{for (i = 7; $i != "-"; i++) printf "%s ", $i}' <<<"$line")
  sb=$(awk '{for (i = 7; $i != "-"; i++); print $(i + 3)}' <<<"$line")
  case $o in
    ro) [[ ,$mnt, == *,ro,* ]] ;;
    rw) [[ ,$mnt, == *,rw,* ]] ;;
    nosuid | nodev | noexec | noatime | nodiratime | relatime) [[ ,$mnt, == *,$o,* ]] ;;
    suid | dev | exec) [[ ,$mnt, != *,no$o,* ]] ;;
    strictatime) [[ ,$mnt, != *,relatime,* && ,$mnt, != *,noatime,* ]] ;;
    sync | dirsync | lazytime) [[ ,$sb, == *,$o,* ]] ;;
    unbindable | runbindable) [[ $opt == *unbindable* ]] ;;
    shared | rshared) [[ $opt == *shared:* ]] ;;
    private | rprivate) [[ $opt != *shared:* && $opt != *master:* ]] ;;
    *) return 0 ;; # recognized is all the spec asks; the effect is not visible here
  esac
}

mkdir -p "$TEST_TMP/bindsrc"
echo marker >"$TEST_TMP/bindsrc/marker"
claimed=$(jq -r '.mountOptions // [] | .[]' "$f")
bad=""
for o in $claimed; do
  case $o in
    bind | rbind)
      run_check 'cat /mnt/marker' '.mounts += [{"destination":"/mnt","type":"bind","source":$src,"options":[$o]}]' \
        --arg o "$o" --arg src "$TEST_TMP/bindsrc"
      [ "$status" -eq 0 ] && [ "$output" = marker ] || bad+=" $o($status: $errors)"
      ;;
    *)
      run_check 'grep " /mnt " /proc/self/mountinfo' \
        '.mounts += [{"destination":"/mnt","type":"tmpfs","source":"tmpfs","options":[$o]}]' --arg o "$o"
      if [ "$status" -ne 0 ]; then
        bad+=" $o($status: $errors)"
      elif ! expect_option "$o" "$output"; then
        bad+=" $o(no effect: $output)"
      fi
      ;;
  esac
done
is "$bad" "" "every claimed mount option is accepted and takes effect ($(wc -w <<<"$claimed") claimed)"

# ----------------------------------------------------------------- hooks --

claimed=$(jq -r '.hooks // [] | .[]' "$f")
for h in $claimed; do
  rm -f "$TEST_TMP/hookdir/ran"
  mkdir -p "$TEST_TMP/hookdir"
  case $h in
    # After pivot_root, in the container: write through a bind mount.
    startContainer) target=/hooks/ran ;;
    # createContainer runs in the container's mount namespace before
    # pivot_root, where host paths still resolve.
    *) target=$TEST_TMP/hookdir/ran ;;
  esac
  run_check 'true' '.mounts += [{"destination":"/hooks","type":"bind","source":$dir,"options":["rbind"]}]
    | .hooks[$h] = [{"path":"/bin/sh","args":["sh","-c",("echo ran >" + $target)]}]' \
    --arg h "$h" --arg dir "$TEST_TMP/hookdir" --arg target "$target"
  if [ "$status" -eq 0 ] && [ "$(cat "$TEST_TMP/hookdir/ran" 2>/dev/null)" = ran ]; then
    pass "claimed hook $h runs"
  else
    fail "claimed hook $h runs" "status $status" "$errors"
  fi
done
[ -n "$claimed" ] || pass "no hook claimed"

# ---------------------------------------------------------- capabilities --

n=$(jq '.linux.capabilities // [] | length' "$f")
if [ "$n" -gt 0 ]; then
  last=$(jq -r '.linux.capabilities[-1]' "$f")
  run_check 'grep CapBnd /proc/self/status' \
    '.process.capabilities = {"bounding": ["CAP_CHOWN", $last], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN", $last]}' \
    --arg last "$last"
  want=$(printf 'CapBnd:\t%016x' $(((1 << (n - 1)) | 1)))
  is "$output" "$want" "claimed capabilities: CAP_CHOWN and $last (number $((n - 1))) give the bounding set"
else
  pass "no capability claimed"
fi

# --------------------------------------------------------------- seccomp --

if jq -e '.linux.seccomp.enabled == true' "$f" >/dev/null; then
  # ENOSYS, which nothing else would give mkdir; the control run shows mkdir
  # works without the filter.
  run_check 'mkdir /tmp/denied.$$ 2>&1; echo status=$?; rmdir /tmp/denied.$$ 2>/dev/null' '.root.readonly = false'
  like "$output" 'status=0' "seccomp control: mkdir works without a filter"
  run_check 'mkdir /tmp/denied.$$ 2>&1; echo status=$?; rmdir /tmp/denied.$$ 2>/dev/null' '.root.readonly = false
    | .linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW",
                        "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}'
  like "$output" 'Function not implemented' "claimed seccomp: a filter makes mkdir fail with the errno asked for"
else
  pass "seccomp not claimed"
fi

done_testing
