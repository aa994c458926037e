/* Registry credentials (auth.json) and WWW-Authenticate / token parsing.  */
#include <config.h>
#include "auth.h"
#include "cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* An auth file is small; a larger one is not ours.  */
#define AUTH_FILE_MAX (1024 * 1024)

static void
yajl_tree_freep (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}
#define cleanup_yajl __attribute__ ((cleanup (yajl_tree_freep)))

static void
yajl_gen_freep (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}
#define cleanup_yajl_gen __attribute__ ((cleanup (yajl_gen_freep)))

int
auth_file_path (const char *authfile, char **path, estiba_error_t *err)
{
  const char *env = getenv ("REGISTRY_AUTH_FILE");
  const char *runtime_dir = getenv ("XDG_RUNTIME_DIR");
  int r;

  if (authfile && *authfile)
    r = (*path = strdup (authfile)) ? 0 : -1;
  else if (env && *env)
    r = (*path = strdup (env)) ? 0 : -1;
  else if (runtime_dir && *runtime_dir)
    r = asprintf (path, "%s/containers/auth.json", runtime_dir);
  else
    r = asprintf (path, "/run/containers/%u/auth.json", (unsigned) getuid ());
  if (r < 0)
    return estiba_error (err, ENOMEM, "auth file path");
  return 0;
}

/* Read and parse path; *tree stays NULL when the file does not exist.  */
static int
read_auth_file (const char *path, yajl_val *tree, estiba_error_t *err)
{
  cleanup_fclose FILE *f = fopen (path, "re");
  cleanup_free char *data = NULL;
  char errbuf[256] = "";
  size_t len;

  *tree = NULL;
  if (f == NULL)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return estiba_error_errno (err, "open auth file %s", path);
    }
  data = malloc (AUTH_FILE_MAX + 1);
  if (data == NULL)
    return estiba_error (err, ENOMEM, "read auth file %s", path);
  len = fread (data, 1, AUTH_FILE_MAX + 1, f);
  if (ferror (f))
    return estiba_error_errno (err, "read auth file %s", path);
  if (len > AUTH_FILE_MAX)
    return estiba_error (err, 0, "auth file %s: larger than %d bytes", path, AUTH_FILE_MAX);
  data[len] = '\0';
  if (len == strspn (data, " \t\r\n"))
    return 0; /* an empty file is an empty configuration */
  *tree = yajl_tree_parse (data, errbuf, sizeof errbuf);
  if (*tree == NULL)
    return estiba_error (err, 0, "auth file %s: invalid JSON: %s", path, strtok (errbuf, "\n"));
  if (!YAJL_IS_OBJECT (*tree))
    {
      yajl_tree_free (*tree);
      *tree = NULL;
      return estiba_error (err, 0, "auth file %s: not a JSON object", path);
    }
  return 0;
}

static yajl_val
object_get (yajl_val obj, const char *key)
{
  size_t i;
  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return obj->u.object.values[i];
  return NULL;
}

/* An auths key as the registry host (or host/path) it stands for: legacy
 * docker keys are URLs ("https://index.docker.io/v1/").  */
static char *
normalise_auth_key (const char *key)
{
  const char *p = key;
  size_t len;

  if (strncmp (p, "https://", 8) == 0)
    p += 8;
  else if (strncmp (p, "http://", 7) == 0)
    p += 7;
  len = strlen (p);
  if (p != key)
    len = strcspn (p, "/");
  while (len > 0 && p[len - 1] == '/')
    len--;
  if ((len == 15 && strncmp (p, "index.docker.io", 15) == 0)
      || (len == 20 && strncmp (p, "registry-1.docker.io", 20) == 0))
    return strdup ("docker.io");
  return strndup (p, len);
}

