/* The container's root filesystem: its propagation, the bind of root.path
 * onto itself, pivot_root (or MS_MOVE + chroot with --no-pivot), then
 * maskedPaths, readonlyPaths and root.readonly.  Runs in the init, in the
 * container's mount namespace.  */
#ifndef ESTIBA_ROOTFS_H
#define ESTIBA_ROOTFS_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

/* Set the propagation of "/" (linux.rootfsPropagation, default rslave so
 * nothing we mount reaches the host), bind the rootfs (`name` in the
 * directory parent_fd, fds the runtime opened: in a user namespace the
 * init may not walk the host path) onto itself, and return an O_PATH fd
 * of the new mount in *rootfd.  */
int rootfs_prepare (const struct oci_linux *l, int parent_fd, const char *name, int *rootfd,
                    estiba_error_t *err);

/* Make rootfs the process's "/" and drop the old root.  */
int rootfs_enter (int rootfd, bool no_pivot, estiba_error_t *err);

/* Before rootfs_enter: maskedPaths (masked with devnull_fd, an O_PATH fd
 * of the host's /dev/null, or an empty read-only tmpfs for directories)
 * and readonlyPaths, resolved inside rootfd.  */
int rootfs_protect_paths (const struct oci_config *c, int rootfd, int devnull_fd, estiba_error_t *err);

/* After rootfs_enter: root.readonly and a shared rootfsPropagation.  */
int rootfs_finalize (const struct oci_config *c, estiba_error_t *err);

/* After rootfs_finalize, for a config without a mount namespace: go back
 * to the runtime's mount namespace (mntns_fd) and chroot into a detached
 * copy of the container's root, so nothing is mounted on the host.  */
int rootfs_return_to_mount_ns (int mntns_fd, estiba_error_t *err);

#endif
