/* estiba delete: release everything a container holds.  */
#include <config.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

int
command_delete (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  bool force = false;
  size_t nargs;
  int ret;
  const struct cli_option options[] = {
    { "force", 'f', CLI_BOOL, &force, NULL,
      "forcibly delete the container if it is still running (uses SIGKILL)" },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = "delete any resources held by the container, often used with a detached container",
    .description = "Example: when \"estiba list\" shows the container \"ubuntu01\" as \"stopped\",\n"
                   "this deletes the resources held for it and removes it from the list:\n"
                   "\n"
                   "       # estiba delete ubuntu01",
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  ret = estiba_container_delete (ctx, args[0], force, err);
  return ret < 0 ? ret : 0;
}
