/* muelle pull [OPTIONS] NAME[:TAG|@DIGEST]  */
#include <config.h>
#include "commands.h"
#include "cleanup.h"
#include "digest.h"
#include "pull.h"
#include "reference.h"
#include "registry_cli.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum
{
  OPT_PLATFORM = 2000,
};

static const char pull_usage[] = "Usage: muelle pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
                                 "Download an image from a registry into the store and print its id.\n\n"
                                 "  --platform OS/ARCH[/VARIANT]  image to take from a multi-platform index\n"
                                 "                                (default: this host's)\n" REGISTRY_CLI_HELP;

int
cmd_pull (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "platform", required_argument, NULL, OPT_PLATFORM },
    { "help", no_argument, NULL, 'h' },
    REGISTRY_CLI_OPTIONS,
    { NULL, 0, NULL, 0 },
  };
  struct registry_cli cli;
  struct image_platform platform = { 0 };
  bool have_platform = false;
  cleanup_image_ref struct image_ref *ref = NULL;
  cleanup_free char *default_domain = NULL;
  struct muelle_store *store = NULL;
  struct pull_result result = { 0 };
  struct pull_options opts;
  int c, ret = 0;

  registry_cli_init (&cli, ctx);
  optind = 0;
  opterr = 0;
  while (ret >= 0 && (c = getopt_long (argc, argv, "+qh", options, NULL)) != -1)
    {
      ret = registry_cli_option (&cli, c, optarg, err);
      if (ret != 0)
        continue;
      switch (c)
        {
          case OPT_PLATFORM:
            platform_clear (&platform);
            ret = platform_parse (optarg, &platform, err);
            have_platform = true;
            break;
          case 'h':
            fputs (pull_usage, stdout);
            registry_cli_clear (&cli);
            return 0;
          default:
            ret = estiba_error (err, 0, "pull: unknown or incomplete option \"%s\" (see muelle pull --help)",
                                argv[optind - 1]);
        }
    }
  if (ret >= 0 && argc - optind != 1)
    ret = estiba_error (err, 0, "pull: expected one image name (see muelle pull --help)");
  if (ret >= 0)
    ret = reference_default_domain (cli.default_registry, &default_domain, err);
  if (ret >= 0)
    ret = reference_parse (argv[optind], default_domain, &ref, err);
  if (ret >= 0)
    {
      registry_cli_finish (&cli);
      store = store_open (ctx->root, err);
      if (store == NULL)
        ret = -1;
    }
  if (ret >= 0)
    {
      opts.registry = cli.opts;
      opts.platform = have_platform ? &platform : NULL;
      ret = pull_image (store, ref, &opts, &result, err);
    }
  if (ret >= 0)
    {
      if (!cli.quiet)
        fprintf (stderr, "Digest: %s\n", result.manifest_digest);
      printf ("%s\n", digest_hex (result.image_id));
    }
  pull_result_clear (&result);
  if (store)
    store_close (store);
  platform_clear (&platform);
  registry_cli_clear (&cli);
  return ret < 0 ? ret : 0;
}
