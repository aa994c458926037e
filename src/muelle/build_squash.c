/* muelle build --squash (see build_squash.h).
 *
 * The new layers are merged from the top one down, walking their
 * overlay-format cached trees: the first (highest) layer to name a path
 * wins; a whiteout (0/0 character device), a non-directory or an opaque
 * directory hides what lower layers have below that path.  Whiteouts stay
 * whiteouts in the result: they may hide files of the base image.  */
#include <config.h>
#include "build_squash.h"
#include "build_layer.h"
#include "build_rootfs.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct squash
{
  struct build_layer_writer *w;
  void *seen;   /* tsearch set of layer paths already emitted */
  void *hidden; /* paths whose lower-layer descendants are hidden */
};

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (a, b);
}

static bool
set_has (void *const *set, const char *path)
{
  return tfind (path, set, cmp_str) != NULL;
}

static void
set_add (void **set, const char *path)
{
  char *copy = strdup (path);

  if (copy == NULL || tsearch (copy, set, cmp_str) == NULL)
    abort ();
  if (*(char **) tfind (copy, set, cmp_str) != copy)
    free (copy);
}

/* Whether a proper ancestor of path hides it.  */
static bool
hidden_by_ancestor (struct squash *q, const char *path)
{
  cleanup_free char *p = strdup (path);
  char *slash;

  if (p == NULL)
    abort ();
  while ((slash = strrchr (p, '/')) != NULL)
    {
      *slash = '\0';
      if (set_has (&q->hidden, p))
        return true;
    }
  return false;
}

static bool
is_opaque (const char *path)
{
  char v[2] = { 0 };

  return lgetxattr (path, "trusted.overlay.opaque", v, sizeof (v)) == 1 && v[0] == 'y';
}

static int squash_dir (struct squash *q, const char *src, const char *rel, estiba_error_t *err);

static int
squash_entry (struct squash *q, const char *src, const char *rel, estiba_error_t *err)
{
  struct stat st;

  if (hidden_by_ancestor (q, rel))
    return 0;
  if (lstat (src, &st) < 0)
    return estiba_error_errno (err, "squash: stat `%s`", src);
  if (set_has (&q->seen, rel))
    return S_ISDIR (st.st_mode) && !set_has (&q->hidden, rel) ? squash_dir (q, src, rel, err) : 0;
  set_add (&q->seen, rel);
  if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
    {
      set_add (&q->hidden, rel);
      return build_layer_add_whiteout (q->w, rel, err);
    }
  if (build_layer_add_path (q->w, src, rel, NULL, err) < 0)
    return -1;
  if (!S_ISDIR (st.st_mode))
    {
      set_add (&q->hidden, rel);
      return 0;
    }
  if (is_opaque (src))
    {
      if (build_layer_add_opaque (q->w, rel, err) < 0)
        return -1;
      /* Its own content (below) still counts; only lower layers' is hidden,
         so descend before hiding.  */
      if (squash_dir (q, src, rel, err) < 0)
        return -1;
      set_add (&q->hidden, rel);
      return 0;
    }
  return squash_dir (q, src, rel, err);
}

static int
squash_dir (struct squash *q, const char *src, const char *rel, estiba_error_t *err)
{
  cleanup_closedir DIR *d = opendir (src);
  struct dirent *de;

  if (d == NULL)
    return estiba_error_errno (err, "squash: open `%s`", src);
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_free char *child_src = NULL;
      cleanup_free char *child_rel = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (asprintf (&child_src, "%s/%s", src, de->d_name) < 0
          || asprintf (&child_rel, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) < 0)
        return estiba_error (err, ENOMEM, "squash");
      if (squash_entry (q, child_src, child_rel, err) < 0)
        return -1;
    }
  if (errno != 0)
    return estiba_error_errno (err, "squash: read `%s`", src);
  return 0;
}

/* The last n history entries that made a layer: all but the newest become
   empty_layer, since their layers are now one.  */
static void
squash_history (struct oci_image_config *config, size_t n)
{
  size_t i = config->history_len, found = 0;

  while (i-- > 0 && found < n)
    {
      struct oci_image_history *h = &config->history[i];
      if (h->empty_layer)
        continue;
      if (found++ > 0)
        OCI_SET (h, empty_layer, true);
    }
}

int
build_squash (struct muelle_store *store, struct build_image_state *img, size_t first_new, int64_t timestamp,
              estiba_error_t *err)
{
  struct squash q = { 0 };
  struct oci_image_descriptor layer = { 0 };
  char **diff_ids = img->config->rootfs->diff_ids;
  char *diff_id = NULL;
  size_t i, n_new = img->n_layers - first_new;
  int ret = -1;

  if (n_new <= 1)
    return 0;
  if (build_layer_begin (store, timestamp, &q.w, err) < 0)
    return -1;
  for (i = img->n_layers; i-- > first_new;)
    {
      cleanup_free char *dir = NULL;
      if (build_overlay_cache_get (store, &img->layers[i], diff_ids[i], &dir, err) < 0)
        goto out;
      if (squash_dir (&q, dir, "", err) < 0)
        goto out;
    }
  if (build_layer_commit (q.w, &layer, &diff_id, err) < 0)
    goto out;
  for (i = first_new; i < img->n_layers; i++)
    {
      free (img->layers[i].media_type);
      free (img->layers[i].digest);
      free (diff_ids[i]);
      diff_ids[i] = NULL;
    }
  img->layers[first_new] = layer;
  img->n_layers = first_new + 1;
  diff_ids[first_new] = diff_id;
  img->config->rootfs->diff_ids_len = first_new + 1;
  squash_history (img->config, n_new);
  ret = 0;
out:
  build_layer_free (q.w);
  tdestroy (q.seen, free);
  tdestroy (q.hidden, free);
  return ret;
}
