/* The reproducible layer writer of `muelle build`: every RUN, COPY and ADD
 * step turns its changes into exactly one OCI layer
 * (application/vnd.oci.image.layer.v1.tar+gzip) through this writer.
 *
 * Reproducible by construction: entries are sorted bytewise by path at
 * commit; owners are numeric (no uname/gname); with timestamp >= 0 every
 * entry's mtime is the timestamp (atime/ctime never stored, no pax time
 * records); the gzip header has no name and mtime 0.  The same inputs give
 * a bit-identical blob.  With timestamp < 0 (--timestamp-now) entries keep
 * their own mtime.
 *
 * Entries are collected in memory (path, source path or data, metadata)
 * and only read from disk at commit: the sources must stay in place until
 * then.  */
#ifndef MUELLE_BUILD_LAYER_H
#define MUELLE_BUILD_LAYER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"
#include "store.h"

struct build_layer_writer;

struct build_layer_meta
{
  uid_t uid;
  gid_t gid;
  mode_t mode; /* permission bits only (07777) */
};

int build_layer_begin (struct muelle_store *store, int64_t timestamp, struct build_layer_writer **w,
                       estiba_error_t *err);

/* The filesystem object at src_path (lstat: file, dir, symlink, fifo,
 * device; xattrs except trusted.overlay.* and security.selinux), stored as
 * layer_path ("usr/bin/x", no leading '/').  meta (may be NULL) overrides
 * owner and permission bits.  Hardlinks among added paths (same dev+ino)
 * become tar hardlinks.  Entries may be added in any order: the writer
 * sorts at commit.  Adding the same layer_path twice replaces the first.  */
int build_layer_add_path (struct build_layer_writer *w, const char *src_path, const char *layer_path,
                          const struct build_layer_meta *meta, estiba_error_t *err);

/* A regular file from memory (heredocs); meta NULL: 0644 root.  */
int build_layer_add_data (struct build_layer_writer *w, const char *layer_path, const void *data, size_t len,
                          const struct build_layer_meta *meta, estiba_error_t *err);

/* A directory; meta NULL: 0755 root.  */
int build_layer_add_dir (struct build_layer_writer *w, const char *layer_path,
                         const struct build_layer_meta *meta, estiba_error_t *err);

/* A whiteout of layer_path: stored as DIR/.wh.NAME.  */
int build_layer_add_whiteout (struct build_layer_writer *w, const char *layer_path, estiba_error_t *err);

/* dir_layer_path is opaque: stored as DIR/.wh..wh..opq.  */
int build_layer_add_opaque (struct build_layer_writer *w, const char *dir_layer_path, estiba_error_t *err);

/* Sort, write tar -> gzip -> store blob; fills the descriptor (mediaType,
 * digest, size) and diff_id (sha256 of the tar).  Frees nothing: call
 * build_layer_free afterwards either way.  */
int build_layer_commit (struct build_layer_writer *w, struct oci_image_descriptor *layer, char **diff_id,
                        estiba_error_t *err);

/* Release the writer (a writer never committed leaves nothing behind).
 * NULL is fine.  */
void build_layer_free (struct build_layer_writer *w);

#endif
