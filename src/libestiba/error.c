#include <config.h>
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
estiba_error (estiba_error_t *err, int errno_, const char *fmt, ...)
{
  va_list ap;
  estiba_error_t e;

  if (err == NULL)
    return errno_ ? -errno_ : -1;
  /* Never lose the first error: it is the one that explains the failure.  */
  if (*err != NULL)
    return (*err)->status ? -(*err)->status : -1;

  e = calloc (1, sizeof (*e));
  if (e == NULL)
    abort ();
  e->status = errno_;
  va_start (ap, fmt);
  e->msg = vformat (fmt, ap);
  va_end (ap);
  if (e->msg == NULL)
    abort ();
  *err = e;
  return errno_ ? -errno_ : -1;
}

int
estiba_error_wrap (estiba_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *prefix, *joined = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  prefix = vformat (fmt, ap);
  va_end (ap);
  if (prefix && asprintf (&joined, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (prefix);
  return (*err)->status ? -(*err)->status : -1;
}

char *
estiba_error_string (const estiba_error_t err)
{
  char *s = NULL;
  if (err == NULL)
    return strdup ("unknown error");
  if (err->status == 0)
    return strdup (err->msg);
  if (asprintf (&s, "%s: %s", err->msg, strerror (err->status)) < 0)
    return NULL;
  return s;
}

void
estiba_error_print (FILE *stream, const char *prog, const estiba_error_t err)
{
  char *s = estiba_error_string (err);
  fprintf (stream, "%s: %s\n", prog, s ? s : "out of memory");
  free (s);
}

void
estiba_error_release (estiba_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
