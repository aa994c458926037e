/* muelle login / muelle logout: credentials in the auth file.  */
#include <config.h>
#include "commands.h"
#include "auth.h"
#include "cleanup.h"
#include "reference.h"
#include "registry.h"
#include "registry_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

enum
{
  OPT_PASSWORD_STDIN = 2000,
  OPT_ALL,
};

static const char login_usage[] =
  "Usage: muelle login [OPTIONS] [REGISTRY]\n\n"
  "Check credentials against REGISTRY (default: the default registry) and store\n"
  "them in the auth file.\n\n"
  "  -u, --username USER    user name (asked for on a terminal when missing)\n"
  "  -p, --password PASS    password (visible to other users: prefer --password-stdin)\n"
  "  --password-stdin       read the password from standard input\n" REGISTRY_CLI_HELP;

static const char logout_usage[] = "Usage: muelle logout [--authfile PATH] REGISTRY | --all\n\n"
                                   "Remove stored credentials for REGISTRY, or all of them.\n";

/* "https://host/v1/" → "host"; "host/ns" stays (a namespace-scoped login).  */
static int
registry_key (const char *arg, char **key, char **domain, estiba_error_t *err)
{
  const char *p = arg;
  size_t len;

  if (strncmp (p, "https://", 8) == 0)
    p += 8;
  else if (strncmp (p, "http://", 7) == 0)
    p += 7;
  len = strlen (p);
  if (p != arg)
    len = strcspn (p, "/");
  while (len > 0 && p[len - 1] == '/')
    len--;
  *key = strndup (p, len);
  if (*key == NULL)
    return estiba_error (err, ENOMEM, "registry");
  if (strcmp (*key, "index.docker.io") == 0 || strcmp (*key, "registry-1.docker.io") == 0)
    {
      free (*key);
      *key = strdup (REFERENCE_DOCKER_HUB);
    }
  *domain = *key ? strndup (*key, strcspn (*key, "/")) : NULL;
  if (*domain == NULL)
    return estiba_error (err, ENOMEM, "registry");
  if (!reference_domain_valid (*domain))
    return estiba_error (err, 0, "invalid registry \"%s\"", arg);
  return 0;
}

/* One line from f without its newline; NULL at EOF.  */
static char *
read_line (FILE *f)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline (&line, &cap, f);

  if (n < 0)
    {
      free (line);
      return NULL;
    }
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  return line;
}

/* Ask on the terminal; the password without echo.  */
static char *
prompt (const char *question, bool secret)
{
  struct termios old, quiet;
  bool restore = false;
  char *answer;

  fputs (question, stderr);
  fflush (stderr);
  if (secret && tcgetattr (STDIN_FILENO, &old) == 0)
    {
      quiet = old;
      quiet.c_lflag &= ~ECHO;
      restore = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  answer = read_line (stdin);
  if (restore)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
      fputc ('\n', stderr);
    }
  return answer;
}

static int
login_target (struct registry_cli *cli, int argc, char **argv, char **key, char **domain, estiba_error_t *err)
{
  cleanup_free char *def = NULL;
  int ret;

  if (argc - optind > 1)
    return estiba_error (err, 0, "login: expected at most one REGISTRY");
  if (argc - optind == 1)
    return registry_key (argv[optind], key, domain, err);
  ret = reference_default_domain (cli->default_registry, &def, err);
  if (ret < 0)
    return ret;
  return registry_key (def, key, domain, err);
}

