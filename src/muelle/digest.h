/* Content digests ("sha256:<64 lowercase hex>") as image-spec
 * descriptor.md defines them: the store only writes and accepts sha256.  */
#ifndef MUELLE_DIGEST_H
#define MUELLE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define DIGEST_SHA256_PREFIX  "sha256:"
#define DIGEST_SHA256_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define DIGEST_SHA256_STRLEN (sizeof (DIGEST_SHA256_PREFIX) - 1 + DIGEST_SHA256_HEX_LEN + 1)

struct sha256_ctx
{
  void *md; /* EVP_MD_CTX, kept opaque so users need no OpenSSL headers */
};

int digest_init (struct sha256_ctx *ctx, estiba_error_t *err);
void digest_update (struct sha256_ctx *ctx, const void *data, size_t len);
/* Finish and write "sha256:<hex>" into out; releases the context.  */
void digest_final (struct sha256_ctx *ctx, char out[DIGEST_SHA256_STRLEN]);
/* Release a context that will not be finished (error paths).  */
void digest_abort (struct sha256_ctx *ctx);

/* Digest of a buffer; returns a malloc'd "sha256:<hex>".  */
char *digest_buffer (const void *data, size_t len);

/* Digest and size of a whole file.  */
int digest_file (const char *path, char **digest_out, int64_t *size_out, estiba_error_t *err);

/* True for "sha256:" followed by exactly 64 lowercase hex digits: the only
 * form the store uses, so a digest can safely become a file name.  */
bool digest_valid (const char *digest);

/* The hex part of a valid digest (pointer into digest).  */
const char *digest_hex (const char *digest);

#endif
