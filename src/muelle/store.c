/* The image store: an OCI image layout plus muelle's own directories (see
 * store.h for the layout and the locking rules).  */
#include <config.h>
#include "store.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define OCI_LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"
#define EMPTY_INDEX_JSON                                                                                     \
  "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}"

struct muelle_store
{
  char *root;
  int root_fd;
  int lock_fd;
  bool exclusive;
  /* Blobs this process added, when tracking (see store_track_new_blobs).  */
  bool track_new;
  char **new_blobs;
  size_t new_blobs_len;
  /* Blobs were renamed into blobs/sha256 since its last fsync.  The
   * directory is synced once before index.json can name them, not once per
   * blob: a rename lost in a crash before that loses only an unreferenced
   * blob.  */
  bool blobs_dir_unsynced;
};

struct blob_writer
{
  struct muelle_store *store;
  int fd;
  char *tmp_path;
  struct sha256_ctx sha;
  int64_t size;
  int64_t writeback_from; /* start of the data not yet handed to writeback */
  /* Set by blob_writer_verify: the digest is final and checked.  */
  bool verified;
  /* Bytes blob_writer_sync made durable (-1: none): commit need not fsync
   * again when nothing was written since.  */
  int64_t synced_size;
  char digest[DIGEST_SHA256_STRLEN];
};

/* Hand written data to the disk every this many bytes while the blob is
 * still arriving, so the fsync before its rename waits only for the tail
 * (a pull's downloads stall while one blob is synced).  */
#define BLOB_WRITEBACK_CHUNK (1 << 20)

const char *
store_root (const struct muelle_store *store)
{
  return store->root;
}

/* Create oci-layout and index.json the first time, under the index lock so
 * two first commands do not race.  */
static int
store_init_layout (struct muelle_store *store, estiba_error_t *err)
{
  cleanup_close int ilock = -1;

  if (faccessat (store->root_fd, "index.json", F_OK, 0) == 0
      && faccessat (store->root_fd, "oci-layout", F_OK, 0) == 0)
    return 0;
  ilock = fs_lock (store->root_fd, "index.lock", LOCK_EX, err);
  if (ilock < 0)
    return estiba_error_wrap (err, "store `%s`", store->root);
  if (faccessat (store->root_fd, "oci-layout", F_OK, 0) < 0
      && fs_write_file_atomic (store->root_fd, "oci-layout", OCI_LAYOUT_JSON, strlen (OCI_LAYOUT_JSON), err)
           < 0)
    return estiba_error_wrap (err, "store `%s`", store->root);
  if (faccessat (store->root_fd, "index.json", F_OK, 0) < 0
      && fs_write_file_atomic (store->root_fd, "index.json", EMPTY_INDEX_JSON, strlen (EMPTY_INDEX_JSON), err)
           < 0)
    return estiba_error_wrap (err, "store `%s`", store->root);
  return 0;
}

