/* The build step cache (see build_cache.h).  */
#include <config.h>
#include "build_cache.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_DIFF_ID_ANNOTATION "diff_id"

/* Every field is written as a tag, its length and its bytes, so no two
   different inputs hash alike ("a" "bc" vs "ab" "c").  */
static void
put (struct sha256_ctx *ctx, const char *tag, const char *value)
{
  char head[96];
  size_t len = value ? strlen (value) : 0;
  int n = snprintf (head, sizeof (head), "%s=%zu%c", tag, len, value ? ':' : '!');

  digest_update (ctx, head, (size_t) n);
  if (value)
    digest_update (ctx, value, len);
}

static void
put_long (struct sha256_ctx *ctx, const char *tag, long value)
{
  char buf[32];

  snprintf (buf, sizeof (buf), "%ld", value);
  put (ctx, tag, buf);
}

static void
put_strv (struct sha256_ctx *ctx, const char *tag, char *const *v, size_t n)
{
  size_t i;

  put_long (ctx, tag, (long) n);
  for (i = 0; i < n; i++)
    put (ctx, tag, v[i]);
}

/* The parent config without the fields that do not change what a step
   produces (times, history).  */
static int
put_parent (struct sha256_ctx *ctx, const struct oci_image_config *parent, estiba_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *canonical = NULL;
  char *perr = NULL;
  struct oci_image_config *copy;

  json = oci_image_config_generate (parent, false, &perr);
  if (json == NULL)
    goto fail;
  copy = oci_image_config_parse_data (json, strlen (json), "image config", &perr);
  if (copy == NULL)
    goto fail;
  free (copy->created);
  copy->created = NULL;
  while (copy->history_len > 0)
    {
      struct oci_image_history *h = &copy->history[--copy->history_len];
      free (h->created);
      free (h->created_by);
      free (h->author);
      free (h->comment);
    }
  free (copy->history);
  copy->history = NULL;
  canonical = oci_image_config_generate (copy, false, &perr);
  oci_image_config_free (copy);
  if (canonical == NULL)
    goto fail;
  put (ctx, "parent", canonical);
  return 0;
fail:
  estiba_error (err, 0, "build cache key: %s", perr ? perr : "out of memory");
  free (perr);
  return -1;
}

static void
put_mounts (struct sha256_ctx *ctx, const struct dockerfile_run *run)
{
  size_t i;

  put_long (ctx, "mounts", (long) run->n_mounts);
  for (i = 0; i < run->n_mounts; i++)
    {
      const struct dockerfile_mount *m = &run->mounts[i];
      put_long (ctx, "type", m->type);
      put (ctx, "target", m->target);
      put (ctx, "source", m->source);
      put (ctx, "from", m->from);
      put (ctx, "id", m->id);
      put (ctx, "env", m->env);
      put_long (ctx, "ro", m->readonly);
      put_long (ctx, "required", m->required);
      put_long (ctx, "sharing", m->sharing);
      put_long (ctx, "mode", m->mode);
      put_long (ctx, "uid", m->uid);
      put_long (ctx, "gid", m->gid);
      put_long (ctx, "size", (long) m->size);
    }
  put_long (ctx, "network", run->network);
  put_long (ctx, "insecure", run->insecure);
}

static void
put_copy (struct sha256_ctx *ctx, const struct dockerfile_copy *c)
{
  put_strv (ctx, "sources", c->sources.v, c->sources.n);
  put (ctx, "dest", c->dest);
  put (ctx, "from", c->from);
  put (ctx, "chown", c->chown);
  put (ctx, "chmod", c->chmod);
  put (ctx, "checksum", c->checksum);
  put_long (ctx, "keepgit", c->keep_git_dir);
  put_long (ctx, "link", c->link);
  put_long (ctx, "parents", c->parents);
  put_strv (ctx, "excludes", c->excludes.v, c->excludes.n);
}

