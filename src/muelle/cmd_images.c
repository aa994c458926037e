/* muelle images, tag, rmi, prune: the store's names.  */
#include <config.h>
#include "build_cache.h"
#include "cmd_common.h"
#include "cleanup.h"
#include "digest.h"
#include "image_select.h"
#include "pull.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* "docker.io/library/busybox:latest" -> repository and tag ("<none>"
 * for untagged or digest-only names).  */
static void
split_name (const char *name, char **repo, char **tag)
{
  const char *at, *slash, *colon;

  if (name == NULL)
    {
      *repo = strdup ("<none>");
      *tag = strdup ("<none>");
      return;
    }
  at = strchr (name, '@');
  slash = strrchr (name, '/');
  colon = strrchr (name, ':');
  if (at)
    {
      const char *c2 = memrchr (name, ':', at - name);
      if (c2 && (slash == NULL || c2 > slash))
        {
          *repo = strndup (name, c2 - name);
          *tag = strndup (c2 + 1, at - c2 - 1);
        }
      else
        {
          *repo = strndup (name, at - name);
          *tag = strdup ("<none>");
        }
      return;
    }
  if (colon && (slash == NULL || colon > slash))
    {
      *repo = strndup (name, colon - name);
      *tag = strdup (colon + 1);
      return;
    }
  *repo = strdup (name);
  *tag = strdup ("<none>");
}

static const char *
short_id (const char *digest, char buf[13])
{
  if (!digest_valid (digest))
    return "<unknown>";
  snprintf (buf, 13, "%s", digest_hex (digest));
  return buf;
}

static void
gen_str (yajl_gen g, const char *s)
{
  if (s)
    yajl_gen_string (g, (const unsigned char *) s, strlen (s));
  else
    yajl_gen_null (g);
}

/* An index entry stands for the image of the host's platform, as for
 * muelle bundle: its id, creation time and size (index + manifest +
 * config + layers).  An index without one (pulled for another platform)
 * is listed without id, quietly: inspect --platform reads it.  */
static void
fill_index_entry (struct muelle_store *store, struct store_image *img)
{
  struct oci_image_descriptor named = { .media_type = img->media_type, .digest = img->manifest_digest };
  struct oci_image_descriptor *chosen = NULL;
  struct oci_image_manifest *manifest = NULL;
  struct oci_image_config *config = NULL;
  estiba_error_t err = NULL;
  size_t i;

  if (img->config_digest != NULL || !pull_is_index_media_type (img->media_type))
    return;
  if (image_select_platform (store, &named, NULL, &chosen, &err) < 0
      || store_load_image (store, chosen, &manifest, &config, &err) < 0)
    {
      estiba_error_release (&err);
      oci_image_descriptor_free (chosen);
      return;
    }
  img->config_digest = strdup (manifest->config->digest);
  img->created = config->created ? strdup (config->created) : NULL;
  img->size += chosen->size + manifest->config->size;
  for (i = 0; i < manifest->layers_len; i++)
    img->size += manifest->layers[i].size;
  oci_image_config_free (config);
  oci_image_manifest_free (manifest);
  oci_image_descriptor_free (chosen);
}

