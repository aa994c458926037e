/* The container's root filesystem: see rootfs.h.  */
#include <config.h>
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "mounts.h"

static int
propagation_flags (const struct oci_linux *l, unsigned long *flags, estiba_error_t *err)
{
  static const struct
  {
    const char *name;
    unsigned long flags;
  } table[] = {
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  size_t i;

  *flags = MS_SLAVE | MS_REC;
  if (l == NULL || l->rootfs_propagation == NULL || *l->rootfs_propagation == '\0')
    return 0;
  for (i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp (l->rootfs_propagation, table[i].name) == 0)
      {
        *flags = table[i].flags;
        return 0;
      }
  return estiba_error (err, 0, "linux.rootfsPropagation: unknown value '%s'", l->rootfs_propagation);
}

/* The mount holding the directory at fd (fd's own mount when it is a
 * mount root, as an overlay rootfs is) becomes private: pivot_root
 * refuses a new root whose parent is shared, and a bind under a shared
 * parent would show up on the host.  Only this one mount changes, in the
 * container's mount namespace.  */
static int
make_containing_mount_private (int fd, estiba_error_t *err)
{
  cleanup_close int cur = -1;
  struct statx stx;
  char p[64];
  int depth;

  cur = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  for (depth = 0; cur >= 0 && depth < 4096; depth++)
    {
      int up;

      if (statx (cur, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
        return estiba_error_errno (err, "root.path: statx");
      if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0)
        return estiba_error (err, ENOTSUP, "root.path: the kernel does not tell mount roots");
      if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
        {
          if (mount (NULL, fd_path (cur, p, sizeof p), NULL, MS_PRIVATE, NULL) < 0)
            return estiba_error_errno (err, "root.path: make its mount private");
          return 0;
        }
      up = openat (cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      close (cur);
      cur = up;
    }
  return estiba_error_errno (err, "root.path: find its mount");
}

/* The rootfs is reached through fds the runtime opened (its parent
 * directory and its name): in a user namespace the init may not be allowed
 * to walk the host path down to the bundle.  */
int
rootfs_prepare (const struct oci_linux *l, int parent_fd, const char *name, int *rootfd, estiba_error_t *err)
{
  cleanup_close int below = -1, top = -1;
  unsigned long flags;
  char p[64];
  int fd;

  if (propagation_flags (l, &flags, err) < 0)
    return -1;
  /* [r]unbindable is private until rootfs_finalize sets it on the new
   * root: on the old tree it would forbid the binds from the host.  */
  if (mount (NULL, "/", NULL,
             (flags & MS_UNBINDABLE) ? (flags & ~(unsigned long) MS_UNBINDABLE) | MS_PRIVATE : flags, NULL)
      < 0)
    return estiba_error_errno (err, "linux.rootfsPropagation: set the propagation of /");
  /* pivot_root refuses a shared "/" (shared is set again on the new root
   * in rootfs_finalize); the other mounts stay shared with the host, so
   * a "shared" bind in the container reaches it (as runc).  */
  if ((flags & MS_SHARED) && mount (NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
    return estiba_error_errno (err, "linux.rootfsPropagation: make / private");
  below = openat (parent_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (below < 0)
    return estiba_error_errno (err, "root.path: open '%s'", name);
  if (make_containing_mount_private (below, err) < 0)
    return -1;
  if (mount (fd_path (below, p, sizeof p), p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return estiba_error_errno (err, "root.path: bind mount '%s'", name);
  /* Looked up again, the name now leads to the new mount.  */
  top = openat (parent_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (top < 0)
    return estiba_error_errno (err, "root.path: open '%s'", name);
  if (mount (NULL, fd_path (top, p, sizeof p), NULL, MS_PRIVATE, NULL) < 0)
    return estiba_error_errno (err, "root.path: make '%s' private", name);
  fd = steal_fd (&top);
  *rootfd = fd;
  return 0;
}

static int
pivot (int rootfd, estiba_error_t *err)
{
  struct mount_attr slave = { .propagation = MS_SLAVE };
  cleanup_close int old_root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (old_root < 0)
    return estiba_error_errno (err, "open the old root");
  if (fchdir (rootfd) < 0)
    return estiba_error_errno (err, "chdir to the rootfs");
  /* pivot_root(".", ".") stacks the old root on top of the new one; it is
   * made a slave (so unmounting it does not propagate to the host) and
   * lazily detached.  No directory for the old root is needed.  The old
   * root is reached through its fd: "." would be the new root, and making
   * it a slave recursively would turn the container's own shared mounts
   * (mounts[].options "shared") private.  */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return estiba_error_errno (err, "pivot_root to the rootfs");
  if (mount_setattr (old_root, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave, sizeof slave) < 0)
    return estiba_error_errno (err, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return estiba_error_errno (err, "unmount the old root");
  if (chdir ("/") < 0)
    return estiba_error_errno (err, "chdir /");
  return 0;
}

static int
move_and_chroot (int rootfd, estiba_error_t *err)
{
  if (fchdir (rootfd) < 0)
    return estiba_error_errno (err, "chdir to the rootfs");
  if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
    return estiba_error_errno (err, "move the rootfs to /");
  if (chroot (".") < 0)
    return estiba_error_errno (err, "chroot to the rootfs");
  if (chdir ("/") < 0)
    return estiba_error_errno (err, "chdir /");
  return 0;
}

int
rootfs_enter (int rootfd, bool no_pivot, estiba_error_t *err)
{
  return no_pivot ? move_and_chroot (rootfd, err) : pivot (rootfd, err);
}

/* Flags of the mount at fd that a bind remount must keep.  */
static unsigned long
kept_flags (int fd)
{
  struct statvfs sv;
  unsigned long f = 0;

  if (fstatvfs (fd, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

static int
mask_path (int rootfd, const char *path, size_t idx, int devnull_fd, estiba_error_t *err)
{
  cleanup_close int fd = resolve_in_root (rootfd, path, O_PATH);
  struct stat sb;
  char p[64], s[64];

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0 || fstat (fd, &sb) < 0)
    return estiba_error_errno (err, "linux.maskedPaths[%zu]: '%s'", idx, path);
  if (S_ISDIR (sb.st_mode))
    {
      if (mount ("tmpfs", fd_path (fd, p, sizeof p), "tmpfs", MS_RDONLY, "size=0") < 0)
        return estiba_error_errno (err, "linux.maskedPaths[%zu]: mask '%s'", idx, path);
    }
  else if (mount (fd_path (devnull_fd, s, sizeof s), fd_path (fd, p, sizeof p), NULL, MS_BIND, NULL) < 0)
    return estiba_error_errno (err, "linux.maskedPaths[%zu]: mask '%s'", idx, path);
  return 0;
}

static int
readonly_path (int rootfd, const char *path, const char *what, size_t idx, estiba_error_t *err)
{
  cleanup_close int fd = resolve_in_root (rootfd, path, O_PATH);
  cleanup_close int mnt = -1;
  char p[64];

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return estiba_error_errno (err, "%s[%zu]: '%s'", what, idx, path);
  if (mount (fd_path (fd, p, sizeof p), p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return estiba_error_errno (err, "%s[%zu]: bind '%s'", what, idx, path);
  mnt = resolve_in_root (rootfd, path, O_PATH);
  if (mnt < 0)
    return estiba_error_errno (err, "%s[%zu]: '%s'", what, idx, path);
  if (mount (NULL, fd_path (mnt, p, sizeof p), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags (mnt),
             NULL)
      < 0)
    return estiba_error_errno (err, "%s[%zu]: remount '%s' read-only", what, idx, path);
  return 0;
}

static int
root_readonly (estiba_error_t *err)
{
  cleanup_close int fd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "open /");
  if (mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags (fd), NULL) < 0)
    return estiba_error_errno (err, "root.readonly: remount / read-only");
  return 0;
}

int
rootfs_protect_paths (const struct oci_config *c, int rootfd, int devnull_fd, estiba_error_t *err)
{
  const struct oci_linux *l = c->linux_;
  size_t i;

  for (i = 0; l && i < l->masked_paths_len; i++)
    if (mask_path (rootfd, l->masked_paths[i], i, devnull_fd, err) < 0)
      return -1;
  for (i = 0; l && i < l->readonly_paths_len; i++)
    if (readonly_path (rootfd, l->readonly_paths[i], "linux.readonlyPaths", i, err) < 0)
      return -1;
  return 0;
}

int
rootfs_finalize (const struct oci_config *c, estiba_error_t *err)
{
  unsigned long flags;

  if (c->root && c->root->readonly && root_readonly (err) < 0)
    return -1;
  if (propagation_flags (c->linux_, &flags, err) < 0)
    return -1;
  /* The new root is a private bind (rootfs_prepare): shared and
   * unbindable must be set on it again, or "/" could be shared/bound.  */
  if ((flags & (MS_SHARED | MS_UNBINDABLE)) && mount (NULL, "/", NULL, flags, NULL) < 0)
    return estiba_error_errno (err, "linux.rootfsPropagation: set the propagation of the new /");
  return 0;
}

/* runc mounts such a container's filesystems in the host's namespace and
 * leaves them there.  Here they stay in a detached tree (cloned from the
 * private namespace the setup ran in) that only the container's processes
 * reach as their root, and that goes away with the last of them.  */
int
rootfs_return_to_mount_ns (int mntns_fd, estiba_error_t *err)
{
  cleanup_close int tree = open_tree (AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

  if (tree < 0)
    return estiba_error_errno (err, "clone the container's root");
  if (setns (mntns_fd, CLONE_NEWNS) < 0)
    return estiba_error_errno (err, "return to the runtime's mount namespace");
  if (fchdir (tree) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    return estiba_error_errno (err, "enter the detached root");
  return 0;
}
