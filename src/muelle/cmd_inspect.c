/* muelle inspect and history: reading one image.  A name that points at
 * an image index (or Docker manifest list) stands for the image of the
 * host's platform, or of --platform, as for muelle bundle.  */
#include <config.h>
#include "cmd_common.h"
#include "cleanup.h"
#include "digest.h"
#include "image_select.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loaded_image
{
  struct muelle_store *store;
  struct oci_image_descriptor *named; /* what the name points at: a manifest or an index */
  struct oci_image_descriptor *desc;  /* the platform's manifest */
  struct oci_image_manifest *manifest;
  struct oci_image_config *config;
};

static void
loaded_image_free (struct loaded_image *img)
{
  oci_image_config_free (img->config);
  oci_image_manifest_free (img->manifest);
  oci_image_descriptor_free (img->desc);
  oci_image_descriptor_free (img->named);
  store_close (img->store);
}

static int
load_image (struct muelle_context *ctx, const char *what, const struct image_platform *platform,
            struct loaded_image *img, estiba_error_t *err)
{
  memset (img, 0, sizeof (*img));
  img->store = store_open (ctx->root, err);
  if (img->store == NULL)
    return -1;
  if (muelle_resolve_image (img->store, what, &img->named, err) < 0
      || image_select_platform (img->store, img->named, platform, &img->desc, err) < 0
      || store_load_image (img->store, img->desc, &img->manifest, &img->config, err) < 0)
    {
      loaded_image_free (img);
      return -1;
    }
  return 0;
}

/* --platform: replaces an earlier one.  */
static int
parse_platform (const char *command, const char *text, struct image_platform *platform, estiba_error_t *err)
{
  platform_clear (platform);
  if (platform_parse (text, platform, err) < 0)
    return estiba_error_wrap (err, "%s: --platform", command);
  return 0;
}

/* Print a JSON string literal.  */
static void
print_json_string (const char *s)
{
  putchar ('"');
  for (; s && *s; s++)
    {
      unsigned char ch = (unsigned char) *s;
      if (ch == '"' || ch == '\\')
        printf ("\\%c", ch);
      else if (ch < 0x20)
        printf ("\\u%04x", ch);
      else
        putchar (ch);
    }
  putchar ('"');
}

static void
print_repo_tags (struct muelle_store *store, const char *manifest_digest)
{
  struct store_image *images = NULL;
  size_t len = 0, i;
  bool first = true;

  printf ("[");
  if (store_list (store, &images, &len, NULL) == 0)
    for (i = 0; i < len; i++)
      if (images[i].name && strcmp (images[i].manifest_digest, manifest_digest) == 0)
        {
          printf ("%s", first ? "" : ", ");
          print_json_string (images[i].name);
          first = false;
        }
  printf ("]");
  store_image_list_free (images, len);
}

int
cmd_inspect (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "type", required_argument, NULL, 't' },
    { "platform", required_argument, NULL, 'p' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_platform struct image_platform platform_buf = { 0 };
  const struct image_platform *platform = NULL;
  struct loaded_image img;
  cleanup_free char *manifest_json = NULL;
  cleanup_free char *config_json = NULL;
  cleanup_free char *perr = NULL;
  const char *type = "image";
  int c;

  while ((c = getopt_long (argc, argv, "+:t:", options, NULL)) != -1)
    switch (c)
      {
        case 't':
          type = optarg;
          break;
        case 'p':
          if (parse_platform ("inspect", optarg, &platform_buf, err) < 0)
            return -1;
          platform = &platform_buf;
          break;
        default:
          return muelle_option_error ("inspect", c, argv, err);
      }
  if (argc - optind != 1)
    return muelle_usage_error ("inspect",
                               "[--type image|manifest|config] [--platform OS/ARCH[/VARIANT]] IMAGE", err);
  if (strcmp (type, "image") != 0 && strcmp (type, "manifest") != 0 && strcmp (type, "config") != 0)
    return estiba_error (err, 0, "inspect: unknown type `%s`: expected image, manifest or config", type);
  if (load_image (ctx, argv[optind], platform, &img, err) < 0)
    return -1;
  manifest_json = oci_image_manifest_generate (img.manifest, true, &perr);
  config_json = manifest_json ? oci_image_config_generate (img.config, true, &perr) : NULL;
  if (config_json == NULL)
    {
      loaded_image_free (&img);
      return estiba_error (err, 0, "inspect: %s", perr ? perr : "cannot serialise");
    }
  if (strcmp (type, "manifest") == 0)
    printf ("%s\n", manifest_json);
  else if (strcmp (type, "config") == 0)
    printf ("%s\n", config_json);
  else
    {
      printf ("{\n\"Id\": ");
      print_json_string (img.manifest->config->digest);
      printf (",\n\"Digest\": ");
      print_json_string (img.desc->digest);
      if (strcmp (img.named->digest, img.desc->digest) != 0)
        {
          printf (",\n\"IndexDigest\": ");
          print_json_string (img.named->digest);
        }
      printf (",\n\"RepoTags\": ");
      print_repo_tags (img.store, img.named->digest);
      printf (",\n\"Manifest\": %s,\n\"Config\": %s\n}\n", manifest_json, config_json);
    }
  loaded_image_free (&img);
  return 0;
}

