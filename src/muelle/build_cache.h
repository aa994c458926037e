/* The build step cache.  The key of a step is the sha256 over:
 *   the parent image config in canonical form without `created` and
 *   `history` (so Env, User, WorkingDir, Shell... count), the parent
 *   diff_ids, the instruction after expansion (kind, flags, arguments,
 *   heredocs), the step's extra inputs (the COPY/ADD sources digest, the
 *   RUN environment with the build args it sees, secrets ids) and the
 *   platform.
 * The value, stored as build/cache/<hex of the key> (small JSON), is the
 * layer descriptor and diff_id the step produced, or "no layer" for steps
 * that only decided something (WORKDIR on an existing directory).  The
 * layer blob must still be in the store for a hit.  Shared between builds
 * and Dockerfiles of the same store.  */
#ifndef MUELLE_BUILD_CACHE_H
#define MUELLE_BUILD_CACHE_H

#include <stdbool.h>
#include "dockerfile.h"
#include "error.h"
#include "ocispec.h"
#include "store.h"

/* extra: the step's other inputs as NUL-free strings, NULL-terminated
 * (may be NULL).  *key is "sha256:HEX".  */
int build_cache_key (const struct oci_image_config *parent, const struct dockerfile_instruction *inst,
                     char *const *extra, const char *platform, char **key, estiba_error_t *err);

/* 1 and *layer, *diff_id filled on a hit (layer->digest NULL: the step
 * made no layer), 0 on a miss.  */
int build_cache_get (struct muelle_store *store, const char *key, struct oci_image_descriptor *layer,
                     char **diff_id, estiba_error_t *err);
/* Record a result (layer NULL: no layer).  Written atomically.  */
int build_cache_put (struct muelle_store *store, const char *key, const struct oci_image_descriptor *layer,
                     const char *diff_id, estiba_error_t *err);

/* For muelle prune, with the store held exclusively (no build runs) and
 * its unreferenced blobs already removed: remove the step cache entries
 * that can no longer hit (their layer blob is gone; "no layer" entries
 * stay), the RUN --mount=type=cache directories and stale build scratch
 * directories.  *removed counts them.  */
int build_cache_prune (struct muelle_store *store, int *removed, estiba_error_t *err);

#endif
