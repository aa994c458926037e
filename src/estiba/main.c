/* estiba: the runc-compatible command line.  Global flags come before the
 * command, as with runc; everything after the command name is the
 * command's.  Errors travel up as estiba_error_t and are printed here,
 * once, through the log (stderr, and the --log file when given).  */
#include <config.h>
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"
#include "estiba.h"

/* Listed in "estiba --help" in this order (runc's).  */
static const struct command commands[] = {
  { "checkpoint", "checkpoint a running container", command_checkpoint },
  { "create", "create a container", command_create },
  { "delete", "delete any resources held by the container", command_delete },
  { "events", "display container events and resource usage statistics", command_events },
  { "exec", "execute new process inside the container", command_exec },
  { "kill", "send a signal (default: SIGTERM) to the container's init process", command_kill },
  { "list", "list containers started by estiba with the given root", command_list },
  { "pause", "suspend all processes inside the container", command_pause },
  { "ps", "display the processes running inside a container", command_ps },
  { "restore", "restore a container from a previous checkpoint", command_restore },
  { "resume", "resume all processes that have been previously paused", command_resume },
  { "run", "create and run a container", command_run },
  { "spec", "create a new specification file", command_spec },
  { "start", "execute the user defined process in a created container", command_start },
  { "state", "output the state of a container", command_state },
  { "update", "update container resource constraints", command_update },
  { "features", "show the enabled features", command_features },
  { NULL, NULL, NULL },
};

struct global_options
{
  const char *root;
  const char *log_path;
  const char *log_format;
  const char *log_level;
  const char *criu;
  bool debug;
  bool systemd_cgroup;
  int rootless;
  bool version;
};

static const char global_description[] =
  "estiba runs containers from OCI bundles as the OCI runtime specification describes, with the\n"
  "command line of runc, so container engines (containerd, docker, podman, buildah) can use it.\n"
  "\n"
  "A bundle is a directory holding a specification file named \"config.json\" and a root\n"
  "filesystem.  To start a new container from the bundle in the current directory:\n"
  "\n"
  "    # estiba run [ -b bundle ] <container-id>\n"
  "\n"
  "<container-id> is your name for the container; it must be unique on the host.";

static void
print_global_help (const struct cli_option *options, FILE *out)
{
  const struct command *c;

  fprintf (out, "Usage: estiba [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGUMENTS...]\n\n");
  fprintf (out, "Open Container Initiative runtime\n\n%s\n\nCommands:\n", global_description);
  for (c = commands; c->name; c++)
    fprintf (out, "  %-11s %s\n", c->name, c->summary);
  fprintf (out, "  %-11s %s\n", "help", "show the help of estiba or of a command");
  fprintf (out, "\nGlobal options (before the command):\n");
  cli_print_options (options, out);
  fprintf (out, "\nRun 'estiba COMMAND --help' for the options of a command.\n");
}

/* runc prints its version and the libseccomp it runs with; we add the
 * optional features compiled in, as crun does.  */
