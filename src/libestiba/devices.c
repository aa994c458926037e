/* Device nodes and /dev symlinks: see devices.h.  */
#include <config.h>
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "mounts.h"

struct device
{
  const char *path;
  mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

static const struct device default_devices[] = {
  { "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0 },    { "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0 },
  { "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0 },    { "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0 },
  { "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0 }, { "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0 },
};

/* Split "/dev/x/y" into the parent directory fd (created inside the root)
 * and the last component.  */
static int
open_parent (int rootfd, const char *path, const char **name, estiba_error_t *err)
{
  cleanup_free char *dir = strdup (path);
  char *slash;

  if (dir == NULL)
    return estiba_error_errno (err, "strdup");
  slash = strrchr (dir, '/');
  if (slash == NULL || slash[1] == '\0')
    return estiba_error (err, 0, "invalid device path '%s'", path);
  *name = path + (slash - dir) + 1;
  *slash = '\0';
  return mkdir_in_root (rootfd, *dir ? dir : "/", false, 0755, err);
}

static int
bind_host_device (int rootfd, const struct device *d, estiba_error_t *err)
{
  cleanup_close int src = open (d->path, O_PATH | O_CLOEXEC);
  cleanup_close int dst = -1;
  char s[64], t[64];

  if (src < 0)
    return estiba_error_errno (err, "open host device '%s'", d->path);
  /* The mode is for missing parents (/dev/net of /dev/net/tun): they must
   * stay searchable; the node's own file is always created 0644.  */
  dst = mkdir_in_root (rootfd, d->path, true, 0755, err);
  if (dst < 0)
    return -1;
  if (mount (fd_path (src, s, sizeof s), fd_path (dst, t, sizeof t), NULL, MS_BIND, NULL) < 0)
    return estiba_error_errno (err, "bind host device '%s'", d->path);
  return 0;
}

static int
make_device (int rootfd, const struct device *d, bool bind_only, bool replace, estiba_error_t *err)
{
  cleanup_close int parent = -1;
  const char *name = NULL;

  if (bind_only)
    return bind_host_device (rootfd, d, err);
  parent = open_parent (rootfd, d->path, &name, err);
  if (parent < 0)
    return -1;
  if (replace)
    unlinkat (parent, name, 0);
  if (mknodat (parent, name, d->type | (d->mode & 07777), makedev (d->major, d->minor)) < 0)
    {
      if (errno == EEXIST && !replace)
        return 0;
      if (errno == EPERM)
        return bind_host_device (rootfd, d, err);
      return estiba_error_errno (err, "mknod '%s'", d->path);
    }
  if (fchmodat (parent, name, d->mode & 07777, 0) < 0)
    return estiba_error_errno (err, "chmod '%s'", d->path);
  if (fchownat (parent, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return estiba_error_errno (err, "chown '%s'", d->path);
  return 0;
}

static int
config_device (const struct oci_linux_device *cd, size_t idx, struct device *d, estiba_error_t *err)
{
  memset (d, 0, sizeof (*d));
  d->path = cd->path;
  if (cd->path == NULL || strncmp (cd->path, "/dev/", 5) != 0 || strstr (cd->path, "/../"))
    return estiba_error (err, 0, "linux.devices[%zu].path: '%s' must be under /dev", idx,
                         cd->path ? cd->path : "");
  if (cd->type && (strcmp (cd->type, "c") == 0 || strcmp (cd->type, "u") == 0))
    d->type = S_IFCHR;
  else if (cd->type && strcmp (cd->type, "b") == 0)
    d->type = S_IFBLK;
  else if (cd->type && strcmp (cd->type, "p") == 0)
    d->type = S_IFIFO;
  else
    return estiba_error (err, 0, "linux.devices[%zu].type: unknown device type '%s'", idx,
                         cd->type ? cd->type : "");
  if (d->type != S_IFIFO && (!cd->has_major || !cd->has_minor))
    return estiba_error (err, 0, "linux.devices[%zu]: major and minor are required for type '%s'", idx,
                         cd->type);
  d->major = (unsigned) cd->major;
  d->minor = (unsigned) cd->minor;
  d->mode = cd->has_file_mode ? cd->file_mode : 0666;
  d->uid = cd->has_uid ? cd->uid : 0;
  d->gid = cd->has_gid ? cd->gid : 0;
  return 0;
}

static int
make_symlinks (int rootfd, estiba_error_t *err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },         { "/proc/kcore", "core" },
  };
  cleanup_close int dev = mkdir_in_root (rootfd, "/dev", false, 0755, err);
  size_t i;

  if (dev < 0)
    return -1;
  {
    /* O_PATH fds cannot be used with symlinkat: reopen as a directory.  */
    cleanup_close int d = resolve_in_root (rootfd, "/dev", O_RDONLY | O_DIRECTORY);
    if (d < 0)
      return estiba_error_errno (err, "open /dev in the rootfs");
    for (i = 0; i < sizeof links / sizeof links[0]; i++)
      {
        if (strcmp (links[i][1], "core") == 0 && access ("/proc/kcore", F_OK) < 0)
          continue;
        if (symlinkat (links[i][0], d, links[i][1]) < 0 && errno != EEXIST)
          return estiba_error_errno (err, "create /dev/%s", links[i][1]);
      }
  }
  return 0;
}

int
devices_setup (int rootfd, const struct oci_linux *l, bool bind_only, estiba_error_t *err)
{
  size_t i;

  for (i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
    if (make_device (rootfd, &default_devices[i], bind_only, false, err) < 0)
      return -1;
  for (i = 0; l && i < l->devices_len; i++)
    {
      struct device d;
      if (config_device (&l->devices[i], i, &d, err) < 0)
        return -1;
      if (make_device (rootfd, &d, bind_only, true, err) < 0)
        return estiba_error_wrap (err, "linux.devices[%zu]", i);
    }
  return make_symlinks (rootfd, err);
}
