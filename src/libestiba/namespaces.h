/* linux.namespaces: which namespaces a container gets new, which it joins
 * by path, and the order to do it in.
 *
 * Namespaces given a path are joined first (setns), the user namespace
 * before any other so the rest are joined with its privileges and the
 * mount namespace last so the other paths still resolve; then the new
 * ones are created with unshare(), user first (its id maps are written by
 * the runtime before the others are made, so they are owned by it).  The
 * pid and time namespaces apply to children only: the init is forked
 * after them.  */
#ifndef ESTIBA_NAMESPACES_H
#define ESTIBA_NAMESPACES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

#define NS_MAX 8

struct ns_join
{
  int type; /* CLONE_NEW* */
  int fd;
};

struct ns_plan
{
  int new_flags; /* CLONE_NEW* to unshare, user included */
  struct ns_join join[NS_MAX];
  size_t n_join;
  bool has_mount; /* new or joined */
  bool has_user;  /* new or joined */
  /* No mount namespace in the config: the container inherits the
   * runtime's.  The rootfs is still built in a private one (CLONE_NEWNS is
   * in new_flags) and the init returns to the runtime's afterwards.  */
  bool inherit_mount;
};

/* CLONE_NEW* for a runtime-spec type name, 0 when unknown.  */
int namespace_flag (const char *type);
/* The name of the /proc/PID/ns entry for a CLONE_NEW* flag.  */
const char *namespace_proc_name (int flag);

/* Check linux.namespaces (unknown or duplicate types, id mappings without
 * a user namespace, ...) and open the paths to join (close-on-exec).  */
int namespaces_plan (const struct oci_linux *l, struct ns_plan *plan, estiba_error_t *err);
void namespaces_plan_release (struct ns_plan *plan);

/* The namespaces of a running process that differ from ours (for exec),
 * opened to be joined with namespaces_join.  */
int namespaces_plan_for_pid (pid_t pid, struct ns_plan *plan, estiba_error_t *err);

/* setns() into every joined namespace, in the order above.  */
int namespaces_join (const struct ns_plan *plan, estiba_error_t *err);

/* Write /proc/PID/timens_offsets (after PID's unshare(CLONE_NEWTIME),
 * before any process enters the namespace).  The runtime does it: in a
 * new user namespace the process itself may not open its /proc files for
 * writing.  */
int namespaces_write_time_offsets (pid_t pid, const struct oci_linux *l, estiba_error_t *err);

/* Write /proc/PID/uid_map and gid_map from the config's mappings.  */
int namespaces_write_id_maps (pid_t pid, const struct oci_linux *l, estiba_error_t *err);

#endif
