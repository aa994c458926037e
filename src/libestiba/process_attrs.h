/* Process attributes the container init (or an exec'd process) applies
 * to itself just before execve, each from its libocispec struct.  Every
 * function does nothing when its part of the config is absent.
 *
 * This header also brings in the ones that live in their own files:
 * rlimits.h, scheduling.h (scheduler, I/O priority, CPU affinity),
 * sysctl.h and capabilities.h.
 *
 * An order that works (runc's): rlimits, sysctl, oom_score_adj,
 * personality, scheduler and I/O priority while still privileged;
 * capabilities_prepare_user_change; apply_user_and_groups;
 * capabilities_apply; apply_no_new_privs; seccomp; execve.  */
#ifndef ESTIBA_PROCESS_ATTRS_H
#define ESTIBA_PROCESS_ATTRS_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"
#include "capabilities.h"
#include "rlimits.h"
#include "scheduling.h"
#include "sysctl.h"

/* process.oomScoreAdj: written to /proc/self/oom_score_adj when set
 * (and left alone otherwise, as the spec requires).  */
int apply_oom_score_adj (const struct oci_process *p, estiba_error_t *err);

/* linux.personality: domain LINUX or LINUX32; no flags are defined.  */
int apply_personality (const struct oci_linux *l, estiba_error_t *err);

/* process.noNewPrivileges.  */
int apply_no_new_privs (const struct oci_process *p, estiba_error_t *err);

/* process.user: supplementary groups (additionalGids, or none: the
 * runtime's own groups are dropped), then gid, then uid (real, effective
 * and saved), then the umask (left as it is when not set, as
 * the spec says).
 * setgroups_allowed is false in a user namespace whose setgroups is
 * "deny" (rootless): then additionalGids is an error.  */
int apply_user_and_groups (const struct oci_user *u, bool setgroups_allowed, estiba_error_t *err);

#endif
