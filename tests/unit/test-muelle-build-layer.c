/* Unit tests of the build layer writer (build_layer.c): entries sorted
 * bytewise, numeric owners and meta overrides, whiteouts and opaque
 * markers, hardlinks, the build timestamp on every entry, and two layers
 * of the same inputs being bit-identical.  */
#include <config.h>
#include "../lib/tap.h"
#include "build_layer.h"
#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "store.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static char tmp[4096];

/* One entry of a layer as read back.  */
struct seen
{
  char path[256];
  char link[256]; /* hardlink or symlink target */
  char data[256];
  int type;
  long long uid, gid, mtime, mtime_ns;
  int perm;
  bool has_uname, has_atime, has_ctime;
  int xattrs;
};

static size_t
read_layer (struct muelle_store *store, const char *digest, struct seen *out, size_t max)
{
  cleanup_free char *path = store_blob_path (store, digest);
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  size_t n = 0;

  archive_read_support_filter_gzip (a);
  archive_read_support_format_tar (a);
  if (archive_read_open_filename (a, path, 65536) != ARCHIVE_OK)
    {
      tap_diag ("open %s: %s", path, archive_error_string (a));
      archive_read_free (a);
      return 0;
    }
  while (n < max && archive_read_next_header (a, &e) == ARCHIVE_OK)
    {
      struct seen *s = &out[n++];
      ssize_t len;

      memset (s, 0, sizeof (*s));
      snprintf (s->path, sizeof (s->path), "%s", archive_entry_pathname (e));
      if (archive_entry_hardlink (e))
        snprintf (s->link, sizeof (s->link), "%s", archive_entry_hardlink (e));
      else if (archive_entry_symlink (e))
        snprintf (s->link, sizeof (s->link), "%s", archive_entry_symlink (e));
      s->type = archive_entry_filetype (e);
      s->uid = archive_entry_uid (e);
      s->gid = archive_entry_gid (e);
      s->mtime = archive_entry_mtime (e);
      s->mtime_ns = archive_entry_mtime_nsec (e);
      s->perm = archive_entry_perm (e);
      s->has_uname = (archive_entry_uname (e) && *archive_entry_uname (e))
                     || (archive_entry_gname (e) && *archive_entry_gname (e));
      s->has_atime = archive_entry_atime_is_set (e);
      s->has_ctime = archive_entry_ctime_is_set (e);
      s->xattrs = archive_entry_xattr_reset (e);
      len = archive_read_data (a, s->data, sizeof (s->data) - 1);
      if (len > 0)
        s->data[len] = '\0';
    }
  archive_read_free (a);
  return n;
}

static void
write_file (const char *name, const char *data, mode_t mode)
{
  char path[4200];
  int fd;

  snprintf (path, sizeof (path), "%s/src/%s", tmp, name);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd >= 0)
    {
      if (write (fd, data, strlen (data)) < 0)
        perror ("write");
      fchmod (fd, mode);
      close (fd);
    }
}

static char *
src (const char *name)
{
  static char bufs[8][4200];
  static int i;
  char *b = bufs[i++ % 8];
  snprintf (b, 4200, "%s/src/%s", tmp, name);
  return b;
}

/* The mixed layer: files added out of order, a hardlink pair, a symlink,
 * a dir, data, whiteouts.  */
static int
build_mixed (struct muelle_store *store, int64_t timestamp, struct oci_image_descriptor *layer,
             char **diff_id, estiba_error_t *err)
{
  struct build_layer_meta owned = { 1000, 2000, 0600 };
  struct build_layer_writer *w = NULL;
  int ret = -1;

  if (build_layer_begin (store, timestamp, &w, err) < 0)
    return -1;
  if (build_layer_add_path (w, src ("b"), "z/b", NULL, err) < 0
      || build_layer_add_path (w, src ("a"), "z/a", &owned, err) < 0
      || build_layer_add_path (w, src ("link"), "z/link", NULL, err) < 0
      || build_layer_add_dir (w, "z", NULL, err) < 0
      || build_layer_add_path (w, src ("a2"), "y-a2", NULL, err) < 0
      || build_layer_add_data (w, "z/heredoc", "hello\n", 6, NULL, err) < 0
      || build_layer_add_whiteout (w, "z/gone", err) < 0 || build_layer_add_opaque (w, "z", err) < 0
      || build_layer_add_whiteout (w, "top", err) < 0 || build_layer_add_dir (w, "y", NULL, err) < 0
      || build_layer_add_path (w, src ("sub"), "z/sub", NULL, err) < 0)
    goto out;
  ret = build_layer_commit (w, layer, diff_id, err);
out:
  build_layer_free (w);
  return ret;
}

