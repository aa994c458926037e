/* muelle: command-line entry point.  Parses the global options, picks the
 * command from the table and prints the error it returns, once.  */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "log.h"

/* Commands another part of the tree provides: weak, so a build without
 * them still links and reports "not available" instead of failing.  */
#pragma weak cmd_pull
#pragma weak cmd_push
#pragma weak cmd_login
#pragma weak cmd_logout
int cmd_pull (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_push (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_login (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_logout (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);

struct command
{
  const char *name;
  muelle_command_fn fn;
  const char *summary;
  /* Full usage for `muelle CMD --help`; NULL when the command prints its
   * own help.  */
  const char *usage;
};

static const struct command commands[] = {
  { "images", cmd_images, "List images in the store",
    "Usage: muelle images [--format table|json] [-q|--quiet] [-a|--all]\n\n"
    "  --format FORMAT  table (default) or json\n"
    "  -q, --quiet      print image ids only\n"
    "  -a, --all        also list untagged manifests\n" },
  { "tag", cmd_tag, "Add a name to an image", "Usage: muelle tag IMAGE NEW_NAME...\n" },
  { "rmi", cmd_rmi, "Remove images",
    "Usage: muelle rmi [-f|--force] IMAGE...\n\n"
    "Removes the names; blobs no other image uses are pruned.\n"
    "  -f, --force  remove every name of an image given by id or digest\n" },
  { "inspect", cmd_inspect, "Show an image's manifest and configuration",
    "Usage: muelle inspect [--type image|manifest|config] [--platform OS/ARCH[/VARIANT]] IMAGE\n\n"
    "An image index shows the image of --platform (default: this host's).\n" },
  { "history", cmd_history, "Show an image's history",
    "Usage: muelle history [--no-trunc] [--format table|json] [--platform OS/ARCH[/VARIANT]] IMAGE\n\n"
    "An image index shows the image of --platform (default: this host's).\n" },
  { "prune", cmd_prune, "Remove blobs no image references", "Usage: muelle prune\n" },
  { "import", cmd_import, "Create an image from a root filesystem tarball",
    "Usage: muelle import [-c|--change INSTRUCTION]... [-m|--message TEXT] TARBALL|- [NAME]\n\n"
    "  -c, --change   apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE,\n"
    "                 LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL\n"
    "  -m, --message  comment for the history entry\n" },
  { "bundle", cmd_bundle, "Unpack an image into an OCI runtime bundle",
    "Usage: muelle bundle [--platform OS/ARCH[/VARIANT]] [--uid-map C:H:N]... [--gid-map C:H:N]... IMAGE "
    "DIR\n\n"
    "Writes DIR/rootfs and DIR/config.json (DIR must not exist or be empty).\n"
    "  --platform OS/ARCH[/VARIANT]  image to take from a multi-platform index\n"
    "                                (default: this host's)\n"
    "  --uid-map, --gid-map  user namespace mapping; the tree is chowned into it\n" },
  { "save", cmd_save, "Write images to a tar archive",
    "Usage: muelle save -o FILE [--format oci-archive|docker-archive] IMAGE...\n" },
  { "load", cmd_load, "Load images from a docker-archive or oci-archive tar",
    "Usage: muelle load -i FILE\n" },
  { "build", cmd_build, "Build an image from a Dockerfile",
    "Usage: muelle build [OPTIONS] CONTEXT\n\n"
    "Builds the Dockerfile in CONTEXT into an image in the store and prints its id.\n"
    "  -t, --tag NAME            name the image (repeatable)\n"
    "  -f, --file FILE           Dockerfile (default CONTEXT/Dockerfile, - for stdin)\n"
    "  --build-arg K[=V]         set a build argument (no value: from the environment)\n"
    "  --target STAGE            build this stage (name or index) instead of the last\n"
    "  --no-cache                run every step again\n"
    "  --pull                    pull base images even when they are in the store\n"
    "  --network host|none       network of RUN steps (default host)\n"
    "  --squash                  the layers the build adds become one\n"
    "  --label K=V               add a label to the image (repeatable)\n"
    "  --platform OS/ARCH[/VAR]  target platform (default this host's)\n"
    "  --secret id=ID,src=PATH   a file RUN --mount=type=secret can use\n"
    "  --timestamp-now           use the clock instead of SOURCE_DATE_EPOCH (default 0)\n"
    "  -q, --quiet               print only the image id\n" },
  { "pull", cmd_pull, "Pull an image from a registry", NULL },
  { "push", cmd_push, "Push an image to a registry", NULL },
  { "login", cmd_login, "Log in to a registry", NULL },
  { "logout", cmd_logout, "Log out of a registry", NULL },
};

static void
print_usage (FILE *out)
{
  size_t i;

  fprintf (out, "Usage: muelle [--root DIR] [--log-level LEVEL] [-q] COMMAND [ARGS...]\n\n"
                "Daemonless OCI image tool.\n\n"
                "Global options:\n"
                "  --root DIR         image store (default " MUELLE_DEFAULT_ROOT ")\n"
                "  --log-level LEVEL  error, warning, info or debug (default warning)\n"
                "  -q, --quiet        print only ids and errors\n"
                "  -h, --help         show this help\n"
                "  -v, --version      show the version\n\n"
                "Commands:\n");
  for (i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun `muelle COMMAND --help` for a command's options.\n");
}

static const struct command *
find_command (const char *name)
{
  size_t i;

  for (i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* True when the command line asks for the command's help (before "--").  */
static int
wants_help (int argc, char **argv)
{
  int i;

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        return 0;
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        return 1;
    }
  return 0;
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG_LEVEL,
};

static int
fail (struct estiba_log *log, estiba_error_t *err)
{
  (void) log;
  estiba_error_print (stderr, "muelle", *err);
  estiba_error_release (err);
  return EXIT_FAILURE;
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    { "root", required_argument, NULL, OPT_ROOT }, { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
    { "quiet", no_argument, NULL, 'q' },           { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'v' },         { NULL, 0, NULL, 0 },
  };
  struct estiba_log log = { .fd = -1, .json = false, .level = ESTIBA_LOG_WARNING };
  struct muelle_context ctx = { .root = MUELLE_DEFAULT_ROOT, .quiet = false, .log = &log };
  const char *log_level = "warning";
  const struct command *cmd;
  estiba_error_t err = NULL;
  int c, ret;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:qhv", options, NULL)) != -1)
    {
      switch (c)
        {
          case OPT_ROOT:
            if (optarg[0] == '\0')
              {
                estiba_error (&err, 0, "--root: empty directory name");
                return fail (&log, &err);
              }
            ctx.root = optarg;
            break;
          case OPT_LOG_LEVEL:
            log_level = optarg;
            break;
          case 'q':
            ctx.quiet = true;
            break;
          case 'h':
            print_usage (stdout);
            return EXIT_SUCCESS;
          case 'v':
            printf ("muelle version %s (commit %s, image-spec %s)\n", PACKAGE_VERSION, GIT_COMMIT,
                    OCI_IMAGE_SPEC_VERSION);
            return EXIT_SUCCESS;
          case ':':
            estiba_error (&err, 0, "option `%s` needs a value", argv[optind - 1]);
            return fail (&log, &err);
          default:
            estiba_error (&err, 0, "unknown global option `%s` (see muelle --help)", argv[optind - 1]);
            return fail (&log, &err);
        }
    }
  if (estiba_log_open (&log, NULL, "text", log_level, &err) < 0)
    return fail (&log, &err);
  estiba_log_use (&log);

  if (optind >= argc)
    {
      print_usage (stderr);
      return EXIT_FAILURE;
    }
  cmd = find_command (argv[optind]);
  if (cmd == NULL)
    {
      estiba_error (&err, 0, "unknown command `%s` (see muelle --help)", argv[optind]);
      return fail (&log, &err);
    }
  if (cmd->fn == NULL)
    {
      estiba_error (&err, 0, "%s: not available in this build", cmd->name);
      return fail (&log, &err);
    }
  if (cmd->usage && wants_help (argc - optind, argv + optind))
    {
      fputs (cmd->usage, stdout);
      return EXIT_SUCCESS;
    }

  /* Each command runs its own getopt from the start of its argv.  */
  argc -= optind;
  argv += optind;
  optind = 0;
  ret = cmd->fn (&ctx, argc, argv, &err);
  if (ret < 0)
    {
      if (err == NULL)
        estiba_error (&err, 0, "%s failed", cmd->name);
      return fail (&log, &err);
    }
  estiba_log_close (&log);
  return EXIT_SUCCESS;
}
