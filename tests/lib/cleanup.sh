# shellcheck shell=bash
# Undoes what a test made under its temporary directory.  Used by
# common.sh at a test's exit, and by tests/run when a test could not clean
# up itself (killed after a timeout).
#
# A test registers what to undo in DIR/.cleanup/:
#   on_exit      shell commands, run last-registered first
#   state_roots  estiba --root directories: their containers are deleted
#   cgroups      cgroup directories: emptied (SIGKILL) and removed
#
# Everything estiba-related is called under a timeout: cleanup must finish
# even when the runtime under test hangs.

# The pids of this shell and its ancestors, which must survive.  Bash
# builtins only: cleanup runs on loaded machines and forks are slow there.
_cleanup_ancestors ()
{
  local pid=$BASHPID stat
  while [ -n "$pid" ] && [ "$pid" -gt 1 ]; do
    echo "$pid"
    read -r stat <"/proc/$pid/stat" 2>/dev/null || break
    stat=${stat##*) }
    stat=${stat#* }
    pid=${stat%% *}
  done
}

# Pids of processes whose command line mentions DIR (estiba runs with
# --root/--bundle there; its children keep that command line), except us.
cleanup_processes_under ()
{
  local dir=$1 ancestors f pid arg cmd
  ancestors=" $(_cleanup_ancestors | tr '\n' ' ') "
  for f in /proc/[0-9]*/cmdline; do
    cmd=""
    { while IFS= read -r -d '' arg; do cmd+="$arg "; done <"$f"; } 2>/dev/null
    [[ $cmd == *"$dir"* ]] || continue
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    [[ $ancestors == *" $pid "* ]] || echo "$pid"
  done
}

_cleanup_run_on_exit ()
{
  local cmd
  tac "$1/.cleanup/on_exit" 2>/dev/null | while IFS= read -r cmd; do
    (eval "$cmd") </dev/null >/dev/null 2>&1 || true
  done
}

# Pids recorded in a state root: `estiba state` may be what is broken, so
# the files are read too.
_cleanup_state_root_pids ()
{
  local root=$1 id
  for id in $(timeout 10 "$ESTIBA" --root "$root" list -q 2>/dev/null); do
    timeout 10 "$ESTIBA" --root "$root" state "$id" 2>/dev/null | jq -r '.pid // empty' 2>/dev/null
  done
  find "$root" -name '*.json' -type f -exec jq -r '(.pid? // .init_process_pid? // empty) | numbers' {} + 2>/dev/null
}

_cleanup_state_roots ()
{
  local root id pid pids
  while IFS= read -r root; do
    [ -d "$root" ] || continue
    pids=$(_cleanup_state_root_pids "$root" | sort -u)
    for id in $(timeout 10 "$ESTIBA" --root "$root" list -q 2>/dev/null); do
      timeout 20 "$ESTIBA" --root "$root" delete --force "$id" </dev/null >/dev/null 2>&1
    done
    for pid in $pids; do
      [ "$pid" -gt 1 ] 2>/dev/null && kill -9 "$pid" 2>/dev/null
    done
  done < <(cat "$1/.cleanup/state_roots" 2>/dev/null)
}

_cleanup_cgroups ()
{
  local cg try
  tac "$1/.cleanup/cgroups" 2>/dev/null | while IFS= read -r cg; do
    [ -d "$cg" ] || continue
    for try in 1 2 3 4 5 6 7 8 9 10; do
      # Thaw first: frozen tasks cannot die.
      find "$cg" -name freezer.state -exec sh -c 'echo THAWED >"$1"' _ {} \; 2>/dev/null
      find "$cg" -name cgroup.freeze -exec sh -c 'echo 0 >"$1"' _ {} \; 2>/dev/null
      find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
      find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
      [ -d "$cg" ] || break
      sleep 0.2
    done
    [ ! -d "$cg" ] || echo "# cleanup: could not remove cgroup $cg"
  done
}

# Mount points at or below DIR, deepest first.
mounts_under ()
{
  local top=$1 mp found=()
  while read -r _ _ _ _ mp _; do
    mp=${mp//\\040/ }
    [[ $mp == "$top" || $mp == "$top"/* ]] && found+=("${#mp} $mp")
  done </proc/self/mountinfo
  [ ${#found[@]} -eq 0 ] || printf '%s\n' "${found[@]}" | sort -rn | cut -d' ' -f2-
}

_cleanup_mounts ()
{
  local mnt try
  for try in 1 2 3; do
    mnt=$(mounts_under "$1")
    [ -n "$mnt" ] || return 0
    printf '%s\n' "$mnt" | while IFS= read -r mnt; do
      umount -l "$mnt" 2>/dev/null
    done
  done
}

# cleanup_test_dir DIR: undo everything registered in DIR, kill what still
# runs from DIR, unmount and remove DIR.
cleanup_test_dir ()
{
  local dir=$1
  [ -d "$dir" ] || return 0
  _cleanup_run_on_exit "$dir"
  # Stuck runtime processes may hold locks that delete would wait for.
  cleanup_processes_under "$dir" | xargs -r kill -9 2>/dev/null
  _cleanup_state_roots "$dir"
  cleanup_processes_under "$dir" | xargs -r kill -9 2>/dev/null
  _cleanup_cgroups "$dir"
  _cleanup_mounts "$dir"
  rm -rf "$dir" 2>/dev/null || {
    chattr -R -i "$dir" 2>/dev/null
    rm -rf "$dir"
  }
}
