/* Unit tests of src/muelle/digest.c: sha256 digests and their validation.  */
#include <config.h>
#include "../lib/tap.h"
#include "digest.h"

#include <stdlib.h>
#include <unistd.h>

#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA256   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

int
main (void)
{
  struct sha256_ctx ctx;
  char out[DIGEST_SHA256_STRLEN], path[] = "/tmp/test-muelle-digest-XXXXXX";
  char *d;
  int64_t size = -1;
  int fd;

  d = digest_buffer ("", 0);
  is_str (d, EMPTY_SHA256, "digest of the empty buffer");
  free (d);
  d = digest_buffer ("abc", 3);
  is_str (d, ABC_SHA256, "digest of abc (FIPS 180-2 vector)");
  free (d);

  ok (digest_init (&ctx, NULL) == 0, "incremental init");
  digest_update (&ctx, "a", 1);
  digest_update (&ctx, "", 0);
  digest_update (&ctx, "bc", 2);
  digest_final (&ctx, out);
  is_str (out, ABC_SHA256, "incremental digest equals the one-shot digest");

  fd = mkstemp (path);
  ok (fd >= 0 && write (fd, "abc", 3) == 3, "temp file written");
  close (fd);
  d = NULL;
  ok (digest_file (path, &d, &size, NULL) == 0, "digest_file succeeds");
  is_str (d, ABC_SHA256, "digest_file gives the content's digest");
  is_int (size, 3, "digest_file gives the size");
  free (d);
  unlink (path);
  ok (digest_file (path, &d, &size, NULL) < 0, "digest_file of a missing file fails");

  ok (digest_valid (ABC_SHA256), "a sha256 digest is valid");
  ok (!digest_valid (NULL), "NULL is not valid");
  ok (!digest_valid ("sha256:"), "an empty hex part is not valid");
  ok (!digest_valid ("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
      "upper-case hex is not valid");
  ok (!digest_valid (ABC_SHA256 "0"), "65 hex digits are not valid");
  ok (!digest_valid ("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"),
      "63 hex digits are not valid");
  ok (!digest_valid ("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
      "another algorithm is not accepted by the store");
  ok (!digest_valid ("sha256:../../../../../../etc/passwdxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
      "a path is not a digest");
  is_str (digest_hex (ABC_SHA256), &ABC_SHA256[7], "digest_hex skips the algorithm");
  return done_testing ();
}
