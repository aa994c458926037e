/* ps: the pids of the container's processes, from its cgroup (as runc:
 * every process in the cgroup, in the runtime's pid namespace).  */
#include <config.h>

#include <stdlib.h>

#include "cgroup.h"
#include "container.h"
#include "estiba.h"

int
estiba_container_ps (struct estiba_context *ctx, const char *id, pid_t **pids, size_t *n, estiba_error_t *err)
{
  struct container c;
  int ret;

  *pids = NULL;
  *n = 0;
  if (container_open (ctx, id, false, &c, err) < 0)
    return -1;
  if (c.status == CONTAINER_STOPPED || c.status == CONTAINER_CREATING)
    ret = estiba_error (err, 0, "container '%s' is not running: %s", id, container_status_name (c.status));
  else
    ret = cgroup_pids (c.st.cgroup_paths, pids, n, err);
  container_close (&c);
  return ret;
}
