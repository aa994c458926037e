#!/usr/bin/env bash
# man/estiba.8 documents every command and every flag the binary takes,
# and renders without warnings.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
require_file "$ESTIBA" "estiba is not built"
page=$SRCDIR/man/estiba.8
require_file "$page" "man/estiba.8 is missing"

# The page's text with troff's escaped dashes made plain.
text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page")

commands=(checkpoint create delete events exec kill list pause ps restore resume run spec start state update features)
for c in "${commands[@]}"; do
  missing=""
  grep -Eq "^\.(SS|TP|B|BI|BR) .*\b$c\b" <<<"$text" || missing+=" (the command itself)"
  # Long flags from the command's --help: "--name".
  for f in $("$ESTIBA" "$c" --help | sed -n '/^Options:/,$p' | grep -oE -- '--[a-z0-9-]+' | sort -u); do
    [ "$f" = --help ] && continue
    grep -q -- "$f" <<<"$text" || missing+=" $f"
  done
  is "$missing" "" "the man page documents $c and its flags"
done

missing=""
for f in $("$ESTIBA" --help | sed -n '/^Global options/,$p' | grep -oE -- '--[a-z0-9-]+' | sort -u); do
  grep -q -- "$f" <<<"$text" || missing+=" $f"
done
is "$missing" "" "the man page documents every global flag"

for section in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
  grep -q "^\.SH \"\?$section\"\?$" "$page" || fail "section $section"
done
pass "the page has the usual sections"

if command -v man >/dev/null 2>&1; then
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -l "$page" 2>&1 >/dev/null)
  is "$warnings" "" "man renders the page without warnings"
else
  skip "man is not installed"
fi

done_testing
