/* Push an image from the store to a registry (OCI distribution-spec
 * "push"): every blob is HEAD-checked, mounted from another repository of
 * the same registry when the store knows the image there, or uploaded
 * (POST + monolithic PUT); then the manifest's exact bytes are PUT, so the
 * registry serves the same digests the store has.  */
#ifndef MUELLE_PUSH_H
#define MUELLE_PUSH_H

#include "error.h"
#include "reference.h"
#include "registry.h"

struct muelle_store;

/* source: what store_resolve accepts (normalised name, digest, id).
 * *digest_out gets the pushed manifest's digest.  */
int push_image (struct muelle_store *store, const char *source, const struct image_ref *dest,
                const struct registry_options *opts, char **digest_out, estiba_error_t *err);

#endif
