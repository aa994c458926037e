/* muelle bundle IMAGE DIR.  */
#include <config.h>
#include "bundle.h"
#include "cmd_common.h"
#include "cleanup.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define BUNDLE_USAGE  "[--platform OS/ARCH[/VARIANT]] [--uid-map C:H:N]... [--gid-map C:H:N]... IMAGE DIR"
#define MAX_ID_RANGES 64

int
cmd_bundle (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  enum
  {
    OPT_UID_MAP = 256,
    OPT_GID_MAP,
    OPT_PLATFORM,
  };
  static const struct option options[] = {
    { "uid-map", required_argument, NULL, OPT_UID_MAP },
    { "gid-map", required_argument, NULL, OPT_GID_MAP },
    { "platform", required_argument, NULL, OPT_PLATFORM },
    { NULL, 0, NULL, 0 },
  };
  struct id_map_range uids[MAX_ID_RANGES], gids[MAX_ID_RANGES];
  struct bundle_options opts = { 0 };
  cleanup_platform struct image_platform platform = { 0 };
  struct oci_image_descriptor *desc = NULL;
  struct muelle_store *store;
  int c, ret;

  while ((c = getopt_long (argc, argv, "+:", options, NULL)) != -1)
    switch (c)
      {
        case OPT_UID_MAP:
          if (opts.uid_map_len == MAX_ID_RANGES)
            return estiba_error (err, 0, "bundle: too many --uid-map ranges");
          if (id_map_parse (optarg, &uids[opts.uid_map_len++], err) < 0)
            return estiba_error_wrap (err, "bundle: --uid-map");
          break;
        case OPT_GID_MAP:
          if (opts.gid_map_len == MAX_ID_RANGES)
            return estiba_error (err, 0, "bundle: too many --gid-map ranges");
          if (id_map_parse (optarg, &gids[opts.gid_map_len++], err) < 0)
            return estiba_error_wrap (err, "bundle: --gid-map");
          break;
        case OPT_PLATFORM:
          platform_clear (&platform);
          if (platform_parse (optarg, &platform, err) < 0)
            return estiba_error_wrap (err, "bundle: --platform");
          opts.platform = &platform;
          break;
        default:
          return muelle_option_error ("bundle", c, argv, err);
      }
  if (argc - optind != 2)
    return muelle_usage_error ("bundle", BUNDLE_USAGE, err);
  if ((opts.uid_map_len == 0) != (opts.gid_map_len == 0))
    return estiba_error (err, 0, "bundle: --uid-map and --gid-map go together");
  opts.uid_map = uids;
  opts.gid_map = gids;

  store = store_open (ctx->root, err);
  if (store == NULL)
    return -1;
  ret = muelle_resolve_image (store, argv[optind], &desc, err);
  if (ret == 0)
    ret = bundle_create (store, desc, argv[optind + 1], &opts, err);
  oci_image_descriptor_free (desc);
  store_close (store);
  return ret;
}
