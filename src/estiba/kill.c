/* estiba kill: send a signal to a container's init process.  */
#include <config.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

int
command_kill (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  bool all = false;
  const char *signal;
  size_t nargs;
  int ret;
  const struct cli_option options[] = {
    { "all", 'a', CLI_BOOL, &all, NULL, "send the signal to all processes inside the container" },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID " [signal]",
    .summary = "send a signal (default: SIGTERM) to the container's init process",
    .description = "[signal] is a name with or without SIG (KILL, SIGKILL) or a number (9).\n"
                   "\n"
                   "Example: send KILL to the init process of the container \"ubuntu01\":\n"
                   "\n"
                   "       # estiba kill ubuntu01 KILL",
    .options = options,
    .min_args = 1,
    .max_args = 2,
    /* As runc: options end at the container id.  */
    .stop_at_first_arg = true,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  signal = nargs > 1 ? args[1] : "SIGTERM";
  /* A bad signal is a usage error, reported before the container is looked up.  */
  if (estiba_parse_signal (signal) < 0)
    return estiba_error (err, 0, "kill: unknown signal '%s'", signal);
  ret = estiba_container_kill (ctx, args[0], signal, all, err);
  return ret < 0 ? ret : 0;
}
