/* muelle build --squash: the layers a build added on top of its base
 * image become one layer (the base image's layers stay as they are, as
 * `buildah bud --squash` and `docker build --squash` do); the history
 * keeps every entry, the squashed ones marked empty_layer but the last.  */
#ifndef MUELLE_BUILD_SQUASH_H
#define MUELLE_BUILD_SQUASH_H

#include <stddef.h>
#include <stdint.h>
#include "build_from.h"
#include "error.h"
#include "store.h"

/* Replace img's layers from first_new on by their merge.  */
int build_squash (struct muelle_store *store, struct build_image_state *img, size_t first_new,
                  int64_t timestamp, estiba_error_t *err);

#endif
