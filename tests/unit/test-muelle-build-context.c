/* Unit tests of the build context rules (build_context.c): resolving
 * paths inside a root as a chroot would, Docker's source globs, refusal
 * of "..", .dockerignore and --exclude during the walk, and the
 * stat-keyed digest cache (build_digests.c).  */
#include <config.h>
#include "../lib/tap.h"
#include "build_context.h"
#include "build_digests.h"
#include "cleanup.h"
#include "dockerignore.h"
#include "error.h"
#include "fsutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[4096];
static int rootfd = -1;

static void
make_file (const char *rel, const char *data)
{
  int fd = openat (rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      if (write (fd, data, strlen (data)) < 0)
        perror ("write");
      close (fd);
    }
}

static void
check_resolve (const char *rel, bool follow, bool image_root, const char *expected, bool exp_exists,
               bool exp_clamped, const char *desc)
{
  cleanup_error estiba_error_t err = NULL;
  char *out = NULL;
  bool exists = false, clamped = false;
  int r = build_context_resolve (rootfd, rel, follow, image_root, &out, &exists, &clamped, &err);

  ok (r == 0 && out && strcmp (out, expected) == 0 && exists == exp_exists && clamped == exp_clamped, desc);
  if (!(r == 0 && out && strcmp (out, expected) == 0 && exists == exp_exists && clamped == exp_clamped))
    diag ("got %s exists=%d clamped=%d (%s)", out ? out : "(null)", exists, clamped, err ? err->msg : "");
  free (out);
}

/* The matches of a pattern joined by ' ' (their resolved paths), or the
 * error message.  */
static char *
glob_of (const char *pattern, const struct dockerignore *ign)
{
  struct build_glob_options opts = { ign, false, "COPY", "in the build context" };
  cleanup_error estiba_error_t err = NULL;
  struct build_match *m = NULL;
  size_t n = 0, i;
  char *out = calloc (1, 4096);

  if (build_context_glob (rootfd, pattern, &opts, &m, &n, &err) < 0)
    {
      snprintf (out, 4096, "error: %s", err->msg);
      return out;
    }
  for (i = 0; i < n; i++)
    {
      strcat (out, i ? " " : "");
      strcat (out, m[i].rel);
      if (strcmp (m[i].keep, m[i].rel) != 0)
        {
          strcat (out, "=");
          strcat (out, m[i].keep);
        }
    }
  build_matches_free (m, n);
  return out;
}

static void
check_glob (const char *pattern, const struct dockerignore *ign, const char *expected, const char *desc)
{
  char *got = glob_of (pattern, ign);
  is_str (got, expected, desc);
  free (got);
}

static int
collect (void *opaque, int dirfd, const char *name, const char *sub, const struct stat *st,
         estiba_error_t *err)
{
  char *out = opaque;
  (void) dirfd;
  (void) name;
  (void) err;
  strcat (out, *out ? " " : "");
  strcat (out, sub);
  if (S_ISDIR (st->st_mode))
    strcat (out, "/");
  return 0;
}

static void
check_walk (const char *rel, const char *ignore_text, const char *exclude_text, const char *expected,
            const char *desc)
{
  cleanup_error estiba_error_t err = NULL;
  struct dockerignore *ign =
    ignore_text ? dockerignore_parse (ignore_text, strlen (ignore_text), "i", &err) : NULL;
  struct dockerignore *exc =
    exclude_text ? dockerignore_parse (exclude_text, strlen (exclude_text), "x", &err) : NULL;
  char out[4096] = "";

  ok (build_context_walk (rootfd, rel, ign, exc, collect, out, &err) == 0, "walk succeeds");
  is_str (out, expected, desc);
  dockerignore_free (ign);
  dockerignore_free (exc);
}

static void
test_digests (void)
{
  cleanup_error estiba_error_t err = NULL;
  struct build_digest_cache *c = NULL;
  struct muelle_store *store;
  char d1[DIGEST_SHA256_STRLEN], d2[DIGEST_SHA256_STRLEN], path[4200];
  struct stat st;
  size_t hits, misses;

  snprintf (path, sizeof (path), "%s/store", tmp);
  store = store_open (path, &err);
  ok (store && build_digest_cache_open (store, &c, &err) == 0, "digest cache opens");
  /* An old file: cacheable (a fresh one is hashed but not remembered).  */
  make_file ("old", "content");
  {
    struct timespec t[2] = { { 1000000, 0 }, { 1000000, 0 } };
    utimensat (rootfd, "old", t, 0);
  }
  /* A file changed in the last two seconds is not remembered.  */
  sleep (3);
  fstatat (rootfd, "old", &st, AT_SYMLINK_NOFOLLOW);
  ok (build_digest_file (c, rootfd, "old", &st, "old", d1, &err) == 0, "hash a file");
  is_str (d1, "sha256:ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73", "its sha256");
  ok (build_digest_file (c, rootfd, "old", &st, "old", d2, &err) == 0, "again");
  build_digest_cache_stats (c, &hits, &misses);
  ok (misses == 1 && hits == 1, "first lookup misses, the second hits");
  ok (build_digest_cache_close (c, &err) == 0, "cache written back");
  c = NULL;
  ok (build_digest_cache_open (store, &c, &err) == 0, "cache reopens");
  ok (build_digest_file (c, rootfd, "old", &st, "old", d2, &err) == 0, "lookup after reopening");
  build_digest_cache_stats (c, &hits, &misses);
  ok (hits == 1 && misses == 0, "the persisted entry hits: nothing is read");
  is_str (d2, d1, "same digest");
  make_file ("old", "CONTENT");
  fstatat (rootfd, "old", &st, AT_SYMLINK_NOFOLLOW);
  ok (build_digest_file (c, rootfd, "old", &st, "old", d2, &err) == 0, "changed file hashed");
  ok (strcmp (d1, d2) != 0, "a changed file gets a new digest");
  build_digest_cache_close (c, &err);
  store_close (store);
}

