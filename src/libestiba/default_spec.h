/* The starter config.json of `estiba spec`, also the base muelle fills in
 * from an image config to make a bundle.  */
#ifndef ESTIBA_DEFAULT_SPEC_H
#define ESTIBA_DEFAULT_SPEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* The default spec, field for field what runc 1.1's `runc spec` writes
 * except "ociVersion", which is the runtime-spec version estiba implements
 * (1.3.0).  The hostname stays "runc" so bundles made by either tool are
 * the same.
 *
 * rootless: runc's `spec --rootless`: a user namespace mapping container
 * uid/gid 0 to the given host uid/gid, no network namespace, /sys bind
 * mounted from the host, no uid=/gid= mount options and no cgroup
 * resources.  Free with oci_config_free().  */
struct oci_config *estiba_default_spec (bool rootless, uid_t uid, gid_t gid, estiba_error_t *err);

#endif
