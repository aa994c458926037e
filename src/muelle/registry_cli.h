/* Command-line options every registry command (pull, push, login) shares:
 * transport security, credentials, retries and the default registry.  */
#ifndef MUELLE_REGISTRY_CLI_H
#define MUELLE_REGISTRY_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include "commands.h"
#include "error.h"
#include "registry.h"

enum
{
  REGISTRY_OPT_TLS_VERIFY = 1000,
  REGISTRY_OPT_AUTHFILE,
  REGISTRY_OPT_CREDS,
  REGISTRY_OPT_RETRY,
  REGISTRY_OPT_TIMEOUT,
  REGISTRY_OPT_REGISTRY,
  REGISTRY_OPT_CERT_DIR,
};

/* Entries for a getopt_long option array.  */
/* clang-format off */
#define REGISTRY_CLI_OPTIONS                                          \
  { "tls-verify", optional_argument, NULL, REGISTRY_OPT_TLS_VERIFY }, \
  { "authfile", required_argument, NULL, REGISTRY_OPT_AUTHFILE },     \
  { "creds", required_argument, NULL, REGISTRY_OPT_CREDS },           \
  { "retry", required_argument, NULL, REGISTRY_OPT_RETRY },           \
  { "timeout", required_argument, NULL, REGISTRY_OPT_TIMEOUT },       \
  { "registry", required_argument, NULL, REGISTRY_OPT_REGISTRY },     \
  { "cert-dir", required_argument, NULL, REGISTRY_OPT_CERT_DIR },     \
  { "quiet", no_argument, NULL, 'q' }
/* clang-format on */

#define REGISTRY_CLI_HELP                                                                                    \
  "  --tls-verify=false     skip TLS certificate checks and allow plain HTTP\n"                              \
  "  --authfile PATH        credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)\n"            \
  "  --cert-dir DIR         CA certificates (*.crt) and client certificate (*.cert, *.key);\n"               \
  "                         default /etc/containers/certs.d/HOST\n"                                          \
  "  --creds USER[:PASS]    credentials for this command only\n"                                             \
  "  --retry N              extra attempts after a network or server error (default 3)\n"                    \
  "  --timeout SECONDS      abandon a transfer stalled this long (default 60)\n"                             \
  "  --registry HOST        registry for short names (default $MUELLE_DEFAULT_REGISTRY,\n"                   \
  "                         registries.conf, docker.io)\n"                                                   \
  "  -q, --quiet            no progress output\n"

struct registry_cli
{
  struct registry_options opts;
  char *creds; /* copy of --creds, split into opts.user/password */
  const char *default_registry;
  bool quiet;
};

void registry_cli_init (struct registry_cli *cli, const struct muelle_context *ctx);
/* Handle option c (one of REGISTRY_OPT_* or 'q'); returns 1 when handled,
 * 0 when c is not a shared option, < 0 on a bad value.  */
int registry_cli_option (struct registry_cli *cli, int c, const char *arg, estiba_error_t *err);
/* After parsing: progress output on stderr unless quiet.  */
void registry_cli_finish (struct registry_cli *cli);
void registry_cli_clear (struct registry_cli *cli);

/* Parse --tls-verify's value ("true"/"false"/"1"/"0"; NULL is true).  */
int registry_cli_parse_bool (const char *option, const char *value, bool *out, estiba_error_t *err);

#endif
