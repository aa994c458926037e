/* Store → registry: blobs first (skip, mount or upload), manifest last.  */
#include <config.h>
#include "push.h"
#include "cleanup.h"
#include "digest.h"
#include "ocispec.h"
#include "pull.h"
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

/* A repository of dest's registry that the store says holds this
 * manifest too (it was pulled from or pushed to there), for a mount.  */
static int
find_mount_source (struct muelle_store *store, const char *manifest_digest, const struct image_ref *dest,
                   char **from, estiba_error_t *err)
{
  struct store_image *images = NULL;
  size_t n = 0, i;
  int ret = store_list (store, &images, &n, err);

  *from = NULL;
  if (ret < 0)
    return ret;
  for (i = 0; i < n && *from == NULL; i++)
    {
      cleanup_error estiba_error_t ignored = NULL;
      struct image_ref *r = NULL;

      if (images[i].name == NULL || strcmp (images[i].manifest_digest, manifest_digest) != 0)
        continue;
      if (reference_parse (images[i].name, NULL, &r, &ignored) < 0)
        continue;
      if (strcmp (r->domain, dest->domain) == 0 && strcmp (r->path, dest->path) != 0)
        *from = strdup (r->path);
      reference_free (r);
    }
  store_image_list_free (images, n);
  return 0;
}

static int
push_blob (struct muelle_store *store, struct registry *reg, const struct oci_image_descriptor *d,
           const char *kind, const char *mount_from, FILE *progress, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  int ret;

  if (!digest_valid (d->digest))
    return estiba_error (err, 0, "push: %s digest \"%s\" is not a sha256 digest", kind,
                         d->digest ? d->digest : "");
  ret = registry_blob_exists (reg, d->digest, err);
  if (ret < 0)
    return ret;
  if (ret > 0)
    {
      if (progress)
        fprintf (progress, "Copying %s %s skipped: already exists\n", kind, d->digest);
      return 0;
    }
  if (store_has_blob (store, d->digest) <= 0)
    return estiba_error (err, 0, "push: %s %s is missing from the store", kind, d->digest);
  path = store_blob_path (store, d->digest);
  if (path == NULL)
    return estiba_error (err, ENOMEM, "push");
  ret = registry_upload_blob (reg, path, d->digest, d->size, mount_from, err);
  if (ret < 0)
    return ret;
  if (progress)
    fprintf (progress, "Copying %s %s %s\n", kind, d->digest, ret > 0 ? "mounted" : "done");
  return 0;
}

/* The media type in the manifest itself, or NULL.  */
static char *
body_media_type (const char *body)
{
  yajl_val tree = yajl_tree_parse (body, NULL, 0);
  const char *path[] = { "mediaType", NULL };
  yajl_val mt = tree ? yajl_tree_get (tree, path, yajl_t_string) : NULL;
  char *s = mt ? strdup (mt->u.string) : NULL;

  if (tree)
    yajl_tree_free (tree);
  return s;
}

/* Push the blobs of one image manifest and the manifest under key.  */
static int
push_manifest (struct muelle_store *store, struct registry *reg, const struct oci_image_descriptor *desc,
               const char *key, const char *mount_from, FILE *progress, estiba_error_t *err)
{
  cleanup_free char *body = NULL;
  cleanup_free char *perr = NULL;
  cleanup_free char *returned = NULL;
  cleanup_free char *media_type = NULL;
  struct oci_image_manifest *m = NULL;
  size_t len, i;
  int ret;

  ret = store_read_blob (store, desc->digest, &body, &len, err);
  if (ret < 0)
    return ret;
  media_type = desc->media_type ? strdup (desc->media_type) : body_media_type (body);
  if (media_type == NULL)
    media_type = strdup ("application/vnd.oci.image.manifest.v1+json");

  if (pull_is_index_media_type (media_type))
    {
      struct oci_image_index *index = oci_image_index_parse_data (body, len, desc->digest, &perr);
      if (index == NULL)
        return estiba_error (err, 0, "push: malformed index %s: %s", desc->digest, perr);
      for (i = 0; i < index->manifests_len && ret == 0; i++)
        ret = push_manifest (store, reg, &index->manifests[i], index->manifests[i].digest, mount_from,
                             progress, err);
      oci_image_index_free (index);
    }
  else
    {
      m = oci_image_manifest_parse_data (body, len, desc->digest, &perr);
      if (m == NULL || m->config == NULL)
        {
          oci_image_manifest_free (m);
          return estiba_error (err, 0, "push: malformed manifest %s: %s", desc->digest,
                               perr ? perr : "no config");
        }
      for (i = 0; i < m->layers_len && ret == 0; i++)
        ret = push_blob (store, reg, &m->layers[i], "blob", mount_from, progress, err);
      if (ret == 0)
        ret = push_blob (store, reg, m->config, "config", mount_from, progress, err);
      oci_image_manifest_free (m);
    }
  if (ret < 0)
    return ret;

  if (progress)
    fprintf (progress, "Writing manifest %s\n", desc->digest);
  ret = registry_put_manifest (reg, key, media_type, body, len, &returned, err);
  if (ret < 0)
    return ret;
  if (returned && strncmp (returned, "sha256:", 7) == 0 && strcmp (returned, desc->digest) != 0)
    return estiba_error (err, 0, "push: the registry stored manifest %s as %s", desc->digest, returned);
  return 0;
}

int
push_image (struct muelle_store *store, const char *source, const struct image_ref *dest,
            const struct registry_options *opts, char **digest_out, estiba_error_t *err)
{
  cleanup_free char *dest_name = reference_string (dest);
  cleanup_free char *mount_from = NULL;
  struct oci_image_descriptor *desc = NULL;
  struct registry *reg = NULL;
  int ret;

  ret = store_resolve (store, source, &desc, err);
  if (ret < 0)
    return ret;
  if (dest->digest && strcmp (dest->digest, desc->digest) != 0)
    {
      ret = estiba_error (err, 0, "push %s: the image's manifest digest is %s", dest_name, desc->digest);
      goto out;
    }
  ret = find_mount_source (store, desc->digest, dest, &mount_from, err);
  if (ret == 0)
    ret = registry_open (dest->domain, dest->path, "pull,push", opts, &reg, err);
  if (ret == 0 && mount_from)
    ret = registry_add_pull_scope (reg, mount_from, err);
  if (ret == 0 && opts->progress)
    fprintf (opts->progress, "Pushing %s to %s\n", source, dest_name);
  if (ret == 0)
    ret = push_manifest (store, reg, desc, reference_manifest_key (dest), mount_from, opts->progress, err);
  if (ret == 0)
    {
      *digest_out = strdup (desc->digest);
      if (*digest_out == NULL)
        ret = estiba_error (err, ENOMEM, "push");
    }
out:
  if (ret < 0 && dest_name)
    {
      /* Name the image when the failure did not already.  */
      if (err && *err && strstr ((*err)->msg, dest_name) == NULL && strncmp ((*err)->msg, "push", 4) != 0)
        estiba_error_wrap (err, "push %s", dest_name);
    }
  registry_close (reg);
  oci_image_descriptor_free (desc);
  return ret;
}
