#!/usr/bin/env bash
# The command line: every command's --help, runc's flag spellings, and
# usage errors (unknown command or flag, missing or extra arguments) as one
# "estiba: ..." line with exit status 1 and nothing done.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
require_file "$ESTIBA" "estiba is not built"

commands=(checkpoint create delete events exec kill list pause ps restore resume run spec start state update features)

# ------------------------------------------------------------------ help --

run_cmd "$ESTIBA" --help
is "$status" 0 "--help exits 0"
like "$output" 'Usage: estiba \[GLOBAL OPTIONS\] COMMAND' "--help shows the usage"
for c in "${commands[@]}"; do
  [[ $output == *$'\n'"  $c "* ]] || fail "--help lists $c" "$output"
done
pass "--help lists every command"
for flag in --debug --log --log-format --log-level --root --criu --systemd-cgroup --rootless --version --help; do
  [[ $output == *"$flag"* ]] || fail "--help lists $flag"
done
pass "--help lists every global flag"

run_cmd "$ESTIBA" -h
like "$output" 'Usage: estiba' "-h is --help"
run_cmd "$ESTIBA"
is "$status" 0 "no command: help and exit 0, as runc"
like "$output" 'Usage: estiba' "no command shows the help"

# flags each command must list in its --help (runc's, long and short)
declare -A flags=(
  [create]="--bundle -b --console-socket --pid-file --no-pivot --no-new-keyring --preserve-fds"
  [run]="--bundle -b --console-socket --pid-file --no-pivot --no-new-keyring --preserve-fds --detach -d --keep --no-subreaper"
  [exec]="--console-socket --cwd --env -e --tty -t --user -u --additional-gids -g --process -p --detach -d --pid-file --process-label --apparmor --no-new-privs --cap -c --preserve-fds --cgroup --ignore-paused"
  [kill]="--all -a"
  [delete]="--force -f"
  [list]="--format -f --quiet -q"
  [ps]="--format -f"
  [update]="--resources -r --blkio-weight --cpu-period --cpu-quota --cpu-share --cpu-rt-period --cpu-rt-runtime --cpuset-cpus --cpuset-mems --memory --memory-reservation --memory-swap --pids-limit --l3-cache-schema --mem-bw-schema"
  [events]="--stats --interval"
  [spec]="--bundle -b --rootless"
  [checkpoint]="--image-path --work-path --parent-path --leave-running --tcp-established --ext-unix-sk --shell-job --lazy-pages --status-fd --page-server --file-locks --pre-dump --manage-cgroups-mode --empty-ns --auto-dedup"
  [restore]="--console-socket --image-path --work-path --tcp-established --ext-unix-sk --shell-job --file-locks --manage-cgroups-mode --bundle -b --detach -d --pid-file --no-subreaper --no-pivot --empty-ns --auto-dedup --lazy-pages --lsm-profile --lsm-mount-context"
)
for c in "${commands[@]}"; do
  run_cmd "$ESTIBA" "$c" --help
  ok=0
  [ "$status" -eq 0 ] || ok=1
  [[ $output == "Usage: estiba $c"* ]] || ok=1
  missing=""
  for f in ${flags[$c]:-}; do
    # "-b, --bundle" or "    --keep": the flag as a word in the options list
    grep -Eq -- "(^|[ ,])$f([ ,=]|\$)" <<<"${output#*Options:}" || missing+=" $f"
  done
  [ -z "$missing" ] || ok=1
  ok_if "$c --help exits 0 and lists its flags" "$ok" || diag "status $status, missing:$missing" "$output"
  run_cmd "$ESTIBA" "$c" -h
  [[ $status -eq 0 && $output == "Usage: estiba $c"* ]] || fail "$c -h" "$output"
done
pass "every command takes -h"

run_cmd "$ESTIBA" help kill
is "$status" 0 "help COMMAND exits 0"
like "$output" '^Usage: estiba kill \[OPTIONS\] <container-id> \[signal\]' "help COMMAND shows the command's help"

# ---------------------------------------------------------- usage errors --

# usage_error "desc" REGEX ARGS...: exit 1, exactly one line on stderr
# matching REGEX, nothing on stdout.
usage_error ()
{
  local desc=$1 re=$2 out err st
  shift 2
  out=$("$ESTIBA" "$@" 2>"$TEST_TMP/stderr") && st=0 || st=$?
  err=$(cat "$TEST_TMP/stderr")
  if [ "$st" -eq 1 ] && [ -z "$out" ] && [ "$(wc -l <"$TEST_TMP/stderr")" -eq 1 ] && [[ $err =~ ^estiba:\ $re ]]; then
    pass "$desc"
  else
    fail "$desc" "command: estiba $*" "status: $st" "stdout: $out" "stderr: $err" "expected: estiba: $re"
  fi
}

