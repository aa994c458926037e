/* --systemd-cgroup and the slice:prefix:name cgroupsPath: see
 * cgroup_systemd.h.  */
#include <config.h>
#include "cgroup_systemd.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

#define FIELD "linux.cgroupsPath"

/* systemd's unit name rules for a slice as runc's ExpandSlice checks
 * them: NAME.slice, no '/', and the '-' separated parents neither empty
 * nor starting or ending with '-'.  */
static bool
valid_slice (const char *slice, size_t len)
{
  const char *suffix = ".slice";
  size_t slen = strlen (suffix), i;

  if (len <= slen || memcmp (slice + len - slen, suffix, slen) != 0)
    return false;
  len -= slen;
  if (slice[0] == '-' || slice[len - 1] == '-')
    return false;
  for (i = 0; i < len; i++)
    if (slice[i] == '/' || (slice[i] == '-' && slice[i + 1] == '-'))
      return false;
  return true;
}

static int
check_systemd_form (const char *path, estiba_error_t *err)
{
  const char *c1 = strchr (path, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;

  if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':'))
    return estiba_error (err, 0, FIELD " '%s': with --systemd-cgroup it must be \"slice:prefix:name\"", path);
  if (c1 != path && !valid_slice (path, (size_t) (c1 - path)))
    return estiba_error (err, 0, FIELD " '%s': '%.*s' is not a valid systemd slice (NAME.slice)", path,
                         (int) (c1 - path), path);
  if (c2 == c1 + 1 || c2[1] == '\0' || strchr (c1 + 1, '/'))
    return estiba_error (err, 0, FIELD " '%s': prefix and name must be non-empty and contain no '/'", path);
  return 0;
}

/* What runs as PID 1 (its comm), or "" when unreadable.  */
static void
pid1_name (char *buf, size_t size)
{
  cleanup_close int fd = open ("/proc/1/comm", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, size - 1);

  buf[n > 0 ? n : 0] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
}

int
cgroup_check_manager (const char *cgroups_path, bool systemd, estiba_error_t *err)
{
  char pid1[64];

  if (!systemd)
    {
      if (cgroups_path && cgroups_path[0] != '/' && strchr (cgroups_path, ':') && !strchr (cgroups_path, '/'))
        return estiba_error (err, 0,
                             FIELD
                             " '%s': the \"slice:prefix:name\" form needs --systemd-cgroup (the cgroupfs "
                             "driver takes a path)",
                             cgroups_path);
      return 0;
    }
  if (cgroups_path && *cgroups_path && check_systemd_form (cgroups_path, err) < 0)
    return -1;
  pid1_name (pid1, sizeof pid1);
  if (strcmp (pid1, "systemd") != 0 || access ("/run/systemd/system", F_OK) < 0)
    return estiba_error (
      err, 0,
      "--systemd-cgroup: systemd is not running as PID 1 (PID 1 is '%s'), so there is no "
      "systemd to create the cgroup; run without --systemd-cgroup to use the cgroupfs driver",
      *pid1 ? pid1 : "unknown");
  return estiba_error (err, 0,
                       "--systemd-cgroup: the systemd cgroup driver is not implemented; run without "
                       "--systemd-cgroup to use the cgroupfs driver");
}
