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

/* Whether dir is (below) the mount point of the v1 hierarchy holding the
 * controller a file name starts with ("memory" for memory.max): the mount
 * point is named after its controllers ("/memory/", "/cpu,cpuacct/").
 * Never for cgroup.*: those are in every hierarchy.  */
static bool
in_hierarchy_of (const char *dir, const char *name)
{
  size_t len = strcspn (name, ".");
  const char *p = dir;

  if (name[len] != '.' || len == 0 || strncmp (name, "cgroup.", 7) == 0)
    return false;
  while (*p)
    {
      size_t tok = strcspn (p, "/,");
      if (tok == len && strncmp (p, name, len) == 0)
        return true;
      p += tok;
      p += *p != '\0';
    }
  return false;
}

static char *
path_if_exists (const char *dir, const char *name)
{
  char *path = NULL;

  if (asprintf (&path, "%s/%s", dir, name) < 0)
    return NULL;
  if (access (path, F_OK) == 0)
    return path;
  free (path);
  return NULL;
}

char *
cgroup_file_find (char *const *dirs, const char *name)
{
  char *path;
  size_t i;

  if (strchr (name, '/') != NULL)
    return NULL;
  /* A controller's files exist in one hierarchy only: probing the one
   * named after it first spares an access() per other hierarchy (up to
   * ten on a v1 host, for every control file read or written).  */
  for (i = 0; dirs && dirs[i]; i++)
    if (in_hierarchy_of (dirs[i], name) && (path = path_if_exists (dirs[i], name)) != NULL)
      return path;
  for (i = 0; dirs && dirs[i]; i++)
    if (!in_hierarchy_of (dirs[i], name) && (path = path_if_exists (dirs[i], name)) != NULL)
      return path;
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
  size_t n = 0;

  /* From the end: the unified hierarchy is listed last (as in
   * /proc/self/cgroup, "0::"), so a hybrid host finds it with one
   * access() instead of one per v1 hierarchy.  There is at most one.  */
  while (dirs && dirs[n])
    n++;
  while (n-- > 0)
    {
      cleanup_free char *path = NULL;
      if (asprintf (&path, "%s/cgroup.controllers", dirs[n]) < 0)
        return NULL;
      if (access (path, F_OK) == 0)
        return dirs[n];
    }
  return NULL;
}
