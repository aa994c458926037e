# tap.sh: the TAP helpers of the VM's check scripts (busybox sh).  Each
# result is one line "VMTAP ok - DESC" or "VMTAP not ok - DESC" (then
# "VMTAP # ..." diagnostics); the host turns them into its TAP.
ok () { echo "VMTAP ok - $1"; }
notok ()
{
  echo "VMTAP not ok - $1"
  shift
  for l in "$@"; do printf '%s\n' "$l" | sed 's/^/VMTAP # /'; done
}
skip () { echo "VMTAP skip - $1"; }
# is GOT WANT DESC
is ()
{
  if [ "$1" = "$2" ]; then ok "$3"; else notok "$3" "got: '$1'" "want: '$2'"; fi
}
# run CMD...: $out gets stdout+stderr, $st the status.
run ()
{
  out=$("$@" 2>&1)
  st=$?
}
check ()
{
  local desc=$1
  shift
  run "$@"
  if [ "$st" = 0 ]; then ok "$desc"; else notok "$desc" "$* -> $st" "$out"; fi
}
