/* FROM: the base image of a stage (see build_from.h).  */
#include <config.h>
#include "build_from.h"
#include "cleanup.h"
#include "cmd_common.h"
#include "image_select.h"
#include "pull.h"
#include "reference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
build_image_state_clear (struct build_image_state *s)
{
  size_t i;

  oci_image_config_free (s->config);
  for (i = 0; i < s->n_layers; i++)
    {
      free (s->layers[i].media_type);
      free (s->layers[i].digest);
    }
  free (s->layers);
  memset (s, 0, sizeof (*s));
}

static void
copy_descriptor (struct oci_image_descriptor *dst, const struct oci_image_descriptor *src)
{
  memset (dst, 0, sizeof (*dst));
  dst->media_type = oci_strdup (src->media_type);
  dst->digest = oci_strdup (src->digest);
  dst->size = src->size;
}

void
build_image_state_add_layer (struct build_image_state *s, const struct oci_image_descriptor *layer)
{
  struct oci_image_descriptor *d = OCI_APPEND (s->layers, s->n_layers);

  copy_descriptor (d, layer);
}

static struct oci_image_config *
config_copy (const struct oci_image_config *config, estiba_error_t *err)
{
  char *perr = NULL;
  cleanup_free char *json = oci_image_config_generate (config, false, &perr);
  struct oci_image_config *copy = NULL;

  if (json != NULL)
    copy = oci_image_config_parse_data (json, strlen (json), "image config", &perr);
  if (copy == NULL)
    estiba_error (err, 0, "copy image config: %s", perr ? perr : "out of memory");
  free (perr);
  return copy;
}

int
build_image_state_copy (struct build_image_state *dst, const struct build_image_state *src,
                        estiba_error_t *err)
{
  size_t i;

  memset (dst, 0, sizeof (*dst));
  dst->config = config_copy (src->config, err);
  if (dst->config == NULL)
    return -1;
  for (i = 0; i < src->n_layers; i++)
    copy_descriptor (OCI_APPEND (dst->layers, dst->n_layers), &src->layers[i]);
  return 0;
}

int
build_from_scratch (const char *platform, struct build_image_state *out, estiba_error_t *err)
{
  struct image_platform p = { 0 };
  struct oci_image_config *c;

  memset (out, 0, sizeof (*out));
  if (platform != NULL ? platform_parse (platform, &p, err) < 0 : platform_host (&p, err) < 0)
    return -1;
  c = oci_image_config_new ();
  c->architecture = oci_strdup (p.arch);
  c->os = oci_strdup (p.os);
  c->variant = oci_strdup (p.variant);
  c->rootfs = oci_xzalloc (sizeof (*c->rootfs));
  c->rootfs->type = oci_strdup ("layers");
  /* An empty image still has (empty) diff_ids: the spec requires it.  */
  c->rootfs->diff_ids = oci_xzalloc (sizeof (char *));
  platform_clear (&p);
  out->config = c;
  return 0;
}

/* Pull name from its registry; *stored is the name it got in the store.  */
static int
pull_base (struct muelle_store *store, const char *name, const struct image_platform *platform, char **stored,
           estiba_error_t *err)
{
  cleanup_image_ref struct image_ref *ref = NULL;
  cleanup_free char *domain = NULL;
  struct pull_result result = { 0 };
  struct pull_options opts = { 0 };

  if (reference_default_domain (NULL, &domain, err) < 0 || reference_parse (name, domain, &ref, err) < 0)
    return -1;
  opts.registry.tls_verify = true;
  opts.registry.retries = -1;
  opts.platform = platform;
  if (pull_image (store, ref, &opts, &result, err) < 0)
    return estiba_error_wrap (err, "pull `%s`", name);
  *stored = steal_pointer (&result.name);
  pull_result_clear (&result);
  return 0;
}

static int
load_state (struct muelle_store *store, const struct oci_image_descriptor *desc,
            const struct image_platform *platform, const char *name, struct build_image_state *out,
            estiba_error_t *err)
{
  struct oci_image_descriptor *manifest_desc = NULL;
  struct oci_image_manifest *manifest = NULL;
  size_t i;
  int ret = -1;

  if (image_select_platform (store, desc, platform, &manifest_desc, err) < 0)
    return estiba_error_wrap (err, "base image `%s`", name);
  if (store_load_image (store, manifest_desc, &manifest, &out->config, err) < 0)
    {
      estiba_error_wrap (err, "base image `%s`", name);
      goto out;
    }
  if (out->config->rootfs == NULL || out->config->rootfs->diff_ids_len != manifest->layers_len)
    {
      estiba_error (err, 0, "base image `%s`: %zu layers but %zu diff_ids", name, manifest->layers_len,
                    out->config->rootfs ? out->config->rootfs->diff_ids_len : 0);
      goto out;
    }
  for (i = 0; i < manifest->layers_len; i++)
    copy_descriptor (OCI_APPEND (out->layers, out->n_layers), &manifest->layers[i]);
  ret = 0;
out:
  oci_image_manifest_free (manifest);
  oci_image_descriptor_free (manifest_desc);
  if (ret < 0)
    build_image_state_clear (out);
  return ret;
}

int
build_from_image (struct muelle_store *store, const char *name, const char *platform, bool pull,
                  struct build_image_state *out, estiba_error_t *err)
{
  struct image_platform p = { 0 };
  struct oci_image_descriptor *desc = NULL;
  cleanup_free char *pulled = NULL;
  estiba_error_t missing = NULL;
  int ret = -1;

  memset (out, 0, sizeof (*out));
  if (platform != NULL && platform_parse (platform, &p, err) < 0)
    return -1;
  if (!pull && muelle_resolve_image (store, name, &desc, &missing) == 0)
    ret = 0;
  else
    {
      estiba_error_release (&missing);
      if (pull_base (store, name, platform ? &p : NULL, &pulled, err) == 0)
        ret = muelle_resolve_image (store, pulled, &desc, err);
    }
  if (ret == 0)
    ret = load_state (store, desc, platform ? &p : NULL, name, out, err);
  oci_image_descriptor_free (desc);
  platform_clear (&p);
  return ret;
}
