# checks.sh MODE: the checks run inside the test VM (see run.sh); MODE is
# v1 or v2.  Busybox sh.  Each result is one line "VMTAP ok - DESC" or
# "VMTAP not ok - DESC" (then "VMTAP # ..." diagnostics); the host turns
# them into its TAP.
mode=$1
R="estiba --root /run/estiba"
CG=/sys/fs/cgroup

. /tap.sh

# The container's directory holding FILE (v2: the one cgroup2 directory;
# v1: the hierarchy that has the file).
cgfile ()
{
  local name=$1 file=$2 d
  if [ "$mode" = v2 ]; then
    cat "$CG/estiba-vm/$name/$file" 2>&1
    return
  fi
  for d in "$CG"/*/estiba-vm/"$name"; do
    if [ -e "$d/$file" ]; then
      cat "$d/$file" 2>&1
      return
    fi
  done
  echo "no $file"
}
# create + start a bundle as container ID.
start ()
{
  $R create -b "/bundles/$1" "$2" >/tmp/create.out 2>&1 && $R start "$2" >>/tmp/create.out 2>&1
}

# ---------------------------------------------------------------- run --
run $R run -b /bundles/plain c-plain
is "$out" "hello from the container" "$mode: run a container"

# The init joins its cgroups late, after the rootfs setup (whose kernel
# memory stays the runtime's: cgroups-memory-floor.sh); an exec'd process
# is born in the container's cgroup where that is one cgroup2 directory.
rm -f /tmp/debug.log
run $R --debug --log /tmp/debug.log run -b /bundles/plain c-clone3
run grep -c "clone3 CLONE_INTO_CGROUP" /tmp/debug.log
is "$out" 0 "$mode: the init is forked, then moved in after its setup"
if start sleeper c-clone3; then
  rm -f /tmp/debug.log
  run $R --debug --log /tmp/debug.log exec c-clone3 true
  run grep -c "clone3 CLONE_INTO_CGROUP" /tmp/debug.log
  if [ "$mode" = v2 ]; then
    is "$out" 1 "v2: exec's process is created with clone3 CLONE_INTO_CGROUP"
  else
    is "$out" 0 "v1: exec's process is forked, then moved (no single cgroup2 directory)"
  fi
  $R delete --force c-clone3 >/dev/null 2>&1
else
  notok "$mode: start sleeper for exec" "$(cat /tmp/create.out)"
fi

# ------------------------------------------------------------- limits --
if start limits c-limits; then ok "$mode: create and start with limits"; else notok "$mode: create and start with limits" "$(cat /tmp/create.out)"; fi
if [ "$mode" = v2 ]; then
  is "$(cgfile limits memory.max)" 67108864 "v2: memory.limit -> memory.max"
  is "$(cgfile limits memory.swap.max)" 67108864 "v2: memory.swap -> memory.swap.max (swap - limit)"
  is "$(cgfile limits memory.low)" 33554432 "v2: memory.reservation -> memory.low"
  is "$(cgfile limits pids.max)" 50 "v2: pids.max"
  is "$(cgfile limits cpu.weight)" 59 "v2: cpu.shares 512 -> cpu.weight 59 (crun's formula)"
  is "$(cgfile limits cpu.max)" "50000 100000" "v2: cpu.quota/period -> cpu.max"
  is "$(cgfile limits cpuset.cpus)" 0 "v2: cpuset.cpus"
  is "$(cgfile limits cpuset.mems)" 0 "v2: cpuset.mems"
  is "$(cgfile limits hugetlb.2MB.max)" 4194304 "v2: hugepageLimits -> hugetlb.2MB.max"
else
  is "$(cgfile limits memory.limit_in_bytes)" 67108864 "v1: memory.limit_in_bytes"
  is "$(cgfile limits memory.memsw.limit_in_bytes)" 134217728 "v1: memory.memsw.limit_in_bytes"
  is "$(cgfile limits memory.soft_limit_in_bytes)" 33554432 "v1: memory.soft_limit_in_bytes"
  is "$(cgfile limits pids.max)" 50 "v1: pids.max"
  is "$(cgfile limits cpu.shares)" 512 "v1: cpu.shares"
  is "$(cgfile limits cpu.cfs_quota_us) $(cgfile limits cpu.cfs_period_us)" "50000 100000" "v1: cfs quota/period"
  is "$(cgfile limits cpuset.cpus)" 0 "v1: cpuset.cpus"
  is "$(cgfile limits cpuset.mems)" 0 "v1: cpuset.mems"
  is "$(cgfile limits hugetlb.2MB.limit_in_bytes)" 4194304 "v1: hugepageLimits -> hugetlb.2MB.limit_in_bytes"
fi

# ------------------------------------------------------------- update --
check "$mode: update" $R update --memory 100M --memory-swap 200M --pids-limit 20 --cpu-quota 20000 --cpu-share 1024 c-limits
if [ "$mode" = v2 ]; then
  is "$(cgfile limits memory.max) $(cgfile limits memory.swap.max)" "104857600 104857600" "v2: update memory/swap"
  is "$(cgfile limits pids.max)" 20 "v2: update pids"
  is "$(cgfile limits cpu.max) $(cgfile limits cpu.weight)" "20000 100000 100" "v2: update cpu quota, shares"
else
  is "$(cgfile limits memory.limit_in_bytes) $(cgfile limits memory.memsw.limit_in_bytes)" "104857600 209715200" "v1: update memory/swap"
  is "$(cgfile limits pids.max)" 20 "v1: update pids"
  is "$(cgfile limits cpu.cfs_quota_us) $(cgfile limits cpu.shares)" "20000 1024" "v1: update cpu quota, shares"
fi
run $R update --blkio-weight 300 c-limits
case "$st:$out" in
  0:*) if [ "$mode" = v2 ]; then
         w=$(cgfile limits io.bfq.weight 2>/dev/null | sed -n 's/^default //p')
         [ -n "$w" ] || w=$(cgfile limits io.weight | sed -n 's/^default //p')
         case $w in 300 | 2930) ok "v2: update blkio weight -> io weight ($w)" ;; *) notok "v2: io weight" "got '$w'" ;; esac
       else
         is "$(cgfile limits blkio.weight)" 300 "v1: update blkio weight"
       fi ;;
  *"not supported on this host"*) skip "$mode: blkio weight: no weight file on this kernel's I/O scheduler" ;;
  *) notok "$mode: update --blkio-weight" "$out" ;;
esac
# The limits in force are recorded in the saved config.
run grep -o '"limit":104857600' /run/estiba/c-limits/config.json
is "$out" '"limit":104857600' "$mode: update records the new limit in the saved config"
# A later swap-only update counts against the recorded memory limit.
check "$mode: update --memory-swap alone" $R update --memory-swap 300M c-limits
if [ "$mode" = v2 ]; then
  is "$(cgfile limits memory.swap.max)" 209715200 "v2: swap-only update uses the recorded memory limit"
else
  is "$(cgfile limits memory.memsw.limit_in_bytes)" 314572800 "v1: swap-only update"
fi

# ------------------------------------------------------- pause/resume --
check "$mode: pause" $R pause c-limits
run $R state c-limits
case $out in *'"paused"'*) ok "$mode: state says paused" ;; *) notok "$mode: state says paused" "$out" ;; esac
if [ "$mode" = v2 ]; then
  is "$(cgfile limits cgroup.freeze)" 1 "v2: cgroup.freeze is 1"
else
  is "$(cgfile limits freezer.state)" FROZEN "v1: freezer.state FROZEN"
fi
check "$mode: resume" $R resume c-limits
run $R state c-limits
case $out in *'"running"'*) ok "$mode: state says running after resume" ;; *) notok "$mode: running after resume" "$out" ;; esac

# ----------------------------------------------------------- ps, events --
pid=$($R state c-limits | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
run $R ps -f json c-limits
case $out in *"$pid"*) ok "$mode: ps lists the init ($pid)" ;; *) notok "$mode: ps" "$out" ;; esac
run $R events --stats c-limits
case $out in *'"type":"stats"'*'"memory"'*) ok "$mode: events --stats" ;; *'"type": "stats"'*) ok "$mode: events --stats" ;; *) notok "$mode: events --stats" "$out" ;; esac
case $out in *'"pids":{"current":1'* | *'"current": 1'*) ok "$mode: events shows 1 pid" ;; *) notok "$mode: events pids.current" "$out" ;; esac

# ------------------------------------------------------- delete --force --
start sleeper c-sleeper || notok "$mode: start sleeper" "$(cat /tmp/create.out)"
$R exec -d c-sleeper sleep 999 >/dev/null 2>&1
check "$mode: delete --force a running container" $R delete --force c-sleeper
left=$(find $CG -name c-sleeper -o -name sleeper | wc -l)
is "$left" 0 "$mode: its cgroup is gone"
is "$(ps -o comm | grep -c 'sleep')" 1 "$mode: its processes are gone (only c-limits's sleep is left)"
check "$mode: kill --all" $R kill --all c-limits KILL
sleep 1
check "$mode: delete c-limits" $R delete --force c-limits

# ----------------------------------------------------------------- OOM --
if start oom c-oom; then
  timeout 60 $R events --interval 10s c-oom >/tmp/events.out 2>&1
  run grep -c '"type":"oom"' /tmp/events.out
  is "$out" 1 "$mode: events reports the OOM kill"
  if [ "$mode" = v2 ]; then
    run grep '^oom_kill ' $CG/estiba-vm/oom/memory.events
    is "$out" "oom_kill 1" "v2: memory.events counts it"
  fi
  $R delete --force c-oom >/dev/null 2>&1
else
  notok "$mode: start the OOM container" "$(cat /tmp/create.out)"
fi

# ------------------------------------------------------------- devices --
run $R run -b /bundles/devdeny c-devdeny
is "$(echo $out)" "null=0 mknod=0 open=1" "$mode: devices: /dev/null allowed, mknod allowed, opening c 1:11 refused"
run $R run -b /bundles/devallow c-devallow
is "$(echo $out)" "null=0 mknod=0 open=0" "$mode: devices: an allow rule for c 1:11 lets it open"

# ------------------------------------------------------------- unified --
if start unified c-unified; then
  if [ "$mode" = v2 ]; then
    is "$(cgfile unified memory.max) $(cgfile unified pids.max) $(cgfile unified cpu.weight)" "50331648 33 200" "v2: unified files written"
  else
    is "$(cgfile unified memory.limit_in_bytes) $(cgfile unified pids.max) $(cgfile unified cpu.shares)" \
      "50331648 33 2451" "v1: unified memory.max, pids.max, cpu.weight 200 converted (cpu.shares 2451, which converts back to 200)"
  fi
  $R delete --force c-unified >/dev/null 2>&1
else
  notok "$mode: unified container" "$(cat /tmp/create.out)"
fi
run $R create -b /bundles/badunified c-bad
case "$st:$out" in 0:*) notok "$mode: unknown unified key refused" "$out"; $R delete --force c-bad ;; *'unified["memory.no_such_file"]'*) ok "$mode: unknown unified key refused, naming it" ;; *) notok "$mode: unified error names the key" "$out" ;; esac

# ------------------------------------------------------------ systemd --
run $R --systemd-cgroup create -b /bundles/sleeper c-sd
case "$st:$out" in 0:*) notok "--systemd-cgroup refused" "$out" ;; *systemd*) ok "$mode: --systemd-cgroup without systemd: one clear error" ;; *) notok "$mode: --systemd-cgroup error" "$out" ;; esac

# --------------------------------------------------------------- leftovers --
is "$($R list -q 2>&1)" "" "$mode: no container left"
# The common parent of the cgroupsPaths stays, as with runc; nothing below it.
is "$(find $CG -path '*/estiba-vm/*' -type d | wc -l)" 0 "$mode: nothing left in /sys/fs/cgroup"
find $CG -depth -type d -name estiba-vm -exec rmdir {} \;
depth=2
[ "$mode" = v1 ] || depth=1
is "$(find $CG -mindepth $depth -type d | wc -l)" 0 "$mode: only the hierarchies' roots are left"
