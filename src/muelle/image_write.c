#include <config.h>
#include "image_write.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "layer_path.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Decompress fd into a temp file of the store, hashing it (the diff_id).  */
static int
spool_uncompressed (struct muelle_store *store, int fd, const char *what, char **tmp_path, char **diff_id,
                    estiba_error_t *err)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  struct sha256_ctx sha;
  char out[DIGEST_SHA256_STRLEN];
  cleanup_close int tfd = -1;
  const void *buf;
  size_t size;
  la_int64_t offset;
  int r, ret = -1;

  sha.md = NULL;
  if (asprintf (tmp_path, "%s/tmp/layer-XXXXXX", store_root (store)) < 0)
    {
      *tmp_path = NULL;
      archive_read_free (a);
      return estiba_error (err, ENOMEM, "%s", what);
    }
  tfd = mkostemp (*tmp_path, O_CLOEXEC);
  if (tfd < 0)
    {
      estiba_error_errno (err, "%s: temporary file", what);
      free (*tmp_path);
      *tmp_path = NULL;
      archive_read_free (a);
      return -1;
    }
  archive_read_support_filter_all (a);
  archive_read_support_format_raw (a);
  if (archive_read_open_fd (a, fd, 1 << 16) != ARCHIVE_OK || archive_read_next_header (a, &e) != ARCHIVE_OK)
    {
      estiba_error (err, 0, "%s: %s", what,
                    archive_error_string (a) ? archive_error_string (a) : "empty input");
      goto out;
    }
  if (digest_init (&sha, err) < 0)
    goto out;
  while ((r = archive_read_data_block (a, &buf, &size, &offset)) == ARCHIVE_OK)
    {
      if (fs_write_all (tfd, buf, size) < 0)
        {
          estiba_error_errno (err, "%s: write `%s`", what, *tmp_path);
          goto out;
        }
      digest_update (&sha, buf, size);
    }
  if (r != ARCHIVE_EOF)
    {
      estiba_error (err, 0, "%s: %s", what, archive_error_string (a));
      goto out;
    }
  digest_final (&sha, out);
  *diff_id = strdup (out);
  ret = *diff_id ? 0 : estiba_error (err, ENOMEM, "%s", what);
out:
  if (sha.md)
    digest_abort (&sha);
  archive_read_free (a);
  if (ret < 0)
    {
      unlink (*tmp_path);
      free (*tmp_path);
      *tmp_path = NULL;
    }
  return ret;
}

