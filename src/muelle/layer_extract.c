/* Layer extraction (see layer_extract.h).  Every path is resolved one
 * component at a time from the root fd with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), so neither a ".." nor a symlink planted by an
 * earlier entry or layer can lead outside the root.  */
#include <config.h>
#include "layer_extract.h"
#include "layer_path.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Paths this layer created (and their ancestors): an opaque whiteout
 * hides only what lower layers put in the directory.  */
struct path_set
{
  char **slots;
  size_t cap, len;
};

struct dir_time
{
  char *path;
  struct timespec times[2];
};

struct extract_state
{
  int rootfd;
  const struct layer_extract_options *opts;
  const char *layer;
  const char *entry; /* name of the entry being extracted, for errors */
  char *entry_copy;  /* owned copy: libarchive's name dies with the next header */
  bool privileged;
  struct path_set seen;
  struct dir_time *dirs; /* directory times are set last: children change them */
  size_t dirs_len, dirs_cap;
  /* The parent directory of the previous entry, kept open: entries come
   * grouped by directory, and resolving every component again costs a
   * syscall per component.  Any removal may have replaced it (or an
   * ancestor), so removals mark it stale and it is resolved anew.  */
  char *parent_path;
  int parent_fd;
  bool parent_stale;
  /* Entries come from a directory tree (the layer cache): file data is
   * copied in the kernel from archive_entry_sourcepath.  */
  bool from_tree;
};

