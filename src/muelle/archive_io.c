/* save / load (see archive_io.h).  */
#include <config.h>
#include "archive_io.h"
#include "cleanup.h"
#include "cmd_common.h"
#include "digest.h"
#include "fsutil.h"
#include "image_write.h"
#include "layer_extract.h"
#include "layer_path.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Names already written to the archive (blobs shared by images).  */
struct name_list
{
  char **items;
  size_t len;
};

static bool
name_list_add (struct name_list *l, const char *name)
{
  size_t i;
  char **grown;

  for (i = 0; i < l->len; i++)
    if (strcmp (l->items[i], name) == 0)
      return false;
  grown = realloc (l->items, (l->len + 1) * sizeof (char *));
  if (grown == NULL)
    abort ();
  l->items = grown;
  l->items[l->len++] = oci_strdup (name);
  return true;
}

static void
name_list_free (struct name_list *l)
{
  size_t i;

  for (i = 0; i < l->len; i++)
    free (l->items[i]);
  free (l->items);
}

/* ---- writing ---- */

static int
tar_header (struct archive *a, const char *name, mode_t type, int64_t size, estiba_error_t *err)
{
  struct archive_entry *e = archive_entry_new ();
  int r;

  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, type);
  archive_entry_set_perm (e, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size (e, type == AE_IFDIR ? 0 : size);
  archive_entry_set_mtime (e, 0, 0);
  r = archive_write_header (a, e);
  archive_entry_free (e);
  if (r != ARCHIVE_OK)
    return estiba_error (err, 0, "archive entry `%s`: %s", name, archive_error_string (a));
  return 0;
}

static int
tar_add_data (struct archive *a, const char *name, const void *data, size_t len, estiba_error_t *err)
{
  if (tar_header (a, name, AE_IFREG, (int64_t) len, err) < 0)
    return -1;
  if (len && archive_write_data (a, data, len) != (la_ssize_t) len)
    return estiba_error (err, 0, "archive entry `%s`: %s", name, archive_error_string (a));
  return 0;
}

static int
tar_add_file (struct archive *a, const char *name, const char *path, estiba_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  char buf[65536];
  ssize_t n;

  if (fd < 0 || fstat (fd, &st) < 0)
    return estiba_error_errno (err, "open `%s`", path);
  if (tar_header (a, name, AE_IFREG, st.st_size, err) < 0)
    return -1;
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    if (archive_write_data (a, buf, n) != n)
      return estiba_error (err, 0, "archive entry `%s`: %s", name, archive_error_string (a));
  if (n < 0)
    return estiba_error_errno (err, "read `%s`", path);
  return 0;
}

static int
tar_add_blob (struct archive *a, struct muelle_store *store, const char *digest, struct name_list *done,
              estiba_error_t *err)
{
  cleanup_free char *path = store_blob_path (store, digest);
  char name[128];

  if (path == NULL)
    return estiba_error (err, 0, "invalid digest `%s`", digest ? digest : "");
  snprintf (name, sizeof (name), "blobs/sha256/%s", digest_hex (digest));
  if (!name_list_add (done, name))
    return 0;
  return tar_add_file (a, name, path, err);
}

