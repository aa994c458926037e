#!/usr/bin/env bash
# What `estiba spec` and `estiba features` write is what libocispec reads:
# each document parses, passes libocispec's validation of the spec's MUST
# rules, and serializes back to the same JSON.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
require_cmd jq cc pkg-config
require_file "$ESTIBA" "estiba is not built"
require_file "$BUILDDIR/libocispec/libocispec.a" "libocispec is not built"

cat >"$TEST_TMP/roundtrip.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ocispec.h"

/* roundtrip config|features FILE: parse, validate, print compact JSON.  */
int
main (int argc, char **argv)
{
  char *err = NULL, *out = NULL;
  int ret = 0;

  if (argc != 3)
    return 2;
  if (strcmp (argv[1], "config") == 0)
    {
      struct oci_config *c = oci_config_parse_file (argv[2], &err);
      if (c != NULL && oci_config_validate (c, &err) == 0)
        out = oci_config_generate (c, false, &err);
      oci_config_free (c);
    }
  else
    {
      struct oci_features *f = oci_features_parse_file (argv[2], &err);
      if (f != NULL && oci_features_validate (f, &err) == 0)
        out = oci_features_generate (f, false, &err);
      oci_features_free (f);
    }
  if (out == NULL)
    {
      fprintf (stderr, "%s\n", err ? err : "failed");
      ret = 1;
    }
  else
    puts (out);
  /* Everything freed: an ASan build checks this helper for leaks too.  */
  free (out);
  free (err);
  return ret;
}
C
rt=$TEST_TMP/roundtrip
# shellcheck disable=SC2046
# The same compiler and sanitizer flags as the build that made libocispec.a
# (an ASan build's archive only links with -fsanitize).
build_var () { sed -n "s/^$1 = //p" "$BUILDDIR/Makefile" | head -n 1; }
build_cc=$(build_var CC)
# shellcheck disable=SC2046,SC2086
${build_cc:-cc} -std=gnu11 $(build_var SAN_CFLAGS) -I"$SRCDIR/libocispec" -o "$rt" "$TEST_TMP/roundtrip.c" \
  "$BUILDDIR/libocispec/libocispec.a" $(pkg-config --libs yajl) $(build_var SAN_LDFLAGS) \
  || bail "cannot build the libocispec round-trip helper"

# same "desc" KIND FILE: parse+validate+generate gives FILE's JSON back.
same ()
{
  local out
  if ! out=$("$rt" "$2" "$3" 2>&1); then
    fail "$1" "libocispec rejects it: $out"
    return
  fi
  is "$(jq -S . <<<"$out")" "$(jq -S . "$3")" "$1"
}

mkdir "$TEST_TMP/default" "$TEST_TMP/rootless"
"$ESTIBA" spec -b "$TEST_TMP/default" || bail "estiba spec failed"
"$ESTIBA" spec --rootless -b "$TEST_TMP/rootless" || bail "estiba spec --rootless failed"
"$ESTIBA" features >"$TEST_TMP/features.json" || bail "estiba features failed"

same "spec: valid for libocispec and parses back to the same JSON" config "$TEST_TMP/default/config.json"
same "spec --rootless: valid and parses back to the same JSON" config "$TEST_TMP/rootless/config.json"
same "features: valid and parses back to the same JSON" features "$TEST_TMP/features.json"

# The helper must be able to fail: an invalid document is rejected.
jq '.process.user = {}' "$TEST_TMP/default/config.json" >"$TEST_TMP/broken.json"
run_cmd "$rt" config "$TEST_TMP/broken.json"
isnt "$status" 0 "a config.json without process.user.uid is rejected (the check can fail)"

done_testing
