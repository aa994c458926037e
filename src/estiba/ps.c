/* estiba ps: the container's processes.  -f json prints the pids as a
 * JSON array; the table runs ps(1) (with "-ef" or the given ps options)
 * and keeps the header and the lines of the container's pids, as runc
 * does.  */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

static void
print_json (const pid_t *pids, size_t n)
{
  size_t i;

  putchar ('[');
  for (i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", (int) pids[i]);
  printf ("]\n");
}

static bool
has_pid (const pid_t *pids, size_t n, long pid)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Which whitespace-separated column of the header is "PID".  */
static int
pid_column (const char *header)
{
  cleanup_free char *copy = strdup (header);
  char *tok, *save = NULL;
  int col = 0;

  for (tok = copy ? strtok_r (copy, " \t\n", &save) : NULL; tok; tok = strtok_r (NULL, " \t\n", &save), col++)
    if (strcmp (tok, "PID") == 0)
      return col;
  return -1;
}

static long
column_value (const char *line, int col)
{
  cleanup_free char *copy = strdup (line);
  char *tok, *save = NULL;
  int i = 0;

  for (tok = copy ? strtok_r (copy, " \t\n", &save) : NULL; tok; tok = strtok_r (NULL, " \t\n", &save), i++)
    if (i == col)
      return strtol (tok, NULL, 10);
  return -1;
}

static int
print_table (const pid_t *pids, size_t n, char **ps_args, size_t n_args, estiba_error_t *err)
{
  cleanup_free char **argv = calloc (n_args + 2, sizeof (char *));
  cleanup_free char *line = NULL;
  cleanup_fclose FILE *f = NULL;
  size_t len = 0, i;
  int fds[2], status, col = -1;
  bool header = true;
  pid_t child;

  if (argv == NULL)
    return estiba_error_errno (err, "calloc");
  argv[0] = (char *) "ps";
  for (i = 0; i < n_args; i++)
    argv[i + 1] = ps_args[i];
  if (n_args == 0)
    argv[1] = (char *) "-ef";
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return estiba_error_errno (err, "pipe");
  fflush (NULL);
  child = fork ();
  if (child < 0)
    return estiba_error_errno (err, "fork");
  if (child == 0)
    {
      dup2 (fds[1], STDOUT_FILENO);
      execvp ("ps", argv);
      fprintf (stderr, "ps: exec ps: %s\n", strerror (errno));
      _exit (127);
    }
  close (fds[1]);
  f = fdopen (fds[0], "r");
  if (f == NULL)
    return estiba_error_errno (err, "fdopen");
  while (getline (&line, &len, f) > 0)
    {
      if (header)
        {
          col = pid_column (line);
          fputs (line, stdout);
          header = false;
        }
      else if (col >= 0 && has_pid (pids, n, column_value (line, col)))
        fputs (line, stdout);
    }
  waitpid (child, &status, 0);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return estiba_error (err, 0, "ps: ps(1) failed (status %d)",
                         WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  if (col < 0)
    return estiba_error (err, 0, "ps: no PID column in the ps(1) output");
  return 0;
}

int
command_ps (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  cleanup_free pid_t *pids = NULL;
  const char *format = "table";
  size_t nargs, n = 0;
  int ret;
  const struct cli_option options[] = {
    { "format", 'f', CLI_STRING, &format, "FORMAT", "select one of: table (default) or json" },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = "<container-id> [ps options]",
    .summary = "display the processes running inside a container",
    .description = "[ps options] are passed to ps(1) for the table format (default: -ef).",
    .options = options,
    .min_args = 1,
    .max_args = CLI_UNLIMITED,
    .stop_at_first_arg = true,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return estiba_error (err, 0, "ps: invalid format '%s': use table or json", format);
  if (strcmp (format, "json") == 0 && nargs > 1)
    return estiba_error (err, 0, "ps: ps options cannot be used with --format json");
  if (estiba_container_ps (ctx, args[0], &pids, &n, err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    {
      print_json (pids, n);
      return 0;
    }
  return print_table (pids, n, args + 1, nargs - 1, err) < 0 ? -1 : 0;
}
