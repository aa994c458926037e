/* COPY and ADD of `muelle build`: sources from the build context (read in
 * place, .dockerignore applied), from another stage or image (--from: a
 * read-only view), heredocs, local tars (ADD: extracted) and URLs (ADD:
 * fetched), turned into one layer with the reproducible layer writer.
 *
 * Docker's rules: globs ('*', '?', '[...]') per path component; a
 * directory source copies its contents; several sources (or a glob) need
 * a directory dest ending in '/' or an existing directory; a dest ending
 * in '/' is a directory; a relative dest is relative to WORKDIR; parents
 * of dest are created 0755 root.  Sources never leave the context: ".."
 * is refused, symlinks inside are copied as symlinks, never followed.  */
#ifndef MUELLE_BUILD_COPY_H
#define MUELLE_BUILD_COPY_H

#include <stdint.h>
#include "dockerfile.h"
#include "dockerignore.h"
#include "error.h"
#include "ocispec.h"
#include "store.h"

/* stat-keyed (dev, ino, size, mtime ns, ctime ns, mode) -> sha256 of
 * content, persisted under build/digests, so a cached rebuild of a
 * 100k-file context re-hashes nothing unchanged.  */
struct build_digest_cache;
int build_digest_cache_open (struct muelle_store *store, struct build_digest_cache **out,
                             estiba_error_t *err);
/* Writes back when changed, then frees; NULL ok.  */
int build_digest_cache_close (struct build_digest_cache *c, estiba_error_t *err);

struct build_copy_request
{
  struct muelle_store *store;
  const struct dockerfile_instruction *inst; /* expanded COPY or ADD */
  const char *context_dir;                   /* sources without --from */
  const struct dockerignore *ignore;         /* the context's .dockerignore, NULL: none */
  const char *from_root;  /* COPY --from: path of a read-only view of that stage/image, else NULL */
  const char *stage_root; /* read-only view of the current stage rootfs: --chown names via its
                             /etc/passwd,/etc/group; existing dest dirs/symlinks as Docker treats them */
  const char *workdir;    /* relative dest is relative to this ("/" default) */
  int64_t timestamp;
  struct build_digest_cache *digests; /* may be NULL */
};

/* The cache-key part of the sources: a digest over every selected source's
 * relative name, type, mode, owner (after --chown/--chmod), content
 * digest, link target, in order, plus the dest; for ADD URLs the
 * downloaded content (or --checksum).  *digest is "sha256:HEX", malloc'd. */
int build_copy_sources_digest (const struct build_copy_request *req, char **digest, estiba_error_t *err);

/* Write the step's layer into the store.  */
int build_copy_step (const struct build_copy_request *req, struct oci_image_descriptor *layer, char **diff_id,
                     estiba_error_t *err);

#endif