static struct muelle_store *
store_open_mode (const char *root, int lock_op, estiba_error_t *err)
{
  static const char *const dirs[] = { "blobs", "blobs/sha256", "tmp", "cache", "cache/layers", "containers" };
  struct muelle_store *store;
  size_t i;

  if (fs_mkdir_p (root, 0700, err) < 0)
    return NULL;
  store = calloc (1, sizeof (*store));
  if (store == NULL)
    {
      estiba_error (err, ENOMEM, "store `%s`", root);
      return NULL;
    }
  store->lock_fd = -1;
  store->root = strdup (root);
  store->root_fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (store->root == NULL || store->root_fd < 0)
    {
      estiba_error_errno (err, "open store `%s`", root);
      goto fail;
    }
  store->exclusive = lock_op == LOCK_EX;
  store->lock_fd = fs_lock (store->root_fd, "lock", lock_op, err);
  if (store->lock_fd < 0)
    goto fail;
  for (i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    if (mkdirat (store->root_fd, dirs[i], 0700) < 0 && errno != EEXIST)
      {
        estiba_error_errno (err, "create `%s/%s`", root, dirs[i]);
        goto fail;
      }
  if (store_init_layout (store, err) < 0)
    goto fail;
  return store;

fail:
  store_close (store);
  return NULL;
}

struct muelle_store *
store_open (const char *root, estiba_error_t *err)
{
  return store_open_mode (root, LOCK_SH, err);
}

struct muelle_store *
store_open_exclusive (const char *root, estiba_error_t *err)
{
  return store_open_mode (root, LOCK_EX, err);
}

void
store_close (struct muelle_store *store)
{
  if (store == NULL)
    return;
  if (store->lock_fd >= 0)
    close (store->lock_fd);
  if (store->root_fd >= 0)
    close (store->root_fd);
  for (size_t i = 0; i < store->new_blobs_len; i++)
    free (store->new_blobs[i]);
  free (store->new_blobs);
  free (store->root);
  free (store);
}

int
store_subdir (struct muelle_store *store, const char *sub, char **path_out, estiba_error_t *err)
{
  char *path = NULL;

  if (asprintf (&path, "%s/%s", store->root, sub) < 0)
    return estiba_error (err, ENOMEM, "store path");
  if (fs_mkdir_p (path, 0700, err) < 0)
    {
      free (path);
      return -1;
    }
  *path_out = path;
  return 0;
}

char *
store_blob_path (struct muelle_store *store, const char *digest)
{
  char *path = NULL;

  if (!digest_valid (digest))
    return NULL;
  if (asprintf (&path, "%s/blobs/sha256/%s", store->root, digest_hex (digest)) < 0)
    return NULL;
  return path;
}

/* "blobs/sha256/HEX" relative to the root fd.  */
static int
blob_relpath (const char *digest, char buf[static 128], estiba_error_t *err)
{
  if (!digest_valid (digest))
    return estiba_error (err, 0, "invalid digest `%s`: expected sha256:<64 lowercase hex digits>",
                         digest ? digest : "(null)");
  snprintf (buf, 128, "blobs/sha256/%s", digest_hex (digest));
  return 0;
}

int
store_has_blob (struct muelle_store *store, const char *digest)
{
  char rel[128];

  if (blob_relpath (digest, rel, NULL) < 0)
    return 0;
  return faccessat (store->root_fd, rel, F_OK, 0) == 0 ? 1 : 0;
}

int
store_blob_writer_begin (struct muelle_store *store, struct blob_writer **out, estiba_error_t *err)
{
  struct blob_writer *w = calloc (1, sizeof (*w));

  if (w == NULL)
    return estiba_error (err, ENOMEM, "blob writer");
  w->store = store;
  if (asprintf (&w->tmp_path, "%s/tmp/blob-XXXXXX", store->root) < 0)
    {
      free (w);
      return estiba_error (err, ENOMEM, "blob writer");
    }
  w->synced_size = -1;
  w->fd = mkostemp (w->tmp_path, O_CLOEXEC);
  if (w->fd < 0)
    {
      estiba_error_errno (err, "create temporary blob in `%s/tmp`", store->root);
      free (w->tmp_path);
      free (w);
      return -1;
    }
  /* The blob's final mode now (ROOT/tmp is 0700), so that the fsync done
     early (blob_writer_sync) covers it too.  */
  if (fchmod (w->fd, 0644) < 0)
    {
      estiba_error_errno (err, "chmod `%s`", w->tmp_path);
      blob_writer_abort (w);
      return -1;
    }
  if (digest_init (&w->sha, err) < 0)
    {
      blob_writer_abort (w);
      return -1;
    }
  *out = w;
  return 0;
}

int
blob_writer_write (struct blob_writer *w, const void *buf, size_t len, estiba_error_t *err)
{
  if (fs_write_all (w->fd, buf, len) < 0)
    return estiba_error_errno (err, "write `%s`", w->tmp_path);
  digest_update (&w->sha, buf, len);
  w->size += len;
  if (w->size - w->writeback_from >= BLOB_WRITEBACK_CHUNK)
    {
      /* Only starts the write-out; durability still comes from the fsync.  */
      (void) sync_file_range (w->fd, w->writeback_from, w->size - w->writeback_from, SYNC_FILE_RANGE_WRITE);
      w->writeback_from = w->size;
    }
  return 0;
}

int64_t
blob_writer_size (const struct blob_writer *w)
{
  return w->size;
}

int
blob_writer_sync (struct blob_writer *w)
{
  int64_t size = w->size;

  if (fsync (w->fd) < 0)
    return -1;
  w->synced_size = size;
  return 0;
}

void
blob_writer_abort (struct blob_writer *w)
{
  if (w == NULL)
    return;
  if (w->sha.md)
    digest_abort (&w->sha);
  if (w->fd >= 0)
    close (w->fd);
  unlink (w->tmp_path);
  free (w->tmp_path);
  free (w);
}

int
blob_writer_verify (struct blob_writer *w, const char *expected_digest, int64_t expected_size,
                    estiba_error_t *err)
{
  if (!w->verified)
    digest_final (&w->sha, w->digest);
  w->verified = true;
  if (expected_digest && strcmp (expected_digest, w->digest) != 0)
    return estiba_error (err, 0, "blob %s: digest mismatch: got %s (%lld bytes)", expected_digest, w->digest,
                         (long long) w->size);
  if (expected_size >= 0 && expected_size != w->size)
    return estiba_error (err, 0, "blob %s: size mismatch: expected %lld bytes, got %lld", w->digest,
                         (long long) expected_size, (long long) w->size);
  return 0;
}

int
blob_writer_read (struct blob_writer *w, size_t max, char **data, size_t *len, estiba_error_t *err)
{
  if (w->size < 0 || (uint64_t) w->size > max)
    return estiba_error (err, 0, "blob %s: larger than %zu bytes", w->verified ? w->digest : w->tmp_path,
                         max);
  return fs_read_file (w->tmp_path, max, data, len, err);
}

int
blob_writer_commit (struct blob_writer *w, const char *expected_digest, int64_t expected_size,
                    char **digest_out, estiba_error_t *err)
{
  char rel[128], actual[DIGEST_SHA256_STRLEN];
  struct muelle_store *store = w->store;

  if (blob_writer_verify (w, expected_digest, expected_size, err) < 0)
    {
      blob_writer_abort (w);
      return -1;
    }
  memcpy (actual, w->digest, sizeof (actual)); /* w is freed below */
  blob_relpath (actual, rel, NULL);
  if (w->synced_size != w->size && fsync (w->fd) < 0)
    {
      estiba_error_errno (err, "sync `%s`", w->tmp_path);
      blob_writer_abort (w);
      return -1;
    }
  if (store->track_new && !store_has_blob (store, actual))
    {
      char **grown = realloc (store->new_blobs, (store->new_blobs_len + 1) * sizeof (char *));
      if (grown == NULL || (grown[store->new_blobs_len] = strdup (actual)) == NULL)
        {
          if (grown)
            store->new_blobs = grown;
          estiba_error (err, ENOMEM, "blob %s", actual);
          blob_writer_abort (w);
          return -1;
        }
      store->new_blobs = grown;
      store->new_blobs_len++;
    }
  /* Same content under the same name: replacing it is harmless, and rename
   * keeps a concurrent reader from ever seeing a partial file.  */
  if (renameat (AT_FDCWD, w->tmp_path, store->root_fd, rel) < 0)
    {
      estiba_error_errno (err, "store blob %s", actual);
      blob_writer_abort (w);
      return -1;
    }
  store->blobs_dir_unsynced = true;
  close (w->fd);
  free (w->tmp_path);
  free (w);
  if (digest_out)
    {
      *digest_out = strdup (actual);
      if (*digest_out == NULL)
        return estiba_error (err, ENOMEM, "blob %s", actual);
    }
  return 0;
}

int
store_put_blob (struct muelle_store *store, const void *data, size_t len, const char *expected_digest,
                char **digest_out, estiba_error_t *err)
{
  struct blob_writer *w = NULL;

  if (store_blob_writer_begin (store, &w, err) < 0)
    return -1;
  if (blob_writer_write (w, data, len, err) < 0)
    {
      blob_writer_abort (w);
      return -1;
    }
  return blob_writer_commit (w, expected_digest, -1, digest_out, err);
}

int
store_read_blob (struct muelle_store *store, const char *digest, char **data, size_t *len,
                 estiba_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  cleanup_free char *actual = NULL;
  char rel[128];
  struct stat st;
  ssize_t n;
  size_t got = 0;

  if (blob_relpath (digest, rel, err) < 0)
    return -1;
  fd = openat (store->root_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return estiba_error (err, ENOENT, "blob %s is missing from the store", digest);
      return estiba_error_errno (err, "open blob %s", digest);
    }
  if (fstat (fd, &st) < 0)
    return estiba_error_errno (err, "stat blob %s", digest);
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_JSON_BLOB)
    return estiba_error (err, 0, "blob %s: not a regular file or larger than %d bytes", digest,
                         MAX_JSON_BLOB);
  buf = malloc (st.st_size + 1);
  if (buf == NULL)
    return estiba_error (err, ENOMEM, "read blob %s", digest);
  while (got < (size_t) st.st_size && (n = read (fd, buf + got, st.st_size - got)) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return estiba_error_errno (err, "read blob %s", digest);
        }
      got += n;
    }
  buf[got] = '\0';
  actual = digest_buffer (buf, got);
  if (actual == NULL)
    return estiba_error (err, ENOMEM, "digest of blob %s", digest);
  if (strcmp (actual, digest) != 0)
    return estiba_error (err, 0, "blob %s is corrupt: its content has digest %s", digest, actual);
  *data = steal_pointer (&buf);
  if (len)
    *len = got;
  return 0;
}

