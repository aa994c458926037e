/* muelle push [OPTIONS] IMAGE [DESTINATION]  */
#include <config.h>
#include "commands.h"
#include "cleanup.h"
#include "ocispec.h"
#include "push.h"
#include "reference.h"
#include "registry_cli.h"
#include "store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum
{
  OPT_DIGESTFILE = 2000,
};

static const char push_usage[] =
  "Usage: muelle push [OPTIONS] IMAGE [[docker://]DESTINATION]\n\n"
  "Upload an image from the store to a registry (DESTINATION defaults to IMAGE's\n"
  "name) and print the manifest digest.\n\n"
  "  --digestfile FILE      also write the manifest digest to FILE\n" REGISTRY_CLI_HELP;

/* The store name a user's IMAGE stands for: its normalised reference when
 * the store has it, else IMAGE as given (digest or id prefix).  */
static char *
source_lookup_name (struct muelle_store *store, const char *image, const char *default_domain)
{
  cleanup_error estiba_error_t ignored = NULL;
  cleanup_image_ref struct image_ref *ref = NULL;
  struct oci_image_descriptor *desc = NULL;
  char *name;

  if (reference_parse (image, default_domain, &ref, &ignored) < 0)
    return strdup (image);
  name = reference_store_name (ref);
  if (name && store_resolve (store, name, &desc, &ignored) == 0)
    {
      oci_image_descriptor_free (desc);
      return name;
    }
  free (name);
  return strdup (image);
}

static int
write_digest_file (const char *path, const char *digest, estiba_error_t *err)
{
  cleanup_fclose FILE *f = fopen (path, "we");
  if (f == NULL)
    return estiba_error_errno (err, "--digestfile: open %s", path);
  if (fputs (digest, f) < 0 || fflush (f) != 0)
    return estiba_error_errno (err, "--digestfile: write %s", path);
  return 0;
}

int
cmd_push (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "digestfile", required_argument, NULL, OPT_DIGESTFILE },
    { "help", no_argument, NULL, 'h' },
    REGISTRY_CLI_OPTIONS,
    { NULL, 0, NULL, 0 },
  };
  struct registry_cli cli;
  const char *digestfile = NULL, *dest_text;
  cleanup_image_ref struct image_ref *dest = NULL;
  cleanup_free char *default_domain = NULL;
  cleanup_free char *source = NULL;
  cleanup_free char *digest = NULL;
  struct muelle_store *store = NULL;
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
          case OPT_DIGESTFILE:
            digestfile = optarg;
            break;
          case 'h':
            fputs (push_usage, stdout);
            registry_cli_clear (&cli);
            return 0;
          default:
            ret = estiba_error (err, 0, "push: unknown or incomplete option \"%s\" (see muelle push --help)",
                                argv[optind - 1]);
        }
    }
  if (ret >= 0 && (argc - optind < 1 || argc - optind > 2))
    ret = estiba_error (err, 0, "push: expected IMAGE [DESTINATION] (see muelle push --help)");
  if (ret >= 0)
    ret = reference_default_domain (cli.default_registry, &default_domain, err);
  if (ret >= 0)
    {
      dest_text = argc - optind == 2 ? argv[optind + 1] : argv[optind];
      if (strncmp (dest_text, "docker://", 9) == 0)
        dest_text += 9;
      ret = reference_parse (dest_text, default_domain, &dest, err);
      if (ret < 0 && argc - optind == 1)
        estiba_error_wrap (err, "push: give a DESTINATION for an image named by id or digest");
    }
  if (ret >= 0)
    {
      registry_cli_finish (&cli);
      store = store_open (ctx->root, err);
      if (store == NULL)
        ret = -1;
    }
  if (ret >= 0)
    {
      source = source_lookup_name (store, argv[optind], default_domain);
      if (source == NULL)
        ret = estiba_error (err, ENOMEM, "push");
    }
  if (ret >= 0)
    ret = push_image (store, source, dest, &cli.opts, &digest, err);
  if (ret >= 0 && digestfile)
    ret = write_digest_file (digestfile, digest, err);
  if (ret >= 0)
    printf ("%s\n", digest);
  if (store)
    store_close (store);
  registry_cli_clear (&cli);
  return ret < 0 ? ret : 0;
}