static void
put_instruction (struct sha256_ctx *ctx, const struct dockerfile_instruction *inst)
{
  size_t i;

  put (ctx, "kind", dockerfile_kind_name (inst->kind));
  put_long (ctx, "json", inst->json);
  put_long (ctx, "flags", (long) inst->n_flags);
  for (i = 0; i < inst->n_flags; i++)
    {
      put (ctx, "flag", inst->flags[i].name);
      put (ctx, "value", inst->flags[i].value);
    }
  put_strv (ctx, "args", inst->args.v, inst->args.n);
  put (ctx, "value", inst->value);
  put_long (ctx, "heredocs", (long) inst->n_heredocs);
  for (i = 0; i < inst->n_heredocs; i++)
    {
      const struct dockerfile_heredoc *h = &inst->heredocs[i];
      put (ctx, "name", h->name);
      put (ctx, "content", h->content);
      put_long (ctx, "expand", h->expand);
      put_long (ctx, "chomp", h->chomp);
      put_long (ctx, "fd", h->fd);
    }
  if (inst->kind == DOCKERFILE_RUN)
    put_mounts (ctx, &inst->run);
  if (inst->kind == DOCKERFILE_COPY || inst->kind == DOCKERFILE_ADD)
    put_copy (ctx, &inst->copy);
}

int
build_cache_key (const struct oci_image_config *parent, const struct dockerfile_instruction *inst,
                 char *const *extra, const char *platform, char **key, estiba_error_t *err)
{
  struct sha256_ctx ctx;
  char out[DIGEST_SHA256_STRLEN];
  size_t i;

  if (digest_init (&ctx, err) < 0)
    return -1;
  put (&ctx, "version", "muelle-build-cache-1");
  if (put_parent (&ctx, parent, err) < 0)
    {
      digest_abort (&ctx);
      return -1;
    }
  put_instruction (&ctx, inst);
  for (i = 0; extra != NULL && extra[i] != NULL; i++)
    put (&ctx, "extra", extra[i]);
  put (&ctx, "platform", platform);
  digest_final (&ctx, out);
  *key = strdup (out);
  return *key == NULL ? estiba_error (err, ENOMEM, "build cache key") : 0;
}

static int
cache_dir (struct muelle_store *store, int *dirfd, estiba_error_t *err)
{
  cleanup_free char *path = NULL;

  if (store_subdir (store, "build/cache", &path, err) < 0)
    return -1;
  *dirfd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (*dirfd < 0)
    return estiba_error_errno (err, "open `%s`", path);
  return 0;
}

int
build_cache_get (struct muelle_store *store, const char *key, struct oci_image_descriptor *layer,
                 char **diff_id, estiba_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *path = NULL;
  cleanup_free char *data = NULL;
  char *perr = NULL;
  struct oci_image_descriptor *d;
  size_t len;
  estiba_error_t ignored = NULL;

  if (store_subdir (store, "build/cache", &dir, err) < 0)
    return -1;
  if (asprintf (&path, "%s/%s", dir, digest_hex (key)) < 0)
    return estiba_error (err, ENOMEM, "build cache");
  /* A missing, unreadable or corrupt entry is a miss: the step runs again
     and rewrites it.  */
  if (fs_read_file (path, 1 << 16, &data, &len, &ignored) < 0)
    {
      estiba_error_release (&ignored);
      return 0;
    }
  d = oci_image_descriptor_parse_data (data, len, path, &perr);
  free (perr);
  if (d == NULL)
    return 0;
  memset (layer, 0, sizeof (*layer));
  *diff_id = NULL;
  if (d->digest == NULL)
    {
      oci_image_descriptor_free (d);
      return 1;
    }
  if (!digest_valid (d->digest) || store_has_blob (store, d->digest) != 1
      || !digest_valid (oci_string_map_get (d->annotations, CACHE_DIFF_ID_ANNOTATION)))
    {
      oci_image_descriptor_free (d);
      return 0;
    }
  layer->media_type = steal_pointer (&d->media_type);
  layer->digest = steal_pointer (&d->digest);
  layer->size = d->size;
  *diff_id = strdup (oci_string_map_get (d->annotations, CACHE_DIFF_ID_ANNOTATION));
  oci_image_descriptor_free (d);
  if (*diff_id == NULL)
    return estiba_error (err, ENOMEM, "build cache");
  return 1;
}

