/* estiba create, estiba run: a container from a bundle.  */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

static const char create_args_help[] =
  "Where \"<container-id>\" is your name for the instance of the container that you\n"
  "are starting. The name you provide for the container instance must be unique on\n"
  "your host.";

static const char bundle_help[] =
  "The bundle is a directory with a specification file named \"config.json\" and a\n"
  "root filesystem.  The args of the process in the specification file are the\n"
  "command run when the container starts; see \"estiba spec --help\".";

/* Flags create and run share, and those of run alone (detach, keep,
 * no-subreaper) when `run` is set.  */
static int
parse_create_options (const char *summary, bool run, int argc, char **argv,
                      struct estiba_create_options *opts, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  cleanup_free char *description = NULL;
  const char *pidfd_socket = NULL;
  size_t nargs;
  int ret;
  const struct cli_option all_options[] = {
    { "bundle", 'b', CLI_STRING, &opts->bundle, "DIR",
      "path to the root of the bundle directory, defaults to the current directory" },
    { "console-socket", 0, CLI_STRING, &opts->console_socket, "PATH", HELP_CONSOLE_SOCKET },
    { "pid-file", 0, CLI_STRING, &opts->pid_file, "PATH", HELP_PID_FILE },
    { "no-pivot", 0, CLI_BOOL, &opts->no_pivot, NULL, HELP_NO_PIVOT },
    { "no-new-keyring", 0, CLI_BOOL, &opts->no_new_keyring, NULL,
      "do not create a new session keyring for the container; it inherits the caller's session key" },
    { "preserve-fds", 0, CLI_INT, &opts->preserve_fds, "N", HELP_PRESERVE_FDS },
    { "pidfd-socket", 0, CLI_STRING, &pidfd_socket, "PATH", HELP_PIDFD_SOCKET },
    /* run only, from here on.  */
    { "detach", 'd', CLI_BOOL, &opts->detach, NULL, "detach from the container's process" },
    { "keep", 0, CLI_BOOL, &opts->keep, NULL, "do not delete the container after it exits" },
    { "no-subreaper", 0, CLI_BOOL, &opts->no_subreaper, NULL, HELP_NO_SUBREAPER },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const size_t create_only = 7;
  struct cli_option options[sizeof all_options / sizeof all_options[0]];
  struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = summary,
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };

  memcpy (options, all_options, sizeof options);
  if (!run)
    options[create_only] = all_options[sizeof all_options / sizeof all_options[0] - 1];

  if (asprintf (&description, "%s\n\n%s", create_args_help, bundle_help) < 0)
    return estiba_error_errno (err, "allocate help text");
  cmd.description = description;

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret;
  if (pidfd_socket != NULL)
    return estiba_error (err, 0, "%s: --pidfd-socket is not supported yet", cmd.name);
  opts->id = args[0];
  return 0;
}

int
command_create (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  struct estiba_create_options opts = { 0 };
  int ret = parse_create_options ("create a container", false, argc, argv, &opts, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  ret = estiba_container_create (ctx, &opts, err);
  return ret < 0 ? ret : 0;
}

int
command_run (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  struct estiba_create_options opts = { 0 };
  int ret = parse_create_options ("create and run a container", true, argc, argv, &opts, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  /* The container's exit status (128+N when killed by signal N) becomes
   * ours, so a supervisor sees how the container ended.  */
  return estiba_container_run (ctx, &opts, err);
}
