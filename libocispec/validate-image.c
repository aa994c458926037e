/* The image-spec 1.1 rules (descriptor.md, image-index.md, manifest.md,
 * config.md, image-layout.md) that a type table cannot express.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec-internal.h"
#include "validate-util.h"

static bool
is_lower_hex (const char *s, size_t n)
{
  return strlen (s) == n && strspn (s, "0123456789abcdef") == n;
}

static bool
is_alnum_lower (char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* digest ::= algorithm ":" encoded
 * algorithm ::= component (separator component)*, component [a-z0-9]+,
 * separator [+._-]; encoded ::= [a-zA-Z0-9=_-]+.  The grammar leaves no
 * room for "/" or "..", so a valid digest is safe as a blob path.  */
bool
oci_digest_is_valid (const char *s)
{
  if (s == NULL)
    return false;
  const char *colon = strchr (s, ':');
  if (colon == NULL || colon == s)
    return false;
  bool after_separator = true;
  for (const char *p = s; p < colon; p++)
    {
      if (is_alnum_lower (*p))
        after_separator = false;
      else if (strchr ("+._-", *p) && !after_separator)
        after_separator = true;
      else
        return false;
    }
  if (after_separator)
    return false;
  const char *encoded = colon + 1;
  size_t n = strlen (encoded);
  if (n == 0 || strspn (encoded, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=_-") != n)
    return false;
  size_t alg_len = (size_t) (colon - s);
  if (alg_len == 6 && strncmp (s, "sha256", 6) == 0)
    return is_lower_hex (encoded, 64);
  if (alg_len == 6 && strncmp (s, "sha512", 6) == 0)
    return is_lower_hex (encoded, 128);
  return true;
}

/* RFC 6838 restricted-name: 1-127 characters, starting with a letter or
 * digit.  */
static size_t
restricted_name_length (const char *s)
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+";
  size_t n = strspn (s, chars);
  if (n == 0 || n > 127 || strchr ("!#$&-^_.+", s[0]))
    return 0;
  return n;
}

bool
oci_media_type_is_valid (const char *s)
{
  if (s == NULL)
    return false;
  size_t n = restricted_name_length (s);
  if (n == 0 || s[n] != '/')
    return false;
  const char *sub = s + n + 1;
  size_t m = restricted_name_length (sub);
  return m > 0 && sub[m] == '\0';
}

/* RFC 3339 date-time: 2006-01-02T15:04:05[.frac](Z|+hh:mm).  */
static bool
is_rfc3339 (const char *s)
{
  const char *pattern = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; pattern[i]; i++, s++)
    {
      if (pattern[i] == 'd' ? !(*s >= '0' && *s <= '9')
                            : (pattern[i] == 'T' ? (*s != 'T' && *s != 't' && *s != ' ') : *s != pattern[i]))
        return false;
    }
  if (*s == '.')
    {
      s++;
      size_t n = strspn (s, "0123456789");
      if (n == 0)
        return false;
      s += n;
    }
  if (*s == 'Z' || *s == 'z')
    return s[1] == '\0';
  if (*s != '+' && *s != '-')
    return false;
  s++;
  return strlen (s) == 5 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':'
         && s[3] >= '0' && s[3] <= '9' && s[4] >= '0' && s[4] <= '9';
}

/* Decoded size of standard base64 (with padding), or -1.  */
static long long
base64_decoded_size (const char *s)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen (s);
  if (n % 4 != 0)
    return -1;
  size_t body = strspn (s, alphabet);
  size_t pad = n - body;
  if (pad > 2 || strspn (s + body, "=") != pad)
    return -1;
  return (long long) (n / 4 * 3 - pad);
}

