/* update: new linux.resources for a created, running or paused
 * container, written to its cgroups (cgroup_resources.h); the cgroup files
 * are the record of the limits in force.  The device list is not changed
 * (runc's update has no device flags either).  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_resources.h"
#include "cleanup.h"
#include "container.h"
#include "estiba.h"

struct oci_config *
estiba_resources_parse (const char *path, estiba_error_t *err)
{
  cleanup_free char *data = NULL, *wrapped = NULL, *perr = NULL;
  cleanup_fclose FILE *f = NULL;
  struct oci_config *cfg;
  size_t len = 0;

  f = strcmp (path, "-") == 0 ? fdopen (dup (STDIN_FILENO), "r") : fopen (path, "re");
  if (f == NULL)
    return estiba_error_errno (err, "open '%s'", path), NULL;
  if (getdelim (&data, &len, '\0', f) < 0)
    return estiba_error_errno (err, "read '%s'", path), NULL;
  /* libocispec parses documents: read the object as a config's
   * linux.resources.  */
  if (asprintf (&wrapped, "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":%s}}", data) < 0)
    return estiba_error_errno (err, "asprintf"), NULL;
  cfg = oci_config_parse_data (wrapped, strlen (wrapped), path, &perr);
  if (cfg == NULL)
    return estiba_error (err, 0, "%s: %s", path, perr ? perr : "invalid JSON"), NULL;
  if (cfg->linux_ == NULL || cfg->linux_->resources == NULL)
    {
      oci_config_free (cfg);
      return estiba_error (err, 0, "%s: not a linux.resources object", path), NULL;
    }
  return cfg;
}

int
estiba_container_update (struct estiba_context *ctx, const char *id, const struct oci_linux_resources *res,
                         estiba_error_t *err)
{
  struct container c;
  int ret;

  if (container_open (ctx, id, true, &c, err) < 0)
    return -1;
  if (c.status == CONTAINER_STOPPED || c.status == CONTAINER_CREATING)
    ret = estiba_error (err, 0, "container '%s' is not running: %s", id, container_status_name (c.status));
  else
    ret = cgroup_apply_resources (c.st.cgroup_paths, res, NULL, false, err);
  container_close (&c);
  return ret;
}
