/* Minimal cgroup placement: create the container's cgroup at
 * linux.cgroupsPath in every mounted hierarchy (each v1 controller
 * hierarchy, named ones included, and the cgroup2 mount, whether the host
 * is v1, hybrid or unified), move a process in, list its processes, and
 * remove it.  Resource limits are not applied here.
 *
 * The path follows runc's cgroupfs driver: an absolute cgroupsPath is taken
 * from each hierarchy's root; a relative one (and the default, "<id>" when
 * cgroupsPath is missing) is taken relative to the runtime's own cgroup in
 * that hierarchy.  */
#ifndef ESTIBA_CGROUP_H
#define ESTIBA_CGROUP_H

#include <sys/types.h>
#include "error.h"

/* Create the directories; *dirs receives the NULL-terminated list of
 * absolute paths (malloc'd).  On failure nothing created is left.  */
int cgroup_create (const char *cgroups_path, const char *id, char ***dirs, estiba_error_t *err);

/* fork(), the child born inside the container's cgroup when that is one
 * cgroup2 directory (pure v2 hosts): clone3 with CLONE_INTO_CGROUP (Linux
 * 5.7+), so the child never runs outside its limits.  Elsewhere, or when
 * the kernel refuses, a plain fork(); the caller moves the child with
 * cgroup_enter either way (a no-op for a child already there).  Returns
 * as fork().  */
pid_t cgroup_fork_into (char *const *dirs);

/* Move pid into every directory.  */
int cgroup_enter (char *const *dirs, pid_t pid, estiba_error_t *err);

/* The pids in the cgroup (read from the first directory that lists any).  */
int cgroup_pids (char *const *dirs, pid_t **pids, size_t *n, estiba_error_t *err);

/* SIGKILL every process of the cgroup and its sub-cgroups in one step
 * through cgroup2's cgroup.kill (Linux 5.14+), which no fork can race.
 * Returns 1 when done, 0 when there is no cgroup.kill (the caller then
 * signals the pids one by one), <0 on error.  */
int cgroup_kill (char *const *dirs, estiba_error_t *err);

/* Remove the directories (retrying while the kernel reports EBUSY for a
 * cgroup whose last process is still exiting).  Missing ones are fine.  */
int cgroup_destroy (char *const *dirs, estiba_error_t *err);

#endif