int
layer_check_names (const char *path, const char *what, estiba_error_t *err)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  int r, ret = 0, n = 0;

  archive_read_support_filter_all (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_empty (a);
  if (archive_read_open_filename (a, path, 1 << 16) != ARCHIVE_OK)
    {
      ret = estiba_error (err, 0, "%s: %s", what, archive_error_string (a));
      archive_read_free (a);
      return ret;
    }
  while ((r = archive_read_next_header (a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      const char *name = archive_entry_pathname (e), *link = archive_entry_hardlink (e), *why = NULL, *leaf,
                 *t;
      cleanup_free char *clean = layer_path_clean (name, &why);
      cleanup_free char *parent = NULL;

      n++;
      if (clean == NULL)
        {
          ret = estiba_error (err, 0, "%s: entry `%s`: %s", what, name ? name : "", why);
          break;
        }
      parent = layer_path_split (clean, &leaf);
      if (parent && layer_whiteout_kind (leaf, &t) == WHITEOUT_INVALID)
        {
          ret = estiba_error (err, 0, "%s: entry `%s`: invalid whiteout name", what, name);
          break;
        }
      if (link)
        {
          cleanup_free char *lclean = layer_path_clean (link, &why);
          if (lclean == NULL)
            {
              ret = estiba_error (err, 0, "%s: entry `%s`: hardlink target `%s`: %s", what, name, link, why);
              break;
            }
        }
    }
  if (ret == 0 && r != ARCHIVE_EOF)
    ret = estiba_error (err, 0, "%s: not a valid tar archive: %s", what,
                        archive_error_string (a) ? archive_error_string (a) : "read error");
  archive_read_free (a);
  return ret;
}

struct gzip_sink
{
  struct blob_writer *w;
  estiba_error_t *err;
};

static la_ssize_t
gzip_sink_write (struct archive *a, void *data, const void *buf, size_t len)
{
  struct gzip_sink *sink = data;

  (void) a;
  if (blob_writer_write (sink->w, buf, len, sink->err) < 0)
    return -1;
  return (la_ssize_t) len;
}

/* gzip the file at path into a new blob.  */
static int
store_gzipped (struct muelle_store *store, const char *path, const char *what, char **digest, int64_t *size,
               estiba_error_t *err)
{
  struct gzip_sink sink = { NULL, err };
  struct archive *a = archive_write_new ();
  struct archive_entry *e = archive_entry_new ();
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  char buf[65536];
  ssize_t n;
  int ret = -1;

  if (fd < 0)
    {
      estiba_error_errno (err, "%s: open `%s`", what, path);
      goto out;
    }
  if (store_blob_writer_begin (store, &sink.w, err) < 0)
    goto out;
  archive_write_add_filter_gzip (a);
  /* No name or time in the gzip header: the same tar gives the same blob.  */
  archive_write_set_filter_option (a, "gzip", "timestamp", NULL);
  archive_write_set_format_raw (a);
  archive_write_set_bytes_in_last_block (a, 1);
  if (archive_write_open2 (a, &sink, NULL, gzip_sink_write, NULL, NULL) != ARCHIVE_OK)
    {
      estiba_error (err, 0, "%s: gzip: %s", what, archive_error_string (a));
      goto out;
    }
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_pathname (e, "layer.tar");
  if (archive_write_header (a, e) != ARCHIVE_OK)
    {
      estiba_error (err, 0, "%s: gzip: %s", what, archive_error_string (a));
      goto out;
    }
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    if (archive_write_data (a, buf, n) != n)
      {
        estiba_error (err, 0, "%s: gzip: %s", what,
                      archive_error_string (a) ? archive_error_string (a) : "write");
        goto out;
      }
  if (n < 0)
    {
      estiba_error_errno (err, "%s: read", what);
      goto out;
    }
  if (archive_write_close (a) != ARCHIVE_OK)
    {
      estiba_error (err, 0, "%s: gzip: %s", what,
                    archive_error_string (a) ? archive_error_string (a) : "close");
      goto out;
    }
  *size = blob_writer_size (sink.w);
  ret = blob_writer_commit (sink.w, NULL, -1, digest, err);
  sink.w = NULL;
out:
  if (sink.w)
    blob_writer_abort (sink.w);
  archive_entry_free (e);
  archive_write_free (a);
  return ret;
}

int
layer_write_from_fd (struct muelle_store *store, int fd, const char *what, struct oci_image_descriptor *layer,
                     char **diff_id, estiba_error_t *err)
{
  cleanup_free char *tmp = NULL;
  char *digest = NULL;
  int64_t size = 0;
  int ret;

  if (spool_uncompressed (store, fd, what, &tmp, diff_id, err) < 0)
    return -1;
  ret = layer_check_names (tmp, what, err);
  if (ret == 0)
    ret = store_gzipped (store, tmp, what, &digest, &size, err);
  unlink (tmp);
  if (ret < 0)
    {
      free (*diff_id);
      *diff_id = NULL;
      return -1;
    }
  memset (layer, 0, sizeof (*layer));
  layer->media_type = oci_strdup (OCI_MEDIA_TYPE_LAYER_GZIP);
  layer->digest = digest;
  layer->size = size;
  layer->has_size = true;
  return 0;
}

static int
put_json_blob (struct muelle_store *store, const char *json, const char *media_type,
               struct oci_image_descriptor *desc, estiba_error_t *err)
{
  char *digest = NULL;

  if (store_put_blob (store, json, strlen (json), NULL, &digest, err) < 0)
    return -1;
  desc->media_type = oci_strdup (media_type);
  desc->digest = digest;
  desc->size = (int64_t) strlen (json);
  desc->has_size = true;
  return 0;
}

int
image_write_manifest (struct muelle_store *store, const struct oci_image_descriptor *config_desc,
                      const struct oci_image_descriptor *layers, size_t n_layers, const char *name,
                      struct oci_image_descriptor **manifest_desc, estiba_error_t *err)
{
  struct oci_image_manifest *manifest = oci_image_manifest_new ();
  struct oci_image_descriptor *desc = oci_image_descriptor_new ();
  cleanup_free char *manifest_json = NULL;
  cleanup_free char *perr = NULL;
  size_t i;
  int ret = -1;

  if (manifest == NULL || desc == NULL)
    {
      estiba_error (err, ENOMEM, "image");
      goto out;
    }
  manifest->schema_version = 2;
  manifest->has_schema_version = true;
  manifest->media_type = oci_strdup (OCI_MEDIA_TYPE_IMAGE_MANIFEST);
  manifest->config = oci_xzalloc (sizeof (*manifest->config));
  manifest->config->media_type = oci_strdup (OCI_MEDIA_TYPE_IMAGE_CONFIG);
  manifest->config->digest = oci_strdup (config_desc->digest);
  manifest->config->size = config_desc->size;
  manifest->config->has_size = true;
  for (i = 0; i < n_layers; i++)
    {
      struct oci_image_descriptor *l = OCI_APPEND (manifest->layers, manifest->layers_len);
      l->media_type = oci_strdup (layers[i].media_type);
      l->digest = oci_strdup (layers[i].digest);
      l->size = layers[i].size;
      l->has_size = true;
    }
  /* The layers array is required even when empty.  */
  if (manifest->layers == NULL)
    manifest->layers = oci_xzalloc (sizeof (*manifest->layers));
  manifest_json = oci_image_manifest_generate (manifest, false, &perr);
  if (manifest_json == NULL)
    {
      estiba_error (err, 0, "image manifest: %s", perr);
      goto out;
    }
  if (put_json_blob (store, manifest_json, OCI_MEDIA_TYPE_IMAGE_MANIFEST, desc, err) < 0)
    goto out;
  if (store_tag (store, name, desc, err) < 0)
    goto out;
  *manifest_desc = desc;
  desc = NULL;
  ret = 0;
out:
  oci_image_manifest_free (manifest);
  oci_image_descriptor_free (desc);
  return ret;
}

int
image_write (struct muelle_store *store, const struct oci_image_config *config,
             const struct oci_image_descriptor *layers, size_t n_layers, const char *name,
             struct oci_image_descriptor **manifest_desc, char **config_digest, estiba_error_t *err)
{
  struct oci_image_descriptor config_desc = { 0 };
  cleanup_free char *config_json = NULL;
  cleanup_free char *perr = NULL;
  int ret;

  config_json = oci_image_config_generate (config, false, &perr);
  if (config_json == NULL)
    return estiba_error (err, 0, "image config: %s", perr);
  if (put_json_blob (store, config_json, OCI_MEDIA_TYPE_IMAGE_CONFIG, &config_desc, err) < 0)
    return -1;
  ret = image_write_manifest (store, &config_desc, layers, n_layers, name, manifest_desc, err);
  if (ret == 0 && config_digest)
    *config_digest = steal_pointer (&config_desc.digest);
  free (config_desc.digest);
  free (config_desc.media_type);
  return ret;
}
