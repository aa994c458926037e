/* update: new linux.resources for a created, running or paused
 * container, written to its cgroups (cgroup_resources.h) and recorded in
 * the saved config (cgroup_update.h).  The device list is not changed
 * (runc's update has no device flags either).  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_resources.h"
#include "cgroup_systemd.h"
#include "cgroup_update.h"
#include "cleanup.h"
#include "container.h"
#include "estiba.h"
#include "state.h"

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

/* The limits in force are kept in the saved config (cgroup_update.h).  A
 * swap limit alone is computed against the memory limit in force (v2's
 * memory.swap.max holds swap without memory).  */
static int
update_locked (struct container *c, const struct oci_linux_resources *res, estiba_error_t *err)
{
  struct oci_config *config = NULL;
  struct oci_linux_resources effective = *res;
  struct oci_linux_memory memory;
  cleanup_free char *json = NULL, *path = NULL;
  char *perr = NULL;
  int ret = -1;

  if (container_load_config (c, &config, err) < 0 || cgroup_resources_merge (config, res, err) < 0)
    goto out;
  if (res->memory && res->memory->has_swap && !res->memory->has_limit && config->linux_->resources->memory
      && config->linux_->resources->memory->has_limit)
    {
      memory = *res->memory;
      OCI_SET (&memory, limit, config->linux_->resources->memory->limit);
      effective.memory = &memory;
    }
  if (cgroup_apply_resources (c->st.cgroup_paths, &effective, NULL, false, err) < 0
      || cgroup_systemd_update (c->dir, config->linux_->resources, err) < 0)
    goto out;
  json = oci_config_generate (config, false, &perr);
  if (json == NULL)
    {
      estiba_error (err, 0, "update: save the config: %s", perr ? perr : "");
      free (perr);
      goto out;
    }
  if (asprintf (&path, "%s/%s", c->dir, STATE_CONFIG_FILE) < 0)
    {
      estiba_error_errno (err, "asprintf");
      goto out;
    }
  ret = write_file_atomic (path, json, strlen (json), 0600, err);
out:
  oci_config_free (config);
  return ret;
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
    ret = update_locked (&c, res, err);
  container_close (&c);
  return ret;
}
