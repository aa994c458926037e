/* estiba exec: run a new process inside a running container.  */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

/* runc exits 255 when exec itself fails, so callers can tell that from
 * the exit status of the process run in the container.  */
#define EXEC_FAILED_STATUS 255

static bool
is_number (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

/* -u: "uid" or "uid:gid", numbers only (runc does not look names up).  */
static int
check_user (const char *user, estiba_error_t *err)
{
  const char *colon = strchr (user, ':');
  cleanup_free char *uid = strndup (user, colon ? (size_t) (colon - user) : strlen (user));

  if (uid == NULL)
    return estiba_error_errno (err, "copy --user");
  if (!is_number (uid) || (colon && !is_number (colon + 1)))
    return estiba_error (err, 0, "exec: invalid --user '%s': expected <uid>[:<gid>] as numbers", user);
  return 0;
}

static int
check_options (const struct estiba_exec_options *opts, const struct cli_list *cgroups, size_t nargs,
               estiba_error_t *err)
{
  size_t i;

  if (opts->process_path == NULL && nargs < 2)
    return estiba_error (err, 0, "exec: missing <command> (or -p process.json) (see 'estiba exec --help')");
  if (opts->process_path != NULL && nargs > 1)
    return estiba_error (err, 0, "exec: both --process and a command given; use one");
  if (opts->user && check_user (opts->user, err) < 0)
    return -1;
  for (i = 0; opts->additional_gids && opts->additional_gids[i]; i++)
    if (!is_number (opts->additional_gids[i]))
      return estiba_error (err, 0, "exec: invalid --additional-gids '%s': expected a number",
                           opts->additional_gids[i]);
  /* The library takes one [controller:]path today.  */
  if (cgroups->len > 1)
    return estiba_error (err, 0, "exec: --cgroup given %zu times: only one is supported", cgroups->len);
  return 0;
}

int
command_exec (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  struct estiba_exec_options opts = { 0 };
  cleanup_cli_list struct cli_list env = { 0 };
  cleanup_cli_list struct cli_list gids = { 0 };
  cleanup_cli_list struct cli_list caps = { 0 };
  cleanup_cli_list struct cli_list cgroups = { 0 };
  cleanup_free char **args = NULL;
  const char *pidfd_socket = NULL;
  bool ignore_paused = false;
  size_t nargs;
  int ret;
  const struct cli_option options[] = {
    { "console-socket", 0, CLI_STRING, &opts.console_socket, "PATH", HELP_CONSOLE_SOCKET },
    { "cwd", 0, CLI_STRING, &opts.cwd, "DIR", "current working directory in the container" },
    { "env", 'e', CLI_STRING_LIST, &env, "KEY=VALUE", "set an environment variable" },
    { "tty", 't', CLI_BOOL, &opts.tty, NULL, "allocate a pseudo-TTY" },
    { "user", 'u', CLI_STRING, &opts.user, "UID[:GID]", "run as this user (numeric uid and gid)" },
    { "additional-gids", 'g', CLI_STRING_LIST, &gids, "GID", "an additional group id" },
    { "process", 'p', CLI_STRING, &opts.process_path, "FILE", "path to the process.json" },
    { "detach", 'd', CLI_BOOL, &opts.detach, NULL, "detach from the container's process" },
    { "pid-file", 0, CLI_STRING, &opts.pid_file, "PATH", HELP_PID_FILE },
    { "process-label", 0, CLI_STRING, &opts.process_label, "LABEL",
      "set the asm process label for the process commonly used with selinux" },
    { "apparmor", 0, CLI_STRING, &opts.apparmor, "PROFILE", "set the apparmor profile for the process" },
    { "no-new-privs", 0, CLI_BOOL, &opts.no_new_privs, NULL,
      "set the no new privileges value for the process" },
    { "cap", 'c', CLI_STRING_LIST, &caps, "CAP", "add a capability to the bounding set for the process" },
    { "preserve-fds", 0, CLI_INT, &opts.preserve_fds, "N", HELP_PRESERVE_FDS },
    { "cgroup", 0, CLI_STRING_LIST, &cgroups, "[CONTROLLER:]PATH",
      "run the process in an (existing) sub-cgroup of the container" },
    { "ignore-paused", 0, CLI_BOOL, &ignore_paused, NULL, "allow exec in a paused container" },
    { "pidfd-socket", 0, CLI_STRING, &pidfd_socket, "PATH", HELP_PIDFD_SOCKET },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = "<container-id> <command> [args...]  ||  -p process.json <container-id>",
    .summary = "execute new process inside the container",
    .description = "<command> can't be empty unless a \"-p\" flag is given.  Options end at the\n"
                   "container id: what follows is the command and its own arguments.\n"
                   "\n"
                   "Example: list the processes of the container \"ubuntu01\":\n"
                   "\n"
                   "       # estiba exec ubuntu01 ps",
    .options = options,
    .min_args = 1,
    .max_args = CLI_UNLIMITED,
    .stop_at_first_arg = true,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;

  opts.id = args[0];
  /* "estiba exec ID -- cmd": the "--" only separates.  */
  opts.args = nargs > 1 && strcmp (args[1], "--") == 0 ? args + 2 : args + 1;
  if (nargs > 1 && strcmp (args[1], "--") == 0)
    nargs--;
  opts.env = env.items;
  opts.additional_gids = gids.items;
  opts.caps = caps.items;
  opts.cgroup = cgroups.len ? cgroups.items[0] : NULL;
  if (check_options (&opts, &cgroups, nargs, err) < 0)
    return -1;
  if (pidfd_socket != NULL)
    return estiba_error (err, 0, "exec: --pidfd-socket is not supported yet");
  if (opts.process_path != NULL)
    opts.args = NULL;

  ret = estiba_container_exec (ctx, &opts, err);
  if (ret < 0)
    return command_fail_with_status (err, EXEC_FAILED_STATUS);
  return ret;
}
