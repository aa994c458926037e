/* muelle's image store: an OCI image layout (image-spec image-layout.md)
 * that any OCI tool can read directly (`skopeo inspect oci:ROOT:NAME`,
 * `umoci ls --layout ROOT`), plus muelle's own directories beside it.
 *
 *   ROOT/oci-layout            {"imageLayoutVersion": "1.0.0"}
 *   ROOT/index.json            one manifest descriptor per tag; the tag is the
 *                              annotation org.opencontainers.image.ref.name
 *                              holding the normalised name
 *                              (docker.io/library/busybox:latest)
 *   ROOT/blobs/sha256/HEX      content-addressed blobs, written atomically
 *   ROOT/tmp/                  blobs being written (same filesystem: rename)
 *   ROOT/cache/layers/HEX/     unpacked layers by diff_id (see layer_cache)
 *   ROOT/containers/           container records (later)
 *   ROOT/lock                  flock: shared by every open store, exclusive
 *                              while prune deletes blobs
 *   ROOT/index.lock            flock: exclusive around index.json updates
 *
 * Every function returns < 0 and fills *err on failure.  */
#ifndef MUELLE_STORE_H
#define MUELLE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "ocispec.h"

#define STORE_REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

/* The largest JSON blob (manifest, index, config) read into memory.  */
#define MAX_JSON_BLOB (64 * 1024 * 1024)

struct muelle_store;
struct blob_writer;

/* Open (creating when missing) the store at root and take its shared lock.  */
struct muelle_store *store_open (const char *root, estiba_error_t *err);
/* Same, but hold the store lock exclusively (prune: no writer may add a
 * blob it has not seen yet).  */
struct muelle_store *store_open_exclusive (const char *root, estiba_error_t *err);
void store_close (struct muelle_store *store);

const char *store_root (const struct muelle_store *store);

/* 1 if the blob is present, 0 if not (or digest is invalid).  */
int store_has_blob (struct muelle_store *store, const char *digest);

/* Streaming blob write: data goes to a temp file in ROOT/tmp while its
 * sha256 is computed; commit checks it against expected_digest (NULL: any)
 * and expected_size (-1: any), fsyncs and renames it into blobs/.  On a
 * mismatch the error names the expected and actual digest and the temp
 * file is removed.  commit and abort always free the writer.  */
int store_blob_writer_begin (struct muelle_store *store, struct blob_writer **w, estiba_error_t *err);
int blob_writer_write (struct blob_writer *w, const void *buf, size_t len, estiba_error_t *err);
int blob_writer_commit (struct blob_writer *w, const char *expected_digest, int64_t expected_size,
                        char **digest_out, estiba_error_t *err);
void blob_writer_abort (struct blob_writer *w);
/* Finish the digest and check it (and the size) like commit does, without
 * committing: a caller can check a blob on arrival and commit it later.
 * The writer stays open either way (commit or abort it).  */
int blob_writer_verify (struct blob_writer *w, const char *expected_digest, int64_t expected_size,
                        estiba_error_t *err);
/* The whole blob written so far, NUL-terminated (*len excludes the NUL);
 * an error when it is larger than max bytes.  */
int blob_writer_read (struct blob_writer *w, size_t max, char **data, size_t *len, estiba_error_t *err);
/* Bytes written so far.  */
int64_t blob_writer_size (const struct blob_writer *w);
/* fsync the data written so far (commit then skips its own fsync when
 * nothing was written since): lets a caller overlap the syncs of several
 * blobs, each from its own thread.  Touches only this writer's file.  */
int blob_writer_sync (struct blob_writer *w);

/* Write a whole buffer as a blob (same checks as the writer).  */
int store_put_blob (struct muelle_store *store, const void *data, size_t len, const char *expected_digest,
                    char **digest_out, estiba_error_t *err);
/* Read a blob into memory, verifying its digest (a corrupt or truncated
 * blob is an error naming it).  *data is NUL-terminated for JSON use.  */
int store_read_blob (struct muelle_store *store, const char *digest, char **data, size_t *len,
                     estiba_error_t *err);
/* ROOT/blobs/sha256/HEX (malloc'd), NULL for an invalid digest.  */
char *store_blob_path (struct muelle_store *store, const char *digest);

/* Point tag `name` (a normalised reference) at a manifest, replacing any
 * descriptor that had the same name.  index.json is rewritten atomically.
 * name NULL records an untagged image (once).  */
int store_tag (struct muelle_store *store, const char *name, const struct oci_image_descriptor *manifest_desc,
               estiba_error_t *err);
/* Remove tag `name`; error if it does not exist.  */
int store_untag (struct muelle_store *store, const char *name, estiba_error_t *err);
/* Remove every tag pointing at manifest digest; returns how many.  */
int store_untag_digest (struct muelle_store *store, const char *manifest_digest, estiba_error_t *err);

/* Find an image by exact tag name, manifest digest ("sha256:HEX"), or
 * image id prefix (hex of the config digest, at least 3 digits, as
 * `muelle images` shows it; also with "sha256:" in front).  An ambiguous
 * prefix is an error.  *desc is a copy of the index descriptor.  */
int store_resolve (struct muelle_store *store, const char *what, struct oci_image_descriptor **desc,
                   estiba_error_t *err);

/* One entry of index.json, plus the image id (config digest).  */
struct store_image
{
  char *name; /* ref.name, NULL for an untagged manifest */
  char *manifest_digest;
  char *config_digest; /* image id; NULL if the manifest could not be read */
  char *media_type;
  int64_t size;  /* manifest + config + layers, compressed */
  char *created; /* image config "created", may be NULL */
};

/* Every manifest in index.json, in index order.  */
int store_list (struct muelle_store *store, struct store_image **images, size_t *len, estiba_error_t *err);
void store_image_list_free (struct store_image *images, size_t len);

/* Load and parse the manifest and config an index descriptor points at
 * (digest-verified; errors name the blob).  Either out pointer may be NULL.  */
int store_load_image (struct muelle_store *store, const struct oci_image_descriptor *desc,
                      struct oci_image_manifest **manifest, struct oci_image_config **config,
                      estiba_error_t *err);

/* The tag of an index descriptor (its ref.name annotation), or NULL.  */
const char *descriptor_ref_name (const struct oci_image_descriptor *desc);
/* Deep copy of a descriptor (NULL and *err set on failure).  */
struct oci_image_descriptor *descriptor_copy (const struct oci_image_descriptor *desc, estiba_error_t *err);

/* Remove blobs not reachable from index.json and stale temp files; returns
 * the number of blobs removed.  Needs a store from store_open_exclusive.  */
int store_prune (struct muelle_store *store, int64_t *bytes_freed, estiba_error_t *err);

/* Remember the blobs this store handle adds, so a failed multi-blob
 * operation (load) can take them back with store_discard_new_blobs.  Only
 * with store_open_exclusive: nobody else can have started using them.  */
int store_track_new_blobs (struct muelle_store *store, estiba_error_t *err);
/* Removes them, and the index entries of manifests among them.  */
void store_discard_new_blobs (struct muelle_store *store);

/* ROOT/SUB (malloc'd), created if missing: "cache/layers", "containers"...  */
int store_subdir (struct muelle_store *store, const char *sub, char **path_out, estiba_error_t *err);

#endif
