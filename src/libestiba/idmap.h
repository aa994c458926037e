/* User namespaces made only to carry id mappings: an id-mapped mount
 * (mounts[].options "idmap"/"ridmap", MOUNT_ATTR_IDMAP) takes its mapping
 * from a user namespace fd.  */
#ifndef ESTIBA_IDMAP_H
#define ESTIBA_IDMAP_H

#include <stddef.h>
#include "error.h"
#include "ocispec.h"

/* A new user namespace whose uid_map/gid_map are the given mappings
 * (containerID hostID size, as in config-linux.md), held by nothing but
 * the returned fd (O_RDONLY of /proc/PID/ns/user of a helper that is
 * already reaped).  `what` names the field for errors.  */
int idmap_userns_open (const struct oci_id_mapping *uids, size_t n_uids, const struct oci_id_mapping *gids,
                       size_t n_gids, const char *what, estiba_error_t *err);

#endif
