/* Error messages ("source: json.path: reason") and the JSON path that
 * locates them.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec-internal.h"

static void
path_reserve (struct oci_path *p, size_t extra)
{
  if (p->len + extra + 1 <= p->cap)
    return;
  size_t cap = p->cap ? p->cap : 64;
  while (cap < p->len + extra + 1)
    cap *= 2;
  char *buf = realloc (p->buf, cap);
  if (buf == NULL)
    abort ();
  p->buf = buf;
  p->cap = cap;
}

size_t
oci_path_push_key (struct oci_path *p, const char *key)
{
  size_t mark = p->len;
  size_t n = strlen (key);
  path_reserve (p, n + 1);
  if (p->len > 0)
    p->buf[p->len++] = '.';
  memcpy (p->buf + p->len, key, n);
  p->len += n;
  p->buf[p->len] = '\0';
  return mark;
}

size_t
oci_path_push_index (struct oci_path *p, size_t index)
{
  size_t mark = p->len;
  path_reserve (p, 24);
  p->len += (size_t) snprintf (p->buf + p->len, 24, "[%zu]", index);
  return mark;
}

void
oci_path_pop (struct oci_path *p, size_t mark)
{
  p->len = mark;
  if (p->buf)
    p->buf[mark] = '\0';
}

void
oci_path_release (struct oci_path *p)
{
  free (p->buf);
  p->buf = NULL;
  p->len = p->cap = 0;
}

/* Input text ends up in messages (keys, values): keep them on one line.  */
static void
replace_control_characters (char *s)
{
  for (; *s; s++)
    if ((unsigned char) *s < 0x20 || *s == 0x7f)
      *s = '?';
}

int
oci_set_verror (char **err, const char *source, const char *path, const char *fmt, va_list ap)
{
  if (err == NULL || *err != NULL)
    return -1;
  char *reason = NULL;
  if (vasprintf (&reason, fmt, ap) < 0)
    abort ();
  char *msg = NULL;
  bool has_source = source && *source;
  bool has_path = path && *path;
  int r = asprintf (&msg, "%s%s%s%s%s", has_source ? source : "", has_source ? ": " : "",
                    has_path ? path : "", has_path ? ": " : "", reason);
  free (reason);
  if (r < 0)
    abort ();
  replace_control_characters (msg);
  *err = msg;
  return -1;
}

int
oci_set_error (char **err, const char *source, const char *path, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  oci_set_verror (err, source, path, fmt, ap);
  va_end (ap);
  return -1;
}
