#include <config.h>
#include "build_rootfs.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "layer_cache.h"
#include "layer_extract.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OVERLAY_XATTR_PREFIX "trusted.overlay."
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
#define WHITEOUT_PREFIX      ".wh."
#define OPAQUE_MARKER        ".wh..wh..opq"

struct build_rootfs
{
  char *scratch; /* build/tmp/rootfs-XXXXXX: merged/, upper/, work/, empty/ */
  char *merged;
  char *upper; /* NULL when read-only */
  bool mounted;
};

int
build_store_dir (struct muelle_store *store, const char *sub, char **path_out, estiba_error_t *err)
{
  cleanup_free char *dir = NULL;

  if (store_subdir (store, sub, &dir, err) < 0)
    return -1;
  *path_out = realpath (dir, NULL);
  if (*path_out == NULL)
    return estiba_error_errno (err, "`%s`", dir);
  return 0;
}

/* ---- the overlay-format layer cache ---- */

static int
copy_xattrs_except_implicit (int srcfd, int dstfd, const char *what, estiba_error_t *err)
{
  char names[8192], value[65536];
  ssize_t len = flistxattr (srcfd, names, sizeof (names));
  ssize_t off;

  if (len < 0)
    return errno == ENOTSUP ? 0 : estiba_error_errno (err, "overlay cache: list xattrs of `%s`", what);
  for (off = 0; off < len; off += (ssize_t) strlen (names + off) + 1)
    {
      const char *name = names + off;
      ssize_t vlen;
      /* overlayfs would act on its own xattrs in a lower layer: an image
       * does not get to set them.  */
      if (strcmp (name, LAYER_IMPLICIT_DIR_XATTR) == 0
          || strncmp (name, OVERLAY_XATTR_PREFIX, strlen (OVERLAY_XATTR_PREFIX)) == 0)
        continue;
      vlen = fgetxattr (srcfd, name, value, sizeof (value));
      if (vlen < 0 || fsetxattr (dstfd, name, value, (size_t) vlen, 0) < 0)
        return estiba_error_errno (err, "overlay cache: xattr `%s` of `%s`", name, what);
    }
  return 0;
}

/* A directory of the cached layer, recreated with its owner, mode and
 * xattrs (a directory cannot be hardlinked).  */
static int
convert_dir_meta (int srcfd, int dstfd, const char *what, estiba_error_t *err)
{
  struct stat st;

  if (fstat (srcfd, &st) < 0 || fchown (dstfd, st.st_uid, st.st_gid) < 0
      || fchmod (dstfd, st.st_mode & 07777) < 0)
    return estiba_error_errno (err, "overlay cache: `%s`", what);
  return copy_xattrs_except_implicit (srcfd, dstfd, what, err);
}

static bool
has_overlay_xattr (const char *dir, const char *name)
{
  cleanup_free char *path = NULL;
  char names[8192];
  ssize_t len, off;

  if (asprintf (&path, "%s/%s", dir, name) < 0)
    return true;
  len = llistxattr (path, names, sizeof (names));
  if (len < 0)
    return errno == ERANGE;
  for (off = 0; off < len; off += (ssize_t) strlen (names + off) + 1)
    if (strncmp (names + off, OVERLAY_XATTR_PREFIX, strlen (OVERLAY_XATTR_PREFIX)) == 0)
      return true;
  return false;
}

static int convert_tree (int srcfd, int dstfd, const char *what, estiba_error_t *err);