static int
check_descriptor (const void *obj, struct oci_vctx *c)
{
  const struct oci_image_descriptor *x = obj;
  if (!oci_media_type_is_valid (x->media_type))
    return oci_verr (c, "mediaType", "\"%s\" is not a valid media type", x->media_type);
  if (!oci_digest_is_valid (x->digest))
    return oci_verr (c, "digest", "\"%s\" is not a valid digest (algorithm:encoded)", x->digest);
  if (x->size < 0)
    return oci_verr (c, "size", "%lld is negative", (long long) x->size);
  for (size_t i = 0; x->urls && i < x->urls_len; i++)
    {
      const char *u = x->urls[i];
      size_t scheme = strspn (u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
      if (scheme == 0 || u[scheme] != ':' || !((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z')))
        {
          char where[48];
          snprintf (where, sizeof (where), "urls[%zu]", i);
          return oci_verr (c, where, "\"%s\" is not a URL", u);
        }
    }
  if (x->data)
    {
      long long n = base64_decoded_size (x->data);
      if (n < 0)
        return oci_verr (c, "data", "not valid base64");
      if (n != x->size)
        return oci_verr (c, "data", "decodes to %lld bytes but size is %lld", n, (long long) x->size);
    }
  if (x->artifact_type && !oci_media_type_is_valid (x->artifact_type))
    return oci_verr (c, "artifactType", "\"%s\" is not a valid media type", x->artifact_type);
  return 0;
}

static int
check_platform (const void *obj, struct oci_vctx *c)
{
  const struct oci_image_platform *x = obj;
  if (x->architecture[0] == '\0')
    return oci_verr (c, "architecture", "must not be empty");
  if (x->os[0] == '\0')
    return oci_verr (c, "os", "must not be empty");
  return 0;
}

static int
check_schema_version (struct oci_vctx *c, int v)
{
  if (v != 2)
    return oci_verr (c, "schemaVersion", "MUST be 2, got %d", v);
  return 0;
}

static int
check_index (const void *obj, struct oci_vctx *c)
{
  const struct oci_image_index *x = obj;
  if (check_schema_version (c, x->schema_version) < 0)
    return -1;
  /* Docker's manifest list has the same shape; registries serve it.  */
  if (x->media_type && strcmp (x->media_type, OCI_MEDIA_TYPE_IMAGE_INDEX) != 0
      && strcmp (x->media_type, DOCKER_MEDIA_TYPE_MANIFEST_LIST) != 0)
    return oci_verr (c, "mediaType", "\"%s\" is not %s", x->media_type, OCI_MEDIA_TYPE_IMAGE_INDEX);
  if (x->artifact_type && !oci_media_type_is_valid (x->artifact_type))
    return oci_verr (c, "artifactType", "\"%s\" is not a valid media type", x->artifact_type);
  return 0;
}

static int
check_manifest (const void *obj, struct oci_vctx *c)
{
  const struct oci_image_manifest *x = obj;
  if (check_schema_version (c, x->schema_version) < 0)
    return -1;
  /* Docker's image manifest v2 schema 2 has the same shape.  */
  if (x->media_type && strcmp (x->media_type, OCI_MEDIA_TYPE_IMAGE_MANIFEST) != 0
      && strcmp (x->media_type, DOCKER_MEDIA_TYPE_MANIFEST) != 0)
    return oci_verr (c, "mediaType", "\"%s\" is not %s", x->media_type, OCI_MEDIA_TYPE_IMAGE_MANIFEST);
  if (x->artifact_type && !oci_media_type_is_valid (x->artifact_type))
    return oci_verr (c, "artifactType", "\"%s\" is not a valid media type", x->artifact_type);
  if (x->config && x->config->media_type && strcmp (x->config->media_type, OCI_MEDIA_TYPE_EMPTY) == 0
      && x->artifact_type == NULL)
    return oci_verr (c, "artifactType", "MUST be set when config.mediaType is %s", OCI_MEDIA_TYPE_EMPTY);
  return 0;
}

static int
check_image_config (const void *obj, struct oci_vctx *c)
{
  const struct oci_image_config *x = obj;
  if (x->created && !is_rfc3339 (x->created))
    return oci_verr (c, "created", "\"%s\" is not an RFC 3339 date-time", x->created);
  if (x->architecture[0] == '\0')
    return oci_verr (c, "architecture", "must not be empty");
  if (x->os[0] == '\0')
    return oci_verr (c, "os", "must not be empty");
  return 0;
}

static int
check_rootfs (const void *obj, struct oci_vctx *c)
{
  const struct oci_image_rootfs *x = obj;
  if (strcmp (x->type, "layers") != 0)
    return oci_verr (c, "type", "MUST be \"layers\", got \"%s\"", x->type);
  for (size_t i = 0; i < x->diff_ids_len; i++)
    if (!oci_digest_is_valid (x->diff_ids[i]))
      {
        char where[48];
        snprintf (where, sizeof (where), "diff_ids[%zu]", i);
        return oci_verr (c, where, "\"%s\" is not a valid digest (algorithm:encoded)", x->diff_ids[i]);
      }
  return 0;
}

static int
check_history (const void *obj, struct oci_vctx *c)
{
  const struct oci_image_history *x = obj;
  if (x->created && !is_rfc3339 (x->created))
    return oci_verr (c, "created", "\"%s\" is not an RFC 3339 date-time", x->created);
  return 0;
}

static int
check_layout (const void *obj, struct oci_vctx *c)
{
  const struct oci_image_layout *x = obj;
  if (!oci_is_semver (x->image_layout_version) || strncmp (x->image_layout_version, "1.", 2) != 0)
    return oci_verr (c, "imageLayoutVersion", "unsupported version \"%s\" (expected 1.x.y)",
                     x->image_layout_version);
  return 0;
}

const struct oci_check oci_image_checks[] = {
  { &oci_image_descriptor__type, check_descriptor },
  { &oci_image_platform__type, check_platform },
  { &oci_image_index__type, check_index },
  { &oci_image_manifest__type, check_manifest },
  { &oci_image_config__type, check_image_config },
  { &oci_image_rootfs__type, check_rootfs },
  { &oci_image_history__type, check_history },
  { &oci_image_layout__type, check_layout },
  { NULL, NULL },
};
