/* Minimal TAP for unit tests (tests/unit/test-*.c), header only:
 *
 *   #include "../lib/tap.h"
 *   int main (void) {
 *     ok (parse ("x") == 0, "parses x");
 *     is_int (count, 3, "three items");
 *     is_str (name, "busybox", "name kept");
 *     return done_testing ();
 *   }
 *
 * Each check prints `ok N - desc` or `not ok N - desc` plus a diagnostic;
 * done_testing prints the plan and returns the exit status (1 on failure).  */
#ifndef ESTIBA_TAP_H
#define ESTIBA_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline void
tap_diag (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  printf ("# ");
  vprintf (fmt, ap);
  printf ("\n");
  va_end (ap);
}

static inline int
tap_ok (int cond, const char *file, int line, const char *desc)
{
  tap_count++;
  printf ("%s %d - %s\n", cond ? "ok" : "not ok", tap_count, desc);
  if (!cond)
    {
      tap_failed++;
      tap_diag ("  at %s:%d", file, line);
    }
  fflush (stdout);
  return cond;
}

static inline int
tap_is_int (long long got, long long expected, const char *file, int line, const char *desc)
{
  int cond = tap_ok (got == expected, file, line, desc);
  if (!cond)
    tap_diag ("       got: %lld\n#  expected: %lld", got, expected);
  return cond;
}

static inline int
tap_is_str (const char *got, const char *expected, const char *file, int line, const char *desc)
{
  int same = (got == NULL || expected == NULL) ? got == expected : strcmp (got, expected) == 0;
  int cond = tap_ok (same, file, line, desc);
  if (!cond)
    tap_diag ("       got: '%s'\n#  expected: '%s'", got ? got : "(null)", expected ? expected : "(null)");
  return cond;
}

static inline void
skip (const char *reason)
{
  printf ("ok %d # SKIP %s\n", ++tap_count, reason);
}

static inline int
done_testing (void)
{
  printf ("1..%d\n", tap_count);
  fflush (stdout);
  return tap_failed ? 1 : 0;
}

#define ok(cond, desc) tap_ok (!!(cond), __FILE__, __LINE__, desc)
#define is_int(got, expected, desc)                                                                          \
  tap_is_int ((long long) (got), (long long) (expected), __FILE__, __LINE__, desc)
#define is_str(got, expected, desc) tap_is_str (got, expected, __FILE__, __LINE__, desc)
#define diag                        tap_diag

#endif
