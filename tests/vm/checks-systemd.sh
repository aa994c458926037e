# checks-systemd.sh: the --systemd-cgroup checks, run inside the test VM
# as a service of the host's systemd (PID 1, pure cgroup v2; see
# run.sh and systemd-root.sh), then the VM is powered off.  Busybox sh
# plus systemctl.
R="estiba --root /run/estiba"
SD="$R --systemd-cgroup"
CG=/sys/fs/cgroup
mode=systemd

. /tap.sh

# unit PROPERTY UNIT: one property of a unit, as systemctl shows it.
unit () { systemctl show -p "$1" --value "$2" 2>&1; }
active () { systemctl is-active "$1" 2>&1; }
# create + start a bundle as container ID; on failure /tmp/create.out
# has the errors and estiba's debug log.
start ()
{
  rm -f /tmp/debug.log
  $SD --debug --log /tmp/debug.log create -b "/bundles/$1" "$2" >/tmp/create.out 2>&1 && $SD start "$2" >>/tmp/create.out 2>&1 && return 0
  cat /tmp/debug.log >>/tmp/create.out 2>/dev/null
  return 1
}

echo "VMTAP start $mode"
echo "VMTAP # systemd $(systemctl --version | head -1), up $(cut -d' ' -f1 /proc/uptime) s"

# --------------------------------------------------------- a scope --
scope=/system.slice/estiba-sd1.scope
if start sdlimits c-sd1; then ok "systemd: create and start in system.slice:estiba:sd1"; else notok "systemd: create and start" "$(cat /tmp/create.out)"; fi
is "$(active estiba-sd1.scope)" active "systemd: the unit estiba-sd1.scope is active"
is "$(unit ControlGroup estiba-sd1.scope)" "$scope" "systemd: its ControlGroup is $scope"
is "$(unit Delegate estiba-sd1.scope)" yes "systemd: Delegate=yes"
is "$(unit MemoryMax estiba-sd1.scope) $(unit TasksMax estiba-sd1.scope)" "67108864 50" "systemd: MemoryMax, TasksMax given to systemd"
is "$(unit CPUWeight estiba-sd1.scope) $(unit CPUQuotaPerSecUSec estiba-sd1.scope)" "59 500ms" "systemd: CPUWeight, CPUQuotaPerSecUSec given to systemd"
is "$(unit AllowedCPUs estiba-sd1.scope)" 0 "systemd: AllowedCPUs"
is "$(cat $CG$scope/memory.max) $(cat $CG$scope/pids.max) $(cat $CG$scope/cpu.max)" "67108864 50 50000 100000" \
  "systemd: memory.max, pids.max, cpu.max in the scope's cgroup"
pid=$($R state c-sd1 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
is "$(cat $CG$scope/cgroup.procs)" "$pid" "systemd: the init ($pid) alone is in the scope (the placeholder left)"
run grep -c "$scope" /run/estiba/c-sd1/state.json
is "$out" 1 "systemd: the saved state records the scope's directory"
is "$(cat /run/estiba/c-sd1/systemd-unit)" estiba-sd1.scope "systemd: and the unit to stop on delete"

check "systemd: update" $R update --memory 100M --pids-limit 20 c-sd1
is "$(cat $CG$scope/memory.max) $(cat $CG$scope/pids.max)" "104857600 20" "systemd: update writes the scope's files"
is "$(unit MemoryMax estiba-sd1.scope) $(unit TasksMax estiba-sd1.scope)" "104857600 20" "systemd: and tells systemd (SetUnitProperties)"
check "systemd: pause" $R pause c-sd1
is "$(cat $CG$scope/cgroup.freeze)" 1 "systemd: cgroup.freeze is 1"
check "systemd: resume" $R resume c-sd1
is "$(cat $CG$scope/cgroup.freeze)" 0 "systemd: cgroup.freeze is 0"
run $R events --stats c-sd1
case $out in *'"pids":{"current":1'* | *'"current": 1'*) ok "systemd: events --stats" ;; *) notok "systemd: events --stats" "$out" ;; esac
$R exec -d c-sd1 sleep 999 >/dev/null 2>&1
is "$(wc -l <$CG$scope/cgroup.procs)" 2 "systemd: exec joins the scope"

# The unit is taken: a second container with the same name is refused.
run $SD create -b /bundles/sdlimits c-dup
case "$st:$out" in
  0:*) notok "systemd: an existing unit is refused" "$out"; $R delete --force c-dup ;;
  *UnitExists*) ok "systemd: an existing unit is refused, naming it" ;;
  *) notok "systemd: an existing unit is refused, naming it" "$out" ;;