static int
decode_basic (const char *path, const char *key, const char *b64, char **user, char **password,
              estiba_error_t *err)
{
  size_t len = strlen (b64);
  cleanup_free unsigned char *raw = malloc (len / 4 * 3 + 4);
  int n;
  char *colon;

  if (raw == NULL)
    return estiba_error (err, ENOMEM, "decode credentials");
  n = len % 4 == 0 ? EVP_DecodeBlock (raw, (const unsigned char *) b64, (int) len) : -1;
  if (n < 0)
    return estiba_error (err, 0, "auth file %s: auths.\"%s\".auth: invalid base64", path, key);
  /* EVP_DecodeBlock counts the '=' padding as zero bytes.  */
  while (len > 0 && b64[--len] == '=')
    n--;
  raw[n] = '\0';
  colon = strchr ((char *) raw, ':');
  if (colon == NULL || colon == (char *) raw)
    return estiba_error (err, 0, "auth file %s: auths.\"%s\".auth: expected base64 of USER:PASSWORD", path,
                         key);
  *colon = '\0';
  *user = strdup ((char *) raw);
  *password = strdup (colon + 1);
  explicit_bzero (raw, n);
  if (*user == NULL || *password == NULL)
    return estiba_error (err, ENOMEM, "decode credentials");
  return 1;
}

/* Look repository (then its parents, then the host) up in one file.  */
static int
lookup_in_file (const char *path, const char *repository, char **user, char **password, estiba_error_t *err)
{
  cleanup_yajl yajl_val tree = NULL;
  cleanup_free char *want = strdup (repository);
  yajl_val auths;
  int ret;

  if (want == NULL)
    return estiba_error (err, ENOMEM, "credentials lookup");
  ret = read_auth_file (path, &tree, err);
  if (ret < 0 || tree == NULL)
    return ret;
  auths = object_get (tree, "auths");
  if (auths == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (auths))
    return estiba_error (err, 0, "auth file %s: \"auths\" is not an object", path);
  for (;;)
    {
      size_t i;
      char *slash;

      for (i = 0; i < auths->u.object.len; i++)
        {
          cleanup_free char *key = normalise_auth_key (auths->u.object.keys[i]);
          yajl_val auth = object_get (auths->u.object.values[i], "auth");

          if (key == NULL || strcmp (key, want) != 0)
            continue;
          if (auth == NULL)
            continue; /* identity tokens and credential helpers are not supported */
          if (!YAJL_IS_STRING (auth))
            return estiba_error (err, 0, "auth file %s: auths.\"%s\".auth is not a string", path,
                                 auths->u.object.keys[i]);
          return decode_basic (path, auths->u.object.keys[i], YAJL_GET_STRING (auth), user, password, err);
        }
      slash = strrchr (want, '/');
      if (slash == NULL)
        return 0;
      *slash = '\0';
    }
}

int
auth_lookup (const char *authfile, const char *repository, char **user, char **password, estiba_error_t *err)
{
  const char *home = getenv ("HOME");
  const char *config_home = getenv ("XDG_CONFIG_HOME");
  char *paths[3] = { NULL, NULL, NULL };
  size_t n = 0, i;
  int ret;

  *user = *password = NULL;
  ret = auth_file_path (authfile, &paths[n++], err);
  if (ret < 0)
    return ret;
  /* An explicit file is the only source, as with podman and skopeo.  */
  if (!(authfile && *authfile) && !getenv ("REGISTRY_AUTH_FILE"))
    {
      if (config_home && *config_home)
        ret = asprintf (&paths[n++], "%s/containers/auth.json", config_home);
      else if (home && *home)
        ret = asprintf (&paths[n++], "%s/.config/containers/auth.json", home);
      if (ret >= 0 && home && *home)
        ret = asprintf (&paths[n++], "%s/.docker/config.json", home);
      if (ret < 0)
        paths[--n] = NULL;
    }
  ret = 0;
  for (i = 0; i < n && ret == 0; i++)
    ret = lookup_in_file (paths[i], repository, user, password, err);
  for (i = 0; i < n; i++)
    free (paths[i]);
  return ret;
}

char *
auth_basic_token (const char *user, const char *password)
{
  cleanup_free char *plain = NULL;
  char *out;
  int len = asprintf (&plain, "%s:%s", user, password);

  if (len < 0)
    return NULL;
  out = malloc ((size_t) len / 3 * 4 + 8);
  if (out)
    EVP_EncodeBlock ((unsigned char *) out, (unsigned char *) plain, len);
  explicit_bzero (plain, len);
  return out;
}

