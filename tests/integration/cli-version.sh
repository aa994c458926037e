#!/usr/bin/env bash
# estiba --version: runc's lines (version, commit, spec, libseccomp) plus
# the compiled-in features line crun prints.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
require_file "$ESTIBA" "estiba is not built"

run_cmd "$ESTIBA" --version
is "$status" 0 "--version exits 0"
v=$output
is "$(sed -n 1p <<<"$v")" "estiba version 0.1.0" "first line: estiba version 0.1.0"
like "$(sed -n 2p <<<"$v")" '^commit: [0-9a-f]{7,40}$|^commit: unknown$' "second line: the git commit"
if git -C "$SRCDIR" rev-parse --short HEAD >/dev/null 2>&1; then
  # Built from this tree: the commit is a prefix of one in its history.
  c=$(sed -n 's/^commit: //p' <<<"$v")
  check "the commit is in the source tree's history" git -C "$SRCDIR" cat-file -e "$c^{commit}"
else
  skip "the source tree is not a git checkout"
fi
is "$(sed -n 3p <<<"$v")" "spec: 1.3.0" "third line: the runtime-spec version"
is "$(sed -n 4p <<<"$v")" "+SECCOMP +SELINUX +CAP +YAJL" "fourth line: compiled-in features"
lsv=$(pkg-config --modversion libseccomp 2>/dev/null || true)
if [ -n "$lsv" ]; then
  is "$(sed -n 5p <<<"$v")" "libseccomp: $lsv" "fifth line: libseccomp's version, as runc prints it"
else
  like "$(sed -n 5p <<<"$v")" '^libseccomp: [0-9]+\.[0-9]+\.[0-9]+$' "fifth line: libseccomp's version"
fi
is "$(wc -l <<<"$v")" 5 "five lines"

run_cmd "$ESTIBA" -v
is "$output" "$v" "-v is --version"
run_cmd "$ESTIBA" --root /nonexistent --version
is "$status" 0 "--version after other global flags"
run_cmd "$ESTIBA" list --version
is "$status" 1 "--version after the command is the command's unknown flag"

# A closed stdout is an error, not a silent success.
run_cmd bash -c "'$ESTIBA' features >&-"
isnt "$status" 0 "writing to a closed stdout fails"

done_testing
