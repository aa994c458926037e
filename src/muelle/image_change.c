#include <config.h>
#include "image_change.h"
#include "cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

/* `["a", "b"]` (exec form) or anything else (shell form: /bin/sh -c).  */
static int
parse_command (const char *change, const char *arg, char ***out, size_t *out_len, estiba_error_t *err)
{
  char errbuf[256] = "";
  yajl_val tree;
  size_t i;

  *out = NULL;
  *out_len = 0;
  if (arg[0] != '[')
    {
      oci_strv_append (out, out_len, "/bin/sh");
      oci_strv_append (out, out_len, "-c");
      oci_strv_append (out, out_len, arg);
      return 0;
    }
  tree = yajl_tree_parse (arg, errbuf, sizeof (errbuf));
  if (tree == NULL || !YAJL_IS_ARRAY (tree))
    {
      yajl_tree_free (tree);
      return estiba_error (err, 0, "--change `%s`: expected a JSON array of strings", change);
    }
  for (i = 0; i < tree->u.array.len; i++)
    {
      if (!YAJL_IS_STRING (tree->u.array.values[i]))
        {
          yajl_tree_free (tree);
          oci_strv_free (*out);
          *out = NULL;
          return estiba_error (err, 0, "--change `%s`: element %zu is not a string", change, i);
        }
      oci_strv_append (out, out_len, YAJL_GET_STRING (tree->u.array.values[i]));
    }
  if (*out == NULL)
    *out = oci_xzalloc (sizeof (char *));
  yajl_tree_free (tree);
  return 0;
}

/* "KEY=VALUE" or "KEY VALUE" into key and value (malloc'd together).  */
static int
split_key_value (const char *change, const char *arg, char **key, char **value, estiba_error_t *err)
{
  size_t n = strcspn (arg, "= ");

  if (n == 0 || arg[n] == '\0')
    return estiba_error (err, 0, "--change `%s`: expected KEY=VALUE", change);
  *key = strndup (arg, n);
  *value = strdup (arg + n + 1);
  if (*key == NULL || *value == NULL)
    return estiba_error (err, ENOMEM, "--change");
  /* LABEL "a"="b" as Dockerfiles quote it.  */
  if ((*value)[0] == '"' && strlen (*value) >= 2 && (*value)[strlen (*value) - 1] == '"')
    {
      memmove (*value, *value + 1, strlen (*value));
      (*value)[strlen (*value) - 1] = '\0';
    }
  return 0;
}

static void
set_env (struct oci_image_exec_config *c, const char *key, const char *value)
{
  cleanup_free char *entry = NULL;
  size_t klen = strlen (key), i;

  if (asprintf (&entry, "%s=%s", key, value) < 0)
    abort ();
  for (i = 0; i < c->env_len; i++)
    if (strncmp (c->env[i], key, klen) == 0 && c->env[i][klen] == '=')
      {
        free (c->env[i]);
        c->env[i] = steal_pointer (&entry);
        return;
      }
  oci_strv_append (&c->env, &c->env_len, entry);
}

void
image_empty_map_add (struct oci_empty_map **map, const char *key)
{
  size_t i;

  if (*map == NULL)
    *map = oci_xzalloc (sizeof (**map));
  for (i = 0; i < (*map)->len; i++)
    if (strcmp ((*map)->keys[i], key) == 0)
      return;
  (*map)->keys = realloc ((*map)->keys, ((*map)->len + 2) * sizeof (char *));
  (*map)->values = realloc ((*map)->values, ((*map)->len + 1) * sizeof (struct oci_empty));
  if ((*map)->keys == NULL || (*map)->values == NULL)
    abort ();
  (*map)->keys[(*map)->len] = oci_strdup (key);
  memset (&(*map)->values[(*map)->len], 0, sizeof (struct oci_empty));
  (*map)->len++;
  (*map)->keys[(*map)->len] = NULL;
}

int
image_apply_change (struct oci_image_config *config, const char *change, estiba_error_t *err)
{
  cleanup_free char *key = NULL;
  cleanup_free char *value = NULL;
  struct oci_image_exec_config *c;
  const char *arg;
  size_t n = strcspn (change, " \t");
  char verb[16];

  if (n == 0 || n >= sizeof (verb))
    return estiba_error (err, 0, "--change `%s`: expected INSTRUCTION ARGS", change);
  memcpy (verb, change, n);
  verb[n] = '\0';
  for (arg = change + n; isspace ((unsigned char) *arg); arg++)
    ;
  if (*arg == '\0')
    return estiba_error (err, 0, "--change `%s`: %s needs an argument", change, verb);
  if (config->config == NULL)
    config->config = oci_xzalloc (sizeof (*config->config));
  c = config->config;

  if (strcasecmp (verb, "CMD") == 0)
    {
      oci_strv_free (c->cmd);
      return parse_command (change, arg, &c->cmd, &c->cmd_len, err);
    }
  if (strcasecmp (verb, "ENTRYPOINT") == 0)
    {
      oci_strv_free (c->entrypoint);
      return parse_command (change, arg, &c->entrypoint, &c->entrypoint_len, err);
    }
  if (strcasecmp (verb, "ENV") == 0)
    {
      if (split_key_value (change, arg, &key, &value, err) < 0)
        return -1;
      set_env (c, key, value);
      return 0;
    }
  if (strcasecmp (verb, "LABEL") == 0)
    {
      if (split_key_value (change, arg, &key, &value, err) < 0)
        return -1;
      oci_string_map_set (&c->labels, key, value);
      return 0;
    }
  if (strcasecmp (verb, "USER") == 0 || strcasecmp (verb, "WORKDIR") == 0
      || strcasecmp (verb, "STOPSIGNAL") == 0)
    {
      char **field = strcasecmp (verb, "USER") == 0      ? &c->user
                     : strcasecmp (verb, "WORKDIR") == 0 ? &c->working_dir
                                                         : &c->stop_signal;
      if (strcasecmp (verb, "WORKDIR") == 0 && arg[0] != '/')
        return estiba_error (err, 0, "--change `%s`: WORKDIR must be an absolute path", change);
      free (*field);
      *field = oci_strdup (arg);
      return 0;
    }
  if (strcasecmp (verb, "EXPOSE") == 0)
    {
      cleanup_free char *port = NULL;
      if (strchr (arg, '/') == NULL)
        {
          if (asprintf (&port, "%s/tcp", arg) < 0)
            abort ();
        }
      else
        port = oci_strdup (arg);
      image_empty_map_add (&c->exposed_ports, port);
      return 0;
    }
  if (strcasecmp (verb, "VOLUME") == 0)
    {
      char **vols = NULL;
      size_t nv = 0, i;
      if (arg[0] == '[')
        {
          if (parse_command (change, arg, &vols, &nv, err) < 0)
            return -1;
        }
      else
        oci_strv_append (&vols, &nv, arg);
      for (i = 0; i < nv; i++)
        image_empty_map_add (&c->volumes, vols[i]);
      oci_strv_free (vols);
      return 0;
    }
  return estiba_error (err, 0, "--change `%s`: unsupported instruction %s", change, verb);
}