int
build_cache_put (struct muelle_store *store, const char *key, const struct oci_image_descriptor *layer,
                 const char *diff_id, estiba_error_t *err)
{
  struct oci_image_descriptor *d = oci_image_descriptor_new ();
  cleanup_free char *json = NULL;
  char *perr = NULL;
  int dirfd = -1, ret;

  if (layer != NULL && layer->digest != NULL)
    {
      d->media_type = oci_strdup (layer->media_type);
      d->digest = oci_strdup (layer->digest);
      d->size = layer->size;
      oci_string_map_set (&d->annotations, CACHE_DIFF_ID_ANNOTATION, diff_id);
      json = oci_image_descriptor_generate (d, false, &perr);
    }
  else
    json = strdup ("{}");
  oci_image_descriptor_free (d);
  if (json == NULL)
    {
      ret = estiba_error (err, 0, "build cache: %s", perr ? perr : "out of memory");
      free (perr);
      return ret;
    }
  if (cache_dir (store, &dirfd, err) < 0)
    return -1;
  ret = fs_write_file_atomic (dirfd, digest_hex (key), json, strlen (json), err);
  close (dirfd);
  return ret;
}

/* ---- prune ---- */

/* Whether the entry `name` of build/cache (open as dirfd) can still hit:
   a "no layer" entry always can, a layer entry while its blob is in the
   store.  A corrupt entry or a stale temporary file cannot.  */
static bool
entry_alive (struct muelle_store *store, int dirfd, const char *name)
{
  cleanup_free char *data = NULL;
  char *perr = NULL;
  struct oci_image_descriptor *d;
  size_t len;
  bool alive;
  int fd;

  if (strlen (name) != DIGEST_SHA256_HEX_LEN || strspn (name, "0123456789abcdef") != DIGEST_SHA256_HEX_LEN)
    return false;
  fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return false;
  data = calloc (1, 1 << 16);
  len = data ? (size_t) read (fd, data, (1 << 16) - 1) : 0;
  close (fd);
  if (data == NULL || len == (size_t) -1)
    return false;
  d = oci_image_descriptor_parse_data (data, len, name, &perr);
  free (perr);
  if (d == NULL)
    return false;
  alive = d->digest == NULL || (digest_valid (d->digest) && store_has_blob (store, d->digest) == 1);
  oci_image_descriptor_free (d);
  return alive;
}

/* Remove the entries of the store directory sub (if it exists) that
   `keep` (NULL: none) says to drop; counts them into *removed.  */
static int
prune_dir (struct muelle_store *store, const char *sub,
           bool (*keep) (struct muelle_store *store, int dirfd, const char *name), int *removed,
           estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_closedir DIR *dir = NULL;
  struct dirent *de;
  int fd;

  if (asprintf (&path, "%s/%s", store_root (store), sub) < 0)
    return estiba_error (err, ENOMEM, "prune");
  fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : estiba_error_errno (err, "open `%s`", path);
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return estiba_error_errno (err, "open `%s`", path);
    }
  while ((de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0
          || (keep && keep (store, fd, de->d_name)))
        continue;
      if (fs_remove_tree_at (fd, de->d_name, err) < 0)
        return -1;
      (*removed)++;
    }
  return 0;
}

int
build_cache_prune (struct muelle_store *store, int *removed, estiba_error_t *err)
{
  *removed = 0;
  if (prune_dir (store, "build/cache", entry_alive, removed, err) < 0)
    return -1;
  /* RUN --mount=type=cache directories belong to no image: emptied, as
     `docker builder prune` does.  Scratch directories of builds that
     died (no build runs: the caller holds the store exclusively).  */
  if (prune_dir (store, "build/run-cache", NULL, removed, err) < 0)
    return -1;
  return prune_dir (store, "build/tmp", NULL, removed, err);
}