/* Re-emit any JSON value.  */
static void
gen_value (yajl_gen g, yajl_val v)
{
  size_t i;

  switch (v->type)
    {
      case yajl_t_string:
        yajl_gen_string (g, (const unsigned char *) v->u.string, strlen (v->u.string));
        break;
      case yajl_t_number:
        yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
        break;
      case yajl_t_object:
        yajl_gen_map_open (g);
        for (i = 0; i < v->u.object.len; i++)
          {
            yajl_gen_string (g, (const unsigned char *) v->u.object.keys[i], strlen (v->u.object.keys[i]));
            gen_value (g, v->u.object.values[i]);
          }
        yajl_gen_map_close (g);
        break;
      case yajl_t_array:
        yajl_gen_array_open (g);
        for (i = 0; i < v->u.array.len; i++)
          gen_value (g, v->u.array.values[i]);
        yajl_gen_array_close (g);
        break;
      case yajl_t_true:
      case yajl_t_false:
        yajl_gen_bool (g, v->type == yajl_t_true);
        break;
      default:
        yajl_gen_null (g);
        break;
    }
}

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

/* mkdir -p of path's parent directory, 0700 as credentials deserve.  */
static int
make_parent_dirs (const char *path, estiba_error_t *err)
{
  cleanup_free char *dir = strdup (path);
  char *p;

  if (dir == NULL)
    return estiba_error (err, ENOMEM, "auth file directory");
  for (p = dir + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (dir, 0700) < 0 && errno != EEXIST)
          return estiba_error_errno (err, "create directory %s", dir);
        *p = '/';
      }
  return 0;
}

static int
write_atomically (const char *path, const unsigned char *buf, size_t len, estiba_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  int ret;

  ret = make_parent_dirs (path, err);
  if (ret < 0)
    return ret;
  if (asprintf (&tmp, "%s.tmpXXXXXX", path) < 0)
    return estiba_error (err, ENOMEM, "auth file");
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "create %s", tmp);
  if (fchmod (fd, 0600) < 0 || write (fd, buf, len) != (ssize_t) len || write (fd, "\n", 1) != 1
      || fsync (fd) < 0)
    {
      ret = estiba_error_errno (err, "write auth file %s", path);
      unlink (tmp);
      return ret;
    }
  if (rename (tmp, path) < 0)
    {
      ret = estiba_error_errno (err, "replace auth file %s", path);
      unlink (tmp);
      return ret;
    }
  return 0;
}

/* Rewrite the auth file with auths[registry] set to auth_b64 (NULL:
 * removed; registry NULL: every entry removed).  *changed tells whether an
 * entry was removed or set.  */
static int
edit_auth_file (const char *authfile, const char *registry, const char *auth_b64, bool *changed,
                estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_yajl yajl_val tree = NULL;
  cleanup_yajl_gen yajl_gen g = NULL;
  cleanup_free char *want = registry ? normalise_auth_key (registry) : NULL;
  yajl_val auths;
  const unsigned char *buf;
  size_t len, i;
  int ret;

  *changed = auth_b64 != NULL;
  ret = auth_file_path (authfile, &path, err);
  if (ret < 0)
    return ret;
  ret = read_auth_file (path, &tree, err);
  if (ret < 0)
    return ret;
  if (tree == NULL && auth_b64 == NULL)
    return 0;
  auths = tree ? object_get (tree, "auths") : NULL;
  if (auths && !YAJL_IS_OBJECT (auths))
    return estiba_error (err, 0, "auth file %s: \"auths\" is not an object", path);

  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return estiba_error (err, ENOMEM, "auth file");
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "\t");
  yajl_gen_map_open (g);
  gen_str (g, "auths");
  yajl_gen_map_open (g);
  for (i = 0; auths && i < auths->u.object.len; i++)
    {
      cleanup_free char *key = normalise_auth_key (auths->u.object.keys[i]);
      if (registry == NULL || (key && strcmp (key, want) == 0))
        {
          if (auth_b64 == NULL)
            *changed = true;
          continue;
        }
      gen_str (g, auths->u.object.keys[i]);
      gen_value (g, auths->u.object.values[i]);
    }
  if (auth_b64)
    {
      gen_str (g, registry);
      yajl_gen_map_open (g);
      gen_str (g, "auth");
      gen_str (g, auth_b64);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  for (i = 0; tree && i < tree->u.object.len; i++)
    if (strcmp (tree->u.object.keys[i], "auths") != 0)
      {
        gen_str (g, tree->u.object.keys[i]);
        gen_value (g, tree->u.object.values[i]);
      }
  yajl_gen_map_close (g);
  if (!*changed)
    return 0;
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    return estiba_error (err, 0, "auth file %s: cannot encode JSON", path);
  return write_atomically (path, buf, len, err);
}

