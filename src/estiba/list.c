/* estiba list: the containers under the state root.  */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

int
command_list (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  const char *format = "table";
  bool quiet = false;
  size_t nargs;
  int ret;
  const struct cli_option options[] = {
    { "format", 'f', CLI_STRING, &format, "FORMAT", "select one of: table (default) or json" },
    { "quiet", 'q', CLI_BOOL, &quiet, NULL, "display only container IDs" },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = "",
    .summary = "list containers started by estiba with the given root",
    .description = "The root is the global option \"--root\" (default: \"" ESTIBA_DEFAULT_STATE_ROOT "\").\n"
                   "\n"
                   "Examples:\n"
                   "       # estiba list\n"
                   "       # estiba --root /run/other list --format json",
    .options = options,
    .min_args = 0,
    .max_args = 0,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return estiba_error (err, 0, "list: invalid --format '%s': expected 'table' or 'json'", format);
  ret = estiba_container_list (ctx, format, quiet, stdout, err);
  return ret < 0 ? ret : 0;
}