int
main (void)
{
  cleanup_error estiba_error_t err = NULL;
  const char *base = getenv ("ESTIBA_TEST_TMPDIR");
  struct dockerignore *ign;
  char *got;

  snprintf (tmp, sizeof (tmp), "%s/test-muelle-build-context.XXXXXX", base ? base : "/tmp");
  if (mkdtemp (tmp) == NULL)
    return 1;
  rootfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  mkdirat (rootfd, "ctx", 0755);
  close (rootfd);
  {
    char p[4200];
    snprintf (p, sizeof (p), "%s/ctx", tmp);
    rootfd = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  mkdirat (rootfd, "d", 0755);
  mkdirat (rootfd, "d/sub", 0755);
  mkdirat (rootfd, "d/skip", 0755);
  make_file ("a.txt", "a");
  make_file ("b.txt", "b");
  make_file ("c.md", "c");
  make_file ("[x]", "literal");
  make_file ("d/sub/f", "f");
  make_file ("d/skip/keep", "k");
  make_file ("d/skip/drop", "d");
  make_file ("d/g.txt", "g");
  symlinkat ("d", rootfd, "dlink");
  symlinkat ("/d", rootfd, "abslink");
  symlinkat ("../../../..", rootfd, "up");
  symlinkat ("loop", rootfd, "loop");
  symlinkat ("a.txt", rootfd, "alink");

  check_resolve ("d/sub/f", false, false, "d/sub/f", true, false, "plain path");
  check_resolve ("dlink/sub", false, false, "d/sub", true, false, "symlinked parent followed");
  check_resolve ("abslink/g.txt", false, false, "d/g.txt", true, true, "absolute target starts at the root");
  check_resolve ("abslink/g.txt", false, true, "d/g.txt", true, false,
                 "... which is normal in an image root");
  check_resolve ("up/etc/passwd", false, false, "etc/passwd", false, true, "`..` clamps at the root");
  check_resolve ("../../a.txt", false, false, "a.txt", true, true, "leading `..` clamps");
  check_resolve ("alink", false, false, "alink", true, false, "last symlink kept without follow");
  check_resolve ("alink", true, false, "a.txt", true, false, "and followed with follow");
  check_resolve ("d/new/x", false, false, "d/new/x", false, false, "missing tail kept as written");
  {
    char *out = NULL;
    bool e;
    ok (build_context_resolve (rootfd, "loop", true, false, &out, &e, NULL, &err) < 0,
        "symlink loop is an error");
    estiba_error_release (&err);
  }

  check_glob ("*.txt", NULL, "a.txt b.txt", "`*` matches in order");
  check_glob ("?.md", NULL, "c.md", "`?` matches one character");
  check_glob ("[ab].txt", NULL, "a.txt b.txt", "`[...]` class");
  check_glob ("\\[x\\]", NULL, "[x]", "escaped brackets are literal");
  check_glob ("d/*/f", NULL, "d/sub/f", "glob in a middle component");
  check_glob ("dlink/g.txt", NULL, "d/g.txt=dlink/g.txt", "a symlinked parent resolves inside");
  check_glob ("alink", NULL, "a.txt=alink", "a last symlink inside the root is followed");
  check_glob ("up", NULL, "up", "a last symlink leaving the root is kept as a symlink");
  check_glob ("abslink", NULL, "abslink", "an absolute last symlink is kept in the context");
  check_glob ("./d/./sub/f", NULL, "d/sub/f=sub/f", "--parents pivot `/./`");
  check_glob (".", NULL, ".", "`.` is the root");
  check_glob ("*.none", NULL, "error: COPY: *.none: no such file or directory in the build context",
              "a glob matching nothing is an error naming it");
  check_glob ("../x", NULL, "error: COPY: ../x: outside the build context",
              "`..` leaving the root is refused");
  check_glob ("d/../../x", NULL, "error: COPY: d/../../x: outside the build context",
              "... also in the middle");
  ign = dockerignore_parse ("b.txt\nd\n!d/skip/keep\n", 21, ".dockerignore", &err);
  check_glob ("*.txt", ign, "a.txt", ".dockerignore'd sources do not exist");
  got = glob_of ("b.txt", ign);
  ok (strstr (got, "no such file") != NULL, "an ignored file named directly is missing");
  free (got);
  dockerignore_free (ign);

  check_walk ("d", NULL, NULL, "g.txt skip/ skip/drop skip/keep sub/ sub/f", "walk: sorted, parents first");
  check_walk (".", "d\n!d/skip/keep\n", NULL,
              "[x] a.txt abslink alink b.txt c.md d/ d/skip/ d/skip/keep dlink loop up",
              "walk: an excluded dir with a re-included file is reported before it");
  check_walk ("d", NULL, "*.txt\nskip\n", "sub/ sub/f", "walk: --exclude relative to the walked dir");
  check_walk ("d", NULL, "**/f\n", "g.txt skip/ skip/drop skip/keep sub/", "walk: `**` matches any depth");

  test_digests ();
  close (rootfd);
  fs_remove_tree (tmp, &err);
  return done_testing ();
}
