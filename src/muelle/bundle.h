/* An image turned into an OCI runtime bundle (what `umoci unpack` does):
 * DIR/rootfs with the layers applied in order, DIR/config.json converted
 * from the image config per image-spec conversion.md on top of estiba's
 * default spec.  */
#ifndef MUELLE_BUNDLE_H
#define MUELLE_BUNDLE_H

#include "layer_extract.h"
#include "pull.h"
#include "store.h"

struct bundle_options
{
  /* User namespace: owners are shifted into these ranges and the config
   * gets a user namespace with the same mappings.  */
  const struct id_map_range *uid_map;
  size_t uid_map_len;
  const struct id_map_range *gid_map;
  size_t gid_map_len;
  /* For an image index: the platform to unpack (NULL: this host's).  */
  const struct image_platform *platform;
};

/* desc may be an image index: the manifest for opts->platform is used.
 * dir must be missing or empty; on failure nothing is left in it (and it
 * is removed when this call created it).  */
int bundle_create (struct muelle_store *store, const struct oci_image_descriptor *desc, const char *dir,
                   const struct bundle_options *opts, estiba_error_t *err);

/* The runtime config for an image whose root filesystem is open as
 * rootfd (User is resolved through its /etc/passwd and /etc/group).  */
struct oci_config *bundle_config_from_image (const struct oci_image_config *image, int rootfd,
                                             const struct bundle_options *opts, estiba_error_t *err);

/* Parse "CONTAINER:HOST:SIZE".  */
int id_map_parse (const char *text, struct id_map_range *out, estiba_error_t *err);

#endif
