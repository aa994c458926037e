/* Unit tests of src/muelle/store.c's blob writer: a blob is checked when
 * it arrives (blob_writer_verify), read back before its commit
 * (blob_writer_read, the pull's config gate), synced early
 * (blob_writer_sync) and committed; a mismatch leaves nothing behind.  */
#include <config.h>
#include "../lib/tap.h"
#include "digest.h"
#include "store.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ABC_SHA256   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Entries in DIR other than . and .. */
static int
count_entries (const char *root, const char *sub)
{
  char path[4096];
  struct dirent *de;
  DIR *d;
  int n = 0;

  snprintf (path, sizeof path, "%s/%s", root, sub);
  d = opendir (path);
  if (d == NULL)
    return -1;
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      n++;
  closedir (d);
  return n;
}

static bool
error_mentions (estiba_error_t err, const char *text)
{
  char *s = err ? estiba_error_string (err) : NULL;
  bool found = s && strstr (s, text);

  if (!found)
    diag ("error: %s", s ? s : "(none)");
  free (s);
  return found;
}

static void
test_checked_then_committed (struct muelle_store *store, const char *root)
{
  struct blob_writer *w = NULL;
  estiba_error_t err = NULL;
  char *data = NULL, *digest = NULL, path[4096];
  size_t len = 0;
  struct stat st;

  ok (store_blob_writer_begin (store, &w, NULL) == 0, "a writer starts");
  ok (blob_writer_write (w, "a", 1, NULL) == 0 && blob_writer_write (w, "bc", 2, NULL) == 0, "data written");
  ok (blob_writer_verify (w, ABC_SHA256, 3, NULL) == 0, "verify accepts the right digest and size");
  ok (blob_writer_verify (w, ABC_SHA256, 3, NULL) == 0, "verify may run twice");
  ok (blob_writer_read (w, 1024, &data, &len, NULL) == 0, "a checked blob reads back before its commit");
  is_int ((int) len, 3, "read gives the whole blob");
  is_str (data, "abc", "read gives its bytes, NUL-terminated");
  free (data);
  ok (blob_writer_read (w, 2, &data, &len, &err) < 0 && error_mentions (err, "larger than 2 bytes"),
      "read refuses a blob over its limit");
  estiba_error_release (&err);
  ok (store_has_blob (store, ABC_SHA256) == 0, "nothing is in the store before the commit");
  ok (blob_writer_sync (w) == 0, "an early sync succeeds");
  ok (blob_writer_commit (w, ABC_SHA256, 3, &digest, NULL) == 0, "the synced blob commits");
  is_str (digest, ABC_SHA256, "commit gives the digest");
  free (digest);
  ok (store_has_blob (store, ABC_SHA256) == 1, "the blob is in the store");
  snprintf (path, sizeof path, "%s/blobs/sha256/%s", root, digest_hex (ABC_SHA256));
  ok (stat (path, &st) == 0 && (st.st_mode & 07777) == 0644, "the stored blob is mode 0644");
  is_int (count_entries (root, "tmp"), 0, "no temporary file is left");
}

static void
test_mismatches (struct muelle_store *store, const char *root)
{
  struct blob_writer *w = NULL;
  estiba_error_t err = NULL;

  ok (store_blob_writer_begin (store, &w, NULL) == 0 && blob_writer_write (w, "abc", 3, NULL) == 0,
      "a second writer");
  ok (blob_writer_verify (w, EMPTY_SHA256, 3, &err) < 0
        && error_mentions (err, "digest mismatch: got " ABC_SHA256),
      "verify names the expected and the actual digest");
  estiba_error_release (&err);
  ok (blob_writer_commit (w, EMPTY_SHA256, -1, NULL, &err) < 0 && error_mentions (err, "digest mismatch"),
      "commit refuses the same mismatch (and frees the writer)");
  estiba_error_release (&err);
  ok (store_has_blob (store, EMPTY_SHA256) == 0, "the mismatched blob is not stored");
  is_int (count_entries (root, "tmp"), 0, "its temporary file is gone");

  ok (store_blob_writer_begin (store, &w, NULL) == 0 && blob_writer_write (w, "abc", 3, NULL) == 0,
      "a third writer");
  ok (blob_writer_verify (w, ABC_SHA256, 4, &err) < 0
        && error_mentions (err, "size mismatch: expected 4 bytes, got 3"),
      "verify checks the size");
  estiba_error_release (&err);
  blob_writer_abort (w);
  is_int (count_entries (root, "tmp"), 0, "abort removes the temporary file");

  ok (store_blob_writer_begin (store, &w, NULL) == 0, "an empty blob's writer");
  ok (blob_writer_verify (w, EMPTY_SHA256, 0, NULL) == 0, "an empty blob verifies");
  ok (blob_writer_commit (w, EMPTY_SHA256, 0, NULL, NULL) == 0, "an empty blob commits without a sync");
  ok (store_has_blob (store, EMPTY_SHA256) == 1, "the empty blob is stored");
}

int
main (void)
{
  char root[] = "/tmp/test-muelle-store-XXXXXX";
  struct muelle_store *store;
  char cmd[128];

  if (mkdtemp (root) == NULL)
    return 1;
  store = store_open (root, NULL);
  ok (store != NULL, "a store opens in an empty directory");
  if (store == NULL)
    return done_testing ();
  test_checked_then_committed (store, root);
  test_mismatches (store, root);
  store_close (store);
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system (cmd) != 0)
    diag ("cannot remove %s", root);
  return done_testing ();
}