root=$(new_state_root)
usage_error "unknown command" "unknown command 'bogus'" bogus
usage_error "unknown global flag" "unknown option '--bogus'" --bogus list
usage_error "unknown command flag" "list: unknown option '--bogus'" --root "$root" list --bogus
usage_error "unknown short flag" "delete: unknown option '-x'" --root "$root" delete -x id
usage_error "global flag after the command" "list: unknown option '--root'" list --root "$root"
usage_error "flag value missing" "list: missing value for '--format'" --root "$root" list --format
usage_error "bad boolean value" "delete: invalid boolean value for '--force'" --root "$root" delete --force=maybe id
usage_error "bad number" "create: expected a non-negative number for '--preserve-fds'" --root "$root" create --preserve-fds x id
usage_error "negative number" "exec: expected a non-negative number for '--preserve-fds'" --root "$root" exec --preserve-fds -1 id ls
usage_error "bad --rootless value" "expected true, false or auto for '--rootless'" --rootless=maybe list
usage_error "bad --log-format" "invalid --log-format 'xml'" --log-format xml list
usage_error "bad --log-level" "invalid --log-level 'loud'" --log-level loud list
usage_error "empty --root" "invalid --root: empty path" --root= list
usage_error "bad list --format" "list: invalid --format 'xml'" --root "$root" list -f xml
usage_error "help for an unknown command" "help: unknown command 'bogus'" help bogus
for c in create run start state delete kill pause resume ps events update checkpoint restore; do
  usage_error "$c without an id" "$c: missing <container-id>" --root "$root" "$c"
done
for c in create run start state delete pause resume events update checkpoint restore; do
  usage_error "$c with an extra argument" "$c: unexpected argument 'extra'" --root "$root" "$c" id extra
done
usage_error "kill with three arguments" "kill: unexpected argument 'extra'" --root "$root" kill id KILL extra
usage_error "kill with an unknown signal" "kill: unknown signal 'SIGNOPE'" --root "$root" kill id SIGNOPE
usage_error "list with an argument" "list: unexpected argument 'extra'" --root "$root" list extra
usage_error "spec with an argument" "spec: unexpected argument 'extra'" spec -b "$TEST_TMP" extra
usage_error "features with an argument" "features: unexpected argument 'extra'" features extra
usage_error "exec without a command" "exec: missing <command>" --root "$root" exec id
usage_error "exec with --process and a command" "exec: both --process and a command" --root "$root" exec -p "$TEST_TMP/p.json" id ls
usage_error "exec --user by name" "exec: invalid --user 'root'" --root "$root" exec -u root id ls
usage_error "exec --additional-gids by name" "exec: invalid --additional-gids 'wheel'" --root "$root" exec -g wheel id ls
usage_error "create --pidfd-socket is refused, not ignored" "create: --pidfd-socket is not supported yet" \
  --root "$root" create --pidfd-socket "$TEST_TMP/s" id
usage_error "exec --pidfd-socket is refused, not ignored" "exec: --pidfd-socket is not supported yet" \
  --root "$root" exec --pidfd-socket "$TEST_TMP/s" id ls
check_fails "spec refuses a stray argument without writing" test -e "$TEST_TMP/config.json"

# ----------------------------------------------- runc's flag spellings --

# A flag that parses reaches the library, which fails for a container that
# does not exist: the error then names the container, not the flag.
parses ()
{
  local desc=$1
  shift
  run_cmd "$ESTIBA" --root "$root" "$@"
  if [[ $output == *"unknown option"* || $output == *"missing value"* || $output == *"unexpected argument"* || $output == *"invalid boolean"* ]]; then
    fail "$desc" "command: estiba --root $root $*" "$output"
  else
    pass "$desc"
  fi
}
parses "--flag value" delete --force nosuch
parses "--flag=value (boolean)" delete --force=true nosuch
parses "single-dash long flag, as Go's flag package" delete -force nosuch
parses "flags after the id (urfave/cli reorders)" delete nosuch -f
parses "-b=value" create -b="$TEST_TMP" nosuch
parses "-bundle value" create -bundle "$TEST_TMP" nosuch
parses "cluster of boolean short flags" exec -td nosuch true
parses "repeatable -e" exec -e A=1 -e B=2 --env=C=3 nosuch true
parses "exec stops at the id: later flags belong to the command" exec nosuch ls --bogus -x
parses "exec ID -- CMD" exec nosuch -- ls -l
parses "kill -a ID SIGNAL" kill -a nosuch KILL
parses "kill with a numeric signal" kill nosuch 9
parses "--" state -- nosuch
run_cmd "$ESTIBA" --rootless list --help
is "$status" 0 "bare --rootless does not swallow the command name"
run_cmd "$ESTIBA" --rootless false list --help
is "$status" 0 "--rootless VALUE takes the value, as runc"
run_cmd "$ESTIBA" --criu /usr/sbin/criu --systemd-cgroup --debug list --help
is "$status" 0 "--criu, --systemd-cgroup and --debug are accepted"

# ------------------------------------------- not implemented: never silent --

for c in ps pause resume update events checkpoint restore; do
  run_cmd "$ESTIBA" --root "$root" "$c" someid
  if [ "$status" -eq 1 ] && [[ $output == "estiba: $c: not implemented yet"* ]]; then
    pass "$c fails with 'not implemented yet'"
  elif [ "$status" -ne 0 ] && [[ $output != *"not implemented"* ]]; then
    pass "$c is implemented now and fails for a missing container"
  else
    fail "$c must not succeed silently" "status: $status" "$output"
  fi
done

done_testing