esac
is "$(echo "$out" | wc -l)" 1 "systemd: in one line"
is "$($R list -q | grep -c c-dup)" 0 "systemd: the refused container left no state"
is "$(active estiba-sd1.scope)" active "systemd: the first container's unit is untouched"

check "systemd: kill" $R kill c-sd1 KILL
sleep 1
check "systemd: delete" $R delete c-sd1
run systemctl is-active estiba-sd1.scope
case $out in inactive | unknown) ok "systemd: delete removed the unit ($out)" ;; *) notok "systemd: unit after delete" "$out" ;; esac
is "$([ -e $CG$scope ] && echo there || echo gone)" gone "systemd: and its cgroup"

# ---------------------------------------------- run, another slice --
run $SD run -b /bundles/sdplain c-sd2
is "$out" "0::/estiba.slice/estiba-test.slice/estiba-sd2.scope" "systemd: run in estiba-test.slice (a parent slice in the name)"
is "$(active estiba-sd2.scope)" inactive "systemd: run removes its unit"
is "$(active estiba-test.slice)" active "systemd: the slice made for it stays, as with runc"
systemctl stop estiba-test.slice >/dev/null 2>&1

# ------------------------------------------------------- the default --
if start sddefault c-sd3; then
  is "$(unit ControlGroup estiba-c-sd3.scope)" /system.slice/estiba-c-sd3.scope "systemd: no cgroupsPath: system.slice, estiba-ID.scope"
  check "systemd: delete --force a running container" $R delete --force c-sd3
  is "$(active estiba-c-sd3.scope)" inactive "systemd: its unit is gone"
else
  notok "systemd: no cgroupsPath" "$(cat /tmp/create.out)"
fi

# ----------------------------------------------------- a slice unit --
if start sdslice c-sd4; then
  is "$(unit ControlGroup estiba-pod.slice)" /estiba.slice/estiba-pod.slice "systemd: a .slice name makes that slice"
  is "$(cat $CG/estiba.slice/estiba-pod.slice/pids.max)" 40 "systemd: the limits are in the slice's cgroup"
  check "systemd: delete the slice container" $R delete --force c-sd4
  is "$(active estiba-pod.slice)" inactive "systemd: its slice is stopped"
  systemctl stop estiba.slice >/dev/null 2>&1
else
  notok "systemd: a slice unit" "$(cat /tmp/create.out)"
fi

# ------------------------------------------- a failure after the unit --
# The unit exists when the resources are written; their failure undoes it.
run $SD create -b /bundles/sdbadres c-sd5
case "$st:$out" in 0:*) notok "systemd: a bad unified key fails create" "$out" ;; *'memory.no_such_file'*) ok "systemd: a bad unified key fails create, naming it" ;; *) notok "systemd: a bad unified key fails create" "$out" ;; esac
is "$(active estiba-sd5.scope)" inactive "systemd: the failed create stopped its unit"
is "$([ -e $CG/system.slice/estiba-sd5.scope ] && echo there || echo gone)" gone "systemd: and its cgroup is gone"
is "$($R list -q | grep -c c-sd5)" 0 "systemd: and its state"

# ------------------------------------------------------- bad names --
run $SD create -b /bundles/sdbadslice c-bad
case "$st:$out" in 0:*) notok "systemd: a bad slice is refused" "$out" ;; *"'bad' is not a valid systemd slice"*) ok "systemd: a bad slice is refused, naming it" ;; *) notok "systemd: a bad slice is refused" "$out" ;; esac
run $SD create -b /bundles/sdbadname c-bad
case "$st:$out" in 0:*) notok "systemd: a bad unit name is refused" "$out" ;; *"not a valid systemd unit name"*) ok "systemd: a bad unit name is refused" ;; *) notok "systemd: a bad unit name is refused" "$out" ;; esac
run $R create -b /bundles/sdlimits c-bad
case "$st:$out" in 0:*) notok "systemd: slice:prefix:name without --systemd-cgroup is refused" "$out" ;; *"needs --systemd-cgroup"*) ok "systemd: slice:prefix:name without --systemd-cgroup is refused" ;; *) notok "systemd: slice:prefix:name without --systemd-cgroup" "$out" ;; esac

# ------------------------------------------------------- leftovers --
is "$($R list -q 2>&1)" "" "systemd: no container left"
# (but this service, estiba-vm-checks.service)
is "$(systemctl list-units --all --plain --no-legend 'estiba*' 2>&1 | grep -v vm-checks)" "" "systemd: no estiba unit left"
is "$(find $CG -name 'estiba*' ! -name estiba-vm-checks.service | wc -l)" 0 "systemd: no estiba cgroup left"
echo "VMTAP # checks done at $(cut -d' ' -f1 /proc/uptime) s"
echo "VMTAP end $mode"
sync
poweroff -f
