/* Image reference parsing and Docker short-name normalisation; the
 * grammar is in reference.h and distribution's reference/regexp.go.  */
#include <config.h>
#include "reference.h"
#include "cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_REGISTRIES_CONF "/etc/muelle/registries.conf"
#define TAG_MAX                 128

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum (char c)
{
  return isascii ((unsigned char) c) && isalnum ((unsigned char) c);
}

/* path-component := [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*  over [s, s+len).  */
static bool
path_component_valid (const char *s, size_t len)
{
  size_t i = 0;

  if (len == 0 || !is_lower_alnum (s[0]))
    return false;
  while (i < len)
    {
      size_t sep;

      while (i < len && is_lower_alnum (s[i]))
        i++;
      if (i == len)
        return true;
      sep = i;
      if (s[i] == '.')
        i++;
      else if (s[i] == '_')
        i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
      else if (s[i] == '-')
        while (i < len && s[i] == '-')
          i++;
      else
        return false;
      if (i == sep || i == len || !is_lower_alnum (s[i]))
        return false;
    }
  return true;
}

/* domain-component := [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]  */
static bool
domain_component_valid (const char *s, size_t len)
{
  size_t i;

  if (len == 0 || !is_alnum (s[0]) || !is_alnum (s[len - 1]))
    return false;
  for (i = 1; i + 1 < len; i++)
    if (!is_alnum (s[i]) && s[i] != '-')
      return false;
  return true;
}

static bool
port_valid (const char *s)
{
  size_t n = strspn (s, "0123456789");
  return n > 0 && n <= 5 && s[n] == '\0';
}

bool
reference_domain_valid (const char *domain)
{
  const char *host_end, *p;

  if (domain == NULL || *domain == '\0')
    return false;
  if (domain[0] == '[')
    {
      /* "[" IPv6 "]": hex digits, ':' and (for mapped IPv4) '.'.  */
      host_end = strchr (domain, ']');
      if (host_end == NULL || host_end == domain + 1)
        return false;
      for (p = domain + 1; p < host_end; p++)
        if (!isxdigit ((unsigned char) *p) && *p != ':' && *p != '.')
          return false;
      host_end++;
    }
  else
    {
      const char *start = domain;

      host_end = domain + strcspn (domain, ":");
      for (p = domain; p <= host_end; p++)
        if (p == host_end || *p == '.')
          {
            if (!domain_component_valid (start, p - start))
              return false;
            start = p + 1;
          }
    }
  if (*host_end == '\0')
    return true;
  return *host_end == ':' && port_valid (host_end + 1);
}

bool
reference_tag_valid (const char *tag)
{
  size_t i, len = strlen (tag);

  if (len == 0 || len > TAG_MAX)
    return false;
  if (!is_alnum (tag[0]) && tag[0] != '_')
    return false;
  for (i = 1; i < len; i++)
    if (!is_alnum (tag[i]) && tag[i] != '_' && tag[i] != '.' && tag[i] != '-')
      return false;
  return true;
}

static bool
all_hex (const char *s, size_t len, bool lower_only)
{
  size_t i;
  for (i = 0; i < len; i++)
    if (!isxdigit ((unsigned char) s[i]) || (lower_only && isupper ((unsigned char) s[i])))
      return false;
  return true;
}

/* image-spec descriptor.md: algorithm := component (separator component)*,
 * component := [a-z0-9]+, separator := [+._-]; encoded := [a-zA-Z0-9=_-]+.
 * The registered algorithms have a fixed lowercase-hex encoding.  */
