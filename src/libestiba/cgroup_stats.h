/* Usage statistics of the container's cgroups in runc's `events` schema
 * (libcontainer's types.Stats: cpu, memory, pids, blkio, hugetlb), read
 * from the v1 or v2 files wherever each controller lives.  */
#ifndef ESTIBA_CGROUP_STATS_H
#define ESTIBA_CGROUP_STATS_H

#include "error.h"

/* One event line: {"type":"stats","id":ID,"data":{...}} (malloc'd).  */
int cgroup_stats_event (char *const *dirs, const char *id, char **json, estiba_error_t *err);

/* How many processes the kernel OOM-killed in the cgroup so far (the
 * oom_kill counter of memory.oom_control or memory.events); -1 when it
 * cannot be read.  */
long long cgroup_oom_kills (char *const *dirs);

#endif
