/* muelle build: overlay views of layers (build_rootfs) and the upper
 * directory turned into an OCI layer (build_diff), on the real kernel's
 * overlayfs, without running a container.  Root only (trusted xattrs,
 * whiteout devices, mounts).  */
#include <config.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "build_diff.h"
#include "build_layer.h"
#include "build_rootfs.h"
#include "fsutil.h"
#include "leaf-tap.h"
#include "store.h"

static struct muelle_store *store;

/* "path type mode" per tar entry, one a line, in tar order.  */
static char *
list_layer (const struct oci_image_descriptor *layer)
{
  char *path = store_blob_path (store, layer->digest);
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&out, &len);

  archive_read_support_filter_all (a);
  archive_read_support_format_tar (a);
  if (archive_read_open_filename (a, path, 65536) == ARCHIVE_OK)
    while (archive_read_next_header (a, &e) == ARCHIVE_OK)
      {
        const char *hl = archive_entry_hardlink (e);
        char type = hl                                       ? 'h'
                    : archive_entry_filetype (e) == AE_IFDIR ? 'd'
                    : archive_entry_filetype (e) == AE_IFLNK ? 'l'
                                                             : 'f';
        fprintf (f, "%s %c %04o\n", archive_entry_pathname (e), type, (unsigned) (archive_entry_perm (e)));
      }
  archive_read_free (a);
  fclose (f);
  free (path);
  return out;
}

