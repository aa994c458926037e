#include <config.h>
#include "layer_path.h"

#include <stdlib.h>
#include <string.h>

#define WHITEOUT_PREFIX      ".wh."
#define WHITEOUT_OPAQUE_NAME ".wh..wh..opq"

char *
layer_path_clean (const char *name, const char **why)
{
  char *out, *o;
  const char *p = name;

  if (name == NULL || name[0] == '\0')
    {
      *why = "empty name";
      return NULL;
    }
  /* Tar writers store "./x" or "x"; a leading "/" is an absolute name,
   * which image layers must not use.  */
  if (name[0] == '/')
    {
      *why = "absolute path";
      return NULL;
    }
  out = malloc (strlen (name) + 2);
  if (out == NULL)
    {
      *why = "out of memory";
      return NULL;
    }
  o = out;
  while (*p)
    {
      const char *end = strchr (p, '/');
      size_t n = end ? (size_t) (end - p) : strlen (p);

      if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          free (out);
          *why = "path contains \"..\"";
          return NULL;
        }
      if (n > 0 && !(n == 1 && p[0] == '.'))
        {
          if (o != out)
            *o++ = '/';
          memcpy (o, p, n);
          o += n;
        }
      p += n;
      while (*p == '/')
        p++;
    }
  if (o == out)
    *o++ = '.';
  *o = '\0';
  return out;
}

enum whiteout_kind
layer_whiteout_kind (const char *leaf, const char **target)
{
  const char *name;

  if (strncmp (leaf, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) != 0)
    return WHITEOUT_NONE;
  if (strcmp (leaf, WHITEOUT_OPAQUE_NAME) == 0)
    return WHITEOUT_OPAQUE;
  name = leaf + strlen (WHITEOUT_PREFIX);
  /* ".wh..wh." is reserved for markers like the opaque one; an unknown
   * marker must not delete anything.  */
  if (name[0] == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0
      || strncmp (name, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) == 0 || strchr (name, '/'))
    return WHITEOUT_INVALID;
  *target = name;
  return WHITEOUT_FILE;
}

char *
layer_path_split (const char *path, const char **leaf)
{
  const char *slash = strrchr (path, '/');

  if (slash == NULL)
    {
      *leaf = path;
      return strdup (".");
    }
  *leaf = slash + 1;
  return strndup (path, slash - path);
}
