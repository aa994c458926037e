/* Loading a registry's certs.d directory.  */
#include <config.h>
#include "certs.h"
#include "cleanup.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's bundle of the system's trusted CAs.  */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define CERT_FILE_MAX    (1024 * 1024)

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n > m && strcmp (s + n - m, suffix) == 0;
}

/* Append the file at path to the stream; missing_ok for the system bundle.  */
static int
append_file (FILE *out, const char *path, bool missing_ok, estiba_error_t *err)
{
  cleanup_fclose FILE *f = fopen (path, "re");
  char buf[8192];
  size_t n, total = 0;

  if (f == NULL)
    {
      if (missing_ok && errno == ENOENT)
        return 0;
      return estiba_error_errno (err, "read certificate %s", path);
    }
  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    {
      total += n;
      if (total > CERT_FILE_MAX)
        return estiba_error (err, 0, "certificate %s: larger than %d bytes", path, CERT_FILE_MAX);
      fwrite (buf, 1, n, out);
    }
  if (ferror (f))
    return estiba_error_errno (err, "read certificate %s", path);
  fputc ('\n', out);
  return 0;
}

static int
default_cert_dir (const char *domain, char **dir)
{
  static const char *const bases[] = { "/etc/containers/certs.d", "/etc/docker/certs.d" };
  size_t i;
  struct stat st;

  *dir = NULL;
  for (i = 0; i < sizeof (bases) / sizeof (bases[0]); i++)
    {
      char *candidate = NULL;
      if (asprintf (&candidate, "%s/%s", bases[i], domain) < 0)
        return -1;
      if (stat (candidate, &st) == 0 && S_ISDIR (st.st_mode))
        {
          *dir = candidate;
          return 0;
        }
      free (candidate);
    }
  return 0;
}

static int
load_dir (const char *dir, struct registry_certs *out, estiba_error_t *err)
{
  struct dirent **entries = NULL;
  char *bundle = NULL;
  size_t len = 0;
  FILE *f;
  int n, i, ret = 0, cas = 0;

  n = scandir (dir, &entries, NULL, alphasort);
  if (n < 0)
    return estiba_error_errno (err, "certificate directory %s", dir);
  f = open_memstream (&bundle, &len);
  if (f == NULL)
    ret = estiba_error_errno (err, "certificates");
  if (ret == 0)
    ret = append_file (f, SYSTEM_CA_BUNDLE, true, err);
  for (i = 0; i < n; i++)
    {
      cleanup_free char *path = NULL;
      const char *name = entries[i]->d_name;

      if (ret == 0 && (has_suffix (name, ".crt") || has_suffix (name, ".cert")))
        {
          if (asprintf (&path, "%s/%s", dir, name) < 0)
            ret = estiba_error (err, ENOMEM, "certificates");
          else if (has_suffix (name, ".crt"))
            {
              ret = append_file (f, path, false, err);
              cas++;
            }
          else if (out->client_cert == NULL)
            {
              out->client_cert = strdup (path);
              if (asprintf (&out->client_key, "%.*s.key", (int) (strlen (path) - 5), path) < 0)
                out->client_key = NULL;
              if (out->client_key == NULL || access (out->client_key, R_OK) < 0)
                ret = estiba_error (err, 0,
                                    "certificate directory %s: client certificate %s has no readable key "
                                    "(%.*s.key)",
                                    dir, name, (int) (strlen (name) - 5), name);
            }
        }
      free (entries[i]);
    }
  free (entries);
  if (f && fclose (f) != 0 && ret == 0)
    ret = estiba_error (err, ENOMEM, "certificates");
  if (ret == 0 && cas > 0)
    {
      out->ca_bundle = bundle;
      out->ca_len = len;
      bundle = NULL;
    }
  free (bundle);
  return ret;
}

int
certs_load (const char *cert_dir, const char *domain, struct registry_certs *out, estiba_error_t *err)
{
  cleanup_free char *dir = NULL;
  int ret;

  memset (out, 0, sizeof (*out));
  if (cert_dir)
    dir = strdup (cert_dir);
  else if (default_cert_dir (domain, &dir) < 0)
    return estiba_error (err, ENOMEM, "certificates");
  if (cert_dir && dir == NULL)
    return estiba_error (err, ENOMEM, "certificates");
  if (dir == NULL)
    return 0;
  ret = load_dir (dir, out, err);
  if (ret < 0)
    certs_clear (out);
  return ret;
}

void
certs_clear (struct registry_certs *certs)
{
  free (certs->ca_bundle);
  free (certs->client_cert);
  free (certs->client_key);
  memset (certs, 0, sizeof (*certs));
}
