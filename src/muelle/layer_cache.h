/* The unpacked layer cache: ROOT/cache/layers/<diff_id hex>/ holds each
 * layer extracted once (whiteouts kept as files), so making another bundle
 * of an image copies trees instead of decompressing and checking every
 * layer again.  Entries appear atomically (extracted into a temporary
 * directory, then renamed); prune removes those no image uses.  */
#ifndef MUELLE_LAYER_CACHE_H
#define MUELLE_LAYER_CACHE_H

#include "layer_extract.h"
#include "store.h"

/* The cached tree of a layer (malloc'd path), extracting it first when it
 * is not there.  The layer blob is verified against its digest and size,
 * its content against diff_id.  */
int layer_cache_get (struct muelle_store *store, const struct oci_image_descriptor *layer,
                     const char *diff_id, char **dir_out, estiba_error_t *err);

/* Apply a layer onto rootfd (a bundle's root) as bundle does: from the
 * cached tree when there is one; else the first time straight from the
 * verified blob, without filling the cache (that would create every file
 * twice, and many layers are bundled only once); the second time the
 * cache is filled first.  opts gives the id maps; layer names errors.  */
int layer_cache_apply (struct muelle_store *store, const struct oci_image_descriptor *layer,
                       const char *diff_id, int rootfd, const struct layer_extract_options *opts,
                       estiba_error_t *err);

/* Fills a new, empty cache entry directory (open as dirfd, at path dir).  */
typedef int (*cache_entry_fill_fn) (int dirfd, const char *dir, void *opaque, estiba_error_t *err);

/* The entry for diff_id in the cache directory `cache` (malloc'd path in
 * *dir_out): returned at once when present, else made by fill in a
 * temporary directory beside it and renamed into place, so an entry is
 * complete or absent (when two commands make the same entry, one is kept).
 * `what` names the cache in errors.  Shared by the layer cache and the
 * build's overlay-format cache.  */
int cache_entry_get (const char *cache, const char *what, const struct oci_image_descriptor *layer,
                     const char *diff_id, cache_entry_fill_fn fill, void *opaque, char **dir_out,
                     estiba_error_t *err);

#endif
