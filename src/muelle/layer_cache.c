#include <config.h>
#include "layer_cache.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "layer_extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static bool
layer_media_type_ok (const char *mt)
{
  static const char *const ok[] = {
    OCI_MEDIA_TYPE_LAYER,         OCI_MEDIA_TYPE_LAYER_GZIP,         OCI_MEDIA_TYPE_LAYER_ZSTD,
    OCI_MEDIA_TYPE_LAYER_NONDIST, OCI_MEDIA_TYPE_LAYER_NONDIST_GZIP, OCI_MEDIA_TYPE_LAYER_NONDIST_ZSTD,
    DOCKER_MEDIA_TYPE_LAYER_GZIP,
  };
  size_t i;

  for (i = 0; mt && i < sizeof (ok) / sizeof (ok[0]); i++)
    if (strcmp (mt, ok[i]) == 0)
      return true;
  return false;
}

/* Extract the layer blob onto rootfd, checking in the same pass the blob
 * against its descriptor (digest, size) and its uncompressed content
 * against diff_id.  On a mismatch the caller removes what was extracted.  */
static int
extract_blob (struct muelle_store *store, const struct oci_image_descriptor *layer, const char *diff_id,
              int rootfd, const struct layer_extract_options *base, estiba_error_t *err)
{
  struct layer_extract_options xopts = *base;
  cleanup_free char *path = store_blob_path (store, layer->digest);
  cleanup_close int fd = -1;

  if (!layer_media_type_ok (layer->media_type))
    return estiba_error (err, 0, "layer %s: unsupported media type `%s`", layer->digest ? layer->digest : "",
                         layer->media_type ? layer->media_type : "");
  if (path == NULL)
    return estiba_error (err, 0, "layer: invalid digest `%s`", layer->digest ? layer->digest : "");
  if (!digest_valid (diff_id))
    return estiba_error (err, 0, "layer %s: invalid diff_id `%s`", layer->digest, diff_id ? diff_id : "");
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return estiba_error_errno (err, "layer %s", layer->digest);
  xopts.layer_name = layer->digest;
  xopts.diff_id = diff_id;
  xopts.blob_digest = layer->digest;
  xopts.blob_size = layer->size;
  return layer_extract_fd (rootfd, fd, &xopts, err);
}

int
cache_entry_get (const char *cache, const char *what, const struct oci_image_descriptor *layer,
                 const char *diff_id, cache_entry_fill_fn fill, void *opaque, char **dir_out,
                 estiba_error_t *err)
{
  cleanup_free char *final = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_close int dirfd = -1;
  struct stat st;

  if (!digest_valid (diff_id))
    return estiba_error (err, 0, "layer %s: invalid diff_id `%s`", layer->digest ? layer->digest : "",
                         diff_id ? diff_id : "");
  if (asprintf (&final, "%s/%s", cache, digest_hex (diff_id)) < 0
      || asprintf (&tmp, "%s/.tmp-XXXXXX", cache) < 0)
    return estiba_error (err, ENOMEM, "%s", what);
  if (lstat (final, &st) == 0 && S_ISDIR (st.st_mode))
    {
      *dir_out = steal_pointer (&final);
      return 0;
    }
  if (mkdtemp (tmp) == NULL)
    return estiba_error_errno (err, "%s: create a directory in `%s`", what, cache);
  dirfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      estiba_error_errno (err, "%s: open `%s`", what, tmp);
      fs_remove_tree (tmp, NULL);
      return -1;
    }
  if (fill (dirfd, tmp, opaque, err) < 0)
    {
      fs_remove_tree (tmp, NULL);
      return -1;
    }
  /* Another command may have filled the same entry meanwhile: keep one.  */
  if (rename (tmp, final) < 0)
    {
      int saved = errno;
      fs_remove_tree (tmp, NULL);
      if (saved != EEXIST && saved != ENOTEMPTY)
        return estiba_error (err, saved, "%s: rename to `%s`", what, final);
    }
  *dir_out = steal_pointer (&final);
  return 0;
}

struct layer_fill
{
  struct muelle_store *store;
  const struct oci_image_descriptor *layer;
  const char *diff_id;
};

static int
fill_layer (int rootfd, const char *dir, void *opaque, estiba_error_t *err)
{
  struct layer_fill *f = opaque;
  struct layer_extract_options xopts = { .keep_whiteouts = true };

  /* The root is only a parent unless the tar lists "./".  */
  if (fchmod (rootfd, 0755) < 0 || fsetxattr (rootfd, LAYER_IMPLICIT_DIR_XATTR, "1", 1, 0) < 0)
    return estiba_error_errno (err, "layer cache: `%s`", dir);
  return extract_blob (f->store, f->layer, f->diff_id, rootfd, &xopts, err);
}

int
layer_cache_get (struct muelle_store *store, const struct oci_image_descriptor *layer, const char *diff_id,
                 char **dir_out, estiba_error_t *err)
{
  cleanup_free char *cache = NULL;
  struct layer_fill f = { store, layer, diff_id };

  if (store_subdir (store, "cache/layers", &cache, err) < 0)
    return -1;
  return cache_entry_get (cache, "layer cache", layer, diff_id, fill_layer, &f, dir_out, err);
}

/* A blob whose layer was applied to a bundle straight from the blob once
 * carries this mark (an xattr: no file to create, gone with the blob).  */
#define LAYER_BUNDLED_XATTR "user.muelle.bundled"

static bool
blob_bundled_before (struct muelle_store *store, const char *digest)
{
  cleanup_free char *path = store_blob_path (store, digest);

  return path && getxattr (path, LAYER_BUNDLED_XATTR, NULL, 0) >= 0;
}

/* Best effort: without the mark (a filesystem without user xattrs, a
 * read-only store) the layer is simply extracted from its blob again.  */
static void
blob_mark_bundled (struct muelle_store *store, const char *digest)
{
  cleanup_free char *path = store_blob_path (store, digest);

  if (path)
    (void) setxattr (path, LAYER_BUNDLED_XATTR, "1", 1, 0);
}

int
layer_cache_apply (struct muelle_store *store, const struct oci_image_descriptor *layer, const char *diff_id,
                   int rootfd, const struct layer_extract_options *opts, estiba_error_t *err)
{
  struct layer_extract_options xopts = *opts;
  cleanup_free char *cache = NULL;
  cleanup_free char *dir = NULL;
  struct stat st;

  xopts.layer_name = layer->digest;
  if (!digest_valid (diff_id))
    return estiba_error (err, 0, "layer %s: invalid diff_id `%s`", layer->digest ? layer->digest : "",
                         diff_id ? diff_id : "");
  if (store_subdir (store, "cache/layers", &cache, err) < 0)
    return -1;
  if (asprintf (&dir, "%s/%s", cache, digest_hex (diff_id)) < 0)
    return estiba_error (err, ENOMEM, "layer cache");
  if ((lstat (dir, &st) < 0 || !S_ISDIR (st.st_mode)) && !blob_bundled_before (store, layer->digest))
    {
      if (extract_blob (store, layer, diff_id, rootfd, &xopts, err) < 0)
        return -1;
      blob_mark_bundled (store, layer->digest);
      return 0;
    }
  free (dir);
  dir = NULL;
  if (layer_cache_get (store, layer, diff_id, &dir, err) < 0)
    return -1;
  return layer_extract_tree (rootfd, dir, &xopts, err);
}
