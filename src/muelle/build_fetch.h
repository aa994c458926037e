/* ADD <URL>: downloading a remote file through libcurl (http and https
 * only, redirects followed, HTTP errors are errors).  The file is written
 * to a temporary file while its sha256 is computed; with --checksum the
 * digest must match.  */
#ifndef MUELLE_BUILD_FETCH_H
#define MUELLE_BUILD_FETCH_H

#include <stdbool.h>
#include <stdint.h>
#include "digest.h"
#include "error.h"

struct build_fetch
{
  char *path;                        /* the downloaded temporary file (caller unlinks and frees) */
  int64_t last_modified;             /* Last-Modified as seconds since the epoch, -1 when not sent */
  char digest[DIGEST_SHA256_STRLEN]; /* sha256 of the content */
};

/* True for a source ADD downloads (http:// or https://).  */
bool build_fetch_is_url (const char *source);

/* The file name ADD gives a download: the URL path's last component
 * (query and fragment dropped); NULL (and *err) when it has none.  */
char *build_fetch_file_name (const char *url, estiba_error_t *err);

/* Download url into a new file in tmpdir.  expected: "sha256:HEX" from
 * --checksum, or NULL.  */
int build_fetch_url (const char *url, const char *tmpdir, const char *expected, struct build_fetch *out,
                     estiba_error_t *err);

#endif
