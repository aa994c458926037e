/* Shared option handling of pull, push and login.  */
#include <config.h>
#include "registry_cli.h"
#include "cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
registry_cli_init (struct registry_cli *cli, const struct muelle_context *ctx)
{
  memset (cli, 0, sizeof (*cli));
  cli->opts.tls_verify = true;
  cli->opts.retries = -1;
  cli->quiet = ctx->quiet;
}

int
registry_cli_parse_bool (const char *option, const char *value, bool *out, estiba_error_t *err)
{
  if (value == NULL || strcmp (value, "true") == 0 || strcmp (value, "1") == 0)
    *out = true;
  else if (strcmp (value, "false") == 0 || strcmp (value, "0") == 0)
    *out = false;
  else
    return estiba_error (err, 0, "--%s: expected true or false, got \"%s\"", option, value);
  return 0;
}

static int
parse_count (const char *option, const char *arg, int min, int max, int *out, estiba_error_t *err)
{
  char *end = NULL;
  long v;

  errno = 0;
  v = strtol (arg, &end, 10);
  if (errno || end == arg || *end || v < min || v > max)
    return estiba_error (err, 0, "--%s: expected a number from %d to %d, got \"%s\"", option, min, max, arg);
  *out = (int) v;
  return 0;
}

int
registry_cli_option (struct registry_cli *cli, int c, const char *arg, estiba_error_t *err)
{
  char *colon;
  int ret = 0;

  switch (c)
    {
      case REGISTRY_OPT_TLS_VERIFY:
        ret = registry_cli_parse_bool ("tls-verify", arg, &cli->opts.tls_verify, err);
        break;
      case REGISTRY_OPT_AUTHFILE:
        cli->opts.authfile = arg;
        break;
      case REGISTRY_OPT_CERT_DIR:
        cli->opts.cert_dir = arg;
        break;
      case REGISTRY_OPT_CREDS:
        free (cli->creds);
        cli->creds = strdup (arg);
        if (cli->creds == NULL)
          return estiba_error (err, ENOMEM, "--creds");
        colon = strchr (cli->creds, ':');
        if (colon)
          *colon = '\0';
        if (*cli->creds == '\0')
          return estiba_error (err, 0, "--creds: expected USER[:PASSWORD], the user is empty");
        cli->opts.user = cli->creds;
        cli->opts.password = colon ? colon + 1 : "";
        break;
      case REGISTRY_OPT_RETRY:
        ret = parse_count ("retry", arg, 0, 100, &cli->opts.retries, err);
        break;
      case REGISTRY_OPT_TIMEOUT:
        ret = parse_count ("timeout", arg, 1, 86400, &cli->opts.timeout, err);
        break;
      case REGISTRY_OPT_REGISTRY:
        cli->default_registry = arg;
        break;
      case 'q':
        cli->quiet = true;
        break;
      default:
        return 0;
    }
  return ret < 0 ? ret : 1;
}

void
registry_cli_finish (struct registry_cli *cli)
{
  if (!cli->quiet)
    {
      cli->opts.progress = stderr;
      cli->opts.progress_tty = isatty (STDERR_FILENO);
    }
}

void
registry_cli_clear (struct registry_cli *cli)
{
  if (cli->creds)
    explicit_bzero (cli->creds, strlen (cli->creds) + 1 + strlen (cli->opts.password));
  free (cli->creds);
  cli->creds = NULL;
}