/* ---- index.json ---- */

static struct oci_image_index *
index_load (struct muelle_store *store, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *perr = NULL;
  struct oci_image_index *index;

  if (asprintf (&path, "%s/index.json", store->root) < 0)
    {
      estiba_error (err, ENOMEM, "index.json");
      return NULL;
    }
  index = oci_image_index_parse_file (path, &perr);
  if (index == NULL)
    estiba_error (err, 0, "%s", perr ? perr : path);
  return index;
}

static int
index_save (struct muelle_store *store, const struct oci_image_index *index, estiba_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *perr = NULL;

  json = oci_image_index_generate (index, false, &perr);
  if (json == NULL)
    return estiba_error (err, 0, "%s/index.json: %s", store->root, perr ? perr : "cannot serialise");
  if (store->blobs_dir_unsynced)
    {
      fs_fsync_dir (store->root_fd, "blobs/sha256");
      store->blobs_dir_unsynced = false;
    }
  return fs_write_file_atomic (store->root_fd, "index.json", json, strlen (json), err);
}

const char *
descriptor_ref_name (const struct oci_image_descriptor *desc)
{
  return oci_string_map_get (desc->annotations, STORE_REF_NAME_ANNOTATION);
}

/* Free what a descriptor owns, leaving the struct itself (which lives in a
 * contiguous array) zeroed.  */
