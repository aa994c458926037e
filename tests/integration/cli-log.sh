#!/usr/bin/env bash
# --log FILE / --log-format: the final error goes to stderr as
# "estiba: msg" and, with --log, also to FILE as runc's logrus lines
# (containerd and dockerd parse the JSON ones).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
require_cmd jq
require_file "$ESTIBA" "estiba is not built"

root=$(new_state_root)
log=$TEST_TMP/log.json

# A command that fails: a usage error, and one from the library.
run_cmd "$ESTIBA" --root "$root" --log "$log" --log-format json kill
is "$status" 1 "a failing command exits 1"
is "$output" "estiba: kill: missing <container-id> [signal] (see 'estiba kill --help')" "stderr has the one-line error"
is "$(wc -l <"$log")" 1 "the log has one line"
check "the line is JSON" jq -e . "$log"
is "$(jq -r .level "$log")" error "level is error"
is "$(jq -r .msg "$log")" "kill: missing <container-id> [signal] (see 'estiba kill --help')" "msg is the error"
like "$(jq -r .time "$log")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$' "time is RFC 3339 UTC"
is "$(jq -c 'keys' "$log")" '["level","msg","time"]' "exactly level, msg and time, as logrus writes"
t=$(jq -r .time "$log")
now=$(date -u +%s)
then=$(date -u -d "$t" +%s)
ok_if "the time is now" "$([ $((now - then)) -le 60 ] && [ $((now - then)) -ge -5 ] && echo 0 || echo 1)"

run_cmd "$ESTIBA" --root "$root" --log "$log" --log-format json state nosuch
isnt "$status" 0 "state of a missing container fails"
is "$(wc -l <"$log")" 2 "the log is appended to, not truncated"
check "the second line is JSON" jq -e -s '.[1].level == "error"' "$log"
is "$(jq -s -r '.[1].msg' "$log")" "${output#estiba: }" "the file and stderr carry the same message"

# JSON escaping: quotes, backslashes, newlines, control and non-UTF-8 bytes.
esc=$TEST_TMP/escape.json
run_cmd "$ESTIBA" --log "$esc" --log-format json list $'--a"b\\c\nd\te\x01f\xffg'
is "$status" 1 "bad flag with odd bytes fails"
is "$(wc -l <"$esc")" 1 "the message with a newline stays on one line"
check "odd bytes are escaped into valid JSON" jq -e . "$esc"
is "$(jq -r .msg "$esc" | head -1)" "list: unknown option '--a\"b\\c" "quote and backslash survive"
like "$(jq -r .msg "$esc")" $'\u0001f\ufffdg' "a control byte is escaped, a bad byte becomes U+FFFD"

# Text format: logrus' key=value line.
txt=$TEST_TMP/log.txt
run_cmd "$ESTIBA" --log "$txt" --log-format text list --bogus
is "$status" 1 "text format: failing command exits 1"
like "$(cat "$txt")" '^time="[0-9T:-]+Z" level=error msg="list: unknown option '"'"'--bogus'"'"' \(see '"'"'estiba list --help'"'"'\)"$' \
  "text format: time=\"...\" level=error msg=\"...\""
run_cmd "$ESTIBA" --log "$TEST_TMP/default.txt" list --bogus
like "$(cat "$TEST_TMP/default.txt")" '^time=".*" level=error msg=' "text is the default format"

# Success writes nothing; no --log writes no file.
ok_log=$TEST_TMP/ok.json
run_cmd "$ESTIBA" --log "$ok_log" --log-format json features
is "$status" 0 "a successful command"
is "$(cat "$ok_log")" "" "leaves the log empty"
is "$(stat -c %a "$ok_log")" 644 "the log file is created 0644"

run_cmd "$ESTIBA" --log "$TEST_TMP/nodir/log" list
is "$status" 1 "an unwritable log file is an error"
is "$output" "estiba: open log file '$TEST_TMP/nodir/log': No such file or directory" "naming the file"

# The shim's exact call convention.
shim=$TEST_TMP/shim.json
run_cmd "$ESTIBA" --root "$root" --log "$shim" --log-format json delete --force nosuch
if [ "$status" -eq 0 ]; then
  pass "delete --force of a missing container succeeds (runc does too)"
  is "$(cat "$shim")" "" "and logs nothing"
else
  check "a failed delete logs a JSON error line" jq -e 'select(.level == "error") | .msg | length > 0' "$shim"
  pass "delete --force of a missing container fails (library not ready)"
fi

done_testing
