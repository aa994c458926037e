/* Image config -> runtime config (image-spec conversion.md).  */
#include <config.h>
#include "bundle.h"
#include "cleanup.h"
#include "default_spec.h"
#include "image_user.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
env_has_name (char **env, size_t len, const char *entry)
{
  size_t n = strcspn (entry, "="), i;

  for (i = 0; i < len; i++)
    if (strncmp (env[i], entry, n) == 0 && (env[i][n] == '=' || env[i][n] == '\0'))
      return true;
  return false;
}

/* Config.Env, then the defaults whose names it does not set.  */
static void
convert_env (struct oci_process *p, const struct oci_image_exec_config *c)
{
  char **env = NULL;
  size_t len = 0, i;

  for (i = 0; c && i < c->env_len; i++)
    oci_strv_append (&env, &len, c->env[i]);
  for (i = 0; i < p->env_len; i++)
    if (!env_has_name (env, len, p->env[i]))
      oci_strv_append (&env, &len, p->env[i]);
  oci_strv_free (p->env);
  p->env = env;
  p->env_len = len;
}

static void
convert_args (struct oci_process *p, const struct oci_image_exec_config *c)
{
  char **args = NULL;
  size_t len = 0, i;

  for (i = 0; c && i < c->entrypoint_len; i++)
    oci_strv_append (&args, &len, c->entrypoint[i]);
  for (i = 0; c && i < c->cmd_len; i++)
    oci_strv_append (&args, &len, c->cmd[i]);
  /* Neither Entrypoint nor Cmd: keep the default spec's "sh".  */
  if (args == NULL)
    return;
  oci_strv_free (p->args);
  p->args = args;
  p->args_len = len;
}

static void
set_if (struct oci_string_map **map, const char *key, const char *value)
{
  if (value)
    oci_string_map_set (map, key, value);
}

static char *
join_keys (char **keys, size_t len, const char *sep)
{
  size_t total = 1, i;
  char *out;

  for (i = 0; i < len; i++)
    total += strlen (keys[i]) + strlen (sep);
  out = calloc (1, total);
  if (out == NULL)
    abort ();
  for (i = 0; i < len; i++)
    {
      if (i)
        strcat (out, sep);
      strcat (out, keys[i]);
    }
  return out;
}

/* Implicit annotations first; Config.Labels take precedence over them.  */
static void
convert_annotations (struct oci_config *config, const struct oci_image_config *image)
{
  const struct oci_image_exec_config *c = image->config;
  size_t i;

  set_if (&config->annotations, "org.opencontainers.image.os", image->os);
  set_if (&config->annotations, "org.opencontainers.image.architecture", image->architecture);
  set_if (&config->annotations, "org.opencontainers.image.variant", image->variant);
  set_if (&config->annotations, "org.opencontainers.image.os.version", image->os_version);
  if (image->os_features_len)
    {
      cleanup_free char *joined = join_keys (image->os_features, image->os_features_len, ",");
      oci_string_map_set (&config->annotations, "org.opencontainers.image.os.features", joined);
    }
  set_if (&config->annotations, "org.opencontainers.image.author", image->author);
  set_if (&config->annotations, "org.opencontainers.image.created", image->created);
  if (c == NULL)
    return;
  set_if (&config->annotations, "org.opencontainers.image.stopSignal", c->stop_signal);
  if (c->exposed_ports && c->exposed_ports->len)
    {
      cleanup_free char *joined = join_keys (c->exposed_ports->keys, c->exposed_ports->len, ",");
      oci_string_map_set (&config->annotations, "org.opencontainers.image.exposedPorts", joined);
    }
  for (i = 0; c->labels && i < c->labels->len; i++)
    oci_string_map_set (&config->annotations, c->labels->keys[i], c->labels->values[i]);
}

static void
set_mappings (struct oci_id_mapping **out, size_t *out_len, const struct id_map_range *map, size_t len)
{
  size_t i;

  free (*out);
  *out = NULL;
  *out_len = 0;
  for (i = 0; i < len; i++)
    {
      struct oci_id_mapping *m = OCI_APPEND (*out, *out_len);
      m->container_id = map[i].container_id;
      m->host_id = map[i].host_id;
      m->size = map[i].size;
      m->has_container_id = m->has_host_id = m->has_size = true;
    }
}

static void
add_user_namespace (struct oci_config *config, const struct bundle_options *opts)
{
  struct oci_linux *l = config->linux_;
  size_t i;
  bool have = false;

  if (l == NULL)
    l = config->linux_ = oci_xzalloc (sizeof (*l));
  for (i = 0; i < l->namespaces_len; i++)
    have |= l->namespaces[i].type && strcmp (l->namespaces[i].type, "user") == 0;
  if (!have)
    OCI_APPEND (l->namespaces, l->namespaces_len)->type = oci_strdup ("user");
  set_mappings (&l->uid_mappings, &l->uid_mappings_len, opts->uid_map, opts->uid_map_len);
  set_mappings (&l->gid_mappings, &l->gid_mappings_len, opts->gid_map, opts->gid_map_len);
}

static int
convert_user (struct oci_process *p, const struct oci_image_exec_config *c, int rootfd, estiba_error_t *err)
{
  struct image_user user;

  if (image_user_resolve (rootfd, c ? c->user : NULL, &user, err) < 0)
    return -1;
  if (p->user == NULL)
    p->user = oci_xzalloc (sizeof (*p->user));
  p->user->uid = user.uid;
  p->user->gid = user.gid;
  p->user->has_uid = p->user->has_gid = true;
  if (user.has_additional_gids)
    {
      free (p->user->additional_gids);
      p->user->additional_gids = user.additional_gids;
      p->user->additional_gids_len = user.additional_gids_len;
    }
  return 0;
}

struct oci_config *
bundle_config_from_image (const struct oci_image_config *image, int rootfd, const struct bundle_options *opts,
                          estiba_error_t *err)
{
  const struct oci_image_exec_config *c = image->config;
  struct oci_config *config = estiba_default_spec (false, 0, 0, err);
  struct oci_process *p;

  if (config == NULL)
    return NULL;
  if (config->process == NULL)
    config->process = oci_xzalloc (sizeof (*config->process));
  p = config->process;
  /* A bundle is run by scripts as often as by people: no terminal unless
   * the caller asks for one (runc run -t needs a tty on stdin).  */
  p->terminal = false;
  p->has_terminal = true;
  convert_env (p, c);
  convert_args (p, c);
  free (p->cwd);
  p->cwd = oci_strdup (c && c->working_dir && c->working_dir[0] ? c->working_dir : "/");
  if (convert_user (p, c, rootfd, err) < 0)
    {
      oci_config_free (config);
      return NULL;
    }
  /* Images are writable unless the user decides otherwise.  */
  if (config->root)
    {
      config->root->readonly = false;
      config->root->has_readonly = false;
    }
  convert_annotations (config, image);
  if (opts->uid_map_len)
    add_user_namespace (config, opts);
  return config;
}
