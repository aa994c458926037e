/* Registry → store: manifest resolution, platform choice, verified blob
 * downloads, then the manifest and the tag (last, so a failed pull never
 * leaves a tag or a manifest pointing at missing blobs).  */
#include <config.h>
#include "pull.h"
#include "cleanup.h"
#include "digest.h"
#include "ocispec.h"
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <yajl/yajl_tree.h>

#define MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_SCHEMA1  "application/vnd.docker.distribution.manifest.v1"

bool
pull_is_index_media_type (const char *mt)
{
  return mt && (strcmp (mt, MT_OCI_INDEX) == 0 || strcmp (mt, MT_DOCKER_LIST) == 0);
}

bool
pull_is_manifest_media_type (const char *mt)
{
  return mt && (strcmp (mt, MT_OCI_MANIFEST) == 0 || strcmp (mt, MT_DOCKER_MANIFEST) == 0);
}

/* Layer media types muelle can unpack (image-spec layer.md and Docker's).  */
static bool
layer_media_type_known (const char *mt)
{
  static const char *const known[] = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    NULL,
  };
  size_t i;
  for (i = 0; mt && known[i]; i++)
    if (strcmp (mt, known[i]) == 0)
      return true;
  return false;
}

void
platform_clear (struct image_platform *p)
{
  free (p->os);
  free (p->arch);
  free (p->variant);
  memset (p, 0, sizeof (*p));
}

int
platform_parse (const char *text, struct image_platform *out, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (text);
  char *parts[4] = { NULL, NULL, NULL, NULL };
  char *save = NULL, *s;
  size_t n = 0;

  memset (out, 0, sizeof (*out));
  if (copy == NULL)
    return estiba_error (err, ENOMEM, "platform");
  for (s = strtok_r (copy, "/", &save); s && n < 4; s = strtok_r (NULL, "/", &save))
    parts[n++] = s;
  if (n < 2 || n > 3 || strspn (text, "abcdefghijklmnopqrstuvwxyz0123456789_/.-") != strlen (text)
      || strstr (text, "//") || text[strlen (text) - 1] == '/')
    return estiba_error (err, 0, "invalid platform \"%s\": expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8",
                         text);
  out->os = strdup (parts[0]);
  out->arch = strdup (parts[1]);
  out->variant = n == 3 ? strdup (parts[2]) : NULL;
  if (out->os == NULL || out->arch == NULL || (n == 3 && out->variant == NULL))
    return estiba_error (err, ENOMEM, "platform");
  return 0;
}