static int
convert_entry (int srcfd, int dstfd, const char *name, const char *what, estiba_error_t *err)
{
  struct stat st;

  if (fstatat (srcfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return estiba_error_errno (err, "overlay cache: `%s/%s`", what, name);
  if (strcmp (name, OPAQUE_MARKER) == 0)
    {
      static const char yes[] = "y";
      if (fsetxattr (dstfd, OVERLAY_OPAQUE_XATTR, yes, 1, 0) < 0)
        return estiba_error_errno (err, "overlay cache: mark `%s` opaque", what);
      return 0;
    }
  if (strncmp (name, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) == 0)
    {
      const char *target = name + strlen (WHITEOUT_PREFIX);
      struct stat tst;
      /* The layer also has an entry of that name: it replaces what lower
       * layers had, so a directory hides their content.  */
      if (fstatat (srcfd, target, &tst, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
      if (mknodat (dstfd, target, S_IFCHR | 0, makedev (0, 0)) < 0)
        return estiba_error_errno (err, "overlay cache: whiteout `%s/%s`", what, target);
      return 0;
    }
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int sub_src = openat (srcfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int sub_dst = -1;
      cleanup_free char *sub_what = NULL;
      char wh[NAME_MAX + 8];
      struct stat tst;

      if (sub_src < 0 || (mkdirat (dstfd, name, 0700) < 0 && errno != EEXIST)
          || (sub_dst = openat (dstfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return estiba_error_errno (err, "overlay cache: directory `%s/%s`", what, name);
      if (asprintf (&sub_what, "%s/%s", what, name) < 0)
        return estiba_error (err, ENOMEM, "overlay cache");
      if (convert_dir_meta (sub_src, sub_dst, sub_what, err) < 0)
        return -1;
      /* Whited out and recreated in the same layer: opaque.  */
      snprintf (wh, sizeof (wh), WHITEOUT_PREFIX "%s", name);
      if (fstatat (srcfd, wh, &tst, AT_SYMLINK_NOFOLLOW) == 0
          && fsetxattr (sub_dst, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
        return estiba_error_errno (err, "overlay cache: mark `%s` opaque", sub_what);
      if (convert_tree (sub_src, sub_dst, sub_what, err) < 0)
        return -1;
      {
        struct timespec times[2] = { st.st_atim, st.st_mtim };
        futimens (sub_dst, times);
      }
      return 0;
    }
  if (has_overlay_xattr (what, name))
    return estiba_error (
      err, 0, "layer entry `%s/%s`: carries an overlayfs xattr (" OVERLAY_XATTR_PREFIX "*)", what, name);
  /* Files, symlinks, devices, fifos: the cached inode itself.  Lower
   * layers are never written (overlay copies up), so sharing is safe.  */
  if (linkat (srcfd, name, dstfd, name, 0) < 0)
    return estiba_error_errno (err, "overlay cache: link `%s/%s`", what, name);
  return 0;
}

static int
convert_tree (int srcfd, int dstfd, const char *what, estiba_error_t *err)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int fd = openat (srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return estiba_error_errno (err, "overlay cache: read `%s`", what);
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (convert_entry (dirfd (d), dstfd, de->d_name, what, err) < 0)
        return -1;
    }
  return 0;
}

struct overlay_fill
{
  struct muelle_store *store;
  const struct oci_image_descriptor *layer;
  const char *diff_id;
};

/* The layer cache has verified and extracted the blob already (or does it
 * now); its tree is turned into overlay form with hardlinks.  */
static int
fill_overlay (int dstfd, const char *dir, void *opaque, estiba_error_t *err)
{
  struct overlay_fill *f = opaque;
  cleanup_free char *tree = NULL;
  cleanup_close int srcfd = -1;

  (void) dir;
  if (layer_cache_get (f->store, f->layer, f->diff_id, &tree, err) < 0)
    return -1;
  srcfd = open (tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (srcfd < 0)
    return estiba_error_errno (err, "overlay cache: open `%s`", tree);
  if (convert_dir_meta (srcfd, dstfd, tree, err) < 0 || convert_tree (srcfd, dstfd, tree, err) < 0)
    return -1;
  return 0;
}

int
build_overlay_cache_get (struct muelle_store *store, const struct oci_image_descriptor *layer,
                         const char *diff_id, char **dir_out, estiba_error_t *err)
{
  cleanup_free char *cache = NULL;
  struct overlay_fill f = { store, layer, diff_id };

  if (build_store_dir (store, "cache/overlay", &cache, err) < 0)
    return -1;
  return cache_entry_get (cache, "overlay cache", layer, diff_id, fill_overlay, &f, dir_out, err);
}

/* ---- overlay views ---- */

static int
fsconfig_string (int fsfd, const char *key, const char *value, estiba_error_t *err)
{
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, key, value, 0) < 0)
    return estiba_error_errno (err, "overlay: option %s=%s", key, value);
  return 0;
}

static int
fsconfig_flag (int fsfd, const char *key, estiba_error_t *err)
{
  if (fsconfig (fsfd, FSCONFIG_SET_FLAG, key, NULL, 0) < 0)
    return estiba_error_errno (err, "overlay: option %s", key);
  return 0;
}

/* lowers[0] is the topmost layer.  */
static int
mount_overlay (const char *target, char **lowers, size_t n, const char *upper, const char *work,
               estiba_error_t *err)
{
  /* Keep the upper dir in plain overlay form: whole copied-up files,
   * whiteout devices, opaque xattrs, nothing pointing back at a lower.  */
  static const char *const plain[][2] = {
    { "redirect_dir", "off" },
    { "metacopy", "off" },
    { "index", "off" },
    { "xino", "off" },
  };
  cleanup_close int fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  cleanup_close int mfd = -1;
  size_t i;

  if (fsfd < 0)
    return estiba_error_errno (err, "overlay: fsopen");
  for (i = 0; i < n; i++)
    if (fsconfig_string (fsfd, "lowerdir+", lowers[i], err) < 0)
      return -1;
  if (upper
      && (fsconfig_string (fsfd, "upperdir", upper, err) < 0
          || fsconfig_string (fsfd, "workdir", work, err) < 0))
    return -1;
  for (i = 0; i < sizeof (plain) / sizeof (plain[0]); i++)
    if (fsconfig_string (fsfd, plain[i][0], plain[i][1], err) < 0)
      return -1;
  if (upper == NULL && fsconfig_flag (fsfd, "ro", err) < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return estiba_error_errno (err, "overlay: create the mount for `%s`", target);
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, upper ? 0 : MOUNT_ATTR_RDONLY);
  if (mfd < 0)
    return estiba_error_errno (err, "overlay: fsmount");
  if (move_mount (mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return estiba_error_errno (err, "overlay: mount on `%s`", target);
  return 0;
}

static int
make_subdir (const char *scratch, const char *name, char **out, estiba_error_t *err)
{
  if (asprintf (out, "%s/%s", scratch, name) < 0)
    return estiba_error (err, ENOMEM, "build rootfs");
  if (mkdir (*out, 0755) < 0)
    return estiba_error_errno (err, "build rootfs: mkdir `%s`", *out);
  return 0;
}

static void
free_strv_n (char **v, size_t n)
{
  size_t i;
  for (i = 0; v && i < n; i++)
    free (v[i]);
  free (v);
}

static int
mount_view (struct muelle_store *store, const struct build_layers *layers, struct build_rootfs *r,
            bool writable, estiba_error_t *err)
{
  cleanup_free char *empty = NULL;
  cleanup_free char *work = NULL;
  char **lowers;
  size_t i, n = layers->n;
  int ret;

  if (make_subdir (r->scratch, "merged", &r->merged, err) < 0)
    return -1;
  if (n == 0 && !writable)
    return 0; /* scratch: the empty directory is the view */
  if (writable
      && (make_subdir (r->scratch, "upper", &r->upper, err) < 0
          || make_subdir (r->scratch, "work", &work, err) < 0))
    return -1;
  lowers = calloc (n + 1, sizeof (*lowers));
  if (lowers == NULL)
    return estiba_error (err, ENOMEM, "build rootfs");
  for (i = 0; i < n; i++)
    if (build_overlay_cache_get (store, &layers->layers[i], layers->diff_ids[i], &lowers[n - 1 - i], err) < 0)
      {
        free_strv_n (lowers, n);
        return -1;
      }
  if (n == 0 || (n == 1 && !writable))
    {
      /* overlay needs a lower layer, two without an upper: an empty one.  */
      if (make_subdir (r->scratch, "empty", &empty, err) < 0)
        {
          free_strv_n (lowers, n);
          return -1;
        }
      lowers[n++] = steal_pointer (&empty);
    }
  ret = mount_overlay (r->merged, lowers, n, r->upper, work, err);
  free_strv_n (lowers, n);
  if (ret < 0)
    return -1;
  r->mounted = true;
  return 0;
}

static int
rootfs_new (struct muelle_store *store, struct build_rootfs **out, estiba_error_t *err)
{
  cleanup_free char *tmp = NULL;
  struct build_rootfs *r;

  if (build_store_dir (store, "build/tmp", &tmp, err) < 0)
    return -1;
  r = calloc (1, sizeof (*r));
  if (r == NULL || asprintf (&r->scratch, "%s/rootfs-XXXXXX", tmp) < 0)
    {
      free (r);
      return estiba_error (err, ENOMEM, "build rootfs");
    }
  if (mkdtemp (r->scratch) == NULL)
    {
      estiba_error_errno (err, "build rootfs: create a directory in `%s`", tmp);
      free (r->scratch);
      free (r);
      return -1;
    }
  *out = r;
  return 0;
}

int
build_rootfs_mount (struct muelle_store *store, const struct build_layers *layers, bool writable,
                    struct build_rootfs **out, estiba_error_t *err)
{
  struct build_rootfs *r;

  if (rootfs_new (store, &r, err) < 0)
    return -1;
  if (mount_view (store, layers, r, writable, err) < 0)
    {
      build_rootfs_release (r);
      return -1;
    }
  *out = r;
  return 0;
}

int
build_rootfs_mount_dir (struct muelle_store *store, const char *lower, struct build_rootfs **out,
                        estiba_error_t *err)
{
  cleanup_free char *work = NULL;
  char *lowers[1] = { (char *) lower };
  struct build_rootfs *r;

  if (rootfs_new (store, &r, err) < 0)
    return -1;
  if (make_subdir (r->scratch, "merged", &r->merged, err) < 0
      || make_subdir (r->scratch, "upper", &r->upper, err) < 0
      || make_subdir (r->scratch, "work", &work, err) < 0
      || mount_overlay (r->merged, lowers, 1, r->upper, work, err) < 0)
    {
      build_rootfs_release (r);
      return -1;
    }
  r->mounted = true;
  *out = r;
  return 0;
}

const char *
build_rootfs_path (const struct build_rootfs *r)
{
  return r->merged;
}

const char *
build_rootfs_upper (const struct build_rootfs *r)
{
  return r->upper;
}

void
build_rootfs_release (struct build_rootfs *r)
{
  if (r == NULL)
    return;
  /* Detach even when a process still has it busy: nothing may stay.  */
  if (r->mounted && umount2 (r->merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    fprintf (stderr, "muelle: warning: unmount `%s`: %s\n", r->merged, strerror (errno));
  fs_remove_tree (r->scratch, NULL);
  free (r->scratch);
  free (r->merged);
  free (r->upper);
  free (r);
}