bool
reference_digest_valid (const char *digest)
{
  const char *colon = strchr (digest, ':');
  const char *p, *enc;
  size_t enc_len;

  if (colon == NULL || colon == digest)
    return false;
  for (p = digest; p < colon; p++)
    {
      if (is_lower_alnum (*p))
        continue;
      if (strchr ("+._-", *p) == NULL || p == digest || p + 1 == colon || !is_lower_alnum (p[1]))
        return false;
    }
  enc = colon + 1;
  enc_len = strlen (enc);
  if (enc_len == 0
      || strspn (enc, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=_-") != enc_len)
    return false;
  if (strncmp (digest, "sha256:", 7) == 0)
    return enc_len == 64 && all_hex (enc, enc_len, true);
  if (strncmp (digest, "sha512:", 7) == 0)
    return enc_len == 128 && all_hex (enc, enc_len, true);
  return true;
}

void
reference_free (struct image_ref *ref)
{
  if (ref == NULL)
    return;
  free (ref->domain);
  free (ref->path);
  free (ref->tag);
  free (ref->digest);
  free (ref);
}

void
reference_freep (struct image_ref **ref)
{
  reference_free (*ref);
  *ref = NULL;
}

/* Docker's rule: the first component names a registry when it contains
 * '.' or ':', is "localhost", or is not all lower case.  */
static bool
first_component_is_domain (const char *name, size_t len)
{
  size_t i;

  if (len == strlen ("localhost") && strncmp (name, "localhost", len) == 0)
    return true;
  for (i = 0; i < len; i++)
    if (name[i] == '.' || name[i] == ':' || isupper ((unsigned char) name[i]))
      return true;
  return false;
}

static int
path_validate (const char *text, const char *path, estiba_error_t *err)
{
  const char *start = path, *p;

  if (*path == '\0')
    return estiba_error (err, 0, "invalid reference \"%s\": empty repository name", text);
  for (p = path;; p++)
    if (*p == '/' || *p == '\0')
      {
        if (p == start)
          return estiba_error (err, 0, "invalid reference \"%s\": empty path component", text);
        if (!path_component_valid (start, p - start))
          {
            for (const char *q = start; q < p; q++)
              if (isupper ((unsigned char) *q))
                return estiba_error (err, 0, "invalid reference \"%s\": repository name must be lowercase",
                                     text);
            return estiba_error (err, 0,
                                 "invalid reference \"%s\": invalid repository name component \"%.*s\" "
                                 "(allowed: [a-z0-9] separated by '.', '_', '__' or '-')",
                                 text, (int) (p - start), start);
          }
        if (*p == '\0')
          return 0;
        start = p + 1;
      }
}

static char *
normalise_domain (const char *domain)
{
  if (strcmp (domain, "index.docker.io") == 0)
    return strdup (REFERENCE_DOCKER_HUB);
  return strdup (domain);
}

/* Split "name[:tag]" (no digest part) into domain, path and tag.  */
static int
split_name (const char *text, char *name, const char *default_domain, struct image_ref *ref,
            estiba_error_t *err)
{
  char *slash, *colon, *last_slash;

  last_slash = strrchr (name, '/');
  colon = strrchr (name, ':');
  if (colon && (last_slash == NULL || colon > last_slash))
    {
      *colon = '\0';
      if (!reference_tag_valid (colon + 1))
        return estiba_error (
          err, 0,
          "invalid reference \"%s\": invalid tag \"%s\" (allowed: [A-Za-z0-9_] then up to 127 "
          "of [A-Za-z0-9_.-])",
          text, colon + 1);
      ref->tag = strdup (colon + 1);
    }

  slash = strchr (name, '/');
  if (slash && first_component_is_domain (name, slash - name))
    {
      *slash = '\0';
      if (!reference_domain_valid (name))
        return estiba_error (err, 0, "invalid reference \"%s\": invalid registry host \"%s\"", text, name);
      ref->domain = normalise_domain (name);
      ref->path = strdup (slash + 1);
    }
  else
    {
      ref->domain = normalise_domain (default_domain ? default_domain : REFERENCE_DOCKER_HUB);
      ref->path = strdup (name);
    }
  if (ref->domain == NULL || ref->path == NULL)
    return estiba_error (err, ENOMEM, "parse reference \"%s\"", text);
  return 0;
}

int
reference_parse (const char *text, const char *default_domain, struct image_ref **out, estiba_error_t *err)
{
  cleanup_image_ref struct image_ref *ref = NULL;
  cleanup_free char *name = NULL;
  char *at;
  int ret;

  if (text == NULL || *text == '\0')
    return estiba_error (err, 0, "invalid reference \"\": empty image name");
  if (default_domain && !reference_domain_valid (default_domain))
    return estiba_error (err, 0, "invalid default registry \"%s\"", default_domain);

  ref = calloc (1, sizeof (*ref));
  name = strdup (text);
  if (ref == NULL || name == NULL)
    return estiba_error (err, ENOMEM, "parse reference \"%s\"", text);

  at = strchr (name, '@');
  if (at)
    {
      *at = '\0';
      if (!reference_digest_valid (at + 1))
        return estiba_error (err, 0,
                             "invalid reference \"%s\": invalid digest \"%s\" (expected ALGORITHM:ENCODED, "
                             "sha256 with 64 lowercase hex digits)",
                             text, at + 1);
      ref->digest = strdup (at + 1);
    }
  if (*name == '\0')
    return estiba_error (err, 0, "invalid reference \"%s\": empty repository name", text);

  ret = split_name (text, name, default_domain, ref, err);
  if (ret < 0)
    return ret;
  ret = path_validate (text, ref->path, err);
  if (ret < 0)
    return ret;

  if (strcmp (ref->domain, REFERENCE_DOCKER_HUB) == 0 && strchr (ref->path, '/') == NULL)
    {
      char *library = NULL;
      if (asprintf (&library, "library/%s", ref->path) < 0)
        return estiba_error (err, ENOMEM, "parse reference \"%s\"", text);
      free (ref->path);
      ref->path = library;
    }
  /* A bare 64-hex name is an image id, never a repository (Docker rule).  */
  if (strlen (ref->path) == 64 + strlen ("library/") && strncmp (ref->path, "library/", 8) == 0
      && all_hex (ref->path + 8, 64, true))
    return estiba_error (err, 0,
                         "invalid reference \"%s\": a 64-character hexadecimal string is an image id, not a "
                         "repository name",
                         text);
  if (strlen (ref->domain) + 1 + strlen (ref->path) > REFERENCE_NAME_MAX)
    return estiba_error (err, 0, "invalid reference \"%s\": repository name longer than %d characters", text,
                         REFERENCE_NAME_MAX);

  if (ref->tag == NULL && ref->digest == NULL)
    ref->tag = strdup (REFERENCE_DEFAULT_TAG);
  if ((ref->tag == NULL && ref->digest == NULL) || (at && ref->digest == NULL))
    return estiba_error (err, ENOMEM, "parse reference \"%s\"", text);

  *out = steal_pointer (&ref);
  return 0;
}

char *
reference_repository (const struct image_ref *ref)
{
  char *s = NULL;
  if (asprintf (&s, "%s/%s", ref->domain, ref->path) < 0)
    return NULL;
  return s;
}

char *
reference_string (const struct image_ref *ref)
{
  char *s = NULL;
  int r;

  if (ref->tag && ref->digest)
    r = asprintf (&s, "%s/%s:%s@%s", ref->domain, ref->path, ref->tag, ref->digest);
  else if (ref->digest)
    r = asprintf (&s, "%s/%s@%s", ref->domain, ref->path, ref->digest);
  else
    r = asprintf (&s, "%s/%s:%s", ref->domain, ref->path, ref->tag);
  return r < 0 ? NULL : s;
}

char *
reference_store_name (const struct image_ref *ref)
{
  char *s = NULL;
  int r;

  if (ref->tag)
    r = asprintf (&s, "%s/%s:%s", ref->domain, ref->path, ref->tag);
  else
    r = asprintf (&s, "%s/%s@%s", ref->domain, ref->path, ref->digest);
  return r < 0 ? NULL : s;
}

const char *
reference_manifest_key (const struct image_ref *ref)
{
  return ref->digest ? ref->digest : ref->tag;
}

const char *
reference_api_host (const char *domain)
{
  if (strcmp (domain, REFERENCE_DOCKER_HUB) == 0)
    return REFERENCE_DOCKER_HUB_API;
  return domain;
}

bool
reference_domain_is_loopback (const char *domain)
{
  size_t host_len;

  if (domain[0] == '[')
    return strncmp (domain, "[::1]", 5) == 0;
  host_len = strcspn (domain, ":");
  if (host_len == strlen ("localhost") && strncmp (domain, "localhost", host_len) == 0)
    return true;
  return strncmp (domain, "127.", 4) == 0;
}

/* First string of `unqualified-search-registries = ["a", "b"]`, the only
 * key muelle reads from a containers registries.conf.  */
static int
read_conf_default (const char *path, char **out, estiba_error_t *err)
{
  cleanup_fclose FILE *f = fopen (path, "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  *out = NULL;
  if (f == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return estiba_error_errno (err, "open registries configuration %s", path);
    }
  while (getline (&line, &cap, f) >= 0)
    {
      const char *p = line + strspn (line, " \t");
      const char *open_quote, *close_quote;

      if (strncmp (p, "unqualified-search-registries", 29) != 0)
        continue;
      open_quote = strchr (p, '"');
      close_quote = open_quote ? strchr (open_quote + 1, '"') : NULL;
      if (open_quote == NULL || close_quote == NULL || close_quote == open_quote + 1)
        return estiba_error (err, 0,
                             "%s: unqualified-search-registries: expected a list of quoted host names", path);
      *out = strndup (open_quote + 1, close_quote - open_quote - 1);
      if (!reference_domain_valid (*out))
        {
          int ret = estiba_error (err, 0, "%s: unqualified-search-registries: invalid registry host \"%s\"",
                                  path, *out);
          free (*out);
          *out = NULL;
          return ret;
        }
      return 0;
    }
  return 0;
}

int
reference_default_domain (const char *cli_value, char **out, estiba_error_t *err)
{
  const char *env = getenv ("MUELLE_DEFAULT_REGISTRY");
  const char *conf = getenv ("MUELLE_REGISTRIES_CONF");
  const char *chosen = NULL, *what = NULL;
  int ret;

  if (cli_value && *cli_value)
    chosen = cli_value, what = "--registry";
  else if (env && *env)
    chosen = env, what = "MUELLE_DEFAULT_REGISTRY";
  if (chosen)
    {
      if (!reference_domain_valid (chosen))
        return estiba_error (err, 0, "%s: invalid registry host \"%s\"", what, chosen);
      *out = strdup (chosen);
      return *out ? 0 : estiba_error (err, ENOMEM, "default registry");
    }
  ret = read_conf_default (conf && *conf ? conf : DEFAULT_REGISTRIES_CONF, out, err);
  if (ret < 0 || *out)
    return ret;
  *out = strdup (REFERENCE_DOCKER_HUB);
  return *out ? 0 : estiba_error (err, ENOMEM, "default registry");
}
