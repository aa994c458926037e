#include <config.h>
#include "build_diff.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct diff_walk
{
  const char *upper;
  const struct build_diff_ignore *ignore;
  struct build_layer_writer *w;
};

static bool
is_created (const struct diff_walk *d, const char *rel)
{
  size_t i;
  for (i = 0; d->ignore && i < d->ignore->n_created; i++)
    if (strcmp (d->ignore->created[i], rel) == 0)
      return true;
  return false;
}

/* Copied up only because a mount point was made in it.  */
static bool
is_untouched_parent (const struct diff_walk *d, const char *rel, const struct stat *st)
{
  size_t i;
  for (i = 0; d->ignore && i < d->ignore->n_parents; i++)
    {
      const struct build_diff_parent *p = &d->ignore->parents[i];
      if (strcmp (p->path, rel) == 0)
        return p->uid == st->st_uid && p->gid == st->st_gid && p->mode == (st->st_mode & 07777);
    }
  return false;
}

static bool
is_whiteout (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (0, 0);
}

static bool
is_opaque (const char *path)
{
  char v[4];
  ssize_t len = lgetxattr (path, "trusted.overlay.opaque", v, sizeof (v));
  return len == 1 && v[0] == 'y';
}

static int diff_dir (const struct diff_walk *d, const char *rel, estiba_error_t *err);

/* Returns how many layer entries the subtree at rel gave, or -1.  */
static int
diff_entry (const struct diff_walk *d, const char *rel, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  struct stat st;
  int below;

  if (asprintf (&path, "%s/%s", d->upper, rel) < 0)
    return estiba_error (err, ENOMEM, "layer diff");
  if (lstat (path, &st) < 0)
    return estiba_error_errno (err, "layer diff: `%s`", path);
  if (is_whiteout (&st))
    return build_layer_add_whiteout (d->w, rel, err) < 0 ? -1 : 1;
  if (!S_ISDIR (st.st_mode))
    {
      if (is_created (d, rel))
        return 0;
      return build_layer_add_path (d->w, path, rel, NULL, err) < 0 ? -1 : 1;
    }
  below = diff_dir (d, rel, err);
  if (below < 0)
    return -1;
  /* A directory made only to hold a mount point is not the step's.  */
  if (below == 0 && !is_opaque (path) && (is_created (d, rel) || is_untouched_parent (d, rel, &st)))
    return 0;
  if (build_layer_add_path (d->w, path, rel, NULL, err) < 0)
    return -1;
  if (is_opaque (path) && build_layer_add_opaque (d->w, rel, err) < 0)
    return -1;
  return below + 1;
}

static int
diff_dir (const struct diff_walk *d, const char *rel, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_closedir DIR *dir = NULL;
  struct dirent *de;
  int total = 0;

  if (asprintf (&path, "%s%s%s", d->upper, rel ? "/" : "", rel ? rel : "") < 0)
    return estiba_error (err, ENOMEM, "layer diff");
  dir = opendir (path);
  if (dir == NULL)
    return estiba_error_errno (err, "layer diff: read `%s`", path);
  while ((de = readdir (dir)) != NULL)
    {
      cleanup_free char *child = NULL;
      int n;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (asprintf (&child, "%s%s%s", rel ? rel : "", rel ? "/" : "", de->d_name) < 0)
        return estiba_error (err, ENOMEM, "layer diff");
      n = diff_entry (d, child, err);
      if (n < 0)
        return -1;
      total += n;
    }
  return total;
}

int
build_diff_upper (const char *upper, const struct build_diff_ignore *ignore, struct build_layer_writer *w,
                  estiba_error_t *err)
{
  struct diff_walk d = { upper, ignore, w };
  return diff_dir (&d, NULL, err) < 0 ? -1 : 0;
}
