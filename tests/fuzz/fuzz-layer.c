// clang-format off

// fuzz-sources: src/muelle/layer_extract.c src/muelle/layer_path.c src/muelle/fsutil.c src/muelle/digest.c src/libestiba/error.c src/libestiba/log.c
// fuzz-libs: -larchive -lcrypto
// fuzz-includes: src/muelle src/libestiba libocispec

// clang-format on
/* libFuzzer target for layer extraction: any bytes are a (possibly
 * compressed) tar applied onto a fresh root.  It must never crash, and
 * never create anything outside the root: after each run the parent
 * directory must hold only the root and an untouched canary directory.  */
#include <config.h>
#include "error.h"
#include "fsutil.h"
#include "layer_extract.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[] = "/tmp/fuzz-layer-XXXXXX";

static size_t
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 0;

  if (d == NULL)
    abort ();
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      n++;
  closedir (d);
  return n;
}

static void
remove_base (void)
{
  rmdir (base);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct layer_extract_options opts = { .layer_name = "fuzz", .unprivileged = true };
  char root[64], canary[64];
  estiba_error_t err = NULL;
  int rootfd;

  if (base[sizeof (base) - 2] == 'X')
    {
      if (mkdtemp (base) == NULL)
        abort ();
      atexit (remove_base);
    }
  snprintf (root, sizeof (root), "%s/root", base);
  snprintf (canary, sizeof (canary), "%s/canary", base);
  if (mkdir (root, 0755) < 0 || mkdir (canary, 0755) < 0)
    abort ();
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    abort ();
  layer_extract_buffer (rootfd, data, size, &opts, &err);
  estiba_error_release (&err);
  close (rootfd);
  /* Anything written beside the root or into the canary is an escape.  */
  if (count_entries (base) != 2 || count_entries (canary) != 0)
    {
      fprintf (stderr, "fuzz-layer: an entry was written outside the root\n");
      abort ();
    }
  if (fs_remove_tree (root, NULL) < 0 || rmdir (canary) < 0)
    abort ();
  return 0;
}
