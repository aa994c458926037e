/* Root filesystem views for `muelle build`: an overlay mount of an image's
 * layers, read-only (COPY --from, --chown name lookups, RUN --mount from=)
 * or writable with an upper directory (a RUN step, whose upper directory
 * becomes the step's layer, see build_diff.h).
 *
 * The lower directories come from an overlay-format layer cache,
 * ROOT/cache/overlay/<diff_id hex>/, each layer extracted once from its
 * blob with OCI whiteouts turned into what overlayfs understands: a
 * `.wh.NAME` file becomes a 0/0 character device NAME, a
 * `.wh..wh..opq` marker sets trusted.overlay.opaque=y on its directory.
 * Entries appear atomically (extracted into a temporary directory, then
 * renamed), so concurrent builds share them.
 *
 * The overlay is mounted with the new mount API (fsopen/fsconfig
 * "lowerdir+"), so any number of layers fits, and with redirect_dir=off,
 * metacopy=off, index=off, xino=off, so the upper directory stays in plain
 * overlay form (whole copied-up files, whiteout devices, opaque xattrs).
 * Scratch directories live under ROOT/build/tmp and are removed by
 * build_rootfs_release; the build runs in its own private mount namespace,
 * so the mounts also vanish with the process if it dies.  */
#ifndef MUELLE_BUILD_ROOTFS_H
#define MUELLE_BUILD_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "ocispec.h"
#include "store.h"

struct build_layers
{
  const struct oci_image_descriptor *layers;
  char *const *diff_ids;
  size_t n;
};

struct build_rootfs;

/* An overlay mount of the layers (n may be 0: scratch, an empty
 * directory) at a fresh directory under build/tmp.  writable: with an
 * upper dir (for RUN); else read-only.  */
int build_rootfs_mount (struct muelle_store *store, const struct build_layers *layers, bool writable,
                        struct build_rootfs **out, estiba_error_t *err);
/* A writable overlay over one directory (RUN --mount=type=bind,rw: the
 * step may write, the writes are thrown away with the view).  */
int build_rootfs_mount_dir (struct muelle_store *store, const char *lower, struct build_rootfs **out,
                            estiba_error_t *err);
/* Where the view is mounted.  */
const char *build_rootfs_path (const struct build_rootfs *r);
/* The upper directory of a writable view (NULL for a read-only one): what
 * the processes run on the view changed.  */
const char *build_rootfs_upper (const struct build_rootfs *r);
/* Unmount, remove its scratch dirs.  NULL ok.  */
void build_rootfs_release (struct build_rootfs *r);

/* store_subdir as an absolute path (the store root may be relative, and
 * the runtime reads mount sources and root.path relative to the bundle).  */
int build_store_dir (struct muelle_store *store, const char *sub, char **path_out, estiba_error_t *err);

/* The overlay-format cached tree of one layer (malloc'd path), extracting
 * it first when missing; the blob is verified against its digest and the
 * tar against diff_id.  */
int build_overlay_cache_get (struct muelle_store *store, const struct oci_image_descriptor *layer,
                             const char *diff_id, char **dir_out, estiba_error_t *err);

#endif
