/* muelle import TARBALL|- [NAME]: a root filesystem tar becomes a
 * one-layer image, as `docker import` makes it.  */
#include <config.h>
#include "cmd_common.h"
#include "cleanup.h"
#include "image_change.h"
#include "image_write.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMPORT_USAGE "[-c INSTRUCTION]... [-m MESSAGE] TARBALL|- [NAME]"

static struct oci_image_config *
import_config (const char *source, const char *message, estiba_error_t *err)
{
  struct oci_image_config *config = oci_image_config_new ();
  struct oci_image_history *h;
  cleanup_free char *now = muelle_now_rfc3339 ();
  const char *variant = NULL;
  if (config == NULL || now == NULL)
    {
      oci_image_config_free (config);
      estiba_error (err, ENOMEM, "image config");
      return NULL;
    }
  config->created = oci_strdup (now);
  config->architecture = oci_strdup (muelle_host_architecture (&variant));
  config->variant = oci_strdup (variant);
  config->os = oci_strdup ("linux");
  config->rootfs = oci_xzalloc (sizeof (*config->rootfs));
  config->rootfs->type = oci_strdup ("layers");
  h = OCI_APPEND (config->history, config->history_len);
  h->created = oci_strdup (now);
  if (asprintf (&h->created_by, "muelle import %s", source) < 0)
    abort ();
  h->comment = oci_strdup (message);
  return config;
}

int
cmd_import (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "change", required_argument, NULL, 'c' },
    { "message", required_argument, NULL, 'm' },
    { NULL, 0, NULL, 0 },
  };
  struct oci_image_config *config = NULL;
  struct oci_image_descriptor layer = { 0 };
  struct oci_image_descriptor *manifest_desc = NULL;
  struct muelle_store *store = NULL;
  cleanup_free char *name = NULL;
  cleanup_free char *diff_id = NULL;
  cleanup_free char *image_id = NULL;
  const char **changes = NULL;
  const char *message = NULL, *source;
  size_t n_changes = 0, i;
  int c, fd = -1, ret = -1;

  changes = calloc (argc + 1, sizeof (char *));
  if (changes == NULL)
    return estiba_error (err, ENOMEM, "import");
  while ((c = getopt_long (argc, argv, "+:c:m:", options, NULL)) != -1)
    switch (c)
      {
        case 'c':
          changes[n_changes++] = optarg;
          break;
        case 'm':
          message = optarg;
          break;
        default:
          free (changes);
          return muelle_option_error ("import", c, argv, err);
      }
  if (argc - optind < 1 || argc - optind > 2)
    {
      free (changes);
      return muelle_usage_error ("import", IMPORT_USAGE, err);
    }
  source = argv[optind];
  if (argc - optind == 2 && muelle_normalise_name (argv[optind + 1], &name, err) < 0)
    goto out;

  if (strcmp (source, "-") == 0)
    fd = dup (STDIN_FILENO);
  else
    fd = open (source, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      estiba_error_errno (err, "import: open `%s`", source);
      goto out;
    }
  store = store_open (ctx->root, err);
  if (store == NULL)
    goto out;
  /* Check the changes before anything enters the store.  */
  config = import_config (strcmp (source, "-") == 0 ? "(stdin)" : source, message, err);
  if (config == NULL)
    goto out;
  for (i = 0; i < n_changes; i++)
    if (image_apply_change (config, changes[i], err) < 0)
      goto out;
  if (layer_write_from_fd (store, fd, source, &layer, &diff_id, err) < 0)
    goto out;
  oci_strv_append (&config->rootfs->diff_ids, &config->rootfs->diff_ids_len, diff_id);
  if (image_write (store, config, &layer, 1, name, &manifest_desc, &image_id, err) < 0)
    goto out;
  printf ("%s\n", image_id);
  ret = 0;
out:
  if (fd >= 0)
    close (fd);
  free (layer.media_type);
  free (layer.digest);
  free (changes);
  oci_image_config_free (config);
  oci_image_descriptor_free (manifest_desc);
  store_close (store);
  return ret;
}
