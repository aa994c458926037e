/* The cgroup manager choice.  estiba drives cgroups itself (cgroupfs);
 * --systemd-cgroup asks for cgroups made through systemd, with
 * linux.cgroupsPath in runc's "slice:prefix:name" form.  That needs
 * systemd as PID 1, and the request is refused with the reason, never
 * silently served by cgroupfs.  */
#ifndef ESTIBA_CGROUP_SYSTEMD_H
#define ESTIBA_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include "error.h"

/* Check cgroups_path (may be NULL) against the manager asked for: with
 * systemd, "slice:prefix:name" (slice empty or a valid NAME.slice, no '/'
 * anywhere); without, a path (the systemd form is refused rather than
 * taken as a directory named "a:b:c").  Then, with systemd, fail saying
 * why it cannot be used.  */
int cgroup_check_manager (const char *cgroups_path, bool systemd, estiba_error_t *err);

#endif
