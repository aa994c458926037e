/* The processes `create` forks to become the container.
 *
 * stage 1 (child of the runtime): joins the namespaces given by path,
 *   creates the new ones but the cgroup namespace (user first, maps
 *   written by the runtime), then forks the init with CLONE_PARENT, so
 *   that the init is the runtime's child and lands in the new pid and time
 *   namespaces, reports the init's pid and exits.
 * init (stage 2): sets up the container (hostname, rootfs, mounts,
 *   devices, console, hooks, pivot_root, masked/readonly paths, sysctl),
 *   is moved into the container's cgroups by the runtime as late as it can
 *   be (before the hooks, else before the process attributes) and only
 *   then creates the cgroup namespace, so the kernel memory of the setup is
 *   charged to the runtime's cgroups and the namespace is rooted at the
 *   container's; reports "created", then waits on start.sock in the state dir until
 *   `start` connects; then runs the startContainer hooks, the final process
 *   setup and exec.  Errors before "created" go to the runtime over the sync
 *   socket; errors after it go to `start` over its connection.
 * All of this runs in fork()ed copies of the runtime: the parsed config is
 * shared by memory, nothing is serialised.  */
#ifndef ESTIBA_INIT_H
#define ESTIBA_INIT_H

#include <stdbool.h>
#include "error.h"
#include "namespaces.h"
#include "ocispec.h"

struct estiba_seccomp;

struct init_config
{
  const struct oci_config *config;
  const char *bundle;
  const char *rootfs;
  /* Filled in by stage 1 (see open_bundle_fds in init.c).  */
  int bundle_fd;
  int rootfs_parent_fd;
  const char *rootfs_name; /* last component of rootfs */
  int runtime_mntns_fd;    /* the runtime's mount namespace, when ns->inherit_mount */
  const char *id;
  bool no_pivot;
  bool no_new_keyring;
  const struct ns_plan *ns;
  char *const *cgroup_dirs;
  int sync_fd;                          /* the child's end of the sync socketpair */
  int start_listen_fd;                  /* listening on <state dir>/start.sock */
  int preserve_fds;                     /* fds 3..3+N-1 inherited by the process */
  char **env;                           /* process.env, adjusted for LISTEN_FDS */
  const struct estiba_seccomp *seccomp; /* compiled linux.seccomp or NULL */
  int *idmap_trees;                     /* by stage 1 with a user namespace: mount_idmap_prepare */
};

/* Run stage 1 in a freshly forked child: never returns.  */
__attribute__ ((noreturn)) void init_stage1 (const struct init_config *ic);

#endif