int
cmd_login (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "username", required_argument, NULL, 'u' },
    { "password", required_argument, NULL, 'p' },
    { "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
    { "help", no_argument, NULL, 'h' },
    REGISTRY_CLI_OPTIONS,
    { NULL, 0, NULL, 0 },
  };
  struct registry_cli cli;
  cleanup_free char *user = NULL;
  cleanup_free char *password = NULL;
  cleanup_free char *key = NULL;
  cleanup_free char *domain = NULL;
  bool password_stdin = false;
  struct registry *reg = NULL;
  int c, ret = 0;

  registry_cli_init (&cli, ctx);
  optind = 0;
  opterr = 0;
  while (ret >= 0 && (c = getopt_long (argc, argv, "+u:p:qh", options, NULL)) != -1)
    {
      ret = registry_cli_option (&cli, c, optarg, err);
      if (ret != 0)
        continue;
      switch (c)
        {
          case 'u':
            free (user);
            user = strdup (optarg);
            break;
          case 'p':
            free (password);
            password = strdup (optarg);
            break;
          case OPT_PASSWORD_STDIN:
            password_stdin = true;
            break;
          case 'h':
            fputs (login_usage, stdout);
            registry_cli_clear (&cli);
            return 0;
          default:
            ret =
              estiba_error (err, 0, "login: unknown or incomplete option \"%s\" (see muelle login --help)",
                            argv[optind - 1]);
        }
    }
  if (ret >= 0 && password && password_stdin)
    ret = estiba_error (err, 0, "login: --password and --password-stdin exclude each other");
  if (ret >= 0)
    ret = login_target (&cli, argc, argv, &key, &domain, err);
  if (ret >= 0 && user == NULL && isatty (STDIN_FILENO) && !password_stdin)
    user = prompt ("Username: ", false);
  if (ret >= 0 && password == NULL)
    {
      if (password_stdin)
        password = read_line (stdin);
      else if (isatty (STDIN_FILENO))
        password = prompt ("Password: ", true);
    }
  if (ret >= 0 && (user == NULL || *user == '\0'))
    ret = estiba_error (err, 0, "login %s: a user name is required (-u USER)", key);
  if (ret >= 0 && (password == NULL || *password == '\0'))
    ret = estiba_error (err, 0, "login %s: a password is required (-p or --password-stdin)", key);
  if (ret >= 0)
    {
      cli.opts.user = user;
      cli.opts.password = password;
      ret = registry_open (domain, NULL, "pull", &cli.opts, &reg, err);
    }
  if (ret >= 0)
    ret = registry_check_login (reg, err);
  if (ret >= 0)
    ret = auth_save (cli.opts.authfile, key, user, password, err);
  if (ret >= 0 && !cli.quiet)
    printf ("Login Succeeded!\n");
  registry_close (reg);
  if (password)
    explicit_bzero (password, strlen (password));
  registry_cli_clear (&cli);
  return ret < 0 ? ret : 0;
}

int
cmd_logout (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "authfile", required_argument, NULL, REGISTRY_OPT_AUTHFILE },
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char *key = NULL;
  cleanup_free char *domain = NULL;
  const char *authfile = NULL;
  bool all = false;
  int c, ret = 0;

  optind = 0;
  opterr = 0;
  while (ret >= 0 && (c = getopt_long (argc, argv, "+ah", options, NULL)) != -1)
    switch (c)
      {
        case REGISTRY_OPT_AUTHFILE:
          authfile = optarg;
          break;
        case 'a':
          all = true;
          break;
        case 'h':
          fputs (logout_usage, stdout);
          return 0;
        default:
          ret =
            estiba_error (err, 0, "logout: unknown or incomplete option \"%s\" (see muelle logout --help)",
                          argv[optind - 1]);
      }
  if (ret < 0)
    return ret;
  if (all ? argc != optind : argc - optind != 1)
    return estiba_error (err, 0, "logout: expected REGISTRY or --all");
  if (!all)
    {
      ret = registry_key (argv[optind], &key, &domain, err);
      if (ret < 0)
        return ret;
    }
  ret = auth_remove (authfile, key, err);
  if (ret < 0)
    return ret;
  if (ret == 0 && !all)
    return estiba_error (err, 0, "logout: not logged in to %s", key);
  if (!ctx->quiet && all)
    printf ("Removed login credentials for all registries\n");
  else if (!ctx->quiet)
    printf ("Removed login credentials for %s\n", key);
  return 0;
}