static void
print_version (FILE *out)
{
  const struct scmp_version *v = seccomp_version ();

  fprintf (out, "estiba version %s\n", PACKAGE_VERSION);
  fprintf (out, "commit: %s\n", GIT_COMMIT);
  fprintf (out, "spec: %s\n", OCI_RUNTIME_SPEC_VERSION);
  fprintf (out, "+SECCOMP +SELINUX +CAP +YAJL\n");
  if (v != NULL)
    fprintf (out, "libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

static const struct command *
find_command (const char *name)
{
  const struct command *c;
  for (c = commands; c->name; c++)
    if (strcmp (c->name, name) == 0)
      return c;
  return NULL;
}

/* "estiba help [COMMAND]": the same as "estiba COMMAND --help".  */
static int
run_help (struct estiba_context *ctx, const struct cli_option *global_options, int argc, char **argv,
          estiba_error_t *err)
{
  const struct command *c;
  char *help_argv[] = { NULL, (char *) "--help", NULL };

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      print_global_help (global_options, stdout);
      return 0;
    }
  if (argc > 2)
    return estiba_error (err, 0, "help: unexpected argument '%s' (see 'estiba --help')", argv[2]);
  c = find_command (argv[1]);
  if (c == NULL)
    return estiba_error (err, 0, "help: unknown command '%s' (see 'estiba --help')", argv[1]);
  help_argv[0] = argv[1];
  return c->run (ctx, 2, help_argv, err);
}

/* The state directory is made absolute (as runc does) because the runtime
 * changes directory while it works.  */
static int
absolute_state_root (const char *root, char **out, estiba_error_t *err)
{
  cleanup_free char *cwd = NULL;

  *out = NULL;
  /* Rootless (an ordinary user): state under $XDG_RUNTIME_DIR, as runc.  */
  if (root == NULL && geteuid () != 0 && getenv ("XDG_RUNTIME_DIR") && *getenv ("XDG_RUNTIME_DIR") == '/')
    {
      if (asprintf (out, "%s/estiba", getenv ("XDG_RUNTIME_DIR")) < 0)
        return estiba_error_errno (err, "state root under XDG_RUNTIME_DIR");
      return 0;
    }
  if (root == NULL)
    return 0;
  if (*root == '\0')
    return estiba_error (err, 0, "invalid --root: empty path");
  if (root[0] == '/')
    {
      *out = strdup (root);
      if (*out == NULL)
        return estiba_error_errno (err, "copy --root");
      return 0;
    }
  cwd = getcwd (NULL, 0);
  if (cwd == NULL)
    return estiba_error_errno (err, "resolve --root '%s': get the current directory", root);
  if (asprintf (out, "%s/%s", cwd, root) < 0)
    return estiba_error_errno (err, "resolve --root '%s'", root);
  return 0;
}

int
command_fail_with_status (estiba_error_t *err, int status)
{
  estiba_log_error (*err);
  estiba_error_release (err);
  return status;
}

static int
dispatch (struct estiba_context *ctx, const struct cli_option *global_options, int argc, char **argv,
          estiba_error_t *err)
{
  const struct command *c;

  if (strcmp (argv[0], "help") == 0 || strcmp (argv[0], "h") == 0)
    return run_help (ctx, global_options, argc, argv, err);
  c = find_command (argv[0]);
  if (c == NULL)
    return estiba_error (err, 0, "unknown command '%s' (see 'estiba --help')", argv[0]);
  return c->run (ctx, argc, argv, err);
}

int
main (int argc, char **argv)
{
  cleanup_error estiba_error_t err = NULL;
  struct global_options g = { .rootless = -1 };
  struct estiba_log log = { .fd = -1, .json = false, .level = ESTIBA_LOG_WARNING };
  struct estiba_context ctx = { .log = &log, .argv0 = argv[0] };
  cleanup_free char **args = NULL;
  cleanup_free char *state_root = NULL;
  size_t nargs = 0;
  int ret;
  const struct cli_option options[] = {
    { "debug", 0, CLI_BOOL, &g.debug, NULL, "enable debug logging" },
    { "log", 0, CLI_STRING, &g.log_path, "FILE",
      "set the log file to write estiba logs to (default: stderr)" },
    { "log-format", 0, CLI_STRING, &g.log_format, "FORMAT",
      "set the log format: 'text' (default) or 'json'" },
    { "log-level", 0, CLI_STRING, &g.log_level, "LEVEL",
      "log messages of this level and above: debug, info, warning (default), error" },
    { "root", 0, CLI_STRING, &g.root, "DIR",
      "root directory for storage of container state, on a tmpfs (default: " ESTIBA_DEFAULT_STATE_ROOT
      ", rootless: $XDG_RUNTIME_DIR/estiba)" },
    { "criu", 0, CLI_STRING, &g.criu, "PATH",
      "path to the criu binary (accepted for runc compatibility, unused)" },
    { "systemd-cgroup", 0, CLI_BOOL, &g.systemd_cgroup, NULL,
      "enable systemd cgroup support, expects cgroupsPath of the form \"slice:prefix:name\"" },
    { "rootless", 0, CLI_TRISTATE, &g.rootless, NULL,
      "ignore cgroup permission errors: true, false or auto (default)" },
    { "version", 'v', CLI_BOOL, &g.version, NULL, "print the version" },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command global = {
    .name = "",
    .options = options,
    .stop_at_first_arg = true,
  };

  ret = cli_parse (&global, argc, argv, &args, &nargs, &err);
  if (ret == CLI_HELP || (ret == 0 && nargs == 0 && !g.version))
    {
      /* runc prints its help when called without a command, and succeeds.  */
      print_global_help (options, stdout);
      return EXIT_SUCCESS;
    }
  if (ret == 0 && g.version)
    {
      print_version (stdout);
      return EXIT_SUCCESS;
    }
  if (ret == 0)
    ret = estiba_log_open (&log, g.log_path, g.log_format,
                           g.debug && g.log_level == NULL ? "debug" : g.log_level, &err);
  if (ret == 0)
    {
      estiba_log_use (&log);
      ret = absolute_state_root (g.root, &state_root, &err);
    }
  if (ret == 0)
    {
      ctx.state_root = state_root;
      ctx.systemd_cgroup = g.systemd_cgroup;
      ctx.rootless = g.rootless;
      ctx.debug = g.debug;
      ret = dispatch (&ctx, options, (int) nargs, args, &err);
    }
  if (ret < 0)
    {
      estiba_log_error (err);
      ret = EXIT_FAILURE;
    }
  if (fflush (stdout) != 0 && ret == 0)
    {
      /* A full disk or closed pipe must not pass as success.  */
      estiba_error_errno (&err, "write to stdout");
      estiba_log_error (err);
      ret = EXIT_FAILURE;
    }
  estiba_log_close (&log);
  return ret;
}
