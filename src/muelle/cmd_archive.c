/* muelle save and load.  */
#include <config.h>
#include "archive_io.h"
#include "cmd_common.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int
cmd_save (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "output", required_argument, NULL, 'o' },
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  struct save_image *images;
  struct muelle_store *store;
  enum archive_kind kind = ARCHIVE_KIND_DOCKER;
  const char *output = NULL;
  int c, i, n = 0, ret = -1;

  while ((c = getopt_long (argc, argv, "+:o:f:", options, NULL)) != -1)
    switch (c)
      {
        case 'o':
          output = optarg;
          break;
        case 'f':
          if (strcmp (optarg, "oci-archive") == 0)
            kind = ARCHIVE_KIND_OCI;
          else if (strcmp (optarg, "docker-archive") == 0)
            kind = ARCHIVE_KIND_DOCKER;
          else
            return estiba_error (err, 0, "save: unknown format `%s`: expected oci-archive or docker-archive",
                                 optarg);
          break;
        default:
          return muelle_option_error ("save", c, argv, err);
      }
  if (output == NULL || optind >= argc)
    return muelle_usage_error ("save", "-o FILE [--format oci-archive|docker-archive] IMAGE...", err);
  store = store_open (ctx->root, err);
  if (store == NULL)
    return -1;
  images = calloc (argc - optind + 1, sizeof (*images));
  if (images == NULL)
    abort ();
  for (i = optind; i < argc; i++, n++)
    {
      char *name = NULL;
      if (muelle_resolve_image (store, argv[i], &images[n].desc, err) < 0)
        goto out;
      /* Saved under the name it was asked by, when that is a name.  */
      if (muelle_normalise_name (argv[i], &name, NULL) == 0
          && strcmp (descriptor_ref_name (images[n].desc) ? descriptor_ref_name (images[n].desc) : "", name)
               == 0)
        images[n].name = name;
      else
        {
          free (name);
          images[n].name =
            descriptor_ref_name (images[n].desc) && strcmp (argv[i], images[n].desc->digest) != 0
              ? strdup (descriptor_ref_name (images[n].desc))
              : NULL;
        }
    }
  ret = archive_save (store, output, kind, images, n, err);
out:
  for (i = 0; i < n + (ret < 0 && images[n].desc ? 1 : 0); i++)
    {
      oci_image_descriptor_free (images[i].desc);
      free (images[i].name);
    }
  free (images);
  store_close (store);
  return ret;
}

int
cmd_load (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "input", required_argument, NULL, 'i' },
    { NULL, 0, NULL, 0 },
  };
  struct muelle_store *store;
  const char *input = NULL;
  int c, ret;

  while ((c = getopt_long (argc, argv, "+:i:", options, NULL)) != -1)
    switch (c)
      {
        case 'i':
          input = optarg;
          break;
        default:
          return muelle_option_error ("load", c, argv, err);
      }
  if (input == NULL && optind < argc)
    input = argv[optind++];
  if (input == NULL || optind != argc)
    return muelle_usage_error ("load", "-i FILE", err);
  /* Exclusive, so the blobs of a failed load can be taken back.  */
  store = store_open_exclusive (ctx->root, err);
  if (store == NULL || store_track_new_blobs (store, err) < 0)
    {
      store_close (store);
      return -1;
    }
  ret = archive_load (store, input, ctx->quiet, err);
  if (ret < 0)
    store_discard_new_blobs (store);
  store_close (store);
  return ret;
}
