/* Dockerfile-style `--change` instructions applied to an image config
 * (import): CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR,
 * STOPSIGNAL, as `docker import --change` accepts them.  */
#ifndef MUELLE_IMAGE_CHANGE_H
#define MUELLE_IMAGE_CHANGE_H

#include "error.h"
#include "ocispec.h"

int image_apply_change (struct oci_image_config *config, const char *change, estiba_error_t *err);

#endif
