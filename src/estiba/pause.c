/* estiba pause and resume: freeze and thaw a container's processes.  */
#include <config.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

static int
freezer_command (struct estiba_context *ctx, bool pause, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  size_t nargs;
  int ret;
  const struct cli_option options[] = { { NULL, 0, 0, NULL, NULL, NULL } };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = pause ? "suspend all processes inside the container"
                     : "resume all processes that have been previously paused",
    .description = pause ? "The pause command suspends all processes in the instance of the container.\n"
                           "Use estiba list to identify instances of containers and their current status."
                         : "The resume command resumes all processes in the instance of the container.\n"
                           "Use estiba list to identify instances of containers and their current status.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  ret = pause ? estiba_container_pause (ctx, args[0], err) : estiba_container_resume (ctx, args[0], err);
  return ret < 0 ? ret : 0;
}

int
command_pause (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  return freezer_command (ctx, true, argc, argv, err);
}

int
command_resume (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  return freezer_command (ctx, false, argc, argv, err);
}
