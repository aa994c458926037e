/* estiba state: print the state of a container as JSON.  */
#include <config.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

int
command_state (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  size_t nargs;
  int ret;
  const struct cli_option options[] = { { NULL, 0, 0, NULL, NULL, NULL } };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = "output the state of a container",
    .description = "The state command outputs current state information for the instance of a\n"
                   "container, as the JSON state of the OCI runtime specification.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  ret = estiba_container_state (ctx, args[0], stdout, err);
  return ret < 0 ? ret : 0;
}
