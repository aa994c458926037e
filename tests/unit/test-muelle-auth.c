/* TAP tests for muelle's credentials and WWW-Authenticate handling
 * (src/muelle/auth.c).  */
#include <config.h>
#include "../lib/tap.h"
#include "auth.h"
#include "cleanup.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
challenges (void)
{
  cleanup_error estiba_error_t err = NULL;
  struct auth_challenge c;

  ok (auth_parse_challenge ("Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
                            "scope=\"repository:a/b:pull,push\"",
                            &c, &err)
        == 0,
      "parse a Bearer challenge");
  is_str (c.scheme, "bearer", "scheme is lower-cased");
  is_str (c.realm, "https://auth.example/token", "realm");
  is_str (c.service, "registry.example", "service");
  is_str (c.scope, "repository:a/b:pull,push", "a quoted scope keeps its comma");
  auth_challenge_clear (&c);

  ok (auth_parse_challenge ("bearer  realm=https://x/t , error=\"insufficient_scope\"", &c, &err) == 0,
      "unquoted values, odd spacing, unknown parameters");
  is_str (c.realm, "https://x/t", "unquoted realm");
  ok (c.service == NULL && c.scope == NULL, "absent parameters stay NULL");
  auth_challenge_clear (&c);

  ok (auth_parse_challenge ("Basic realm=\"Registry Realm\"", &c, &err) == 0, "parse a Basic challenge");
  is_str (c.scheme, "basic", "basic scheme");
  is_str (c.realm, "Registry Realm", "basic realm with a space");
  auth_challenge_clear (&c);

  ok (auth_parse_challenge ("Negotiate abc", &c, &err) == 0 && c.scheme == NULL,
      "unknown schemes are ignored");
  ok (auth_parse_challenge ("Bearer service=\"x\"", &c, &err) < 0,
      "a Bearer challenge without realm is an error");
  ok (err && strstr (err->msg, "without a realm"), "the error says the realm is missing");
}

static void
tokens (void)
{
  cleanup_error estiba_error_t err = NULL;
  cleanup_free char *t1 = NULL;
  cleanup_free char *t2 = NULL;
  char *t3 = NULL;
  const char *a = "{\"token\":\"abc\",\"expires_in\":300}";
  const char *b = "{\"access_token\":\"xyz\"}";
  const char *c = "{\"nothing\":1}";

  ok (auth_parse_token_response (a, strlen (a), "r", &t1, &err) == 0, "token member");
  is_str (t1, "abc", "token value");
  ok (auth_parse_token_response (b, strlen (b), "r", &t2, &err) == 0, "access_token member");
  is_str (t2, "xyz", "access_token value");
  ok (auth_parse_token_response (c, strlen (c), "r", &t3, &err) < 0,
      "a response without a token is an error");
  estiba_error_release (&err);
  ok (auth_parse_token_response ("{", 1, "r", &t3, &err) < 0, "invalid JSON is an error");
}

static void
auth_file (void)
{
  cleanup_error estiba_error_t err = NULL;
  char dir[] = "/tmp/test-muelle-auth-XXXXXX";
  cleanup_free char *path = NULL;
  cleanup_free char *legacy = NULL;
  char *user = NULL, *password = NULL;
  cleanup_free char *basic = auth_basic_token ("a", "b");
  struct stat st;
  FILE *f;

  is_str (basic, "YTpi", "basic token is base64(user:password)");
  if (mkdtemp (dir) == NULL || asprintf (&path, "%s/sub/auth.json", dir) < 0
      || asprintf (&legacy, "%s/config.json", dir) < 0)
    abort ();

  ok (auth_lookup (path, "host.example/a/b", &user, &password, &err) == 0,
      "a missing file has no credentials");
  ok (auth_save (path, "host.example", "alice", "pa:ss word", &err) == 0,
      "save creates the file and its directory");
  ok (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600, "the auth file is 0600");
  ok (auth_lookup (path, "host.example/a/b", &user, &password, &err) == 1,
      "lookup by repository finds the host");
  is_str (user, "alice", "user");
  is_str (password, "pa:ss word", "a password may contain ':' and spaces");
  free (user);
  free (password);
  ok (auth_save (path, "host.example/team", "bob", "x", &err) == 0, "save a namespace-scoped entry");
  ok (auth_lookup (path, "host.example/team/app", &user, &password, &err) == 1,
      "lookup prefers the longest match");
  is_str (user, "bob", "namespace entry wins");
  free (user);
  free (password);
  ok (auth_lookup (path, "other.example/x", &user, &password, &err) == 0,
      "other registries have no credentials");
  ok (auth_remove (path, "host.example", &err) == 1, "remove an entry");
  ok (auth_remove (path, "host.example", &err) == 0, "removing it again finds nothing");
  ok (auth_remove (path, NULL, &err) == 1, "remove all");
  ok (auth_lookup (path, "host.example/team/app", &user, &password, &err) == 0, "nothing is left");

  f = fopen (legacy, "w");
  if (f == NULL)
    abort ();
  fputs ("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"}}}", f);
  fclose (f);
  ok (auth_lookup (legacy, "docker.io/library/busybox", &user, &password, &err) == 1,
      "the legacy Docker Hub URL key matches docker.io");
  is_str (user, "u", "legacy entry user");
  free (user);
  free (password);

  f = fopen (legacy, "w");
  if (f == NULL)
    abort ();
  fputs ("{\"auths\":{\"h\":{\"auth\":\"!!!\"}}}", f);
  fclose (f);
  ok (auth_lookup (legacy, "h/x", &user, &password, &err) < 0, "bad base64 is an error");
  ok (err && strstr (err->msg, legacy) && strstr (err->msg, "invalid base64"),
      "the error names the file and field");

  unlink (legacy);
  unlink (path);
  *strrchr (path, '/') = '\0';
  rmdir (path);
  rmdir (dir);
}

int
main (void)
{
  challenges ();
  tokens ();
  auth_file ();
  return done_testing ();
}
