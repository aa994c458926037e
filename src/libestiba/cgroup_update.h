/* update's new limits recorded in the container's saved config (the state
 * directory's config.json), as runc records them in its state: a later
 * update, and anything reading the saved config, sees the limits in force
 * rather than those of create.  */
#ifndef ESTIBA_CGROUP_UPDATE_H
#define ESTIBA_CGROUP_UPDATE_H

#include "error.h"
#include "ocispec.h"

/* Merge update into config->linux.resources: each field update sets
 * replaces the saved one (device arrays and throttle lists as a whole,
 * hugepage limits per page size, unified per key); the device rules are
 * not touched.  */
int cgroup_resources_merge (struct oci_config *config, const struct oci_linux_resources *update,
                            estiba_error_t *err);

#endif