int
platform_host (struct image_platform *out, estiba_error_t *err)
{
  /* uname machine → GOARCH names the image-spec uses.  */
  static const struct
  {
    const char *machine, *arch, *variant;
  } map[] = {
    { "x86_64", "amd64", NULL },
    { "aarch64", "arm64", NULL },
    { "armv7l", "arm", "v7" },
    { "armv6l", "arm", "v6" },
    { "i686", "386", NULL },
    { "i386", "386", NULL },
    { "ppc64le", "ppc64le", NULL },
    { "s390x", "s390x", NULL },
    { "riscv64", "riscv64", NULL },
    { "mips64", "mips64", NULL },
    { "loongarch64", "loong64", NULL },
  };
  struct utsname u;
  size_t i;

  memset (out, 0, sizeof (*out));
  if (uname (&u) < 0)
    return estiba_error_errno (err, "uname");
  out->os = strdup ("linux");
  out->arch = strdup (u.machine);
  for (i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if (strcmp (u.machine, map[i].machine) == 0)
      {
        free (out->arch);
        out->arch = strdup (map[i].arch);
        out->variant = map[i].variant ? strdup (map[i].variant) : NULL;
      }
  if (out->os == NULL || out->arch == NULL)
    return estiba_error (err, ENOMEM, "platform");
  return 0;
}

void
pull_result_clear (struct pull_result *r)
{
  free (r->manifest_digest);
  free (r->image_id);
  free (r->name);
  memset (r, 0, sizeof (*r));
}

/* arm64's only variant is v8: absent and "v8" are the same platform.  */
static bool
variant_matches (const char *arch, const char *want, const char *have)
{
  if (want == NULL)
    return true;
  if (have == NULL || *have == '\0')
    return strcmp (arch, "arm64") == 0 && strcmp (want, "v8") == 0;
  return strcmp (want, have) == 0;
}

static char *
platform_string (const char *os, const char *arch, const char *variant)
{
  char *s = NULL;
  if (asprintf (&s, "%s/%s%s%s", os ? os : "?", arch ? arch : "?", variant && *variant ? "/" : "",
                variant && *variant ? variant : "")
      < 0)
    return NULL;
  return s;
}

/* The index entry for the platform, or an error listing the ones there are.  */
int
platform_choose (const struct oci_image_index *index, const struct image_platform *want, const char *what,
                 const struct oci_image_descriptor **out, estiba_error_t *err)
{
  cleanup_free char *available = NULL;
  cleanup_free char *wanted = platform_string (want->os, want->arch, want->variant);
  size_t i, len = 0;
  FILE *f;

  for (i = 0; i < index->manifests_len; i++)
    {
      const struct oci_image_descriptor *d = &index->manifests[i];
      const struct oci_image_platform *p = d->platform;
      if (p && p->os && p->architecture && strcmp (p->os, want->os) == 0
          && strcmp (p->architecture, want->arch) == 0
          && variant_matches (want->arch, want->variant, p->variant))
        {
          *out = d;
          return 0;
        }
    }
  f = open_memstream (&available, &len);
  if (f == NULL)
    return estiba_error_errno (err, "platform list");
  for (i = 0; i < index->manifests_len; i++)
    {
      const struct oci_image_platform *p = index->manifests[i].platform;
      cleanup_free char *s = p ? platform_string (p->os, p->architecture, p->variant) : NULL;
      if (s)
        fprintf (f, "%s%s", ftell (f) ? ", " : "", s);
    }
  fclose (f);
  return estiba_error (err, 0, "%s: no image for platform %s (available: %s)", what, wanted ? wanted : "?",
                       available && *available ? available : "none");
}

/* The manifest's media type: its "mediaType" member, else the
 * Content-Type, else guessed from the members (OCI allows no mediaType).  */
static int
manifest_media_type (const char *body, const char *content_type, const char *what, char **out,
                     estiba_error_t *err)
{
  char errbuf[256] = "";
  yajl_val tree = yajl_tree_parse (body, errbuf, sizeof errbuf);
  const char *mt_path[] = { "mediaType", NULL };
  const char *manifests_path[] = { "manifests", NULL };
  const char *schema_path[] = { "schemaVersion", NULL };
  yajl_val mt, schema;
  const char *result = NULL;

  if (tree == NULL || !YAJL_IS_OBJECT (tree))
    {
      if (tree)
        yajl_tree_free (tree);
      return estiba_error (err, 0, "%s: malformed manifest: %s", what,
                           tree ? "not a JSON object" : strtok (errbuf, "\n"));
    }
  schema = yajl_tree_get (tree, schema_path, yajl_t_number);
  mt = yajl_tree_get (tree, mt_path, yajl_t_string);
  if (schema && YAJL_IS_INTEGER (schema) && YAJL_GET_INTEGER (schema) == 1)
    result = MT_DOCKER_SCHEMA1;
  else if (mt)
    result = YAJL_GET_STRING (mt);
  else if (content_type
           && (pull_is_index_media_type (content_type) || pull_is_manifest_media_type (content_type)))
    result = content_type;
  else
    result = yajl_tree_get (tree, manifests_path, yajl_t_array) ? MT_OCI_INDEX : MT_OCI_MANIFEST;
  *out = strdup (result);
  yajl_tree_free (tree);
  if (strncmp (*out, MT_DOCKER_SCHEMA1, strlen (MT_DOCKER_SCHEMA1)) == 0)
    return estiba_error (
      err, 0, "%s: Docker schema 1 manifests are not supported (push it again with a current client)", what);
  if (!pull_is_index_media_type (*out) && !pull_is_manifest_media_type (*out))
    return estiba_error (err, 0, "%s: unsupported manifest media type \"%s\"", what, *out);
  return 0;
}

/* Check the bytes against the digest the user pinned or the registry sent.  */
static int
check_manifest_digest (const char *body, size_t len, const char *expected, const char *header,
                       const char *what, char **digest_out, estiba_error_t *err)
{
  cleanup_free char *actual = digest_buffer (body, len);

  if (actual == NULL)
    return estiba_error (err, ENOMEM, "digest");
  if (expected && strncmp (expected, "sha256:", 7) != 0)
    return estiba_error (err, 0, "%s: unsupported digest algorithm (muelle verifies sha256 only)", what);
  if (expected && strcmp (expected, actual) != 0)
    return estiba_error (err, 0, "%s: digest mismatch: the registry sent content with digest %s", what,
                         actual);
  if (header && strncmp (header, "sha256:", 7) == 0 && strcmp (header, actual) != 0)
    return estiba_error (err, 0, "%s: digest mismatch: Docker-Content-Digest says %s, content is %s", what,
                         header, actual);
  *digest_out = steal_pointer (&actual);
  return 0;
}

/* A descriptor we are about to fetch must name a sha256 blob with a size.  */
static int
check_descriptor (const struct oci_image_descriptor *d, const char *role, const char *what,
                  estiba_error_t *err)
{
  if (d == NULL || d->digest == NULL)
    return estiba_error (err, 0, "%s: malformed manifest: %s has no digest", what, role);
  if (!digest_valid (d->digest))
    return estiba_error (err, 0, "%s: %s digest \"%s\" is not a sha256 digest muelle can verify", what, role,
                         d->digest);
  if (d->size < 0)
    return estiba_error (err, 0, "%s: malformed manifest: %s %s has a negative size", what, role, d->digest);
  return 0;
}

static int
check_image_manifest (const struct oci_image_manifest *m, const char *what, estiba_error_t *err)
{
  size_t i;
  int ret;

  if (m->schema_version != 2)
    return estiba_error (err, 0, "%s: malformed manifest: schemaVersion is %d, expected 2", what,
                         m->schema_version);
  ret = check_descriptor (m->config, "config", what, err);
  if (ret < 0)
    return ret;
  if (m->config->media_type == NULL
      || (strcmp (m->config->media_type, MT_OCI_CONFIG) != 0
          && strcmp (m->config->media_type, MT_DOCKER_CONFIG) != 0))
    return estiba_error (err, 0, "%s: not a container image (config media type \"%s\")", what,
                         m->config->media_type ? m->config->media_type : "");
  for (i = 0; i < m->layers_len; i++)
    {
      ret = check_descriptor (&m->layers[i], "layer", what, err);
      if (ret < 0)
        return ret;
      if (!layer_media_type_known (m->layers[i].media_type))
        return estiba_error (err, 0, "%s: layer %s has unsupported media type \"%s\"", what,
                             m->layers[i].digest, m->layers[i].media_type ? m->layers[i].media_type : "");
    }
  return 0;
}

/* The config must describe the layers it comes with (config.md: one
 * diff_id per layer) and the platform we asked for.  */
static int
check_config_data (const char *data, size_t len, const struct oci_image_manifest *m,
                   const struct image_platform *want, bool check_platform, const char *what,
                   estiba_error_t *err)
{
  cleanup_free char *perr = NULL;
  struct oci_image_config *config;
  int ret = 0;

  config = oci_image_config_parse_data (data, len, m->config->digest, &perr);
  if (config == NULL)
    return estiba_error (err, 0, "%s: malformed image config: %s", what, perr);
  if (oci_image_config_validate (config, &perr) < 0)
    {
      oci_image_config_free (config);
      return estiba_error (err, 0, "%s: malformed image config: %s", what, perr);
    }
  if (config->rootfs == NULL || config->rootfs->diff_ids_len != m->layers_len)
    ret = estiba_error (err, 0, "%s: image config lists %zu layer diff_ids but the manifest has %zu layers",
                        what, config->rootfs ? config->rootfs->diff_ids_len : 0, m->layers_len);
  else if (check_platform && config->os && config->architecture
           && (strcmp (config->os, want->os) != 0 || strcmp (config->architecture, want->arch) != 0))
    ret = estiba_error (err, 0, "%s: image is for %s/%s, not %s/%s (use --platform %s/%s to pull it anyway)",
                        what, config->os, config->architecture, want->os, want->arch, config->os,
                        config->architecture);
  oci_image_config_free (config);
  return ret;
}

struct config_check
{
  struct muelle_store *store;
  const struct oci_image_manifest *manifest;
  const struct image_platform *want;
  bool check_platform;
  const char *what;
};

/* The config is already in the store (an earlier pull).  */
static int
check_stored_config (const struct config_check *c, estiba_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len;

  if (store_read_blob (c->store, c->manifest->config->digest, &data, &len, err) < 0)
    return estiba_error_wrap (err, "%s", c->what);
  return check_config_data (data, len, c->manifest, c->want, c->check_platform, c->what, err);
}

/* The gate of the layer downloads (registry_fetch_blobs_gated): the config
 * just downloaded, not yet in the store.  */
static int
check_config_gate (void *opaque, struct blob_writer *const *firsts, size_t n_first, estiba_error_t *err)
{
  struct config_check *c = opaque;
  cleanup_free char *data = NULL;
  size_t len;

  if (n_first != 1 || blob_writer_read (firsts[0], MAX_JSON_BLOB, &data, &len, err) < 0)
    return estiba_error_wrap (err, "%s: image config", c->what);
  return check_config_data (data, len, c->manifest, c->want, c->check_platform, c->what, err);
}

struct fetched_manifest
{
  char *body;
  size_t len;
  char *media_type;
  char *digest;
};

static void
fetched_manifest_clear (struct fetched_manifest *f)
{
  free (f->body);
  free (f->media_type);
  free (f->digest);
  memset (f, 0, sizeof (*f));
}
#define cleanup_fetched __attribute__ ((cleanup (fetched_manifest_clear)))

/* GET a manifest by tag or digest and verify its bytes.  */
static int
fetch_manifest (struct registry *reg, const char *key, const char *pinned_digest, int64_t expected_size,
                const char *what, struct fetched_manifest *out, estiba_error_t *err)
{
  cleanup_free char *content_type = NULL;
  cleanup_free char *header_digest = NULL;
  int ret;

  ret = registry_get_manifest (reg, key, &out->body, &out->len, &content_type, &header_digest, err);
  if (ret < 0)
    return ret;
  if (expected_size >= 0 && (int64_t) out->len != expected_size)
    return estiba_error (err, 0, "%s: manifest is %zu bytes, its descriptor says %lld", what, out->len,
                         (long long) expected_size);
  ret = check_manifest_digest (out->body, out->len, pinned_digest, header_digest, what, &out->digest, err);
  if (ret < 0)
    return ret;
  return manifest_media_type (out->body, content_type, what, &out->media_type, err);
}

/* Config and layers not yet in the store, each digest once.  */
static int
missing_blobs (struct muelle_store *store, const struct oci_image_manifest *m, struct registry_blob **out,
               size_t *n, FILE *progress, estiba_error_t *err)
{
  struct registry_blob *blobs = calloc (m->layers_len + 1, sizeof (*blobs));
  size_t i, j, count = 0;

  if (blobs == NULL)
    return estiba_error (err, ENOMEM, "blob list");
  for (i = 0; i <= m->layers_len; i++)
    {
      const struct oci_image_descriptor *d = i == 0 ? m->config : &m->layers[i - 1];
      const char *kind = i == 0 ? "config" : "blob";
      bool dup = false;

      for (j = 0; j < count; j++)
        dup |= strcmp (blobs[j].digest, d->digest) == 0;
      if (dup)
        continue;
      if (store_has_blob (store, d->digest) > 0)
        {
          if (progress)
            fprintf (progress, "Copying %s %s skipped: already exists\n", kind, d->digest);
          continue;
        }
      blobs[count].digest = d->digest;
      blobs[count].size = d->size;
      blobs[count].kind = kind;
      count++;
    }
  *out = blobs;
  *n = count;
  return 0;
}

static struct oci_image_descriptor *
manifest_descriptor (const struct fetched_manifest *fm, const struct image_platform *platform)
{
  struct oci_image_descriptor *d = oci_image_descriptor_new ();
  if (d == NULL)
    return NULL;
  d->media_type = oci_strdup (fm->media_type);
  d->digest = oci_strdup (fm->digest);
  OCI_SET (d, size, (int64_t) fm->len);
  if (platform)
    {
      d->platform = oci_xzalloc (sizeof (*d->platform));
      d->platform->os = oci_strdup (platform->os);
      d->platform->architecture = oci_strdup (platform->arch);
      d->platform->variant = oci_strdup (platform->variant);
    }
  return d;
}

/* From an index or manifest list, fetch the manifest for `want`.  */
static int
fetch_platform_manifest (struct registry *reg, const struct fetched_manifest *top,
                         const struct image_platform *want, const char *name, const char *what,
                         struct fetched_manifest *child, estiba_error_t *err)
{
  cleanup_free char *perr = NULL;
  struct oci_image_index *index = oci_image_index_parse_data (top->body, top->len, name, &perr);
  const struct oci_image_descriptor *d = NULL;
  int ret;

  if (index == NULL)
    return estiba_error (err, 0, "%s: malformed image index: %s", what, perr);
  if (oci_image_index_validate (index, &perr) < 0)
    {
      oci_image_index_free (index);
      return estiba_error (err, 0, "%s: malformed image index: %s", what, perr);
    }
  ret = platform_choose (index, want, what, &d, err);
  if (ret == 0)
    ret = check_descriptor (d, "manifest", what, err);
  if (ret == 0 && !pull_is_manifest_media_type (d->media_type))
    ret = estiba_error (err, 0, "%s: index entry %s has media type \"%s\", not an image manifest", what,
                        d->digest, d->media_type ? d->media_type : "");
  if (ret == 0)
    ret = fetch_manifest (reg, d->digest, d->digest, d->size, what, child, err);
  if (ret == 0 && !pull_is_manifest_media_type (child->media_type))
    ret = estiba_error (err, 0, "%s: index entry %s is not an image manifest", what, child->digest);
  oci_image_index_free (index);
  return ret;
}

int
pull_image (struct muelle_store *store, const struct image_ref *ref, const struct pull_options *opts,
            struct pull_result *result, estiba_error_t *err)
{
  cleanup_free char *name = reference_string (ref);
  cleanup_free char *what = NULL;
  cleanup_fetched struct fetched_manifest top = { 0 };
  cleanup_fetched struct fetched_manifest child = { 0 };
  cleanup_free struct registry_blob *blobs = NULL;
  cleanup_free char *perr = NULL;
  struct image_platform host = { 0 };
  const struct image_platform *want = opts->platform;
  struct fetched_manifest *chosen = &top;
  struct oci_image_manifest *manifest = NULL;
  struct oci_image_descriptor *desc = NULL;
  struct registry *reg = NULL;
  FILE *progress = opts->registry.progress;
  struct config_check config_check;
  size_t n_blobs = 0, n_config;
  int ret;

  memset (result, 0, sizeof (*result));
  if (name == NULL || asprintf (&what, "pull %s", name) < 0)
    return estiba_error (err, ENOMEM, "pull");
  if (want == NULL)
    {
      ret = platform_host (&host, err);
      if (ret < 0)
        return ret;
      want = &host;
    }
  ret = registry_open (ref->domain, ref->path, "pull", &opts->registry, &reg, err);
  if (ret < 0)
    goto out;
  ret = fetch_manifest (reg, reference_manifest_key (ref), ref->digest, -1, what, &top, err);
  if (ret < 0)
    goto out;

  if (pull_is_index_media_type (top.media_type))
    {
      ret = fetch_platform_manifest (reg, &top, want, name, what, &child, err);
      if (ret < 0)
        goto out;
      chosen = &child;
    }

  manifest = oci_image_manifest_parse_data (chosen->body, chosen->len, chosen->digest, &perr);
  if (manifest == NULL)
    {
      ret = estiba_error (err, 0, "%s: malformed manifest: %s", what, perr);
      goto out;
    }
  if (oci_image_manifest_validate (manifest, &perr) < 0)
    {
      ret = estiba_error (err, 0, "%s: malformed manifest: %s", what, perr);
      goto out;
    }
  ret = check_image_manifest (manifest, what, err);
  if (ret < 0)
    goto out;
  if (progress)
    fprintf (progress, "Pulling %s (manifest %s)\n", name, chosen->digest);

  ret = missing_blobs (store, manifest, &blobs, &n_blobs, progress, err);
  if (ret < 0)
    goto out;
  /* A malformed config must stop the pull before any layer enters the
     store: the layers download alongside the config (no round trip lost
     waiting for it) but are committed only once it is checked.  */
  n_config = n_blobs > 0 && strcmp (blobs[0].kind, "config") == 0 ? 1 : 0;
  config_check.store = store;
  config_check.manifest = manifest;
  config_check.want = want;
  /* A single-platform image is checked only against an explicit
     --platform: without one, any image the user named is fine.  */
  config_check.check_platform = chosen != &child && opts->platform != NULL;
  config_check.what = what;
  ret = n_config ? 0 : check_stored_config (&config_check, err);
  if (ret == 0)
    ret = registry_fetch_blobs_gated (reg, store, blobs, n_blobs, n_config, check_config_gate, &config_check,
                                      err);
  if (ret < 0)
    goto out;

  /* The exact bytes, so the digest is the registry's.  */
  if (progress)
    fprintf (progress, "Writing manifest to image destination\n");
  ret = store_put_blob (store, chosen->body, chosen->len, chosen->digest, NULL, err);
  if (ret < 0)
    goto out;
  desc = manifest_descriptor (chosen, chosen == &child ? want : NULL);
  result->name = reference_store_name (ref);
  result->manifest_digest = strdup (chosen->digest);
  result->image_id = strdup (manifest->config->digest);
  if (desc == NULL || result->name == NULL || result->manifest_digest == NULL || result->image_id == NULL)
    {
      ret = estiba_error (err, ENOMEM, "pull");
      goto out;
    }
  ret = store_tag (store, result->name, desc, err);

out:
  if (ret < 0)
    pull_result_clear (result);
  oci_image_descriptor_free (desc);
  oci_image_manifest_free (manifest);
  registry_close (reg);
  platform_clear (&host);
  return ret;
}