static int
save_oci (struct archive *a, struct muelle_store *store, const struct save_image *images, size_t n,
          estiba_error_t *err)
{
  struct oci_image_index *index = oci_image_index_new ();
  struct name_list done = { 0 };
  cleanup_free char *index_json = NULL;
  cleanup_free char *perr = NULL;
  size_t i, j;
  int ret = -1;

  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  if (tar_add_data (a, "oci-layout", layout, strlen (layout), err) < 0
      || tar_header (a, "blobs", AE_IFDIR, 0, err) < 0
      || tar_header (a, "blobs/sha256", AE_IFDIR, 0, err) < 0)
    goto out;
  index->schema_version = 2;
  index->has_schema_version = true;
  index->media_type = oci_strdup (OCI_MEDIA_TYPE_IMAGE_INDEX);
  for (i = 0; i < n; i++)
    {
      struct oci_image_manifest *m = NULL;
      struct oci_image_descriptor *d;
      estiba_error_t cerr = NULL;
      struct oci_image_descriptor *copy = descriptor_copy (images[i].desc, &cerr);

      if (copy == NULL)
        {
          *err = cerr;
          goto out;
        }
      oci_string_map_remove (copy->annotations, STORE_REF_NAME_ANNOTATION);
      if (images[i].name)
        oci_string_map_set (&copy->annotations, STORE_REF_NAME_ANNOTATION, images[i].name);
      d = OCI_APPEND (index->manifests, index->manifests_len);
      memcpy (d, copy, sizeof (*d));
      free (copy);
      if (store_load_image (store, images[i].desc, &m, NULL, err) < 0)
        goto out;
      ret = tar_add_blob (a, store, images[i].desc->digest, &done, err);
      if (ret == 0)
        ret = tar_add_blob (a, store, m->config->digest, &done, err);
      for (j = 0; ret == 0 && j < m->layers_len; j++)
        ret = tar_add_blob (a, store, m->layers[j].digest, &done, err);
      oci_image_manifest_free (m);
      if (ret < 0)
        goto out;
      ret = -1;
    }
  index_json = oci_image_index_generate (index, false, &perr);
  if (index_json == NULL)
    {
      estiba_error (err, 0, "index.json: %s", perr);
      goto out;
    }
  ret = tar_add_data (a, "index.json", index_json, strlen (index_json), err);
out:
  name_list_free (&done);
  oci_image_index_free (index);
  return ret;
}

/* Decompress a stored layer into a temp file, checking its diff_id.  */
static int
uncompress_layer (struct muelle_store *store, const char *digest, const char *diff_id, char **tmp_out,
                  estiba_error_t *err)
{
  cleanup_free char *path = store_blob_path (store, digest);
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  struct archive *r = archive_read_new ();
  struct archive_entry *e;
  struct sha256_ctx sha = { NULL };
  char actual[DIGEST_SHA256_STRLEN];
  const void *buf;
  size_t size;
  la_int64_t off;
  int rc, ret = -1;

  if (path == NULL || asprintf (&tmp, "%s/tmp/save-XXXXXX", store_root (store)) < 0)
    {
      archive_read_free (r);
      return estiba_error (err, 0, "layer `%s`: invalid digest", digest ? digest : "");
    }
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    {
      archive_read_free (r);
      return estiba_error_errno (err, "layer %s: temporary file", digest);
    }
  archive_read_support_filter_all (r);
  archive_read_support_format_raw (r);
  if (archive_read_open_filename (r, path, 1 << 16) != ARCHIVE_OK
      || archive_read_next_header (r, &e) != ARCHIVE_OK || digest_init (&sha, err) < 0)
    {
      estiba_error (err, 0, "layer %s: %s", digest,
                    archive_error_string (r) ? archive_error_string (r) : "empty");
      goto out;
    }
  while ((rc = archive_read_data_block (r, &buf, &size, &off)) == ARCHIVE_OK)
    {
      if (fs_write_all (fd, buf, size) < 0)
        {
          estiba_error_errno (err, "layer %s: write", digest);
          goto out;
        }
      digest_update (&sha, buf, size);
    }
  if (rc != ARCHIVE_EOF)
    {
      estiba_error (err, 0, "layer %s: %s", digest, archive_error_string (r));
      goto out;
    }
  digest_final (&sha, actual);
  if (diff_id && strcmp (actual, diff_id) != 0)
    {
      estiba_error (err, 0, "layer %s: uncompressed digest %s does not match diff_id %s", digest, actual,
                    diff_id);
      goto out;
    }
  *tmp_out = steal_pointer (&tmp);
  ret = 0;
out:
  if (sha.md)
    digest_abort (&sha);
  archive_read_free (r);
  if (tmp)
    unlink (tmp);
  return ret;
}

