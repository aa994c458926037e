/* Control files among the container's cgroup directories: see
 * cgroup_files.h.  */
#include <config.h>
#include "cgroup_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

char *
cgroup_file_find (char *const *dirs, const char *name)
{
  size_t i;

  if (strchr (name, '/') != NULL)
    return NULL;
  for (i = 0; dirs && dirs[i]; i++)
    {
      char *path = NULL;
      if (asprintf (&path, "%s/%s", dirs[i], name) < 0)
        return NULL;
      if (access (path, F_OK) == 0)
        return path;
      free (path);
    }
  return NULL;
}

bool
cgroup_file_exists (char *const *dirs, const char *name)
{
  cleanup_free char *path = cgroup_file_find (dirs, name);
  return path != NULL;
}

int
cgroup_file_write (char *const *dirs, const char *field, const char *name, const char *value,
                   estiba_error_t *err)
{
  cleanup_free char *path = cgroup_file_find (dirs, name);
  cleanup_close int fd = -1;

  if (path == NULL)
    return estiba_error (err, 0, "%s: not supported on this host (no cgroup file '%s')", field, name);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "%s: open '%s'", field, path);
  if (write (fd, value, strlen (value)) < 0)
    return estiba_error_errno (err, "%s: write '%s' to '%s'", field, value, path);
  return 0;
}

char *
cgroup_file_read (char *const *dirs, const char *name)
{
  cleanup_free char *path = cgroup_file_find (dirs, name);
  cleanup_fclose FILE *f = NULL;
  char *buf = NULL;
  size_t len = 0;
  ssize_t n;

  if (path == NULL || (f = fopen (path, "re")) == NULL)
    return NULL;
  n = getdelim (&buf, &len, '\0', f);
  if (n < 0)
    {
      free (buf);
      return strdup ("");
    }
  while (n > 0 && buf[n - 1] == '\n')
    buf[--n] = '\0';
  return buf;
}

int
cgroup_file_read_i64 (char *const *dirs, const char *name, long long *value)
{
  cleanup_free char *s = cgroup_file_read (dirs, name);
  char *end;

  if (s == NULL)
    return -1;
  if (strcmp (s, "max") == 0)
    {
      *value = -1;
      return 0;
    }
  errno = 0;
  *value = strtoll (s, &end, 10);
  return errno || end == s ? -1 : 0;
}

const char *
cgroup_v2_dir (char *const *dirs)
{
  size_t i;

  for (i = 0; dirs && dirs[i]; i++)
    {
      cleanup_free char *path = NULL;
      if (asprintf (&path, "%s/cgroup.controllers", dirs[i]) < 0)
        return NULL;
      if (access (path, F_OK) == 0)
        return dirs[i];
    }
  return NULL;
}
