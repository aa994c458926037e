/* estiba - the process that holds a systemd scope until the container's
 * first process is in it (--systemd-cgroup).  */
#ifndef ESTIBA_CGROUP_SYSTEMD_PLACEHOLDER_H
#define ESTIBA_CGROUP_SYSTEMD_PLACEHOLDER_H

#include <sys/types.h>

#include "error.h"

struct scope_placeholder
{
  pid_t pid; /* the process to put in the scope (StartTransientUnit's PIDs) */
  int go_fd; /* the runtime writes the cgroup.procs path to watch here */
};

/* Fork the placeholder (through a parent that reaps it).  It waits for
 * scope_placeholder_release, or exits when the runtime does.  */
int scope_placeholder_start (struct scope_placeholder *ph, estiba_error_t *err);

/* Tell the placeholder which cgroup.procs to watch: it exits as soon as
 * another process is listed there (procs NULL: exit now).  */
void scope_placeholder_release (struct scope_placeholder *ph, const char *procs);

#endif
