/* A stored image whose tag points at an image index (or Docker manifest
 * list) stands for one image per platform: pick the one to use.  */
#ifndef MUELLE_IMAGE_SELECT_H
#define MUELLE_IMAGE_SELECT_H

#include "pull.h"
#include "store.h"

/* If desc is an index, descend (through nested indexes) to the manifest
 * for `want` (NULL: this host's platform); otherwise copy desc.  The index
 * blobs are digest-checked and validated; errors name the index.  */
int image_select_platform (struct muelle_store *store, const struct oci_image_descriptor *desc,
                           const struct image_platform *want, struct oci_image_descriptor **out,
                           estiba_error_t *err);

#endif
