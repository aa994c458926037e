/* Creating images in the store: a layer from a tar stream (import, load)
 * and the config + manifest that make an image out of layers.  */
#ifndef MUELLE_IMAGE_WRITE_H
#define MUELLE_IMAGE_WRITE_H

#include "store.h"

/* Read a tar (plain or compressed) from fd, check every entry name (the
 * same rules as extraction), and store it gzip-compressed.  Fills
 * *layer (mediaType tar+gzip, digest, size) and *diff_id (sha256 of the
 * uncompressed tar).  `what` names the input in errors.  */
int layer_write_from_fd (struct muelle_store *store, int fd, const char *what,
                         struct oci_image_descriptor *layer, char **diff_id, estiba_error_t *err);

/* Check the entries of an uncompressed or compressed tar at path.  */
int layer_check_names (const char *path, const char *what, estiba_error_t *err);

/* Store config and a manifest listing layers; tag the manifest as name
 * (when not NULL).  Returns the manifest descriptor and the config digest
 * (the image id).  */
int image_write (struct muelle_store *store, const struct oci_image_config *config,
                 const struct oci_image_descriptor *layers, size_t n_layers, const char *name,
                 struct oci_image_descriptor **manifest_desc, char **config_digest, estiba_error_t *err);

/* Same, for a config already in the store (load keeps its exact bytes, so
 * the image id does not change).  */
int image_write_manifest (struct muelle_store *store, const struct oci_image_descriptor *config_desc,
                          const struct oci_image_descriptor *layers, size_t n_layers, const char *name,
                          struct oci_image_descriptor **manifest_desc, estiba_error_t *err);

#endif