int
auth_save (const char *authfile, const char *registry, const char *user, const char *password,
           estiba_error_t *err)
{
  cleanup_free char *b64 = auth_basic_token (user, password);
  bool changed;
  int ret;

  if (b64 == NULL)
    return estiba_error (err, ENOMEM, "encode credentials");
  ret = edit_auth_file (authfile, registry, b64, &changed, err);
  explicit_bzero (b64, strlen (b64));
  return ret;
}

int
auth_remove (const char *authfile, const char *registry, estiba_error_t *err)
{
  bool changed = false;
  int ret = edit_auth_file (authfile, registry, NULL, &changed, err);
  return ret < 0 ? ret : changed;
}

void
auth_challenge_clear (struct auth_challenge *c)
{
  free (c->scheme);
  free (c->realm);
  free (c->service);
  free (c->scope);
  memset (c, 0, sizeof (*c));
}

/* Parse one auth-param (name=token or name="quoted") at *p.  */
static bool
parse_param (const char **p, char **name, char **value)
{
  const char *s = *p + strspn (*p, " \t,");
  size_t nlen = strcspn (s, "= \t,");
  char *v;
  size_t vlen = 0;

  if (nlen == 0 || s[nlen] != '=')
    return false;
  *name = strndup (s, nlen);
  s += nlen + 1;
  v = malloc (strlen (s) + 1);
  if (*name == NULL || v == NULL)
    {
      free (v);
      return false;
    }
  if (*s == '"')
    {
      for (s++; *s && *s != '"'; s++)
        {
          if (*s == '\\' && s[1])
            s++;
          v[vlen++] = *s;
        }
      if (*s == '"')
        s++;
    }
  else
    while (*s && *s != ',' && *s != ' ' && *s != '\t')
      v[vlen++] = *s++;
  v[vlen] = '\0';
  *value = v;
  *p = s;
  return true;
}

int
auth_parse_challenge (const char *header, struct auth_challenge *out, estiba_error_t *err)
{
  const char *p = header + strspn (header, " \t");
  size_t slen = strcspn (p, " \t");
  char *name = NULL, *value = NULL;

  memset (out, 0, sizeof (*out));
  if (slen == 6 && strncasecmp (p, "bearer", 6) == 0)
    out->scheme = strdup ("bearer");
  else if (slen == 5 && strncasecmp (p, "basic", 5) == 0)
    out->scheme = strdup ("basic");
  else
    return 0;
  p += slen;
  while (parse_param (&p, &name, &value))
    {
      char **slot = NULL;
      if (strcasecmp (name, "realm") == 0)
        slot = &out->realm;
      else if (strcasecmp (name, "service") == 0)
        slot = &out->service;
      else if (strcasecmp (name, "scope") == 0)
        slot = &out->scope;
      if (slot && *slot == NULL)
        *slot = steal_pointer (&value);
      free (name);
      free (value);
      name = value = NULL;
    }
  if (strcmp (out->scheme, "bearer") == 0 && (out->realm == NULL || *out->realm == '\0'))
    {
      auth_challenge_clear (out);
      return estiba_error (err, 0, "registry sent a Bearer challenge without a realm: %s", header);
    }
  return 0;
}

int
auth_parse_token_response (const char *body, size_t len, const char *what, char **token, estiba_error_t *err)
{
  cleanup_free char *copy = strndup (body, len);
  cleanup_yajl yajl_val tree = NULL;
  char errbuf[256] = "";
  yajl_val t;

  if (copy == NULL)
    return estiba_error (err, ENOMEM, "token response");
  tree = yajl_tree_parse (copy, errbuf, sizeof errbuf);
  if (tree == NULL || !YAJL_IS_OBJECT (tree))
    return estiba_error (err, 0, "%s: token server answered with invalid JSON", what);
  t = object_get (tree, "token");
  if (t == NULL || !YAJL_IS_STRING (t) || *YAJL_GET_STRING (t) == '\0')
    t = object_get (tree, "access_token");
  if (t == NULL || !YAJL_IS_STRING (t) || *YAJL_GET_STRING (t) == '\0')
    return estiba_error (err, 0, "%s: token server response has neither \"token\" nor \"access_token\"",
                         what);
  *token = strdup (t->u.string);
  return *token ? 0 : estiba_error (err, ENOMEM, "token response");
}
