/* Unit tests of layer name logic (layer_path.c) and of extraction
 * (layer_extract.c) on tars built in memory: whiteouts, opaque
 * directories, replacement, and refusal of everything leaving the root.  */
#include <config.h>
#include "../lib/tap.h"
#include "error.h"
#include "fsutil.h"
#include "layer_extract.h"
#include "layer_path.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void
check_clean (const char *in, const char *expected, const char *desc)
{
  const char *why = NULL;
  char *got = layer_path_clean (in, &why);
  is_str (got, expected, desc);
  free (got);
}

/* A tar in memory: entries "f:NAME=DATA", "d:NAME", "l:NAME>TARGET",
 * "h:NAME>TARGET".  */
static size_t
make_tar (char *buf, size_t cap, const char *const *entries)
{
  struct archive *a = archive_write_new ();
  size_t used = 0;

  archive_write_set_format_pax_restricted (a);
  archive_write_open_memory (a, buf, cap, &used);
  for (; *entries; entries++)
    {
      struct archive_entry *e = archive_entry_new ();
      char *spec = strdup (*entries + 2), *sep;
      char kind = (*entries)[0];
      const char *data = "";

      if ((sep = strpbrk (spec, "=>")) != NULL)
        *sep++ = '\0';
      archive_entry_set_pathname (e, spec);
      archive_entry_set_perm (e, 0644);
      switch (kind)
        {
          case 'f':
            archive_entry_set_filetype (e, AE_IFREG);
            data = sep ? sep : "";
            archive_entry_set_size (e, strlen (data));
            break;
          case 'd':
            archive_entry_set_filetype (e, AE_IFDIR);
            archive_entry_set_perm (e, 0755);
            break;
          case 'l':
            archive_entry_set_filetype (e, AE_IFLNK);
            archive_entry_set_symlink (e, sep);
            break;
          case 'h':
            archive_entry_set_filetype (e, AE_IFREG);
            archive_entry_set_hardlink (e, sep);
            break;
        }
      archive_write_header (a, e);
      if (kind == 'f')
        archive_write_data (a, data, strlen (data));
      archive_entry_free (e);
      free (spec);
    }
  archive_write_close (a);
  archive_write_free (a);
  return used;
}

static int
extract (int rootfd, const char *const *entries, char **msg)
{
  static char buf[1 << 20];
  struct layer_extract_options opts = { .layer_name = "sha256:test", .unprivileged = geteuid () != 0 };
  estiba_error_t err = NULL;
  size_t len = make_tar (buf, sizeof (buf), entries);
  int ret = layer_extract_buffer (rootfd, buf, len, &opts, &err);

  if (msg)
    *msg = err ? strdup (err->msg) : NULL;
  estiba_error_release (&err);
  return ret;
}

static bool
exists (int rootfd, const char *path)
{
  struct stat st;
  return fstatat (rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int
main (void)
{
  char tmpl[] = "/tmp/test-muelle-layer-XXXXXX", outside[] = "/tmp/test-muelle-layer-out-XXXXXX";
  const char *target = NULL, *leaf = NULL, *why = NULL;
  char *msg = NULL, *parent;
  int rootfd;

  check_clean ("./a/b", "a/b", "leading ./ is dropped");
  check_clean ("a//b/./c/", "a/b/c", "empty and . components are dropped");
  check_clean ("./", ".", "the root is .");
  ok (layer_path_clean ("/etc/passwd", &why) == NULL, "absolute names are refused");
  ok (layer_path_clean ("a/../../b", &why) == NULL, "names with .. are refused");
  ok (layer_path_clean ("..", &why) == NULL, ".. alone is refused");
  check_clean ("a/..b/c..", "a/..b/c..", "dots inside names are fine");

  is_int (layer_whiteout_kind ("file", &target), WHITEOUT_NONE, "a plain name is no whiteout");
  is_int (layer_whiteout_kind (".wh.file", &target), WHITEOUT_FILE, ".wh.NAME is a whiteout");
  is_str (target, "file", "of NAME");
  is_int (layer_whiteout_kind (".wh..wh..opq", &target), WHITEOUT_OPAQUE, "the opaque marker");
  is_int (layer_whiteout_kind (".wh..", &target), WHITEOUT_INVALID, "a whiteout of . is invalid");
  is_int (layer_whiteout_kind (".wh...", &target), WHITEOUT_INVALID, "a whiteout of .. is invalid");
  is_int (layer_whiteout_kind (".wh.", &target), WHITEOUT_INVALID, "a whiteout of nothing is invalid");
  is_int (layer_whiteout_kind (".wh..wh.other", &target), WHITEOUT_INVALID, "unknown markers are invalid");
  parent = layer_path_split ("a/b/c", &leaf);
  is_str (parent, "a/b", "split: parent");
  is_str (leaf, "c", "split: leaf");
  free (parent);
  parent = layer_path_split ("c", &leaf);
  is_str (parent, ".", "split: top-level parent is .");
  free (parent);

  if (mkdtemp (tmpl) == NULL || mkdtemp (outside) == NULL)
    return 1;
  rootfd = open (tmpl, O_RDONLY | O_DIRECTORY);

  {
    const char *l1[] = { "d:d", "f:d/x=1", "f:d/y=2", "f:keep=k", "f:gone=g", "l:link>/nonexistent", NULL };
    const char *l2[] = { "f:d/z=3", "f:d/.wh..wh..opq", "f:.wh.gone", "d:link", "f:keep=new", NULL };
    ok (extract (rootfd, l1, NULL) == 0, "layer 1 extracts");
    ok (exists (rootfd, "d/x") && exists (rootfd, "link"), "layer 1 content is there");
    ok (extract (rootfd, l2, &msg) == 0, "layer 2 with whiteouts extracts");
    ok (exists (rootfd, "d/z") && !exists (rootfd, "d/x") && !exists (rootfd, "d/y"),
        "opaque: lower entries hidden, this layer's kept");
    ok (!exists (rootfd, "gone"), "whiteout removes the file");
    ok (!exists (rootfd, ".wh.gone") && !exists (rootfd, "d/.wh..wh..opq"), "whiteouts are not materialised");
    {
      struct stat st;
      ok (fstatat (rootfd, "link", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode),
          "a directory replaces a symlink");
    }
    free (msg);
  }
  {
    char linkto[256];
    const char *esc1[] = { "f:../x=1", NULL };
    const char *esc2[] = { NULL, "f:out/pwned=1", NULL };
    const char *esc3[] = { "h:hl>/etc/passwd", NULL };
    const char *esc4[] = { "f:.wh...", NULL };
    snprintf (linkto, sizeof (linkto), "l:out>%s", outside);
    esc2[0] = linkto;
    ok (extract (rootfd, esc1, &msg) < 0 && msg && strstr (msg, "`../x`"),
        "../x is refused, naming the entry");
    free (msg);
    ok (extract (rootfd, esc2, &msg) < 0 && msg && strstr (msg, "symlink"),
        "writing through a symlink is refused");
    free (msg);
    {
      int ofd = open (outside, O_RDONLY | O_DIRECTORY);
      ok (!exists (ofd, "pwned"), "nothing was written outside");
      close (ofd);
    }
    ok (extract (rootfd, esc3, &msg) < 0, "a hardlink to /etc/passwd is refused");
    free (msg);
    ok (extract (rootfd, esc4, &msg) < 0, "a whiteout of .. is refused");
    free (msg);
  }
  close (rootfd);
  fs_remove_tree (tmpl, NULL);
  fs_remove_tree (outside, NULL);
  return done_testing ();
}
