/* pause and resume: freeze and thaw every process of the container
 * through its freezer (see cgroup_freezer.h).  As runc, pause takes a
 * running or created container and resume a paused one; the status shows
 * "paused" while the cgroup is frozen.  */
#include <config.h>

#include "cgroup_freezer.h"
#include "container.h"
#include "estiba.h"

int
estiba_container_pause (struct estiba_context *ctx, const char *id, estiba_error_t *err)
{
  struct container c;
  int ret;

  if (container_open (ctx, id, true, &c, err) < 0)
    return -1;
  if (c.status != CONTAINER_RUNNING && c.status != CONTAINER_CREATED)
    ret = estiba_error (err, 0, "container '%s' is not running: %s", id, container_status_name (c.status));
  else
    ret = cgroup_freeze (c.st.cgroup_paths, true, err);
  container_close (&c);
  return ret;
}

int
estiba_container_resume (struct estiba_context *ctx, const char *id, estiba_error_t *err)
{
  struct container c;
  int ret;

  if (container_open (ctx, id, true, &c, err) < 0)
    return -1;
  if (c.status != CONTAINER_PAUSED)
    ret = estiba_error (err, 0, "container '%s' is not paused: %s", id, container_status_name (c.status));
  else
    ret = cgroup_freeze (c.st.cgroup_paths, false, err);
  container_close (&c);
  return ret;
}
