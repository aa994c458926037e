/* Registry credentials and the token flow.
 *
 * Credentials live in the containers auth.json / docker config.json format
 * ({"auths": {"HOST": {"auth": "base64(user:password)"}}}).  Lookup order
 * (containers-auth.json(5)): --authfile, else $REGISTRY_AUTH_FILE, else
 * ${XDG_RUNTIME_DIR}/containers/auth.json (/run/containers/UID/auth.json
 * without XDG_RUNTIME_DIR), $XDG_CONFIG_HOME/containers/auth.json, then
 * ~/.docker/config.json.  `login` and `logout` write only the first.
 *
 * Registries announce how to authenticate in WWW-Authenticate (RFC 7235):
 * "Basic realm=..." or "Bearer realm=URL,service=S,scope=S" (the Docker
 * token flow: GET realm?service=S&scope=S, with basic credentials when
 * known, answers {"token": T} or {"access_token": T}).  */
#ifndef MUELLE_AUTH_H
#define MUELLE_AUTH_H

#include <stdbool.h>
#include "error.h"

/* The file login/logout write: authfile when set, else the default.  */
int auth_file_path (const char *authfile, char **path, estiba_error_t *err);

/* Credentials for `repository` (e.g. "docker.io/library/busybox" or just
 * a registry host).  Returns 1 and fills user/password when found, 0 when
 * no file has any, < 0 on a malformed file.  */
int auth_lookup (const char *authfile, const char *repository, char **user, char **password,
                 estiba_error_t *err);

/* Store credentials for registry in the auth file (created 0600, atomically
 * replaced; other entries and keys are kept).  */
int auth_save (const char *authfile, const char *registry, const char *user, const char *password,
               estiba_error_t *err);

/* Remove registry's entry (all entries when registry is NULL).  Returns 1
 * when something was removed, 0 when there was nothing to remove.  */
int auth_remove (const char *authfile, const char *registry, estiba_error_t *err);

/* "base64(user:password)" for an Authorization: Basic header.  */
char *auth_basic_token (const char *user, const char *password);

struct auth_challenge
{
  char *scheme; /* "basic" or "bearer" (lower case), NULL when none */
  char *realm;
  char *service;
  char *scope;
};

/* Parse a WWW-Authenticate header value.  Unknown schemes leave
 * scheme == NULL.  */
int auth_parse_challenge (const char *header, struct auth_challenge *out, estiba_error_t *err);
void auth_challenge_clear (struct auth_challenge *c);

/* Token-server response: the "token" (or "access_token") member.  what
 * names the registry in errors.  */
int auth_parse_token_response (const char *body, size_t len, const char *what, char **token,
                               estiba_error_t *err);

#endif