static void
gen_string (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static int
save_docker (struct archive *a, struct muelle_store *store, const struct save_image *images, size_t n,
             estiba_error_t *err)
{
  struct name_list done = { 0 };
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *json;
  size_t i, j, jlen;
  int ret = -1;

  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    {
      struct oci_image_manifest *m = NULL;
      struct oci_image_config *c = NULL;
      cleanup_free char *config_path = NULL;
      char name[160];

      if (store_load_image (store, images[i].desc, &m, &c, err) < 0)
        goto out;
      if (c->rootfs == NULL || c->rootfs->diff_ids_len != m->layers_len)
        {
          estiba_error (err, 0, "image %s: rootfs.diff_ids does not match the layers",
                        images[i].desc->digest);
          oci_image_manifest_free (m);
          oci_image_config_free (c);
          goto out;
        }
      yajl_gen_map_open (g);
      gen_string (g, "Config");
      snprintf (name, sizeof (name), "%s.json", digest_hex (m->config->digest));
      gen_string (g, name);
      config_path = store_blob_path (store, m->config->digest);
      if (name_list_add (&done, name) && tar_add_file (a, name, config_path, err) < 0)
        ret = -2;
      gen_string (g, "RepoTags");
      yajl_gen_array_open (g);
      if (images[i].name)
        gen_string (g, images[i].name);
      yajl_gen_array_close (g);
      gen_string (g, "Layers");
      yajl_gen_array_open (g);
      for (j = 0; ret != -2 && j < m->layers_len; j++)
        {
          const char *diff_id = c->rootfs->diff_ids[j];
          cleanup_free char *tmp = NULL;
          if (!digest_valid (diff_id))
            {
              estiba_error (err, 0, "image %s: invalid diff_id `%s`", images[i].desc->digest, diff_id);
              ret = -2;
              break;
            }
          snprintf (name, sizeof (name), "%s/layer.tar", digest_hex (diff_id));
          gen_string (g, name);
          if (!name_list_add (&done, name))
            continue;
          if (uncompress_layer (store, m->layers[j].digest, diff_id, &tmp, err) < 0)
            ret = -2;
          else
            {
              char dir[80];
              snprintf (dir, sizeof (dir), "%s", digest_hex (diff_id));
              if (tar_header (a, dir, AE_IFDIR, 0, err) < 0 || tar_add_file (a, name, tmp, err) < 0)
                ret = -2;
              unlink (tmp);
            }
        }
      yajl_gen_array_close (g);
      yajl_gen_map_close (g);
      oci_image_manifest_free (m);
      oci_image_config_free (c);
      if (ret == -2)
        {
          ret = -1;
          goto out;
        }
    }
  yajl_gen_array_close (g);
  yajl_gen_get_buf (g, &json, &jlen);
  ret = tar_add_data (a, "manifest.json", json, jlen, err);
out:
  yajl_gen_free (g);
  name_list_free (&done);
  return ret;
}

int
archive_save (struct muelle_store *store, const char *path, enum archive_kind kind,
              const struct save_image *images, size_t n, estiba_error_t *err)
{
  cleanup_free char *tmp = NULL;
  struct archive *a = archive_write_new ();
  int fd, ret;

  if (asprintf (&tmp, "%s.tmp-XXXXXX", path) < 0)
    abort ();
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    {
      archive_write_free (a);
      return estiba_error_errno (err, "save: create `%s`", tmp);
    }
  archive_write_set_format_pax_restricted (a);
  if (archive_write_open_fd (a, fd) != ARCHIVE_OK)
    ret = estiba_error (err, 0, "save: `%s`: %s", path, archive_error_string (a));
  else if (kind == ARCHIVE_KIND_OCI)
    ret = save_oci (a, store, images, n, err);
  else
    ret = save_docker (a, store, images, n, err);
  if (archive_write_close (a) != ARCHIVE_OK && ret == 0)
    ret = estiba_error (err, 0, "save: `%s`: %s", path, archive_error_string (a));
  archive_write_free (a);
  if (ret == 0 && (fchmod (fd, 0644) < 0 || fsync (fd) < 0))
    ret = estiba_error_errno (err, "save: `%s`", path);
  close (fd);
  if (ret == 0 && rename (tmp, path) < 0)
    ret = estiba_error_errno (err, "save: rename to `%s`", path);
  if (ret < 0)
    unlink (tmp);
  return ret;
}

/* ---- loading ---- */

/* Copy a file of the unpacked archive into the store, checking it against
 * the expected digest and size.  */
static int
copy_blob_in (struct muelle_store *store, int dirfd, const char *rel, const char *expected, int64_t size,
              char **digest_out, estiba_error_t *err)
{
  cleanup_close int fd = fs_open_in_root (dirfd, rel, O_RDONLY);
  struct blob_writer *w = NULL;
  char buf[65536];
  ssize_t n;

  if (fd < 0)
    return estiba_error_errno (err, "archive: `%s`", rel);
  if (store_blob_writer_begin (store, &w, err) < 0)
    return -1;
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    if (blob_writer_write (w, buf, n, err) < 0)
      {
        blob_writer_abort (w);
        return -1;
      }
  if (n < 0)
    {
      blob_writer_abort (w);
      return estiba_error_errno (err, "archive: read `%s`", rel);
    }
  if (blob_writer_commit (w, expected, size, digest_out, err) < 0)
    return estiba_error_wrap (err, "archive: `%s`", rel);
  return 0;
}

static int
load_oci_blob (struct muelle_store *store, int dirfd, const struct oci_image_descriptor *d,
               estiba_error_t *err)
{
  char rel[128];

  if (!digest_valid (d->digest))
    return estiba_error (err, 0, "archive: invalid digest `%s`", d->digest ? d->digest : "");
  snprintf (rel, sizeof (rel), "blobs/sha256/%s", digest_hex (d->digest));
  return copy_blob_in (store, dirfd, rel, d->digest, d->has_size ? d->size : -1, NULL, err);
}

static int
load_oci (struct muelle_store *store, int dirfd, const char *path, bool quiet, estiba_error_t *err)
{
  cleanup_free char *perr = NULL;
  cleanup_free char *data = NULL;
  cleanup_close int fd = fs_open_in_root (dirfd, "index.json", O_RDONLY);
  struct oci_image_index *index = NULL;
  char buf[1 << 16];
  size_t i, j, len = 0;
  ssize_t n;
  int ret = -1;

  if (fd < 0)
    return estiba_error_errno (err, "%s: index.json", path);
  /* index.json is small: read it whole.  */
  data = malloc (1);
  while ((n = read (fd, buf, sizeof (buf))) > 0 && len < (64 << 20))
    {
      char *grown = realloc (data, len + n + 1);
      if (grown == NULL)
        abort ();
      data = grown;
      memcpy (data + len, buf, n);
      len += n;
    }
  index = oci_image_index_parse_data (data, len, "index.json", &perr);
  if (index == NULL)
    return estiba_error (err, 0, "%s: %s", path, perr);
  for (i = 0; i < index->manifests_len; i++)
    {
      const struct oci_image_descriptor *d = &index->manifests[i];
      const char *ref = descriptor_ref_name (d);
      cleanup_free char *name = NULL;
      struct oci_image_manifest *m = NULL;

      if (d->media_type && strcmp (d->media_type, OCI_MEDIA_TYPE_IMAGE_MANIFEST) != 0
          && strcmp (d->media_type, DOCKER_MEDIA_TYPE_MANIFEST) != 0)
        {
          estiba_error (err, 0, "%s: manifest %s: unsupported media type `%s`", path, d->digest,
                        d->media_type);
          goto out;
        }
      if (ref && muelle_normalise_name (ref, &name, err) < 0)
        goto out;
      if (load_oci_blob (store, dirfd, d, err) < 0 || store_load_image (store, d, &m, NULL, err) < 0)
        goto out;
      ret = load_oci_blob (store, dirfd, m->config, err);
      for (j = 0; ret == 0 && j < m->layers_len; j++)
        ret = load_oci_blob (store, dirfd, &m->layers[j], err);
      oci_image_manifest_free (m);
      if (ret == 0)
        ret = store_tag (store, name, d, err);
      if (ret < 0)
        goto out;
      ret = -1;
      if (!quiet)
        printf ("Loaded image: %s\n", name ? name : d->digest);
    }
  ret = 0;
out:
  oci_image_index_free (index);
  return ret;
}

static const char *
tree_string (yajl_val obj, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (obj, path, yajl_t_string);
  return v ? YAJL_GET_STRING (v) : NULL;
}

static yajl_val
tree_array (yajl_val obj, const char *key)
{
  const char *path[] = { key, NULL };
  return yajl_tree_get (obj, path, yajl_t_array);
}

static int
load_docker_image (struct muelle_store *store, int dirfd, const char *path, yajl_val entry, bool quiet,
                   estiba_error_t *err)
{
  const char *config_rel = tree_string (entry, "Config");
  yajl_val layers = tree_array (entry, "Layers"), tags = tree_array (entry, "RepoTags");
  struct oci_image_descriptor config_desc = { 0 }, *layer_descs = NULL, *manifest_desc = NULL;
  struct oci_image_config *config = NULL;
  cleanup_free char *config_digest = NULL;
  cleanup_free char *data = NULL;
  cleanup_free char *perr = NULL;
  size_t i, len, n_layers = 0;
  int ret = -1;

  if (config_rel == NULL || layers == NULL)
    return estiba_error (err, 0, "%s: manifest.json: an entry lacks Config or Layers", path);
  if (copy_blob_in (store, dirfd, config_rel, NULL, -1, &config_digest, err) < 0
      || store_read_blob (store, config_digest, &data, &len, err) < 0)
    return -1;
  config = oci_image_config_parse_data (data, len, config_rel, &perr);
  if (config == NULL)
    return estiba_error (err, 0, "%s: %s", path, perr);
  if (config->rootfs == NULL || config->rootfs->diff_ids_len != layers->u.array.len)
    {
      estiba_error (err, 0, "%s: %s: rootfs.diff_ids lists %zu layers, manifest.json %zu", path, config_rel,
                    config->rootfs ? config->rootfs->diff_ids_len : 0, layers->u.array.len);
      goto out;
    }
  layer_descs = calloc (layers->u.array.len + 1, sizeof (*layer_descs));
  for (i = 0; i < layers->u.array.len; i++)
    {
      const char *rel = YAJL_GET_STRING (layers->u.array.values[i]);
      cleanup_free char *diff_id = NULL;
      cleanup_close int fd = rel ? fs_open_in_root (dirfd, rel, O_RDONLY) : -1;

      if (fd < 0)
        {
          estiba_error_errno (err, "%s: layer `%s`", path, rel ? rel : "(not a string)");
          goto out;
        }
      if (layer_write_from_fd (store, fd, rel, &layer_descs[n_layers], &diff_id, err) < 0)
        goto out;
      n_layers++;
      if (strcmp (diff_id, config->rootfs->diff_ids[i]) != 0)
        {
          estiba_error (err, 0, "%s: layer `%s` has digest %s, the config expects %s", path, rel, diff_id,
                        config->rootfs->diff_ids[i]);
          goto out;
        }
    }
  config_desc.digest = config_digest;
  config_desc.size = (int64_t) len;
  for (i = 0; tags == NULL || i < tags->u.array.len || i == 0; i++)
    {
      cleanup_free char *name = NULL;
      const char *tag = tags && i < tags->u.array.len ? YAJL_GET_STRING (tags->u.array.values[i]) : NULL;

      if (tag && muelle_normalise_name (tag, &name, err) < 0)
        goto out;
      if (manifest_desc == NULL)
        {
          if (image_write_manifest (store, &config_desc, layer_descs, n_layers, name, &manifest_desc, err)
              < 0)
            goto out;
        }
      else if (store_tag (store, name, manifest_desc, err) < 0)
        goto out;
      if (!quiet)
        printf (name ? "Loaded image: %s\n" : "Loaded image ID: %s\n", name ? name : config_digest);
      if (tags == NULL || tags->u.array.len == 0)
        break;
    }
  ret = 0;
out:
  for (i = 0; i < n_layers; i++)
    {
      free (layer_descs[i].digest);
      free (layer_descs[i].media_type);
    }
  free (layer_descs);
  oci_image_descriptor_free (manifest_desc);
  oci_image_config_free (config);
  return ret;
}

static int
load_docker (struct muelle_store *store, int dirfd, const char *path, bool quiet, estiba_error_t *err)
{
  cleanup_close int fd = fs_open_in_root (dirfd, "manifest.json", O_RDONLY);
  cleanup_free char *data = NULL;
  char errbuf[256] = "", buf[65536];
  size_t len = 0, i;
  ssize_t n;
  yajl_val tree;
  int ret = 0;

  if (fd < 0)
    return estiba_error_errno (err, "%s: manifest.json", path);
  data = calloc (1, 1);
  while ((n = read (fd, buf, sizeof (buf))) > 0 && len < (64 << 20))
    {
      char *grown = realloc (data, len + n + 1);
      if (grown == NULL)
        abort ();
      data = grown;
      memcpy (data + len, buf, n);
      len += n;
      data[len] = '\0';
    }
  tree = yajl_tree_parse (data, errbuf, sizeof (errbuf));
  if (tree == NULL || !YAJL_IS_ARRAY (tree))
    {
      yajl_tree_free (tree);
      errbuf[strcspn (errbuf, "\n")] = '\0';
      return estiba_error (err, 0, "%s: manifest.json: not a JSON array %s", path, errbuf);
    }
  for (i = 0; ret == 0 && i < tree->u.array.len; i++)
    ret = load_docker_image (store, dirfd, path, tree->u.array.values[i], quiet, err);
  yajl_tree_free (tree);
  return ret;
}

int
archive_load (struct muelle_store *store, const char *path, bool quiet, estiba_error_t *err)
{
  struct layer_extract_options xopts = { .layer_name = path };
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  cleanup_close int dirfd = -1;
  int ret = -1;

  fd = strcmp (path, "-") == 0 ? dup (STDIN_FILENO) : open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "load: open `%s`", path);
  if (asprintf (&tmp, "%s/tmp/load-XXXXXX", store_root (store)) < 0 || mkdtemp (tmp) == NULL)
    return estiba_error_errno (err, "load: temporary directory");
  dirfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* Unpacked with the layer extractor: an archive cannot write outside.  */
  if (dirfd < 0 || layer_extract_fd (dirfd, fd, &xopts, err) < 0)
    {
      if (dirfd < 0)
        estiba_error_errno (err, "load: `%s`", tmp);
      goto out;
    }
  if (faccessat (dirfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    ret = load_oci (store, dirfd, path, quiet, err);
  else if (faccessat (dirfd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    ret = load_docker (store, dirfd, path, quiet, err);
  else
    ret = estiba_error (err, 0,
                        "load: `%s` is neither an oci-archive (no oci-layout) nor a docker-archive "
                        "(no manifest.json)",
                        path);
out:
  fs_remove_tree (tmp, NULL);
  return ret;
}