int
cmd_history (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "no-trunc", no_argument, NULL, 'n' },
    { "format", required_argument, NULL, 'f' },
    { "platform", required_argument, NULL, 'p' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_platform struct image_platform platform_buf = { 0 };
  const struct image_platform *platform = NULL;
  struct loaded_image img;
  const char *format = "table";
  bool no_trunc = false;
  size_t i, layer = 0;
  int c;

  while ((c = getopt_long (argc, argv, "+:f:", options, NULL)) != -1)
    switch (c)
      {
        case 'n':
          no_trunc = true;
          break;
        case 'f':
          format = optarg;
          break;
        case 'p':
          if (parse_platform ("history", optarg, &platform_buf, err) < 0)
            return -1;
          platform = &platform_buf;
          break;
        default:
          return muelle_option_error ("history", c, argv, err);
      }
  if (argc - optind != 1)
    return muelle_usage_error (
      "history", "[--no-trunc] [--format table|json] [--platform OS/ARCH[/VARIANT]] IMAGE", err);
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return estiba_error (err, 0, "history: unknown format `%s`: expected table or json", format);
  if (load_image (ctx, argv[optind], platform, &img, err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    printf ("[");
  else
    printf ("%-12s %-22s %-45s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
  /* Newest first, as docker prints it; layers belong to the entries that
   * are not empty_layer, in order.  */
  for (i = 0; i < img.config->history_len; i++)
    layer += !img.config->history[i].empty_layer;
  for (i = img.config->history_len; i-- > 0;)
    {
      const struct oci_image_history *h = &img.config->history[i];
      int64_t size = 0;
      char age[64], sz[32], id[13] = "<missing>";
      const char *by = h->created_by ? h->created_by : "";

      if (!h->empty_layer && layer > 0)
        {
          layer--;
          if (layer < img.manifest->layers_len)
            size = img.manifest->layers[layer].size;
        }
      if (i + 1 == img.config->history_len)
        snprintf (id, sizeof (id), "%s", digest_hex (img.manifest->config->digest));
      if (strcmp (format, "json") == 0)
        {
          printf ("%s\n{\"id\": ", i + 1 == img.config->history_len ? "" : ",");
          print_json_string (i + 1 == img.config->history_len ? img.manifest->config->digest : "<missing>");
          printf (", \"created\": ");
          print_json_string (h->created);
          printf (", \"createdBy\": ");
          print_json_string (by);
          printf (", \"size\": %lld, \"comment\": ", (long long) size);
          print_json_string (h->comment);
          printf (", \"emptyLayer\": %s}", h->empty_layer ? "true" : "false");
          continue;
        }
      muelle_format_age (h->created, age, sizeof (age));
      muelle_format_size (size, sz, sizeof (sz));
      printf ("%-12s %-22s %-45.*s %-10s %s\n", id, age, no_trunc ? (int) strlen (by) : 45, by, sz,
              h->comment ? h->comment : "");
    }
  if (strcmp (format, "json") == 0)
    printf ("\n]\n");
  loaded_image_free (&img);
  return 0;
}