static void
descriptor_clear (struct oci_image_descriptor *desc)
{
  struct oci_image_descriptor *heap = malloc (sizeof (*heap));

  if (heap == NULL)
    return;
  memcpy (heap, desc, sizeof (*heap));
  oci_image_descriptor_free (heap);
  memset (desc, 0, sizeof (*desc));
}

/* Deep copy through JSON: keeps every field, known or not.  */
struct oci_image_descriptor *
descriptor_copy (const struct oci_image_descriptor *desc, estiba_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *perr = NULL;
  struct oci_image_descriptor *copy;

  json = oci_image_descriptor_generate (desc, false, &perr);
  if (json == NULL)
    {
      estiba_error (err, 0, "descriptor %s: %s", desc->digest ? desc->digest : "", perr ? perr : "");
      return NULL;
    }
  copy = oci_image_descriptor_parse_data (json, strlen (json), "descriptor", &perr);
  if (copy == NULL)
    estiba_error (err, 0, "descriptor %s: %s", desc->digest ? desc->digest : "", perr ? perr : "");
  return copy;
}

/* Drop index entries for which `drop` is true; returns how many.  */
static size_t
index_remove_if (struct oci_image_index *index,
                 bool (*drop) (const struct oci_image_descriptor *, const void *), const void *arg)
{
  size_t i, kept = 0, removed = 0;

  for (i = 0; i < index->manifests_len; i++)
    {
      if (drop (&index->manifests[i], arg))
        {
          descriptor_clear (&index->manifests[i]);
          removed++;
          continue;
        }
      if (kept != i)
        {
          memcpy (&index->manifests[kept], &index->manifests[i], sizeof (index->manifests[i]));
          memset (&index->manifests[i], 0, sizeof (index->manifests[i]));
        }
      kept++;
    }
  index->manifests_len = kept;
  return removed;
}

static bool
has_ref_name (const struct oci_image_descriptor *desc, const void *name)
{
  const char *ref = descriptor_ref_name (desc);
  return ref && strcmp (ref, name) == 0;
}

static bool
has_digest (const struct oci_image_descriptor *desc, const void *digest)
{
  return desc->digest && strcmp (desc->digest, digest) == 0;
}

/* Run `edit` on index.json under the index lock and save the result.  */
static int
index_update (struct muelle_store *store,
              int (*edit) (struct oci_image_index *, const void *, estiba_error_t *), const void *arg,
              estiba_error_t *err)
{
  cleanup_close int ilock = fs_lock (store->root_fd, "index.lock", LOCK_EX, err);
  struct oci_image_index *index;
  int ret;

  if (ilock < 0)
    return -1;
  index = index_load (store, err);
  if (index == NULL)
    return -1;
  ret = edit (index, arg, err);
  if (ret >= 0 && index_save (store, index, err) < 0)
    ret = -1;
  oci_image_index_free (index);
  return ret;
}

struct tag_args
{
  const char *name;
  const struct oci_image_descriptor *desc;
};

static int
edit_tag (struct oci_image_index *index, const void *arg, estiba_error_t *err)
{
  const struct tag_args *a = arg;
  struct oci_image_descriptor *copy, *grown;

  size_t i;

  if (a->name == NULL)
    {
      /* An untagged image: listed once, without a name, so prune keeps it.  */
      for (i = 0; i < index->manifests_len; i++)
        if (has_digest (&index->manifests[i], a->desc->digest))
          return 0;
    }
  copy = descriptor_copy (a->desc, err);
  if (copy == NULL)
    return -1;
  if (a->name)
    {
      oci_string_map_set (&copy->annotations, STORE_REF_NAME_ANNOTATION, a->name);
      index_remove_if (index, has_ref_name, a->name);
    }
  else
    oci_string_map_remove (copy->annotations, STORE_REF_NAME_ANNOTATION);
  grown = realloc (index->manifests, (index->manifests_len + 1) * sizeof (*grown));
  if (grown == NULL)
    {
      oci_image_descriptor_free (copy);
      return estiba_error (err, ENOMEM, "index.json");
    }
  index->manifests = grown;
  memcpy (&grown[index->manifests_len++], copy, sizeof (*copy));
  free (copy); /* members now owned by the array */
  return 0;
}

