#include <config.h>
#include "digest.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
digest_init (struct sha256_ctx *ctx, estiba_error_t *err)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  if (md == NULL || EVP_DigestInit_ex (md, EVP_sha256 (), NULL) != 1)
    {
      EVP_MD_CTX_free (md);
      ctx->md = NULL;
      return estiba_error (err, ENOMEM, "cannot initialise sha256");
    }
  ctx->md = md;
  return 0;
}

void
digest_update (struct sha256_ctx *ctx, const void *data, size_t len)
{
  if (len > 0)
    EVP_DigestUpdate (ctx->md, data, len);
}

void
digest_final (struct sha256_ctx *ctx, char out[DIGEST_SHA256_STRLEN])
{
  static const char hexdigits[] = "0123456789abcdef";
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int n = 0, i;
  char *p;

  EVP_DigestFinal_ex (ctx->md, raw, &n);
  EVP_MD_CTX_free (ctx->md);
  ctx->md = NULL;
  memcpy (out, DIGEST_SHA256_PREFIX, sizeof (DIGEST_SHA256_PREFIX) - 1);
  p = out + sizeof (DIGEST_SHA256_PREFIX) - 1;
  for (i = 0; i < n && i < DIGEST_SHA256_HEX_LEN / 2; i++)
    {
      *p++ = hexdigits[raw[i] >> 4];
      *p++ = hexdigits[raw[i] & 0xf];
    }
  *p = '\0';
}

void
digest_abort (struct sha256_ctx *ctx)
{
  EVP_MD_CTX_free (ctx->md);
  ctx->md = NULL;
}

char *
digest_buffer (const void *data, size_t len)
{
  struct sha256_ctx ctx;
  char out[DIGEST_SHA256_STRLEN];

  if (digest_init (&ctx, NULL) < 0)
    return NULL;
  digest_update (&ctx, data, len);
  digest_final (&ctx, out);
  return strdup (out);
}

int
digest_file (const char *path, char **digest_out, int64_t *size_out, estiba_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct sha256_ctx ctx;
  char buf[65536], out[DIGEST_SHA256_STRLEN];
  int64_t total = 0;
  ssize_t n;

  if (fd < 0)
    return estiba_error_errno (err, "open `%s`", path);
  if (digest_init (&ctx, err) < 0)
    return -1;
  while ((n = read (fd, buf, sizeof (buf))) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          digest_abort (&ctx);
          return estiba_error_errno (err, "read `%s`", path);
        }
      digest_update (&ctx, buf, n);
      total += n;
    }
  digest_final (&ctx, out);
  if (digest_out)
    {
      *digest_out = strdup (out);
      if (*digest_out == NULL)
        return estiba_error (err, ENOMEM, "digest of `%s`", path);
    }
  if (size_out)
    *size_out = total;
  return 0;
}

bool
digest_valid (const char *digest)
{
  size_t plen = sizeof (DIGEST_SHA256_PREFIX) - 1, i;

  if (digest == NULL || strncmp (digest, DIGEST_SHA256_PREFIX, plen) != 0)
    return false;
  for (i = 0; i < DIGEST_SHA256_HEX_LEN; i++)
    {
      char c = digest[plen + i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return false;
    }
  return digest[plen + DIGEST_SHA256_HEX_LEN] == '\0';
}

const char *
digest_hex (const char *digest)
{
  return digest + sizeof (DIGEST_SHA256_PREFIX) - 1;
}