#define EXTRACT_FAIL(st, err, errno_, fmt, ...)                                                              \
  estiba_error ((err), (errno_), "layer %s: entry `%s`: " fmt, (st)->layer, (st)->entry, ##__VA_ARGS__)

static uint64_t
hash_string (const char *s)
{
  uint64_t h = 1469598103934665603ULL;

  while (*s)
    h = (h ^ (unsigned char) *s++) * 1099511628211ULL;
  return h;
}

static bool
path_set_has (const struct path_set *set, const char *path)
{
  size_t i;

  if (set->cap == 0)
    return false;
  for (i = hash_string (path) & (set->cap - 1); set->slots[i]; i = (i + 1) & (set->cap - 1))
    if (strcmp (set->slots[i], path) == 0)
      return true;
  return false;
}

static int
path_set_insert (struct path_set *set, char *owned)
{
  size_t i;

  if ((set->len + 1) * 2 > set->cap)
    {
      size_t cap = set->cap ? set->cap * 2 : 256, j;
      char **slots = calloc (cap, sizeof (char *));
      if (slots == NULL)
        return -1;
      for (j = 0; j < set->cap; j++)
        if (set->slots[j])
          {
            for (i = hash_string (set->slots[j]) & (cap - 1); slots[i]; i = (i + 1) & (cap - 1))
              ;
            slots[i] = set->slots[j];
          }
      free (set->slots);
      set->slots = slots;
      set->cap = cap;
    }
  for (i = hash_string (owned) & (set->cap - 1); set->slots[i]; i = (i + 1) & (set->cap - 1))
    ;
  set->slots[i] = owned;
  set->len++;
  return 0;
}

/* Add path and every ancestor.  */
static int
path_set_add (struct path_set *set, const char *path)
{
  cleanup_free char *copy = strdup (path);
  char *slash;

  if (copy == NULL)
    return -1;
  for (;;)
    {
      if (!path_set_has (set, copy))
        {
          char *owned = strdup (copy);
          if (owned == NULL || path_set_insert (set, owned) < 0)
            {
              free (owned);
              return -1;
            }
        }
      slash = strrchr (copy, '/');
      if (slash == NULL)
        return 0;
      *slash = '\0';
    }
}

static void
path_set_free (struct path_set *set)
{
  size_t i;

  for (i = 0; i < set->cap; i++)
    free (set->slots[i]);
  free (set->slots);
}

static int
openat2_beneath (int dirfd, const char *name, int flags)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC | O_NOFOLLOW,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  do
    fd = (int) syscall (SYS_openat2, dirfd, name, &how, sizeof (how));
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

/* In the layer cache, a directory the tar did not list (made only as a
 * parent) is marked, so applying the cached tree treats it as a parent
 * again: it must not replace what lower layers have at that path.  */
static int
mark_implicit (int parentfd, const char *name)
{
  int fd = openat2_beneath (parentfd, name, O_RDONLY | O_DIRECTORY);
  int ret;

  if (fd < 0)
    return -1;
  ret = fsetxattr (fd, LAYER_IMPLICIT_DIR_XATTR, "1", 1, 0);
  close (fd);
  return ret;
}

/* Open directory `dir` (a cleaned relative path, "." for the root) below
 * the root, one component at a time.  With create, missing directories
 * are made (mode 0755, as tar does for parents it was not given).  Returns
 * an O_PATH fd, or -1 with *err set; -2 (no error) when !create and a
 * component is missing.  */
static int
open_dir (struct extract_state *st, const char *dir, bool create, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (dir);
  char *comp, *save = NULL;
  int cur, next;

  if (copy == NULL)
    return EXTRACT_FAIL (st, err, ENOMEM, "open parent");
  cur = dup (st->rootfd);
  if (cur < 0)
    return EXTRACT_FAIL (st, err, errno, "open root");
  if (strcmp (dir, ".") == 0)
    return cur;
  for (comp = strtok_r (copy, "/", &save); comp; comp = strtok_r (NULL, "/", &save))
    {
      next = openat2_beneath (cur, comp, O_PATH | O_DIRECTORY);
      if (next < 0 && errno == ENOENT && create)
        {
          if (mkdirat (cur, comp, 0755) < 0 && errno != EEXIST)
            {
              int saved = errno;
              close (cur);
              return EXTRACT_FAIL (st, err, saved, "create parent directory `%s`", comp);
            }
          next = openat2_beneath (cur, comp, O_PATH | O_DIRECTORY);
          if (next >= 0 && st->opts->keep_whiteouts && mark_implicit (cur, comp) < 0)
            {
              int saved = errno;
              close (cur);
              close (next);
              return EXTRACT_FAIL (st, err, saved, "mark parent directory `%s`", comp);
            }
        }
      if (next < 0)
        {
          int saved = errno;
          struct stat sb;
          if (saved == ENOTDIR && fstatat (cur, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (sb.st_mode))
            saved = ELOOP;
          close (cur);
          if (saved == ENOENT && !create)
            return -2;
          if (saved == ELOOP)
            return EXTRACT_FAIL (st, err, 0, "parent `%s` is a symlink: refusing to follow it", comp);
          if (saved == ENOTDIR)
            return EXTRACT_FAIL (st, err, 0, "parent `%s` is not a directory", comp);
          if (saved == EXDEV)
            return EXTRACT_FAIL (st, err, 0, "parent `%s` leads outside the root", comp);
          return EXTRACT_FAIL (st, err, saved, "open parent `%s`", comp);
        }
      close (cur);
      cur = next;
    }
  return cur;
}

static void
forget_parent (struct extract_state *st)
{
  if (st->parent_fd >= 0)
    close (st->parent_fd);
  st->parent_fd = -1;
  free (st->parent_path);
  st->parent_path = NULL;
  st->parent_stale = false;
}

/* open_dir (dir, create), through the one-entry cache: the fd is borrowed.  */
static int
parent_dir (struct extract_state *st, const char *dir, estiba_error_t *err)
{
  int fd;

  if (!st->parent_stale && st->parent_path && strcmp (st->parent_path, dir) == 0)
    return st->parent_fd;
  forget_parent (st);
  fd = open_dir (st, dir, true, err);
  if (fd < 0)
    return fd;
  st->parent_path = strdup (dir);
  if (st->parent_path == NULL)
    {
      close (fd);
      return EXTRACT_FAIL (st, err, ENOMEM, "open parent");
    }
  st->parent_fd = fd;
  return fd;
}

/* Remove whatever is at parentfd/name unless it is a directory and
 * keep_dir is set (a directory entry over a directory merges).  */
static int
clear_leaf (struct extract_state *st, int parentfd, const char *name, bool keep_dir, estiba_error_t *err)
{
  struct stat sb;

  if (fstatat (parentfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return EXTRACT_FAIL (st, err, errno, "stat existing file");
    }
  if (keep_dir && S_ISDIR (sb.st_mode))
    return 1;
  st->parent_stale = true;
  if (fs_remove_tree_at (parentfd, name, err) < 0)
    return estiba_error_wrap (err, "layer %s: entry `%s`", st->layer, st->entry);
  return 0;
}

static int
map_owner (struct extract_state *st, struct archive_entry *e, uid_t *uid, gid_t *gid, estiba_error_t *err)
{
  int64_t u = id_map_lookup (st->opts->uid_map, st->opts->uid_map_len, (uint32_t) archive_entry_uid (e));
  int64_t g = id_map_lookup (st->opts->gid_map, st->opts->gid_map_len, (uint32_t) archive_entry_gid (e));

  if (u < 0)
    return EXTRACT_FAIL (st, err, 0, "uid %lld is not in the uid mapping", (long long) archive_entry_uid (e));
  if (g < 0)
    return EXTRACT_FAIL (st, err, 0, "gid %lld is not in the gid mapping", (long long) archive_entry_gid (e));
  *uid = (uid_t) u;
  *gid = (gid_t) g;
  return 0;
}

static int
set_owner (struct extract_state *st, int parentfd, const char *name, struct archive_entry *e,
           estiba_error_t *err)
{
  uid_t uid = 0;
  gid_t gid = 0;

  if (map_owner (st, e, &uid, &gid, err) < 0)
    return -1;
  if (fchownat (parentfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && (st->privileged || errno != EPERM))
    return EXTRACT_FAIL (st, err, errno, "chown to %u:%u", (unsigned) uid, (unsigned) gid);
  return 0;
}

static int
set_xattrs (struct extract_state *st, int fd, struct archive_entry *e, estiba_error_t *err)
{
  const char *name;
  const void *value;
  size_t size;

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (fsetxattr (fd, name, value, size, 0) == 0)
        continue;
      if (errno == ENOTSUP || errno == EPERM)
        {
          estiba_warn ("layer %s: entry `%s`: xattr %s not set: %s", st->layer, st->entry, name,
                       strerror (errno));
          continue;
        }
      return EXTRACT_FAIL (st, err, errno, "set xattr %s", name);
    }
  return 0;
}

static void
entry_times (struct archive_entry *e, struct timespec ts[2])
{
  ts[1].tv_sec = archive_entry_mtime (e);
  ts[1].tv_nsec = archive_entry_mtime_nsec (e);
  if (archive_entry_atime_is_set (e))
    {
      ts[0].tv_sec = archive_entry_atime (e);
      ts[0].tv_nsec = archive_entry_atime_nsec (e);
    }
  else
    ts[0] = ts[1];
}

/* Owner, mode (after chown, which clears set-id bits), xattrs and times
 * of something just opened as fd.  */
static int
finish_fd (struct extract_state *st, int parentfd, const char *name, int fd, struct archive_entry *e,
           bool set_times, estiba_error_t *err)
{
  struct timespec ts[2];

  if (set_owner (st, parentfd, name, e, err) < 0)
    return -1;
  if (fchmod (fd, archive_entry_perm (e) & 07777) < 0)
    return EXTRACT_FAIL (st, err, errno, "chmod");
  if (set_xattrs (st, fd, e, err) < 0)
    return -1;
  entry_times (e, ts);
  if (set_times && futimens (fd, ts) < 0)
    return EXTRACT_FAIL (st, err, errno, "set times");
  return 0;
}

/* Copy a cached file's data in the kernel (copy_file_range: no trip
 * through user space, and a reflink on filesystems that share extents).
 * 1: copied; 0: not possible here, nothing written, use the reader.  */
static int
copy_from_tree (struct extract_state *st, struct archive_entry *e, int fd, estiba_error_t *err)
{
  const char *src = archive_entry_sourcepath (e);
  cleanup_close int in = -1;
  int64_t left = archive_entry_size (e);
  bool copied = false;

  if (src == NULL)
    return 0;
  in = open (src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return EXTRACT_FAIL (st, err, errno, "open cached `%s`", src);
  while (left > 0)
    {
      ssize_t n = copy_file_range (in, NULL, fd, NULL, (size_t) left, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && !copied && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
        return 0;
      if (n < 0)
        return EXTRACT_FAIL (st, err, errno, "copy from `%s`", src);
      if (n == 0)
        return EXTRACT_FAIL (st, err, 0, "cached `%s` is shorter than recorded", src);
      copied = true;
      left -= n;
    }
  return 1;
}

static int
extract_file (struct extract_state *st, struct archive *a, int parentfd, const char *name,
              struct archive_entry *e, estiba_error_t *err)
{
  cleanup_close int fd = -1;
  const void *buf;
  size_t size;
  la_int64_t offset, end = 0;
  int r;

  if (clear_leaf (st, parentfd, name, false, err) < 0)
    return -1;
  fd = openat (parentfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return EXTRACT_FAIL (st, err, errno, "create file");
  if (st->from_tree)
    {
      r = copy_from_tree (st, e, fd, err);
      if (r < 0)
        return -1;
      if (r > 0)
        return finish_fd (st, parentfd, name, fd, e, true, err);
    }
  while ((r = archive_read_data_block (a, &buf, &size, &offset)) == ARCHIVE_OK)
    {
      const char *p = buf;
      while (size > 0)
        {
          ssize_t n = pwrite (fd, p, size, offset);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            return EXTRACT_FAIL (st, err, errno, "write");
          p += n;
          size -= n;
          offset += n;
        }
      if (offset > end)
        end = offset;
    }
  if (r != ARCHIVE_EOF)
    return EXTRACT_FAIL (st, err, 0, "read data: %s", archive_error_string (a));
  /* A sparse file may end in a hole (the file is new: its size is the end
   * of the last write).  */
  if (end != archive_entry_size (e) && ftruncate (fd, archive_entry_size (e)) < 0)
    return EXTRACT_FAIL (st, err, errno, "truncate");
  return finish_fd (st, parentfd, name, fd, e, true, err);
}

static int
record_dir_time (struct extract_state *st, const char *path, struct archive_entry *e, estiba_error_t *err)
{
  if (st->dirs_len == st->dirs_cap)
    {
      size_t cap = st->dirs_cap ? st->dirs_cap * 2 : 64;
      struct dir_time *dirs = realloc (st->dirs, cap * sizeof (*dirs));
      if (dirs == NULL)
        return EXTRACT_FAIL (st, err, ENOMEM, "directory times");
      st->dirs = dirs;
      st->dirs_cap = cap;
    }
  st->dirs[st->dirs_len].path = strdup (path);
  if (st->dirs[st->dirs_len].path == NULL)
    return EXTRACT_FAIL (st, err, ENOMEM, "directory times");
  entry_times (e, st->dirs[st->dirs_len].times);
  st->dirs_len++;
  return 0;
}

static int
extract_dir (struct extract_state *st, int parentfd, const char *name, const char *path,
             struct archive_entry *e, estiba_error_t *err)
{
  cleanup_close int fd = -1;
  int existing;

  if (strcmp (path, ".") == 0)
    fd = openat (st->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  else
    {
      existing = clear_leaf (st, parentfd, name, true, err);
      if (existing < 0)
        return -1;
      if (!existing && mkdirat (parentfd, name, 0700) < 0)
        return EXTRACT_FAIL (st, err, errno, "create directory");
      fd = openat2_beneath (parentfd, name, O_RDONLY | O_DIRECTORY);
    }
  if (fd < 0)
    return EXTRACT_FAIL (st, err, errno, "open directory");
  /* Listed after all: no longer only a parent.  */
  if (st->opts->keep_whiteouts && fremovexattr (fd, LAYER_IMPLICIT_DIR_XATTR) < 0 && errno != ENODATA)
    return EXTRACT_FAIL (st, err, errno, "unmark directory");
  if (strcmp (path, ".") == 0)
    parentfd = st->rootfd;
  if (finish_fd (st, parentfd, name, fd, e, false, err) < 0)
    return -1;
  return record_dir_time (st, path, e, err);
}

/* Symlinks, devices, fifos: no fd to work on, use the *at calls on the
 * name (it is ours: just created, and never followed).  */
static int
finish_name (struct extract_state *st, int parentfd, const char *name, struct archive_entry *e, bool is_link,
             estiba_error_t *err)
{
  struct timespec ts[2];

  if (set_owner (st, parentfd, name, e, err) < 0)
    return -1;
  if (!is_link && fchmodat (parentfd, name, archive_entry_perm (e) & 07777, 0) < 0)
    return EXTRACT_FAIL (st, err, errno, "chmod");
  entry_times (e, ts);
  if (utimensat (parentfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return EXTRACT_FAIL (st, err, errno, "set times");
  return 0;
}

static int
extract_symlink (struct extract_state *st, int parentfd, const char *name, struct archive_entry *e,
                 estiba_error_t *err)
{
  const char *target = archive_entry_symlink (e);

  if (target == NULL || target[0] == '\0')
    return EXTRACT_FAIL (st, err, 0, "symlink without a target");
  if (clear_leaf (st, parentfd, name, false, err) < 0)
    return -1;
  /* The target is stored as is: it is only ever resolved inside the
   * container, and this code never follows it.  */
  if (symlinkat (target, parentfd, name) < 0)
    return EXTRACT_FAIL (st, err, errno, "create symlink");
  return finish_name (st, parentfd, name, e, true, err);
}

static int
extract_node (struct extract_state *st, int parentfd, const char *name, struct archive_entry *e,
              estiba_error_t *err)
{
  mode_t type = archive_entry_filetype (e);
  dev_t dev = 0;

  if (type == AE_IFSOCK)
    return 0; /* sockets are created by their server, not by tar */
  if (type == AE_IFCHR || type == AE_IFBLK)
    {
      if (!st->privileged)
        return 0;
      dev = makedev (archive_entry_rdevmajor (e), archive_entry_rdevminor (e));
    }
  if (clear_leaf (st, parentfd, name, false, err) < 0)
    return -1;
  if (mknodat (parentfd, name, type | 0600, dev) < 0)
    return EXTRACT_FAIL (st, err, errno, "create %s", type == AE_IFIFO ? "fifo" : "device node");
  return finish_name (st, parentfd, name, e, false, err);
}

static int
extract_hardlink (struct extract_state *st, int parentfd, const char *name, const char *path,
                  const char *link, estiba_error_t *err)
{
  cleanup_free char *target = NULL;
  cleanup_free char *tparent = NULL;
  cleanup_close int tparentfd = -1;
  const char *why = NULL, *tleaf;
  struct stat sb;

  target = layer_path_clean (link, &why);
  if (target == NULL)
    return EXTRACT_FAIL (st, err, 0, "hardlink target `%s`: %s", link, why);
  if (strcmp (target, ".") == 0)
    return EXTRACT_FAIL (st, err, 0, "hardlink to the root directory");
  if (strcmp (target, path) == 0)
    return 0;
  tparent = layer_path_split (target, &tleaf);
  if (tparent == NULL)
    return EXTRACT_FAIL (st, err, ENOMEM, "hardlink");
  tparentfd = open_dir (st, tparent, false, err);
  if (tparentfd == -2)
    return EXTRACT_FAIL (st, err, 0, "hardlink target `%s` does not exist", link);
  if (tparentfd < 0)
    return -1;
  if (fstatat (tparentfd, tleaf, &sb, AT_SYMLINK_NOFOLLOW) < 0)
    return EXTRACT_FAIL (st, err, errno, "hardlink target `%s`", link);
  if (S_ISDIR (sb.st_mode))
    return EXTRACT_FAIL (st, err, 0, "hardlink target `%s` is a directory", link);
  if (clear_leaf (st, parentfd, name, false, err) < 0)
    return -1;
  /* No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.  */
  if (linkat (tparentfd, tleaf, parentfd, name, 0) < 0)
    return EXTRACT_FAIL (st, err, errno, "hardlink to `%s`", link);
  return 0;
}

/* Remove the lower layers' entries of dir that this layer did not add.  */
static int
apply_opaque (struct extract_state *st, const char *dir, estiba_error_t *err)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int fd, pathfd;

  st->parent_stale = true;
  pathfd = open_dir (st, dir, false, err);
  if (pathfd == -2)
    return 0;
  if (pathfd < 0)
    return -1;
  fd = openat (pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close (pathfd);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return EXTRACT_FAIL (st, err, errno, "open opaque directory");
    }
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *child = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (asprintf (&child, "%s/%s", dir, de->d_name) < 0)
        return EXTRACT_FAIL (st, err, ENOMEM, "opaque whiteout");
      if (path_set_has (&st->seen, strcmp (dir, ".") == 0 ? de->d_name : child))
        continue;
      if (fs_remove_tree_at (dirfd (d), de->d_name, err) < 0)
        return estiba_error_wrap (err, "layer %s: entry `%s`", st->layer, st->entry);
    }
  return 0;
}

static int
apply_whiteout (struct extract_state *st, const char *parent, const char *target, estiba_error_t *err)
{
  cleanup_close int parentfd = -1;
  cleanup_free char *path = NULL;

  /* A whiteout hides only what lower layers have (image-spec layer.md):
   * a cached tree is walked in directory order, not the tar's, so this
   * layer's own entry at that path may already be in place.  */
  if (asprintf (&path, "%s/%s", parent, target) < 0)
    return EXTRACT_FAIL (st, err, ENOMEM, "whiteout");
  if (path_set_has (&st->seen, strcmp (parent, ".") == 0 ? target : path))
    {
      /* Replaced already; of a directory, drop what lower layers had in it.  */
      struct stat sb;
      parentfd = open_dir (st, parent, false, err);
      if (parentfd == -2)
        return 0;
      if (parentfd < 0)
        return -1;
      if (fstatat (parentfd, target, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (sb.st_mode))
        return apply_opaque (st, strcmp (parent, ".") == 0 ? target : path, err);
      return 0;
    }
  parentfd = open_dir (st, parent, false, err);
  st->parent_stale = true;
  if (parentfd == -2)
    return 0; /* nothing below to delete */
  if (parentfd < 0)
    return -1;
  if (fs_remove_tree_at (parentfd, target, err) < 0)
    return estiba_error_wrap (err, "layer %s: entry `%s`", st->layer, st->entry);
  return 0;
}

static int
extract_entry (struct extract_state *st, struct archive *a, struct archive_entry *e, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *parent = NULL;
  int parentfd;
  const char *why = NULL, *leaf, *target = NULL, *link;
  mode_t type;

  free (st->entry_copy);
  st->entry_copy = archive_entry_pathname (e) ? strdup (archive_entry_pathname (e)) : NULL;
  st->entry = st->entry_copy;
  if (st->entry == NULL)
    {
      st->entry = "(unnamed)";
      return EXTRACT_FAIL (st, err, 0, "entry without a name");
    }
  path = layer_path_clean (st->entry, &why);
  if (path == NULL)
    return EXTRACT_FAIL (st, err, 0, "%s", why);
  parent = layer_path_split (path, &leaf);
  if (parent == NULL)
    return EXTRACT_FAIL (st, err, ENOMEM, "split");

  switch (layer_whiteout_kind (leaf, &target))
    {
      case WHITEOUT_INVALID:
        return EXTRACT_FAIL (st, err, 0, "invalid whiteout name");
      case WHITEOUT_OPAQUE:
        if (st->opts->keep_whiteouts)
          break;
        return apply_opaque (st, parent, err);
      case WHITEOUT_FILE:
        if (st->opts->keep_whiteouts)
          break;
        return apply_whiteout (st, parent, target, err);
      case WHITEOUT_NONE:
        break;
    }

  if (path_set_add (&st->seen, path) < 0)
    return EXTRACT_FAIL (st, err, ENOMEM, "record");
  type = archive_entry_filetype (e);
  link = archive_entry_hardlink (e);
  if (strcmp (path, ".") == 0)
    {
      if (link || type != AE_IFDIR)
        return EXTRACT_FAIL (st, err, 0, "the root must be a directory");
      return extract_dir (st, -1, ".", path, e, err);
    }
  parentfd = parent_dir (st, parent, err);
  if (parentfd < 0)
    return -1;
  if (link)
    return extract_hardlink (st, parentfd, leaf, path, link, err);
  switch (type)
    {
      case AE_IFREG:
        return extract_file (st, a, parentfd, leaf, e, err);
      case AE_IFDIR:
        return extract_dir (st, parentfd, leaf, path, e, err);
      case AE_IFLNK:
        return extract_symlink (st, parentfd, leaf, e, err);
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
      case AE_IFSOCK:
        return extract_node (st, parentfd, leaf, e, err);
      default:
        return EXTRACT_FAIL (st, err, 0, "unsupported file type 0%o", (unsigned) type);
    }
}

/* Directories get their times last, deepest first.  */
static int
apply_dir_times (struct extract_state *st, estiba_error_t *err)
{
  size_t i;

  for (i = st->dirs_len; i-- > 0;)
    {
      cleanup_free char *parent = NULL;
      cleanup_close int parentfd = -1;
      const char *leaf;

      st->entry = st->dirs[i].path;
      if (strcmp (st->dirs[i].path, ".") == 0)
        {
          if (futimens (st->rootfd, st->dirs[i].times) < 0)
            return EXTRACT_FAIL (st, err, errno, "set directory times");
          continue;
        }
      parent = layer_path_split (st->dirs[i].path, &leaf);
      if (parent == NULL)
        return EXTRACT_FAIL (st, err, ENOMEM, "set directory times");
      parentfd = open_dir (st, parent, false, err);
      if (parentfd == -2)
        continue; /* removed by a later entry */
      if (parentfd < 0)
        return -1;
      if (utimensat (parentfd, leaf, st->dirs[i].times, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
        return EXTRACT_FAIL (st, err, errno, "set directory times");
    }
  return 0;
}

/* Where entries come from: a tar, or a directory tree (the layer cache).  */
typedef int (*next_entry_fn) (void *source, struct archive *a, struct archive_entry **e);

static int
next_tar_entry (void *source, struct archive *a, struct archive_entry **e)
{
  (void) source;
  return archive_read_next_header (a, e);
}

static int
extract_entries (int rootfd, struct archive *a, next_entry_fn next, void *source, bool from_tree,
                 const struct layer_extract_options *opts, estiba_error_t *err)
{
  struct extract_state st = {
    .rootfd = rootfd,
    .opts = opts,
    .layer = opts->layer_name ? opts->layer_name : "(layer)",
    .entry = "",
    .privileged = !opts->unprivileged && geteuid () == 0,
    .parent_fd = -1,
    .from_tree = from_tree,
  };
  struct archive_entry *e;
  size_t i;
  int r, ret = 0;

  while ((r = next (source, a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      ret = extract_entry (&st, a, e, err);
      if (ret < 0)
        break;
    }
  if (ret >= 0 && r != ARCHIVE_EOF)
    ret = estiba_error (err, 0, "layer %s: bad tar after entry `%s`: %s", st.layer, st.entry,
                        archive_error_string (a) ? archive_error_string (a) : "read error");
  if (ret >= 0)
    ret = apply_dir_times (&st, err);
  forget_parent (&st);
  free (st.entry_copy);
  for (i = 0; i < st.dirs_len; i++)
    free (st.dirs[i].path);
  free (st.dirs);
  path_set_free (&st.seen);
  return ret < 0 ? -1 : 0;
}

static int
extract_archive (int rootfd, struct archive *a, const struct layer_extract_options *opts, estiba_error_t *err)
{
  return extract_entries (rootfd, a, next_tar_entry, NULL, false, opts, err);
}

/* A directory tree read back as entries: libarchive's disk reader, with
 * hardlinks detected and names made relative to the tree.  */
struct tree_source
{
  struct archive_entry_linkresolver *links;
  struct archive_entry *entry;
  size_t prefix_len;
};

static bool
has_implicit_mark (struct archive_entry *e)
{
  const char *name;
  const void *value;
  size_t size;

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    if (strcmp (name, LAYER_IMPLICIT_DIR_XATTR) == 0)
      return true;
  return false;
}

static int
next_tree_entry (void *source, struct archive *a, struct archive_entry **out)
{
  struct tree_source *t = source;
  struct archive_entry *spare = NULL;
  cleanup_free char *rel = NULL;
  const char *name;
  int r;

  for (;;)
    {
      archive_entry_clear (t->entry);
      r = archive_read_next_header2 (a, t->entry);
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return r;
      archive_read_disk_descend (a);
      if (archive_entry_filetype (t->entry) != AE_IFDIR || !has_implicit_mark (t->entry))
        break;
      /* A parent only: its children create it if needed.  */
    }
  name = archive_entry_pathname (t->entry);
  if (name == NULL || strlen (name) < t->prefix_len)
    return ARCHIVE_FATAL;
  name += t->prefix_len;
  while (*name == '/')
    name++;
  rel = strdup (*name ? name : ".");
  if (rel == NULL)
    return ARCHIVE_FATAL;
  archive_entry_copy_pathname (t->entry, rel);
  /* The tar strategy marks later names of an inode as hardlinks to the
   * first, immediately (no deferred entries).  */
  archive_entry_linkify (t->links, &t->entry, &spare);
  *out = t->entry;
  return r;
}

int
layer_extract_tree (int rootfd, const char *dir, const struct layer_extract_options *opts,
                    estiba_error_t *err)
{
  struct archive *a = archive_read_disk_new ();
  struct tree_source t = {
    .links = archive_entry_linkresolver_new (),
    .entry = archive_entry_new (),
    .prefix_len = strlen (dir),
  };
  int ret;

  if (a == NULL || t.links == NULL || t.entry == NULL)
    {
      ret = estiba_error (err, ENOMEM, "layer %s", opts->layer_name);
      goto out;
    }
  archive_entry_linkresolver_set_strategy (t.links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
  archive_read_disk_set_symlink_physical (a);
  archive_read_disk_set_standard_lookup (a);
  /* File data is copied whole (copy_file_range, then truncated to size),
   * and file flags are not part of a layer: skip probing holes with lseek
   * and reading flags with an ioctl, per file.  */
  archive_read_disk_set_behavior (a, ARCHIVE_READDISK_NO_SPARSE | ARCHIVE_READDISK_NO_FFLAGS);
  if (archive_read_disk_open (a, dir) != ARCHIVE_OK)
    {
      ret = estiba_error (err, 0, "layer %s: cached tree `%s`: %s", opts->layer_name, dir,
                          archive_error_string (a));
      goto out;
    }
  ret = extract_entries (rootfd, a, next_tree_entry, &t, true, opts, err);
out:
  if (t.entry)
    archive_entry_free (t.entry);
  if (t.links)
    archive_entry_linkresolver_free (t.links);
  if (a)
    archive_read_free (a);
  return ret;
}

static struct archive *
new_reader (void)
{
  struct archive *a = archive_read_new ();

  if (a == NULL)
    return NULL;
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_empty (a);
  return a;
}

/* The decompressed byte stream of a layer, hashed on its way to the tar
 * reader: the diff_id is checked in the same pass as the extraction.  */
struct diff_stream
{
  struct archive *raw; /* decompressor: every filter, "raw" format */
  struct sha256_ctx sha;
  bool eof;
};

static la_ssize_t
diff_stream_read (struct archive *a, void *data, const void **buf)
{
  struct diff_stream *s = data;
  la_int64_t offset;
  size_t size;
  int r;

  if (s->eof)
    return 0;
  r = archive_read_data_block (s->raw, buf, &size, &offset);
  if (r == ARCHIVE_EOF)
    {
      s->eof = true;
      return 0;
    }
  if (r != ARCHIVE_OK)
    {
      archive_set_error (a, EIO, "%s",
                         archive_error_string (s->raw) ? archive_error_string (s->raw) : "read error");
      return -1;
    }
  digest_update (&s->sha, *buf, size);
  return (la_ssize_t) size;
}

/* The compressed blob as read from its file, hashed on its way to the
 * decompressor when its digest is to be checked (blob_digest): the blob
 * is read once for both checks and the extraction.  No skip callback, so
 * libarchive reads every byte through here, in order.  */
struct blob_source
{
  int fd;
  bool hashing;
  struct sha256_ctx sha;
  int64_t size;
  char buf[1 << 17];
};

static la_ssize_t
blob_source_read (struct archive *a, void *data, const void **buf)
{
  struct blob_source *b = data;
  ssize_t n;

  do
    n = read (b->fd, b->buf, sizeof (b->buf));
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      if (a)
        archive_set_error (a, errno, "read: %s", strerror (errno));
      return -1;
    }
  if (b->hashing)
    digest_update (&b->sha, b->buf, (size_t) n);
  b->size += n;
  *buf = b->buf;
  return n;
}

/* Once the extraction ended (well or not): read what the decompressor
 * left and check the blob against its descriptor.  A corrupt blob is the
 * error to report even when it made the extraction fail first.  */
static int
check_blob (struct blob_source *b, const struct layer_extract_options *opts, bool failed, estiba_error_t *err)
{
  char actual[DIGEST_SHA256_STRLEN];
  const void *buf;
  la_ssize_t n;

  while ((n = blob_source_read (NULL, b, &buf)) > 0)
    ;
  b->hashing = false;
  if (n < 0)
    {
      int saved = errno;
      digest_abort (&b->sha);
      return failed ? -1 : estiba_error (err, saved, "layer %s: read", opts->layer_name);
    }
  digest_final (&b->sha, actual);
  if (strcmp (actual, opts->blob_digest) != 0)
    {
      estiba_error_release (err);
      return estiba_error (err, 0, "layer %s is corrupt: its content has digest %s", opts->layer_name,
                           actual);
    }
  if (b->size != opts->blob_size)
    {
      estiba_error_release (err);
      return estiba_error (err, 0, "layer %s: size %lld does not match the manifest's %lld", opts->layer_name,
                           (long long) b->size, (long long) opts->blob_size);
    }
  return failed ? -1 : 0;
}

static int
extract_verified (int rootfd, int fd, const struct layer_extract_options *opts, estiba_error_t *err)
{
  struct diff_stream s = { .raw = archive_read_new (), .eof = false };
  cleanup_free struct blob_source *blob = calloc (1, sizeof (*blob));
  struct archive *a = NULL;
  struct archive_entry *entry;
  char actual[DIGEST_SHA256_STRLEN];
  const void *buf;
  int ret = -1, r;

  s.sha.md = NULL;
  if (s.raw == NULL || blob == NULL)
    {
      estiba_error (err, ENOMEM, "layer %s", opts->layer_name);
      goto out;
    }
  blob->fd = fd;
  archive_read_support_filter_all (s.raw);
  archive_read_support_format_raw (s.raw);
  if (digest_init (&s.sha, err) < 0)
    goto out;
  if (opts->blob_digest)
    {
      if (digest_init (&blob->sha, err) < 0)
        goto out;
      blob->hashing = true;
    }
  if (archive_read_open (s.raw, blob, NULL, blob_source_read, NULL) != ARCHIVE_OK)
    {
      estiba_error (err, 0, "layer %s: %s", opts->layer_name, archive_error_string (s.raw));
      goto out;
    }
  r = archive_read_next_header (s.raw, &entry);
  if (r == ARCHIVE_EOF)
    s.eof = true;
  else if (r != ARCHIVE_OK)
    {
      estiba_error (err, 0, "layer %s: %s", opts->layer_name, archive_error_string (s.raw));
      goto out;
    }
  a = archive_read_new ();
  archive_read_support_format_tar (a);
  archive_read_support_format_empty (a);
  if (archive_read_open (a, &s, NULL, diff_stream_read, NULL) != ARCHIVE_OK)
    {
      estiba_error (err, 0, "layer %s: %s", opts->layer_name, archive_error_string (a));
      goto out;
    }
  if (extract_archive (rootfd, a, opts, err) < 0)
    goto out;
  /* The tar reader stops at the end marker: hash what follows too.  */
  while (!s.eof)
    if (diff_stream_read (a, &s, &buf) < 0)
      {
        estiba_error (err, 0, "layer %s: %s", opts->layer_name, archive_error_string (a));
        goto out;
      }
  digest_final (&s.sha, actual);
  if (strcmp (actual, opts->diff_id) != 0)
    {
      estiba_error (err, 0, "layer %s: uncompressed content has digest %s, the config's diff_id is %s",
                    opts->layer_name, actual, opts->diff_id);
      goto out;
    }
  ret = 0;
out:
  if (blob && blob->hashing)
    ret = check_blob (blob, opts, ret < 0, err);
  if (s.sha.md)
    digest_abort (&s.sha);
  if (a)
    archive_read_free (a);
  if (s.raw)
    archive_read_free (s.raw);
  return ret;
}

int
layer_extract_fd (int rootfd, int fd, const struct layer_extract_options *opts, estiba_error_t *err)
{
  struct archive *a;
  int ret;

  if (opts->diff_id)
    return extract_verified (rootfd, fd, opts, err);
  a = new_reader ();

  if (a == NULL)
    return estiba_error (err, ENOMEM, "layer %s", opts->layer_name);
  if (archive_read_open_fd (a, fd, 1 << 16) != ARCHIVE_OK)
    {
      ret = estiba_error (err, 0, "layer %s: %s", opts->layer_name, archive_error_string (a));
      archive_read_free (a);
      return ret;
    }
  ret = extract_archive (rootfd, a, opts, err);
  archive_read_free (a);
  return ret;
}

int
layer_extract_buffer (int rootfd, const void *data, size_t len, const struct layer_extract_options *opts,
                      estiba_error_t *err)
{
  struct archive *a = new_reader ();
  int ret;

  if (a == NULL)
    return estiba_error (err, ENOMEM, "layer %s", opts->layer_name);
  if (archive_read_open_memory (a, data, len) != ARCHIVE_OK)
    {
      ret = estiba_error (err, 0, "layer %s: %s", opts->layer_name, archive_error_string (a));
      archive_read_free (a);
      return ret;
    }
  ret = extract_archive (rootfd, a, opts, err);
  archive_read_free (a);
  return ret;
}

int64_t
id_map_lookup (const struct id_map_range *map, size_t len, uint32_t id)
{
  size_t i;

  if (len == 0)
    return id;
  for (i = 0; i < len; i++)
    if (id >= map[i].container_id && id - map[i].container_id < map[i].size)
      return (int64_t) map[i].host_id + (id - map[i].container_id);
  return -1;
}