int
store_tag (struct muelle_store *store, const char *name, const struct oci_image_descriptor *manifest_desc,
           estiba_error_t *err)
{
  struct tag_args args = { name, manifest_desc };

  if (!digest_valid (manifest_desc->digest))
    return estiba_error (err, 0, "tag `%s`: invalid manifest digest `%s`", name ? name : "",
                         manifest_desc->digest ? manifest_desc->digest : "");
  if (!store_has_blob (store, manifest_desc->digest))
    return estiba_error (err, 0, "tag `%s`: manifest %s is not in the store", name ? name : "",
                         manifest_desc->digest);
  return index_update (store, edit_tag, &args, err);
}

static int
edit_untag (struct oci_image_index *index, const void *name, estiba_error_t *err)
{
  if (index_remove_if (index, has_ref_name, name) == 0)
    return estiba_error (err, ENOENT, "image `%s` not found", (const char *) name);
  return 0;
}

int
store_untag (struct muelle_store *store, const char *name, estiba_error_t *err)
{
  return index_update (store, edit_untag, name, err);
}

static int
edit_untag_digest (struct oci_image_index *index, const void *digest, estiba_error_t *err)
{
  (void) err;
  return (int) index_remove_if (index, has_digest, digest);
}

int
store_untag_digest (struct muelle_store *store, const char *manifest_digest, estiba_error_t *err)
{
  return index_update (store, edit_untag_digest, manifest_digest, err);
}

/* ---- reading images ---- */

