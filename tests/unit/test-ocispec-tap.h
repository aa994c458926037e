/* Minimal TAP output for the libocispec unit tests.  */
#ifndef TEST_OCISPEC_TAP_H
#define TEST_OCISPEC_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static void tap_ok (bool ok, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
tap_ok (bool ok, const char *fmt, ...)
{
  va_list ap;
  printf ("%sok %d - ", ok ? "" : "not ", ++tap_count);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
  if (!ok)
    tap_failed++;
}

static void tap_diag (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void
tap_diag (const char *fmt, ...)
{
  va_list ap;
  printf ("# ");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
}

/* The plan goes last ("1..N" after the tests is valid TAP).  */
static int
tap_done (void)
{
  printf ("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

/* Directory of the test data: argv[1], else $SRCDIR/tests/unit/data/ocispec,
 * else the source tree this was built from.  */
static __attribute__ ((unused)) const char *
tap_data_dir (int argc, char **argv)
{
  static char buf[4096];
  if (argc > 1)
    return argv[1];
  const char *srcdir = getenv ("SRCDIR");
  if (srcdir && *srcdir)
    {
      snprintf (buf, sizeof (buf), "%s/tests/unit/data/ocispec", srcdir);
      return buf;
    }
#ifdef OCISPEC_TEST_DATA
  return OCISPEC_TEST_DATA;
#else
  return "tests/unit/data/ocispec";
#endif
}

#endif
