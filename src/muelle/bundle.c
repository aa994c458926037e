/* Image -> runtime bundle: unpack the layers, write config.json.  */
#include <config.h>
#include "bundle.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "image_select.h"
#include "layer_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
id_map_parse (const char *text, struct id_map_range *out, estiba_error_t *err)
{
  unsigned long long v[3];
  const char *p = text;
  char *end;
  int i;

  for (i = 0; i < 3; i++)
    {
      if (*p < '0' || *p > '9')
        goto bad;
      errno = 0;
      v[i] = strtoull (p, &end, 10);
      if (errno || v[i] > UINT32_MAX || *end != (i < 2 ? ':' : '\0'))
        goto bad;
      p = end + 1;
    }
  if (v[2] == 0 || v[0] + v[2] - 1 > UINT32_MAX || v[1] + v[2] - 1 > UINT32_MAX)
    goto bad;
  out->container_id = (uint32_t) v[0];
  out->host_id = (uint32_t) v[1];
  out->size = (uint32_t) v[2];
  return 0;
bad:
  return estiba_error (err, 0, "id mapping `%s`: expected CONTAINER:HOST:SIZE with SIZE > 0", text);
}

/* Apply one layer: from its blob or the cache (see layer_cache_apply).  */
static int
apply_layer (struct muelle_store *store, const struct oci_image_descriptor *layer, const char *diff_id,
             int rootfd, const struct bundle_options *opts, estiba_error_t *err)
{
  struct layer_extract_options xopts = {
    .layer_name = layer->digest,
    .uid_map = opts->uid_map,
    .uid_map_len = opts->uid_map_len,
    .gid_map = opts->gid_map,
    .gid_map_len = opts->gid_map_len,
  };

  return layer_cache_apply (store, layer, diff_id, rootfd, &xopts, err);
}

static int
write_config (int dirfd, const struct oci_config *config, estiba_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *perr = NULL;

  json = oci_config_generate (config, true, &perr);
  if (json == NULL)
    return estiba_error (err, 0, "config.json: %s", perr ? perr : "cannot serialise");
  return fs_write_file_atomic (dirfd, "config.json", json, strlen (json), err);
}

/* Refuse to write into a directory with content: it may be someone's.  */
static int
prepare_dir (const char *dir, bool *created, estiba_error_t *err)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;

  *created = false;
  /* Searchable by all: a user-namespaced container's root (an unprivileged
   * host uid) must reach rootfs; not listable.  */
  if (mkdir (dir, 0711) == 0)
    {
      *created = true;
      return 0;
    }
  if (errno != EEXIST)
    return estiba_error_errno (err, "bundle: create `%s`", dir);
  d = opendir (dir);
  if (d == NULL)
    return estiba_error_errno (err, "bundle: open `%s`", dir);
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return estiba_error (err, EEXIST, "bundle: `%s` is not empty", dir);
  return 0;
}

int
bundle_create (struct muelle_store *store, const struct oci_image_descriptor *desc, const char *dir,
               const struct bundle_options *opts, estiba_error_t *err)
{
  struct oci_image_descriptor *chosen = NULL;
  struct oci_image_manifest *manifest = NULL;
  struct oci_image_config *image = NULL;
  struct oci_config *config = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int rootfd = -1;
  bool created = false;
  int64_t root_uid, root_gid;
  size_t i;
  int ret = -1;

  if (image_select_platform (store, desc, opts->platform, &chosen, err) < 0)
    return -1;
  if (store_load_image (store, chosen, &manifest, &image, err) < 0)
    goto out;
  if (image->rootfs == NULL || image->rootfs->diff_ids_len != manifest->layers_len)
    {
      estiba_error (err, 0, "image %s: config rootfs.diff_ids lists %zu layers, the manifest %zu",
                    chosen->digest, image->rootfs ? image->rootfs->diff_ids_len : 0, manifest->layers_len);
      goto out;
    }
  if (prepare_dir (dir, &created, err) < 0)
    goto out;
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      estiba_error_errno (err, "bundle: open `%s`", dir);
      goto fail;
    }
  /* Unpack beside the final name, renamed only when complete.  */
  if (asprintf (&tmp, "%s/rootfs.tmp-XXXXXX", dir) < 0 || mkdtemp (tmp) == NULL)
    {
      estiba_error_errno (err, "bundle: create a temporary directory in `%s`", dir);
      free (tmp);
      tmp = NULL;
      goto fail;
    }
  rootfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  root_uid = id_map_lookup (opts->uid_map, opts->uid_map_len, 0);
  root_gid = id_map_lookup (opts->gid_map, opts->gid_map_len, 0);
  if (rootfd < 0 || fchmod (rootfd, 0755) < 0
      || (root_uid >= 0 && root_gid >= 0 && fchown (rootfd, (uid_t) root_uid, (gid_t) root_gid) < 0))
    {
      estiba_error_errno (err, "bundle: prepare `%s`", tmp);
      goto fail;
    }
  for (i = 0; i < manifest->layers_len; i++)
    if (apply_layer (store, &manifest->layers[i], image->rootfs->diff_ids[i], rootfd, opts, err) < 0)
      goto fail;
  config = bundle_config_from_image (image, rootfd, opts, err);
  if (config == NULL)
    goto fail;
  if (write_config (dirfd, config, err) < 0)
    goto fail;
  if (renameat (dirfd, strrchr (tmp, '/') + 1, dirfd, "rootfs") < 0)
    {
      estiba_error_errno (err, "bundle: rename `%s` to rootfs", tmp);
      goto fail;
    }
  ret = 0;
  goto out;

fail:
  if (tmp)
    fs_remove_tree (tmp, NULL);
  if (dirfd >= 0)
    unlinkat (dirfd, "config.json", 0);
  if (created)
    rmdir (dir);
out:
  oci_config_free (config);
  oci_image_config_free (image);
  oci_image_manifest_free (manifest);
  oci_image_descriptor_free (chosen);
  return ret;
}