static bool
has_line (const char *list, const char *line)
{
  size_t n = strlen (line);
  const char *p = list;

  while (p && *p)
    {
      if (strncmp (p, line, n) == 0 && p[n] == '\n')
        return true;
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return false;
}

/* path with or without a trailing '/' (directories).  */
static bool
has_path (const char *list, const char *path)
{
  size_t n = strlen (path);
  const char *p = list;

  if (n > 0 && path[n - 1] == '/')
    n--;
  while (p && *p)
    {
      if (strncmp (p, path, n) == 0 && (p[n] == ' ' || (p[n] == '/' && p[n + 1] == ' ')))
        return true;
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return false;
}

static void
put_file (const char *dir, const char *rel, const char *data, mode_t mode)
{
  char path[4096];
  int fd;

  snprintf (path, sizeof (path), "%s/%s", dir, rel);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 || write (fd, data, strlen (data)) < 0 || fchmod (fd, mode) < 0)
    {
      perror (path);
      exit (99);
    }
  close (fd);
}

static void
put_dir (const char *dir, const char *rel, mode_t mode)
{
  char path[4096];

  snprintf (path, sizeof (path), "%s/%s", dir, rel);
  if ((mkdir (path, mode) < 0 && errno != EEXIST) || chmod (path, mode) < 0)
    {
      perror (path);
      exit (99);
    }
}

static char *
commit_diff (const char *upper, const struct build_diff_ignore *ignore, struct oci_image_descriptor *layer)
{
  struct build_layer_writer *w = NULL;
  estiba_error_t err = NULL;
  char *diff_id = NULL;
  int ret;

  ret = build_layer_begin (store, 0, &w, &err);
  if (ret >= 0)
    ret = build_diff_upper (upper, ignore, w, &err);
  if (ret >= 0)
    ret = build_layer_commit (w, layer, &diff_id, &err);
  build_layer_free (w);
  ok_call (ret, &err, "diff of `%s` committed", upper);
  return ret < 0 ? NULL : diff_id;
}

/* An upper directory crafted by hand, as overlayfs writes them.  */
static void
test_crafted_upper (const char *tmp)
{
  char upper[1024], path[4096];
  char *created[] = { "proc", "etc/hosts", "run", "run/secrets", "run/secrets/id", "mnt", "var/lib/x" };
  /* var/lib was copied up for var/lib/x and is untouched; usr/share too,
   * but the step chmod'ed it afterwards.  */
  struct build_diff_parent parents[] = {
    { "var/lib", 0, 0, 0755 }, { "var", 0, 0, 0755 }, { "usr/share", 0, 0, 0755 }, { "usr", 0, 0, 0755 }
  };
  struct build_diff_ignore ignore = { created, sizeof (created) / sizeof (created[0]), parents, 4 };
  struct oci_image_descriptor layer = { 0 };
  char *list, *diff_id;

  snprintf (upper, sizeof (upper), "%s/upper", tmp);
  put_dir (tmp, "upper", 0755);
  put_dir (upper, "etc", 0755);
  snprintf (path, sizeof (path), "%s/etc/passwd", upper);
  ok (mknod (path, S_IFCHR | 0, makedev (0, 0)) == 0, "whiteout device made");
  put_file (upper, "etc/hosts", "", 0644);
  put_dir (upper, "home", 0755);
  snprintf (path, sizeof (path), "%s/home", upper);
  ok (lsetxattr (path, "trusted.overlay.opaque", "y", 1, 0) == 0, "opaque xattr set");
  put_file (upper, "home/new", "new\n", 0600);
  put_dir (upper, "tmp", 01700);
  put_dir (upper, "proc", 0555);
  put_dir (upper, "run", 0755);
  put_dir (upper, "run/secrets", 0755);
  put_file (upper, "run/secrets/id", "", 0400);
  put_dir (upper, "var", 0755);
  put_dir (upper, "var/lib", 0755);
  put_dir (upper, "var/lib/x", 0755);
  put_dir (upper, "usr", 0755);
  put_dir (upper, "usr/share", 0700);
  put_dir (upper, "mnt", 0755);
  put_file (upper, "mnt/keep", "k", 0644);
  put_file (upper, "a", "same inode\n", 0644);
  snprintf (path, sizeof (path), "%s/a", upper);
  {
    char b[4096];
    snprintf (b, sizeof (b), "%s/b", upper);
    ok (link (path, b) == 0, "hardlink made");
  }
  snprintf (path, sizeof (path), "%s/lnk", upper);
  ok (symlink ("a", path) == 0, "symlink made");

  diff_id = commit_diff (upper, &ignore, &layer);
  list = list_layer (&layer);
  ok (has_line (list, "etc/.wh.passwd f 0000") || has_path (list, "etc/.wh.passwd"),
      "deleted file: whiteout");
  ok (has_path (list, "etc/") || has_path (list, "etc"), "its directory is in the layer");
  ok (!has_path (list, "etc/passwd"), "no entry for the deleted file itself");
  ok (has_path (list, "home/.wh..wh..opq"), "opaque directory: .wh..wh..opq");
  ok (has_path (list, "home/new"), "the opaque directory's new content");
  ok (has_line (list, "tmp/ d 1700") || has_line (list, "tmp d 1700"), "metadata-only change: the dir entry");
  ok (!has_path (list, "proc/") && !has_path (list, "proc"), "created mount point dir dropped");
  ok (!has_path (list, "etc/hosts"), "created mount point file dropped");
  ok (!has_path (list, "run/") && !has_path (list, "run/secrets/") && !has_path (list, "run/secrets/id"),
      "created parents with nothing else below dropped");
  ok ((has_path (list, "mnt/") || has_path (list, "mnt")) && has_path (list, "mnt/keep"),
      "created dir with real content kept");
  ok (has_line (list, "b h 0644") || has_line (list, "a h 0644"), "hardlink kept as a tar hardlink");
  ok (has_line (list, "lnk l 0777"), "symlink kept");
  ok (!has_path (list, "var/") && !has_path (list, "var/lib/") && !has_path (list, "var/lib/x/"),
      "parents copied up only for a mount point are dropped");
  ok (has_path (list, "usr/share/") && has_path (list, "usr/"),
      "a copied-up parent whose mode changed is kept");
  if (tap_failures)
    printf ("# layer:\n%s", list);
  free (list);
  free (diff_id);
  free (layer.digest);
  free (layer.media_type);
}

static int
make_base_layer (struct oci_image_descriptor *layer, char **diff_id, const char *tmp)
{
  struct build_layer_writer *w = NULL;
  struct build_layer_meta dir = { 0, 0, 0755 }, file = { 0, 0, 0644 };
  estiba_error_t err = NULL;
  char src[4096];
  int ret;

  snprintf (src, sizeof (src), "%s/base-file", tmp);
  put_file (tmp, "base-file", "base\n", 0644);
  ret = build_layer_begin (store, 0, &w, &err);
  if (ret >= 0)
    ret = build_layer_add_dir (w, "etc", &dir, &err);
  if (ret >= 0)
    ret = build_layer_add_path (w, src, "etc/passwd", &file, &err);
  if (ret >= 0)
    ret = build_layer_add_path (w, src, "etc/group", &file, &err);
  if (ret >= 0)
    ret = build_layer_add_dir (w, "home", &dir, &err);
  if (ret >= 0)
    ret = build_layer_add_path (w, src, "home/old", &file, &err);
  if (ret >= 0)
    ret = build_layer_add_dir (w, "tmp", &dir, &err);
  if (ret >= 0)
    ret = build_layer_commit (w, layer, diff_id, &err);
  build_layer_free (w);
  ok_call (ret, &err, "base layer written");
  return ret;
}

static bool
exists (const char *root, const char *rel)
{
  char path[4096];
  struct stat st;
  snprintf (path, sizeof (path), "%s/%s", root, rel);
  return lstat (path, &st) == 0;
}

/* A real overlay over a layer: changes made through it give the layer.  */
static void
test_overlay_round_trip (const char *tmp)
{
  struct oci_image_descriptor base = { 0 }, second = { 0 };
  char *base_id = NULL, *second_id = NULL;
  struct build_rootfs *r = NULL, *ro = NULL;
  estiba_error_t err = NULL;
  char path[4096], *list;
  int ret;

  if (make_base_layer (&base, &base_id, tmp) < 0)
    return;
  {
    struct build_layers layers = { &base, &base_id, 1 };
    ret = build_rootfs_mount (store, &layers, true, &r, &err);
    ok_call (ret, &err, "writable view of one layer mounted");
  }
  if (ret < 0)
    return;
  ok (exists (build_rootfs_path (r), "etc/passwd") && exists (build_rootfs_path (r), "home/old"),
      "the layer's files are visible");
  snprintf (path, sizeof (path), "%s/etc/passwd", build_rootfs_path (r));
  ok (unlink (path) == 0, "delete a lower file");
  snprintf (path, sizeof (path), "%s/home", build_rootfs_path (r));
  ok (fs_remove_tree (path, NULL) == 0 && mkdir (path, 0750) == 0, "rm -rf a lower dir and recreate it");
  put_file (build_rootfs_path (r), "home/fresh", "fresh\n", 0644);
  snprintf (path, sizeof (path), "%s/tmp", build_rootfs_path (r));
  ok (chmod (path, 01777) == 0, "chmod a lower dir");
  second_id = commit_diff (build_rootfs_upper (r), NULL, &second);
  build_rootfs_release (r);
  if (second_id == NULL)
    return;
  list = list_layer (&second);
  ok (has_path (list, "etc/.wh.passwd") && !has_path (list, "etc/group"), "delete: whiteout only");
  ok (has_path (list, "home/.wh..wh..opq") && has_path (list, "home/fresh") && !has_path (list, "home/old"),
      "rm -rf + mkdir: opaque dir with the new content");
  ok (has_line (list, "tmp/ d 1777") || has_line (list, "tmp d 1777"), "chmod only: the dir entry, new mode");
  if (tap_failures)
    printf ("# layer:\n%s", list);
  free (list);

  /* Both layers through the overlay cache: whiteout and opaque applied.  */
  {
    struct oci_image_descriptor descs[2] = { base, second };
    char *ids[2] = { base_id, second_id };
    struct build_layers layers = { descs, ids, 2 };
    ret = build_rootfs_mount (store, &layers, false, &ro, &err);
    ok_call (ret, &err, "read-only view of two layers mounted");
  }
  if (ret >= 0)
    {
      const char *root = build_rootfs_path (ro);
      ok (!exists (root, "etc/passwd") && exists (root, "etc/group"), "whiteout hides the lower file");
      ok (!exists (root, "home/old") && exists (root, "home/fresh"), "opaque dir hides the lower content");
      snprintf (path, sizeof (path), "%s/new", root);
      ok (mkdir (path, 0755) < 0 && errno == EROFS, "the read-only view is read-only");
      char *kept = strdup (root);
      build_rootfs_release (ro);
      ok (kept && !exists (kept, "."), "release removes the view's directory");
      free (kept);
    }
  {
    struct build_layers none = { NULL, NULL, 0 };
    ret = build_rootfs_mount (store, &none, true, &r, &err);
    ok_call (ret, &err, "writable scratch view mounted");
    if (ret >= 0)
      {
        put_file (build_rootfs_path (r), "only", "x", 0644);
        ok (exists (build_rootfs_upper (r), "only"), "scratch writes land in the upper dir");
        build_rootfs_release (r);
      }
  }
  free (base_id);
  free (second_id);
  free (base.digest);
  free (base.media_type);
  free (second.digest);
  free (second.media_type);
}

int
main (void)
{
  char tmp[] = "/tmp/test-muelle-build-diff.XXXXXX";
  char root[1024], buildtmp[4096];
  estiba_error_t err = NULL;

  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root\n");
      return 0;
    }
  /* Our mounts vanish with us, as in `muelle build`.  */
  if (unshare (CLONE_NEWNS) < 0 || mount ("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    {
      perror ("unshare");
      return 1;
    }
  if (mkdtemp (tmp) == NULL)
    return 1;
  snprintf (root, sizeof (root), "%s/store", tmp);
  store = store_open (root, &err);
  ok_call (store ? 0 : -1, &err, "store opened");
  if (store)
    {
      test_crafted_upper (tmp);
      test_overlay_round_trip (tmp);
      snprintf (buildtmp, sizeof (buildtmp), "%s/build/tmp", root);
      {
        int n = 0;
        DIR *d = opendir (buildtmp);
        struct dirent *de;
        while (d && (de = readdir (d)) != NULL)
          n += de->d_name[0] != '.';
        if (d)
          closedir (d);
        ok (n == 0, "nothing left under build/tmp");
      }
      store_close (store);
    }
  fs_remove_tree (tmp, NULL);
  return tap_done ();
}
