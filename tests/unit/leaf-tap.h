/* Minimal TAP output for the runtime leaf module tests: `ok (cond, fmt,
 * ...)` prints one result line, `ok_call (ret, err, fmt, ...)` checks that
 * a libestiba call succeeded and shows its error otherwise, tap_done()
 * prints the plan and gives main's exit status.  */
#ifndef ESTIBA_LEAF_TAP_H
#define ESTIBA_LEAF_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "error.h"

static int tap_count;
static int tap_failures;

/* Unbuffered: the tests fork, and buffered lines would print twice.  */
__attribute__ ((constructor)) static void
tap_init (void)
{
  setvbuf (stdout, NULL, _IONBF, 0);
}

__attribute__ ((format (printf, 2, 3), unused)) static bool
ok (bool cond, const char *fmt, ...)
{
  va_list ap;

  tap_count++;
  printf ("%sok %d - ", cond ? "" : "not ", tap_count);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  if (!cond)
    tap_failures++;
  return cond;
}

__attribute__ ((unused)) static void
diag (const char *msg)
{
  printf ("# %s\n", msg);
}

/* ret >= 0 passes; otherwise print the error and release it.  */
#define ok_call(ret, errp, ...)                                                                              \
  do                                                                                                         \
    {                                                                                                        \
      if (!ok ((ret) >= 0, __VA_ARGS__) && *(errp))                                                          \
        {                                                                                                    \
          char *msg_ = estiba_error_string (*(errp));                                                        \
          diag (msg_);                                                                                       \
          free (msg_);                                                                                       \
        }                                                                                                    \
      estiba_error_release (errp);                                                                           \
    }                                                                                                        \
  while (0)

/* The call failed and its message (with strerror) contains `needle`.  */
#define ok_fails_with(ret, errp, needle, ...)                                                                \
  do                                                                                                         \
    {                                                                                                        \
      char *msg_ = *(errp) ? estiba_error_string (*(errp)) : NULL;                                           \
      if (!ok ((ret) < 0 && msg_ && strstr (msg_, (needle)), __VA_ARGS__))                                   \
        {                                                                                                    \
          printf ("# expected an error containing \"%s\", got: %s\n", (needle), msg_ ? msg_ : "(success)");  \
        }                                                                                                    \
      else                                                                                                   \
        printf ("# error: %s\n", msg_);                                                                      \
      free (msg_);                                                                                           \
      estiba_error_release (errp);                                                                           \
    }                                                                                                        \
  while (0)

/* Run fn in a forked child (so process-wide changes stay there); returns
 * fn's result (0 = passed) or -1 when the child crashed.  The child may
 * print "# ..." diagnostics but no result lines.  */
__attribute__ ((unused)) static int
in_child (int (*fn) (void *), void *arg)
{
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    return -1;
  if (pid == 0)
    _exit (fn (arg));
  if (waitpid (pid, &status, 0) < 0)
    return -1;
  if (WIFSIGNALED (status))
    printf ("# child killed by signal %d\n", WTERMSIG (status));
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* In a child: print the error and return 1.  */
__attribute__ ((unused)) static int
child_fail (estiba_error_t *err, const char *what)
{
  char *msg = *err ? estiba_error_string (*err) : NULL;

  printf ("# %s: %s\n", what, msg ? msg : "failed");
  free (msg);
  estiba_error_release (err);
  return 1;
}

__attribute__ ((unused)) static int
tap_done (void)
{
  printf ("1..%d\n", tap_count);
  return tap_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
