/* estiba start: run the user process of a created container.  */
#include <config.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

int
command_start (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  size_t nargs;
  int ret;
  const struct cli_option options[] = { { NULL, 0, 0, NULL, NULL, NULL } };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = "execute the user defined process in a created container",
    .description = "The start command executes the user defined process in a created container.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  ret = estiba_container_start (ctx, args[0], err);
  return ret < 0 ? ret : 0;
}
