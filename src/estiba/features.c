/* estiba features: print the runtime-spec features document.  */
#include <config.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"
#include "runtime_features.h"

int
command_features (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  cleanup_free char *json = NULL;
  cleanup_free char *oci_err = NULL;
  struct oci_features *features;
  size_t nargs;
  int ret;
  const struct cli_option options[] = { { NULL, 0, 0, NULL, NULL, NULL } };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = "",
    .summary = "show the enabled features",
    .description = "Show the features estiba implements as the JSON features structure of the OCI\n"
                   "runtime specification (features.md).",
    .options = options,
    .min_args = 0,
    .max_args = 0,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  features = estiba_features (err);
  if (features == NULL)
    return -1;
  json = oci_features_generate (features, true, &oci_err);
  oci_features_free (features);
  if (json == NULL)
    return estiba_error (err, 0, "features: generate JSON: %s", oci_err ? oci_err : "unknown error");
  printf ("%s\n", json);
  return 0;
}
