/* The mounts list (config.md "mounts") and the path-resolution rules every
 * mount into the container follows.
 *
 * A mount target is never a plain path string: it is resolved with
 * openat2(RESOLVE_IN_ROOT) against the rootfs fd, so a symlink in the
 * rootfs (absolute or "..") can never lead outside it, and the mount is
 * made on "/proc/self/fd/N" of the resolved fd (the kernel then mounts on
 * exactly the inode we checked).  Runs in the container's init, in its
 * mount namespace, before pivot_root.  */
#ifndef ESTIBA_MOUNTS_H
#define ESTIBA_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

/* openat2 (rootfd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS).  Returns the fd or -1 with errno set.  */
int resolve_in_root (int rootfd, const char *path, int flags);

/* Create path (and its parents) inside the root: the last component as a
 * directory, or as an empty file when `file`.  Existing entries are fine.
 * Returns an O_PATH fd of the result.  */
int mkdir_in_root (int rootfd, const char *path, bool file, mode_t mode, estiba_error_t *err);

/* "/proc/self/fd/N" into buf.  */
const char *fd_path (int fd, char *buf, size_t size);

/* Do config.mounts[idx].  l: the container's linux section (its id
 * mappings for an "idmap" mount without its own).  cgroup_dirs: the
 * container's cgroup directories (for a "cgroup" mount).  On failure the
 * error names the index, destination, type, source and options.  */
int mount_one (int rootfd, const struct oci_mount *m, size_t idx, const struct oci_linux *l,
               char *const *cgroup_dirs, estiba_error_t *err);

/* mount_one with PREPARED, the tree mount_idmap_prepare built for it (or
 * -1): it is only attached.  */
int mount_one_prepared (int rootfd, const struct oci_mount *m, size_t idx, const struct oci_linux *l,
                        char *const *cgroup_dirs, int prepared, estiba_error_t *err);

/* In a user namespace the init has no privilege over the host's
 * filesystems and MOUNT_ATTR_IDMAP fails (EPERM), so, as runc 1.2 does in
 * the runtime, stage 1 builds the detached idmap/ridmap bind trees before
 * it enters the user namespace (sources taken from BUNDLE).  Returns a
 * malloc'd array of one fd or -1 per mount, NULL on error.  */
int *mount_idmap_prepare (const char *bundle, const struct oci_config *c, estiba_error_t *err);

#endif
