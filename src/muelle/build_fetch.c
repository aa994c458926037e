#include <config.h>
#include "build_fetch.h"
#include "cleanup.h"
#include "fsutil.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

bool
build_fetch_is_url (const char *source)
{
  return strncasecmp (source, "http://", 7) == 0 || strncasecmp (source, "https://", 8) == 0;
}

char *
build_fetch_file_name (const char *url, estiba_error_t *err)
{
  const char *path = strstr (url, "://");
  size_t end;
  const char *last;
  char *name;

  path = path ? strchr (path + 3, '/') : NULL;
  if (path == NULL)
    {
      estiba_error (err, 0, "ADD %s: the URL has no file name; give a destination file name", url);
      return NULL;
    }
  end = strcspn (path, "?#");
  last = path;
  while (end > 0 && path[end - 1] == '/')
    end--;
  for (size_t i = 0; i < end; i++)
    if (path[i] == '/')
      last = path + i + 1;
  if (last >= path + end)
    {
      estiba_error (err, 0, "ADD %s: the URL has no file name; give a destination file name", url);
      return NULL;
    }
  name = strndup (last, path + end - last);
  if (name && (strcmp (name, ".") == 0 || strcmp (name, "..") == 0))
    {
      estiba_error (err, 0, "ADD %s: `%s` is not a file name", url, name);
      free (name);
      return NULL;
    }
  if (name == NULL)
    estiba_error (err, ENOMEM, "ADD %s", url);
  return name;
}

struct sink
{
  int fd;
  struct sha256_ctx sha;
  EVP_MD_CTX *check; /* --checksum with sha384 or sha512 */
  bool write_failed;
};

static size_t
on_data (char *ptr, size_t size, size_t nmemb, void *data)
{
  struct sink *s = data;
  size_t len = size * nmemb;

  if (fs_write_all (s->fd, ptr, len) < 0)
    {
      s->write_failed = true;
      return 0;
    }
  digest_update (&s->sha, ptr, len);
  if (s->check)
    EVP_DigestUpdate (s->check, ptr, len);
  return len;
}

static int
perform (const char *url, struct sink *s, int64_t *last_modified, estiba_error_t *err)
{
  CURL *c;
  char errbuf[CURL_ERROR_SIZE] = "";
  long filetime = -1;
  CURLcode rc;

  if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return estiba_error (err, 0, "ADD %s: cannot initialise libcurl", url);
  c = curl_easy_init ();
  if (c == NULL)
    return estiba_error (err, ENOMEM, "ADD %s", url);
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt (c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt (c, CURLOPT_FILETIME, 1L);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt (c, CURLOPT_USERAGENT, "muelle-build");
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, s);
  rc = curl_easy_perform (c);
  if (rc == CURLE_OK)
    curl_easy_getinfo (c, CURLINFO_FILETIME, &filetime);
  curl_easy_cleanup (c);
  if (s->write_failed)
    return estiba_error_errno (err, "ADD %s: write", url);
  if (rc != CURLE_OK)
    return estiba_error (err, 0, "ADD %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror (rc));
  *last_modified = filetime >= 0 ? filetime : -1;
  return 0;
}

/* --checksum=ALG:HEX as the parser accepts it: sha256, sha384, sha512.  */
static const EVP_MD *
checksum_md (const char *expected)
{
  if (strncmp (expected, "sha384:", 7) == 0)
    return EVP_sha384 ();
  if (strncmp (expected, "sha512:", 7) == 0)
    return EVP_sha512 ();
  return NULL;
}

static void
checksum_final (EVP_MD_CTX *md, const char *alg, char *out, size_t size)
{
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int n = 0, i;
  size_t off = (size_t) snprintf (out, size, "%s:", alg);

  EVP_DigestFinal_ex (md, raw, &n);
  for (i = 0; i < n && off + 3 <= size; i++)
    off += (size_t) snprintf (out + off, size - off, "%02x", raw[i]);
}

int
build_fetch_url (const char *url, const char *tmpdir, const char *expected, struct build_fetch *out,
                 estiba_error_t *err)
{
  struct sink s = { -1, { NULL }, NULL, false };
  int ret = -1;

  memset (out, 0, sizeof (*out));
  if (expected && !digest_valid (expected) && checksum_md (expected) == NULL)
    return estiba_error (err, 0, "ADD %s: --checksum=%s: not sha256, sha384 or sha512 with its hex digits",
                         url, expected);
  if (asprintf (&out->path, "%s/fetch-XXXXXX", tmpdir) < 0)
    {
      out->path = NULL;
      return estiba_error (err, ENOMEM, "ADD %s", url);
    }
  s.fd = mkostemp (out->path, O_CLOEXEC);
  if (s.fd < 0)
    {
      estiba_error_errno (err, "ADD %s: temporary file in `%s`", url, tmpdir);
      goto out;
    }
  if (digest_init (&s.sha, err) < 0)
    goto out;
  if (expected && checksum_md (expected))
    {
      s.check = EVP_MD_CTX_new ();
      if (s.check == NULL || EVP_DigestInit_ex (s.check, checksum_md (expected), NULL) != 1)
        {
          estiba_error (err, ENOMEM, "ADD %s: checksum", url);
          goto out;
        }
    }
  if (perform (url, &s, &out->last_modified, err) < 0)
    goto out;
  digest_final (&s.sha, out->digest);
  s.sha.md = NULL;
  {
    char got[160];
    if (s.check)
      checksum_final (s.check, strncmp (expected, "sha384:", 7) == 0 ? "sha384" : "sha512", got,
                      sizeof (got));
    else
      snprintf (got, sizeof (got), "%s", out->digest);
    if (expected && strcmp (expected, got) != 0)
      {
        estiba_error (err, 0, "ADD %s: checksum mismatch: expected %s, got %s", url, expected, got);
        goto out;
      }
  }
  ret = 0;
out:
  if (s.sha.md)
    digest_abort (&s.sha);
  EVP_MD_CTX_free (s.check);
  if (s.fd >= 0)
    close (s.fd);
  if (ret < 0 && out->path)
    {
      unlink (out->path);
      free (out->path);
      out->path = NULL;
    }
  return ret;
}
