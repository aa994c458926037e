/* muelle save / load: images to and from tar archives other tools read.
 *
 *   oci-archive     an OCI image layout in a tar (skopeo oci-archive:)
 *   docker-archive  `docker save`'s format: manifest.json, <id>.json
 *                   configs and uncompressed <diff_id>/layer.tar layers
 *                   (docker load, podman load, skopeo docker-archive:)  */
#ifndef MUELLE_ARCHIVE_IO_H
#define MUELLE_ARCHIVE_IO_H

#include <stdbool.h>
#include "store.h"

enum archive_kind
{
  ARCHIVE_KIND_DOCKER,
  ARCHIVE_KIND_OCI,
};

struct save_image
{
  struct oci_image_descriptor *desc; /* manifest */
  char *name;                        /* normalised tag, NULL when saved by id */
};

/* Write images to path (replaced atomically; nothing left on failure).  */
int archive_save (struct muelle_store *store, const char *path, enum archive_kind kind,
                  const struct save_image *images, size_t n, estiba_error_t *err);

/* Load every image of the archive at path (either kind, possibly
 * compressed), printing "Loaded image: NAME" lines unless quiet.  */
int archive_load (struct muelle_store *store, const char *path, bool quiet, estiba_error_t *err);

#endif