static bool
media_type_is_index (const char *mt)
{
  return mt
         && (strcmp (mt, "application/vnd.oci.image.index.v1+json") == 0
             || strcmp (mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

int
store_load_image (struct muelle_store *store, const struct oci_image_descriptor *desc,
                  struct oci_image_manifest **manifest_out, struct oci_image_config **config_out,
                  estiba_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *perr = NULL;
  struct oci_image_manifest *manifest;
  size_t len;

  if (media_type_is_index (desc->media_type))
    return estiba_error (
      err, 0, "manifest %s is an image index: multi-platform images are not supported here", desc->digest);
  if (store_read_blob (store, desc->digest, &data, &len, err) < 0)
    return -1;
  manifest = oci_image_manifest_parse_data (data, len, desc->digest, &perr);
  if (manifest == NULL)
    return estiba_error (err, 0, "manifest %s", perr ? perr : desc->digest);
  if (oci_image_manifest_validate (manifest, &perr) < 0)
    {
      oci_image_manifest_free (manifest);
      return estiba_error (err, 0, "manifest %s", perr ? perr : desc->digest);
    }
  if (manifest->config == NULL || !digest_valid (manifest->config->digest))
    {
      oci_image_manifest_free (manifest);
      return estiba_error (err, 0, "manifest %s: config: missing or invalid digest", desc->digest);
    }
  if (config_out)
    {
      cleanup_free char *cdata = NULL;
      cleanup_free char *cerr = NULL;
      size_t clen;

      if (store_read_blob (store, manifest->config->digest, &cdata, &clen, err) < 0)
        {
          oci_image_manifest_free (manifest);
          return -1;
        }
      *config_out = oci_image_config_parse_data (cdata, clen, manifest->config->digest, &cerr);
      if (*config_out == NULL)
        {
          oci_image_manifest_free (manifest);
          return estiba_error (err, 0, "image config %s", cerr ? cerr : "");
        }
      if (oci_image_config_validate (*config_out, &cerr) < 0)
        {
          estiba_error (err, 0, "image config %s", cerr ? cerr : manifest->config->digest);
          oci_image_config_free (*config_out);
          *config_out = NULL;
          oci_image_manifest_free (manifest);
          return -1;
        }
    }
  if (manifest_out)
    *manifest_out = manifest;
  else
    oci_image_manifest_free (manifest);
  return 0;
}

static void
store_image_clear (struct store_image *img)
{
  free (img->name);
  free (img->manifest_digest);
  free (img->config_digest);
  free (img->media_type);
  free (img->created);
}

void
store_image_list_free (struct store_image *images, size_t len)
{
  size_t i;

  for (i = 0; images && i < len; i++)
    store_image_clear (&images[i]);
  free (images);
}

static int
fill_store_image (struct muelle_store *store, const struct oci_image_descriptor *desc,
                  struct store_image *img, estiba_error_t *err)
{
  struct oci_image_manifest *manifest = NULL;
  struct oci_image_config *config = NULL;
  const char *name = descriptor_ref_name (desc);
  size_t i;

  img->name = name ? strdup (name) : NULL;
  img->manifest_digest = strdup (desc->digest ? desc->digest : "");
  img->media_type = desc->media_type ? strdup (desc->media_type) : NULL;
  img->size = desc->size;
  /* An index has one image per platform: the caller picks one
     (image_select_platform), nothing to warn about here.  */
  if (media_type_is_index (desc->media_type))
    return 0;
  if (store_load_image (store, desc, &manifest, &config, err) < 0)
    return -1;
  img->config_digest = strdup (manifest->config->digest);
  img->size += manifest->config->size;
  for (i = 0; i < manifest->layers_len; i++)
    img->size += manifest->layers[i].size;
  img->created = config->created ? strdup (config->created) : NULL;
  oci_image_manifest_free (manifest);
  oci_image_config_free (config);
  return 0;
}

int
store_list (struct muelle_store *store, struct store_image **images_out, size_t *len_out, estiba_error_t *err)
{
  struct oci_image_index *index = index_load (store, err);
  struct store_image *images;
  size_t i;

  if (index == NULL)
    return -1;
  images = calloc (index->manifests_len + 1, sizeof (*images));
  if (images == NULL)
    {
      oci_image_index_free (index);
      return estiba_error (err, ENOMEM, "list images");
    }
  for (i = 0; i < index->manifests_len; i++)
    {
      estiba_error_t ierr = NULL;
      /* One broken image must not hide the others: list it without id.  */
      if (fill_store_image (store, &index->manifests[i], &images[i], &ierr) < 0)
        {
          estiba_warn ("%s", ierr->msg);
          estiba_error_release (&ierr);
        }
    }
  *len_out = index->manifests_len;
  *images_out = images;
  oci_image_index_free (index);
  return 0;
}

static bool
is_hex_prefix (const char *s)
{
  size_t n = strspn (s, "0123456789abcdef");
  return n >= 3 && n <= DIGEST_SHA256_HEX_LEN && s[n] == '\0';
}

int
store_resolve (struct muelle_store *store, const char *what, struct oci_image_descriptor **desc_out,
               estiba_error_t *err)
{
  struct oci_image_index *index = index_load (store, err);
  const struct oci_image_descriptor *found = NULL;
  const char *prefix = what;
  char found_id[DIGEST_SHA256_STRLEN] = "";
  size_t i;
  int ret = -1;

  if (index == NULL)
    return -1;
  for (i = 0; i < index->manifests_len && found == NULL; i++)
    if (has_ref_name (&index->manifests[i], what) || has_digest (&index->manifests[i], what))
      found = &index->manifests[i];
  if (strncmp (prefix, DIGEST_SHA256_PREFIX, strlen (DIGEST_SHA256_PREFIX)) == 0)
    prefix += strlen (DIGEST_SHA256_PREFIX);
  /* An image id prefix: the config digest, as `muelle images` shows it.  */
  for (i = 0; found == NULL && is_hex_prefix (prefix) && i < index->manifests_len; i++)
    {
      struct oci_image_manifest *manifest = NULL;
      if (store_load_image (store, &index->manifests[i], &manifest, NULL, NULL) < 0)
        continue;
      if (strncmp (digest_hex (manifest->config->digest), prefix, strlen (prefix)) == 0)
        {
          if (found_id[0] && strcmp (found_id, manifest->config->digest) != 0)
            {
              oci_image_manifest_free (manifest);
              estiba_error (err, 0, "image id prefix `%s` is ambiguous", what);
              goto out;
            }
          snprintf (found_id, sizeof (found_id), "%s", manifest->config->digest);
        }
      oci_image_manifest_free (manifest);
    }
  if (found == NULL && found_id[0])
    for (i = 0; i < index->manifests_len && found == NULL; i++)
      {
        struct oci_image_manifest *manifest = NULL;
        if (store_load_image (store, &index->manifests[i], &manifest, NULL, NULL) < 0)
          continue;
        if (strcmp (manifest->config->digest, found_id) == 0)
          found = &index->manifests[i];
        oci_image_manifest_free (manifest);
      }
  if (found == NULL)
    {
      estiba_error (err, ENOENT, "image `%s` not found in %s", what, store->root);
      goto out;
    }
  *desc_out = descriptor_copy (found, err);
  ret = *desc_out ? 0 : -1;
out:
  oci_image_index_free (index);
  return ret;
}

/* ---- prune ---- */

struct digest_set
{
  char **items;
  size_t len, cap;
};

static int
digest_set_add (struct digest_set *set, const char *digest)
{
  size_t i;

  if (!digest_valid (digest))
    return 0;
  for (i = 0; i < set->len; i++)
    if (strcmp (set->items[i], digest_hex (digest)) == 0)
      return 0;
  if (set->len == set->cap)
    {
      size_t cap = set->cap ? set->cap * 2 : 64;
      char **items = realloc (set->items, cap * sizeof (char *));
      if (items == NULL)
        return -1;
      set->items = items;
      set->cap = cap;
    }
  set->items[set->len] = strdup (digest_hex (digest));
  return set->items[set->len++] ? 0 : -1;
}

static bool
digest_set_has (const struct digest_set *set, const char *hex)
{
  size_t i;

  for (i = 0; i < set->len; i++)
    if (strcmp (set->items[i], hex) == 0)
      return true;
  return false;
}

static void
digest_set_free (struct digest_set *set)
{
  size_t i;

  for (i = 0; i < set->len; i++)
    free (set->items[i]);
  free (set->items);
}

/* Everything reachable from one index descriptor.  A blob we cannot read
 * makes prune stop: deleting on an incomplete picture could lose data.  */
static int
mark_reachable (struct muelle_store *store, const struct oci_image_descriptor *desc, struct digest_set *set,
                int depth, estiba_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *perr = NULL;
  size_t len, i;

  if (digest_set_add (set, desc->digest) < 0)
    return estiba_error (err, ENOMEM, "prune");
  if (!store_has_blob (store, desc->digest))
    return 0;
  if (depth > 8)
    return estiba_error (err, 0, "index %s: nested too deeply", desc->digest);
  if (media_type_is_index (desc->media_type))
    {
      struct oci_image_index *index;
      if (store_read_blob (store, desc->digest, &data, &len, err) < 0)
        return -1;
      index = oci_image_index_parse_data (data, len, desc->digest, &perr);
      if (index == NULL)
        return estiba_error (err, 0, "index %s", perr ? perr : desc->digest);
      for (i = 0; i < index->manifests_len; i++)
        if (mark_reachable (store, &index->manifests[i], set, depth + 1, err) < 0)
          {
            oci_image_index_free (index);
            return -1;
          }
      oci_image_index_free (index);
      return 0;
    }
  if (desc->media_type && strstr (desc->media_type, "manifest") == NULL)
    return 0;
  {
    struct oci_image_manifest *manifest;
    if (store_read_blob (store, desc->digest, &data, &len, err) < 0)
      return -1;
    manifest = oci_image_manifest_parse_data (data, len, desc->digest, &perr);
    if (manifest == NULL)
      return estiba_error (err, 0, "manifest %s", perr ? perr : desc->digest);
    if (manifest->config && digest_set_add (set, manifest->config->digest) < 0)
      {
        oci_image_manifest_free (manifest);
        return estiba_error (err, ENOMEM, "prune");
      }
    for (i = 0; i < manifest->layers_len; i++)
      if (digest_set_add (set, manifest->layers[i].digest) < 0)
        {
          oci_image_manifest_free (manifest);
          return estiba_error (err, ENOMEM, "prune");
        }
    oci_image_manifest_free (manifest);
  }
  return 0;
}

static int
remove_unlisted (int dirfd, const char *dirname, const struct digest_set *keep, int64_t *bytes,
                 estiba_error_t *err)
{
  cleanup_closedir DIR *dir = NULL;
  struct dirent *de;
  int fd = openat (dirfd, dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int removed = 0;

  if (fd < 0)
    return estiba_error_errno (err, "open `%s`", dirname);
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return estiba_error_errno (err, "open `%s`", dirname);
    }
  while ((de = readdir (dir)) != NULL)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0
          || (keep && digest_set_has (keep, de->d_name)))
        continue;
      if (fstatat (fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && bytes)
        *bytes += st.st_size;
      if (S_ISDIR (st.st_mode) ? fs_remove_tree_at (fd, de->d_name, err) < 0
                               : unlinkat (fd, de->d_name, 0) < 0)
        return estiba_error_errno (err, "remove `%s/%s`", dirname, de->d_name);
      removed++;
    }
  return removed;
}

static int mark_layers_of (struct muelle_store *store, const struct oci_image_descriptor *desc,
                           struct digest_set *set, int depth, estiba_error_t *err);

/* The images of an index: those whose manifest is in the store (a pull
   keeps only the platforms it needed).  */
static int
mark_layers_of_index (struct muelle_store *store, const struct oci_image_descriptor *desc,
                      struct digest_set *set, int depth, estiba_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *perr = NULL;
  struct oci_image_index *index;
  size_t len, i;
  int ret = 0;

  if (depth > 8)
    return estiba_error (err, 0, "index %s: nested too deeply", desc->digest);
  if (store_read_blob (store, desc->digest, &data, &len, err) < 0)
    return -1;
  index = oci_image_index_parse_data (data, len, desc->digest, &perr);
  if (index == NULL)
    return estiba_error (err, 0, "index %s", perr ? perr : desc->digest);
  for (i = 0; i < index->manifests_len && ret == 0; i++)
    if (store_has_blob (store, index->manifests[i].digest) == 1)
      ret = mark_layers_of (store, &index->manifests[i], set, depth + 1, err);
  oci_image_index_free (index);
  return ret;
}

/* The diff_ids of the image(s) desc points at: the entries of the
   unpacked layer caches (cache/layers, cache/overlay) to keep.  */
static int
mark_layers_of (struct muelle_store *store, const struct oci_image_descriptor *desc, struct digest_set *set,
                int depth, estiba_error_t *err)
{
  struct oci_image_config *config = NULL;
  size_t j;

  if (media_type_is_index (desc->media_type))
    return mark_layers_of_index (store, desc, set, depth, err);
  if (store_load_image (store, desc, NULL, &config, err) < 0)
    return -1;
  for (j = 0; config->rootfs && j < config->rootfs->diff_ids_len; j++)
    if (digest_set_add (set, config->rootfs->diff_ids[j]) < 0)
      {
        oci_image_config_free (config);
        return estiba_error (err, ENOMEM, "prune");
      }
  oci_image_config_free (config);
  return 0;
}

static int
mark_cached_layers (struct muelle_store *store, const struct oci_image_index *index, struct digest_set *set,
                    estiba_error_t *err)
{
  size_t i;

  for (i = 0; i < index->manifests_len; i++)
    if (mark_layers_of (store, &index->manifests[i], set, 0, err) < 0)
      return -1;
  return 0;
}

/* remove_unlisted for a directory that may not exist yet.  */
static int
remove_unlisted_if_present (int dirfd, const char *dirname, const struct digest_set *keep,
                            estiba_error_t *err)
{
  struct stat st;

  if (fstatat (dirfd, dirname, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
    return 0;
  return remove_unlisted (dirfd, dirname, keep, NULL, err);
}

int
store_prune (struct muelle_store *store, int64_t *bytes_freed, estiba_error_t *err)
{
  struct oci_image_index *index = index_load (store, err);
  struct digest_set keep = { 0 }, keep_layers = { 0 };
  int64_t bytes = 0;
  size_t i;
  int ret = -1;

  if (index == NULL)
    return -1;
  for (i = 0; i < index->manifests_len; i++)
    if (mark_reachable (store, &index->manifests[i], &keep, 0, err) < 0)
      goto out;
  if (mark_cached_layers (store, index, &keep_layers, err) < 0)
    goto out;
  ret = remove_unlisted (store->root_fd, "blobs/sha256", &keep, &bytes, err);
  if (ret >= 0 && remove_unlisted (store->root_fd, "cache/layers", &keep_layers, NULL, err) < 0)
    ret = -1;
  /* muelle build's overlay-format copies of layers, by diff_id too.  */
  if (ret >= 0 && remove_unlisted_if_present (store->root_fd, "cache/overlay", &keep_layers, err) < 0)
    ret = -1;
  /* Nobody else holds the store (exclusive lock): temp files are stale.  */
  if (ret >= 0 && remove_unlisted (store->root_fd, "tmp", NULL, NULL, err) < 0)
    ret = -1;
out:
  if (bytes_freed)
    *bytes_freed = bytes;
  digest_set_free (&keep);
  digest_set_free (&keep_layers);
  oci_image_index_free (index);
  return ret;
}

int
store_track_new_blobs (struct muelle_store *store, estiba_error_t *err)
{
  if (!store->exclusive)
    return estiba_error (err, 0, "store `%s`: tracking new blobs needs the exclusive lock", store->root);
  store->track_new = true;
  return 0;
}

void
store_discard_new_blobs (struct muelle_store *store)
{
  size_t i;
  char rel[128];

  for (i = 0; i < store->new_blobs_len; i++)
    {
      /* A manifest added here may already be tagged: drop those entries.  */
      store_untag_digest (store, store->new_blobs[i], NULL);
      if (blob_relpath (store->new_blobs[i], rel, NULL) == 0)
        unlinkat (store->root_fd, rel, 0);
      free (store->new_blobs[i]);
    }
  store->new_blobs_len = 0;
}
