/* Freezing and thawing the container's processes: the v1 freezer
 * controller where it is mounted (freezer.state), else cgroup2's
 * cgroup.freeze.  Both calls return only once the kernel reports the
 * cgroup FROZEN/THAWED (v1) or "frozen 1"/"frozen 0" in cgroup.events.  */
#ifndef ESTIBA_CGROUP_FREEZER_H
#define ESTIBA_CGROUP_FREEZER_H

#include <stdbool.h>
#include "error.h"

int cgroup_freeze (char *const *dirs, bool freeze, estiba_error_t *err);

/* Whether the cgroup is frozen (or being frozen).  */
bool cgroup_is_frozen (char *const *dirs);

#endif
