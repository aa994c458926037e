/* Dockerfile-style `--change` instructions applied to an image config
 * (import): CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR,
 * STOPSIGNAL, as `docker import --change` accepts them.  */
#ifndef MUELLE_IMAGE_CHANGE_H
#define MUELLE_IMAGE_CHANGE_H

#include "error.h"
#include "ocispec.h"

int image_apply_change (struct oci_image_config *config, const char *change, estiba_error_t *err);

/* Add key to a set-like map of the image config (ExposedPorts, Volumes)
 * unless it is there already.  */
void image_empty_map_add (struct oci_empty_map **map, const char *key);

#endif
