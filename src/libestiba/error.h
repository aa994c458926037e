/* The error value every fallible function in estiba and muelle returns.
 *
 * A function that can fail takes `estiba_error_t *err` as its last
 * argument and returns a negative value on failure after filling *err
 * with what failed, the errno (0 when none applies) and its context.
 * Callers either handle it (and release it) or pass it up unchanged,
 * optionally prefixing context.  The error is printed once, at the top.  */
#ifndef ESTIBA_ERROR_H
#define ESTIBA_ERROR_H

#include <stdarg.h>
#include <stdio.h>

struct estiba_error_s
{
  int status; /* errno of the failing call, or 0 */
  char *msg;  /* what failed, with context; no trailing newline */
};
typedef struct estiba_error_s *estiba_error_t;

/* Fill *err (which must be NULL) and return -1 (or -errno_ when errno_ is
 * set, so callers may test `ret < 0`).  The message is printf-style;
 * strerror(errno_) is appended when errno_ != 0.  */
int estiba_error (estiba_error_t *err, int errno_, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Same, but the errno is taken from `errno`.  */
#define estiba_error_errno(err, ...) estiba_error ((err), errno, __VA_ARGS__)

/* Put "prefix: " in front of an existing error's message; returns the
 * same negative value as estiba_error so `return estiba_error_wrap (...)`
 * works.  */
int estiba_error_wrap (estiba_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Full message, "<msg>: <strerror>" when status != 0.  Caller frees.  */
char *estiba_error_string (const estiba_error_t err);

/* Write "<prog>: <message>\n" to stream.  */
void estiba_error_print (FILE *stream, const char *prog, const estiba_error_t err);

void estiba_error_release (estiba_error_t *err);

#define cleanup_error __attribute__ ((cleanup (estiba_error_release)))

#endif
