/* Applying one image layer (a tar, plain/gzip/zstd) onto a root
 * filesystem directory, as image-spec layer.md describes: entries are
 * created, replaced or removed (whiteouts), with owners, modes, xattrs,
 * hardlinks, device nodes and timestamps.
 *
 * Nothing is ever written outside the root: names with "..", absolute
 * names, parents that are symlinks, hardlinks to outside paths and
 * whiteouts of "." / ".." are refused with an error naming the layer and
 * the entry.  Every file is created with *at() calls relative to a
 * directory fd reached without following symlinks.  */
#ifndef MUELLE_LAYER_EXTRACT_H
#define MUELLE_LAYER_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

struct id_map_range
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct layer_extract_options
{
  const char *layer_name; /* digest, for errors */
  /* When set (layer_extract_fd only), the uncompressed tar must have this
   * digest (the image config's rootfs.diff_ids entry).  */
  const char *diff_id;
  /* When set too, the compressed blob read from fd must have this digest
   * and size (its descriptor's): checked in the same pass as the diff_id,
   * so the blob is read once.  */
  const char *blob_digest;
  int64_t blob_size;
  /* Map owners through these ranges (a user-namespaced bundle); with no
   * ranges owners are kept as they are in the tar.  */
  const struct id_map_range *uid_map;
  size_t uid_map_len;
  const struct id_map_range *gid_map;
  size_t gid_map_len;
  /* Store whiteout entries as the files they are instead of applying
   * them (filling the layer cache: they are applied when the cached tree
   * is extracted onto a bundle).  */
  bool keep_whiteouts;
  /* Not root (fuzzing, tests): skip chown and device nodes instead of
   * failing.  */
  bool unprivileged;
};

/* Extract the tar read from fd (compression detected) onto rootfd.  */
int layer_extract_fd (int rootfd, int fd, const struct layer_extract_options *opts, estiba_error_t *err);

/* Same, from memory (fuzzing, tests).  */
int layer_extract_buffer (int rootfd, const void *data, size_t len, const struct layer_extract_options *opts,
                          estiba_error_t *err);

/* With keep_whiteouts, directories made only as parents (not listed in
 * the tar) carry this xattr; layer_extract_tree skips them as entries.  */
#define LAYER_IMPLICIT_DIR_XATTR "user.muelle.implicit-dir"

/* Apply a layer kept as a directory tree (the layer cache, extracted with
 * keep_whiteouts) onto rootfd, exactly as its tar would be: whiteouts,
 * hardlinks, owners (mapped), modes, xattrs, times.  */
int layer_extract_tree (int rootfd, const char *dir, const struct layer_extract_options *opts,
                        estiba_error_t *err);

/* Map id through ranges; with no ranges returns id.  -1 when unmapped.  */
int64_t id_map_lookup (const struct id_map_range *map, size_t len, uint32_t id);

#endif