static void
print_images_json (const struct store_image *images, size_t len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t blen, i;

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_array_open (g);
  for (i = 0; i < len; i++)
    {
      cleanup_free char *repo = NULL;
      cleanup_free char *tag = NULL;
      split_name (images[i].name, &repo, &tag);
      yajl_gen_map_open (g);
      gen_str (g, "Id");
      gen_str (g, images[i].config_digest);
      gen_str (g, "Name");
      gen_str (g, images[i].name);
      gen_str (g, "Repository");
      gen_str (g, repo);
      gen_str (g, "Tag");
      gen_str (g, tag);
      gen_str (g, "Digest");
      gen_str (g, images[i].manifest_digest);
      gen_str (g, "MediaType");
      gen_str (g, images[i].media_type);
      gen_str (g, "Created");
      gen_str (g, images[i].created);
      gen_str (g, "Size");
      yajl_gen_integer (g, images[i].size);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_get_buf (g, &buf, &blen);
  fwrite (buf, 1, blen, stdout);
  yajl_gen_free (g);
}

static void
print_images_table (const struct store_image *images, size_t len, bool all)
{
  size_t i;

  printf ("%-40s %-16s %-12s %-22s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
  for (i = 0; i < len; i++)
    {
      cleanup_free char *repo = NULL;
      cleanup_free char *tag = NULL;
      char id[13], age[64], size[32];

      if (images[i].name == NULL && !all)
        continue;
      split_name (images[i].name, &repo, &tag);
      muelle_format_age (images[i].created, age, sizeof (age));
      muelle_format_size (images[i].size, size, sizeof (size));
      printf ("%-40s %-16s %-12s %-22s %s\n", repo, tag, short_id (images[i].config_digest, id), age, size);
    }
}

int
cmd_images (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "all", no_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  struct muelle_store *store;
  struct store_image *images = NULL;
  const char *format = "table";
  bool quiet = ctx->quiet, all = false;
  size_t len = 0, i;
  int c;

  while ((c = getopt_long (argc, argv, "+:f:qa", options, NULL)) != -1)
    switch (c)
      {
        case 'f':
          format = optarg;
          break;
        case 'q':
          quiet = true;
          break;
        case 'a':
          all = true;
          break;
        default:
          return muelle_option_error ("images", c, argv, err);
      }
  if (optind != argc)
    return muelle_usage_error ("images", "[--format table|json] [-q] [-a]", err);
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return estiba_error (err, 0, "images: unknown format `%s`: expected table or json", format);
  store = store_open (ctx->root, err);
  if (store == NULL)
    return -1;
  if (store_list (store, &images, &len, err) < 0)
    {
      store_close (store);
      return -1;
    }
  for (i = 0; i < len; i++)
    fill_index_entry (store, &images[i]);
  if (quiet)
    {
      for (i = 0; i < len; i++)
        {
          char id[13];
          size_t j;
          bool dup = false;
          for (j = 0; j < i; j++)
            dup |= images[j].config_digest && images[i].config_digest
                   && strcmp (images[j].config_digest, images[i].config_digest) == 0;
          if (!dup && (all || images[i].name))
            printf ("%s\n", short_id (images[i].config_digest, id));
        }
    }
  else if (strcmp (format, "json") == 0)
    print_images_json (images, len);
  else
    print_images_table (images, len, all);
  store_image_list_free (images, len);
  store_close (store);
  return 0;
}

int
cmd_tag (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  struct oci_image_descriptor *desc = NULL;
  struct muelle_store *store;
  int c, i, ret = 0;

  while ((c = getopt (argc, argv, "+:")) != -1)
    return muelle_option_error ("tag", c, argv, err);
  if (argc - optind < 2)
    return muelle_usage_error ("tag", "IMAGE NEW_NAME...", err);
  store = store_open (ctx->root, err);
  if (store == NULL)
    return -1;
  if (muelle_resolve_image (store, argv[optind], &desc, err) < 0)
    {
      store_close (store);
      return -1;
    }
  for (i = optind + 1; i < argc && ret == 0; i++)
    {
      cleanup_free char *name = NULL;
      ret = muelle_normalise_name (argv[i], &name, err);
      if (ret == 0 && strchr (name, '@') != NULL)
        ret = estiba_error (err, 0, "tag: `%s`: a new name cannot contain a digest", argv[i]);
      if (ret == 0)
        ret = store_tag (store, name, desc, err);
    }
  oci_image_descriptor_free (desc);
  store_close (store);
  return ret;
}

/* The tag `what` names, exactly or as a short name; NULL if none.  */
static char *
find_tag (const struct store_image *images, size_t len, const char *what)
{
  cleanup_free char *norm = NULL;
  size_t i;

  muelle_normalise_name (what, &norm, NULL);
  for (i = 0; i < len; i++)
    if (images[i].name
        && (strcmp (images[i].name, what) == 0 || (norm && strcmp (images[i].name, norm) == 0)))
      return strdup (images[i].name);
  return NULL;
}

static bool
manifest_listed (struct muelle_store *store, const char *digest)
{
  struct store_image *images = NULL;
  size_t len = 0, i;
  bool found = false;

  if (store_list (store, &images, &len, NULL) < 0)
    return true;
  for (i = 0; i < len; i++)
    found |= strcmp (images[i].manifest_digest, digest) == 0;
  store_image_list_free (images, len);
  return found;
}

static int
rmi_one (struct muelle_store *store, const char *what, bool force, estiba_error_t *err)
{
  struct store_image *images = NULL;
  struct oci_image_descriptor *desc = NULL;
  cleanup_free char *tag = NULL;
  cleanup_free char *digest = NULL;
  size_t len = 0, i, names = 0;
  int ret = -1;

  if (store_list (store, &images, &len, err) < 0)
    return -1;
  tag = find_tag (images, len, what);
  if (tag)
    {
      for (i = 0; i < len; i++)
        if (images[i].name && strcmp (images[i].name, tag) == 0)
          digest = strdup (images[i].manifest_digest);
      if (store_untag (store, tag, err) < 0)
        goto out;
      printf ("Untagged: %s\n", tag);
    }
  else
    {
      if (muelle_resolve_image (store, what, &desc, err) < 0)
        goto out;
      digest = strdup (desc->digest);
      for (i = 0; i < len; i++)
        names += strcmp (images[i].manifest_digest, digest) == 0 && images[i].name;
      if (names > 1 && !force)
        {
          estiba_error (err, 0, "rmi: image `%s` has %zu names: remove them one by one or use --force", what,
                        names);
          goto out;
        }
      for (i = 0; i < len; i++)
        if (strcmp (images[i].manifest_digest, digest) == 0 && images[i].name)
          printf ("Untagged: %s\n", images[i].name);
      if (store_untag_digest (store, digest, err) < 0)
        goto out;
    }
  /* Deleted when nothing in the index points at the manifest any more.  */
  if (!manifest_listed (store, digest))
    printf ("Deleted: %s\n", digest);
  ret = 0;
out:
  oci_image_descriptor_free (desc);
  store_image_list_free (images, len);
  return ret;
}

int
cmd_rmi (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  struct muelle_store *store;
  bool force = false;
  int c, i, ret = 0;

  while ((c = getopt_long (argc, argv, "+:f", options, NULL)) != -1)
    switch (c)
      {
        case 'f':
          force = true;
          break;
        default:
          return muelle_option_error ("rmi", c, argv, err);
      }
  if (optind >= argc)
    return muelle_usage_error ("rmi", "[-f] IMAGE...", err);
  /* Exclusive: the blobs of removed images are deleted right away.  */
  store = store_open_exclusive (ctx->root, err);
  if (store == NULL)
    return -1;
  for (i = optind; i < argc && ret == 0; i++)
    ret = rmi_one (store, argv[i], force, err);
  if (ret == 0 && store_prune (store, NULL, err) < 0)
    ret = -1;
  store_close (store);
  return ret;
}

int
cmd_prune (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  struct muelle_store *store;
  int64_t bytes = 0;
  char size[32];
  int c, n, build_entries = 0;

  while ((c = getopt (argc, argv, "+:")) != -1)
    return muelle_option_error ("prune", c, argv, err);
  if (optind != argc)
    return muelle_usage_error ("prune", "", err);
  store = store_open_exclusive (ctx->root, err);
  if (store == NULL)
    return -1;
  /* Blobs first: the build cache entries whose layer went with them go
     next.  */
  n = store_prune (store, &bytes, err);
  if (n >= 0 && build_cache_prune (store, &build_entries, err) < 0)
    n = -1;
  store_close (store);
  if (n < 0)
    return -1;
  muelle_format_size (bytes, size, sizeof (size));
  if (!ctx->quiet)
    printf ("Removed %d blob%s, %s freed\n", n, n == 1 ? "" : "s", size);
  if (!ctx->quiet && build_entries > 0)
    printf ("Removed %d build cache entr%s\n", build_entries, build_entries == 1 ? "y" : "ies");
  return 0;
}
