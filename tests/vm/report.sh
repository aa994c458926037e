# report.sh: sourced by tests/integration/vm-*.sh (tests/lib/common.sh
# loaded): what they need before booting, and turning the VM's serial
# console into their TAP.

# vm_require: skip the file unless qemu runs here and Debian's kernel is
# at hand (fetched into the cache on first use).
vm_require ()
{
  local kdir
  command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
  if ! echo quit | timeout 20 qemu-system-x86_64 -accel tcg -M none -display none -monitor stdio -S >/dev/null 2>&1; then
    skip_all "qemu-system-x86_64 cannot start here"
  fi
  kdir=$("$SRCDIR/tests/vm/kernel.sh" 2>"$TEST_TMP/kernel.err") ||
    skip_all "cannot fetch Debian's kernel: $(tail -1 "$TEST_TMP/kernel.err")"
  diag "kernel: $kdir"
}

# report MODE LOG: the VM's lines as this file's TAP.
report ()
{
  local mode=$1 log=$2 line pending=() ended=0
  flush ()
  {
    [ ${#pending[@]} -eq 0 ] || diag "${pending[@]}"
    pending=()
  }
  while IFS= read -r line; do
    line=${line%$'\r'}
    line=${line##*VMTAP }
    case $line in
      "ok - "*) flush; pass "${line#ok - }" ;;
      "not ok - "*) flush; fail "${line#not ok - }" ;;
      "skip - "*) flush; skip "${line#skip - }" ;;
      "# "*) pending+=("${line#\# }") ;;
      "end $mode") ended=1 ;;
    esac
  done < <(grep -a 'VMTAP ' "$log")
  flush
  if [ "$ended" -eq 1 ]; then
    pass "$mode: the VM ran every check"
  else
    fail "$mode: the VM ran every check" "$(tail -n 30 "$log")"
  fi
}