static const struct seen *
find (const struct seen *s, size_t n, const char *path)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp (s[i].path, path) == 0)
      return &s[i];
  return NULL;
}

static void
test_mixed (struct muelle_store *store)
{
  cleanup_error estiba_error_t err = NULL;
  struct oci_image_descriptor l1 = { 0 }, l2 = { 0 };
  char *d1 = NULL, *d2 = NULL;
  struct seen s[32];
  const struct seen *x;
  size_t n, i;
  bool sorted = true;

  ok (build_mixed (store, 1000, &l1, &d1, &err) == 0, "a mixed layer commits");
  if (err)
    tap_diag ("%s", err->msg);
  ok (build_mixed (store, 1000, &l2, &d2, &err) == 0, "the same layer commits again");
  is_str (l1.digest, l2.digest, "same inputs give the same blob digest");
  is_str (d1, d2, "and the same diff_id");
  is_str (l1.media_type, "application/vnd.oci.image.layer.v1.tar+gzip", "media type is tar+gzip");
  n = read_layer (store, l1.digest, s, 32);
  is_int (n, 11, "eleven entries");
  /* Compare without the trailing '/' tar gives directories.  */
  for (i = 1; i < n; i++)
    if (strncmp (s[i - 1].path, s[i].path, strlen (s[i - 1].path) - (s[i - 1].type == AE_IFDIR)) > 0
        || strcmp (s[i - 1].path, s[i].path) == 0)
      sorted = false;
  ok (sorted, "entries are sorted bytewise by path");
  is_str (s[0].path, ".wh.top", "top-level whiteout first");
  ok (find (s, n, "y/") < find (s, n, "y-a2"), "`y` sorts before `y-a2` (bytewise)");
  x = find (s, n, "z/a");
  ok (x && x->uid == 1000 && x->gid == 2000 && x->perm == 0600, "meta overrides owner and mode");
  ok (x && strcmp (x->link, "y-a2") == 0, "z/a is a hardlink to y-a2");
  x = find (s, n, "z/b");
  ok (x && strcmp (x->link, "y-a2") == 0, "z/b is a hardlink to y-a2");
  x = find (s, n, "y-a2");
  ok (x && strcmp (x->data, "A") == 0 && x->link[0] == '\0', "the first name in layer order holds the data");
  x = find (s, n, "z/link");
  ok (x && x->type == AE_IFLNK && strcmp (x->link, "../etc/passwd") == 0, "symlink kept as is");
  x = find (s, n, "z/.wh.gone");
  ok (x && x->type == AE_IFREG && x->perm == 0 && x->uid == 0, "whiteout is an empty mode-0 root file");
  ok (find (s, n, "z/.wh..wh..opq") != NULL, "opaque marker");
  x = find (s, n, "z/heredoc");
  ok (x && strcmp (x->data, "hello\n") == 0 && x->perm == 0644 && x->uid == 0, "data entry: 0644 root");
  x = find (s, n, "z/");
  ok (x && x->type == AE_IFDIR && x->perm == 0755, "directory entry 0755");
  x = find (s, n, "z/sub/");
  ok (x && x->type == AE_IFDIR && x->perm == 0700 && x->uid == 7 && x->gid == 8,
      "directory from disk keeps owner");
  ok (x && x->xattrs == 1, "user xattr kept, trusted.overlay dropped");
  {
    bool times = true, names = false, extra = false;
    for (i = 0; i < n; i++)
      {
        times = times && s[i].mtime == 1000 && s[i].mtime_ns == 0;
        names = names || s[i].has_uname;
        extra = extra || s[i].has_atime || s[i].has_ctime;
      }
    ok (times, "every entry has mtime = timestamp");
    ok (!names, "no uname/gname");
    ok (!extra, "no atime/ctime");
  }
  free (d1);
  free (d2);
  free (l1.digest);
  free (l1.media_type);
  free (l2.digest);
  free (l2.media_type);
}

static void
test_timestamps (struct muelle_store *store)
{
  cleanup_error estiba_error_t err = NULL;
  struct oci_image_descriptor l1 = { 0 }, l2 = { 0 };
  char *d1 = NULL, *d2 = NULL;
  struct seen s[32];
  const struct seen *x;
  size_t n;
  struct stat st;

  ok (build_mixed (store, 0, &l1, &d1, &err) == 0, "timestamp 0 layer commits");
  n = read_layer (store, l1.digest, s, 32);
  x = find (s, n, "z/a");
  ok (x && x->mtime == 0, "timestamp 0 sets mtime 0");
  ok (build_mixed (store, -1, &l2, &d2, &err) == 0, "a --timestamp-now layer commits");
  n = read_layer (store, l2.digest, s, 32);
  x = find (s, n, "z/sub/");
  stat (src ("sub"), &st);
  ok (x && x->mtime == st.st_mtim.tv_sec && x->mtime_ns == st.st_mtim.tv_nsec,
      "without a timestamp entries keep their own mtime");
  ok (l1.digest && l2.digest && strcmp (l1.digest, l2.digest) != 0, "different timestamps, different layers");
  free (d1);
  free (d2);
  free (l1.digest);
  free (l1.media_type);
  free (l2.digest);
  free (l2.media_type);
}

static void
test_errors (struct muelle_store *store)
{
  struct build_layer_writer *w = NULL;
  cleanup_error estiba_error_t err = NULL;
  struct oci_image_descriptor l = { 0 };
  char *d = NULL;
  struct seen s[4];

  build_layer_begin (store, 0, &w, &err);
  ok (build_layer_add_dir (w, "../x", NULL, &err) < 0, "`..` refused");
  estiba_error_release (&err);
  ok (build_layer_add_dir (w, "/x", NULL, &err) < 0, "absolute path refused");
  estiba_error_release (&err);
  ok (build_layer_add_dir (w, "a//b", NULL, &err) < 0, "empty component refused");
  estiba_error_release (&err);
  ok (build_layer_add_path (w, src ("missing"), "m", NULL, &err) < 0, "missing source refused");
  ok (err && strstr (err->msg, "missing") != NULL, "error names the source");
  estiba_error_release (&err);
  ok (build_layer_commit (w, &l, &d, &err) == 0, "an empty layer commits");
  build_layer_free (w);
  is_int (read_layer (store, l.digest, s, 4), 0, "an empty layer has no entries");
  free (d);
  free (l.digest);
  free (l.media_type);
  build_layer_free (NULL);
}

int
main (void)
{
  cleanup_error estiba_error_t err = NULL;
  const char *base = getenv ("ESTIBA_TEST_TMPDIR");
  struct muelle_store *store;
  char path[4200];

  snprintf (tmp, sizeof (tmp), "%s/test-muelle-build-layer.XXXXXX", base ? base : "/tmp");
  if (mkdtemp (tmp) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  snprintf (path, sizeof (path), "%s/src", tmp);
  mkdir (path, 0755);
  write_file ("a", "A", 0644);
  link (src ("a"), src ("b"));
  link (src ("a"), src ("a2"));
  if (symlink ("../etc/passwd", src ("link")) < 0)
    perror ("symlink");
  mkdir (src ("sub"), 0700);
  if (chown (src ("sub"), 7, 8) < 0)
    perror ("chown");
  setxattr (src ("sub"), "user.kept", "1", 1, 0);
  setxattr (src ("sub"), "trusted.overlay.opaque", "y", 1, 0);
  snprintf (path, sizeof (path), "%s/store", tmp);
  store = store_open (path, &err);
  ok (store != NULL, "store opens");
  if (store == NULL)
    return done_testing ();
  test_mixed (store);
  test_timestamps (store);
  test_errors (store);
  store_close (store);
  fs_remove_tree (tmp, &err);
  return done_testing ();
}
