/* Image config and history of a build (see build_config.h).  */
#include <config.h>
#include "build_config.h"
#include "build.h"
#include "cleanup.h"
#include "cmd_common.h"
#include "image_change.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *const default_shell[] = { "/bin/sh", "-c", NULL };

char *
build_config_time (int64_t timestamp)
{
  struct tm tm;
  time_t t = (time_t) timestamp;
  char buf[64];

  if (timestamp == BUILD_TIMESTAMP_NOW)
    return muelle_now_rfc3339 ();
  if (gmtime_r (&t, &tm) == NULL || strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return strdup ("1970-01-01T00:00:00Z");
  return strdup (buf);
}

static struct oci_image_exec_config *
exec_config (struct oci_image_config *config)
{
  if (config->config == NULL)
    config->config = oci_xzalloc (sizeof (*config->config));
  return config->config;
}

char *const *
build_config_shell (const struct oci_image_config *config)
{
  if (config->config != NULL && config->config->shell != NULL && config->config->shell_len > 0)
    return config->config->shell;
  return default_shell;
}

char **
build_config_shell_argv (const struct oci_image_config *config, const char *text)
{
  char **argv = oci_strv_dup (build_config_shell (config), NULL);
  size_t n = 0;

  while (argv[n] != NULL)
    n++;
  oci_strv_append (&argv, &n, text);
  return argv;
}

/* A command instruction's argv: JSON form as written, shell form wrapped
   in the stage's SHELL.  */
static char **
command_argv (const struct oci_image_config *config, const struct dockerfile_instruction *inst, size_t *len)
{
  char **argv;

  if (inst->json)
    argv = oci_strv_dup (inst->args.v, len);
  else
    argv = build_config_shell_argv (config, inst->args.n ? inst->args.v[0] : "");
  for (*len = 0; argv[*len] != NULL; (*len)++)
    ;
  return argv;
}

static void
set_strv (char ***field, size_t *field_len, char **value, size_t len)
{
  oci_strv_free (*field);
  *field = value;
  *field_len = len;
}

/* Docker (Go) writes maps with their keys sorted; so do we, for the same
   config bytes whatever the order of the instructions.  */
static void
sort_keys (char **keys, void *values, size_t value_size, size_t len)
{
  char tmp[256];
  size_t i, j;

  if (value_size > sizeof (tmp))
    abort ();
  for (i = 1; i < len; i++)
    for (j = i; j > 0 && strcmp (keys[j - 1], keys[j]) > 0; j--)
      {
        char *k = keys[j - 1];
        char *a = (char *) values + (j - 1) * value_size, *b = (char *) values + j * value_size;
        keys[j - 1] = keys[j];
        keys[j] = k;
        memcpy (tmp, a, value_size);
        memcpy (a, b, value_size);
        memcpy (b, tmp, value_size);
      }
}

static void
sort_maps (struct oci_image_exec_config *c)
{
  if (c->labels != NULL)
    sort_keys (c->labels->keys, c->labels->values, sizeof (char *), c->labels->len);
  if (c->exposed_ports != NULL)
    sort_keys (c->exposed_ports->keys, c->exposed_ports->values, sizeof (struct oci_empty),
               c->exposed_ports->len);
  if (c->volumes != NULL)
    sort_keys (c->volumes->keys, c->volumes->values, sizeof (struct oci_empty), c->volumes->len);
}

/* EXPOSE 8000-8002/udp exposes each port of the range, as docker does.  */
static void
apply_expose (struct oci_image_exec_config *c, const struct dockerfile_instruction *inst)
{
  size_t i;
  unsigned port;

  for (i = 0; i < inst->n_ports; i++)
    for (port = inst->ports[i].start; port <= inst->ports[i].end && port != 0; port++)
      {
        char key[32];
        snprintf (key, sizeof (key), "%u/%s", port, inst->ports[i].proto);
        image_empty_map_add (&c->exposed_ports, key);
      }
}

/* WORKDIR: relative paths continue the previous one; the result is a
   clean absolute path.  */
static char *
workdir_join (const char *previous, const char *dir)
{
  cleanup_free char *joined = NULL;
  char *out, *o;
  const char *p;

  if (dir[0] == '/')
    joined = strdup (dir);
  else if (asprintf (&joined, "%s/%s", previous && previous[0] ? previous : "/", dir) < 0)
    joined = NULL;
  if (joined == NULL)
    abort ();
  out = calloc (1, strlen (joined) + 2);
  if (out == NULL)
    abort ();
  o = out;
  for (p = joined; *p;)
    {
      size_t n;
      while (*p == '/')
        p++;
      n = strcspn (p, "/");
      if (n == 0)
        break;
      if (n == 1 && p[0] == '.')
        ;
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          while (o > out && *--o != '/')
            ;
          *o = '\0';
        }
      else
        {
          *o++ = '/';
          memcpy (o, p, n);
          o += n;
          *o = '\0';
        }
      p += n;
    }
  if (o == out)
    strcpy (out, "/");
  return out;
}

char *
build_config_volume_path (const char *volume)
{
  return workdir_join ("/", volume);
}

static void
apply_healthcheck (struct oci_image_exec_config *c, const struct dockerfile_instruction *inst)
{
  const struct dockerfile_healthcheck *h = &inst->healthcheck;
  struct oci_image_healthcheck *hc;

  /* Replaced as a whole: nothing of an inherited healthcheck stays.  */
  if (c->healthcheck == NULL)
    c->healthcheck = oci_xzalloc (sizeof (*hc));
  hc = c->healthcheck;
  oci_strv_free (hc->test);
  hc->test = NULL;
  hc->test_len = 0;
  hc->interval = hc->timeout = hc->start_period = hc->start_interval = 0;
  hc->retries = 0;
  hc->has_interval = hc->has_timeout = hc->has_start_period = hc->has_start_interval = hc->has_retries =
    false;
  if (h->none)
    {
      oci_strv_append (&hc->test, &hc->test_len, "NONE");
      return;
    }
  hc->test = oci_strv_dup (h->test.v, &hc->test_len);
  hc->interval = h->interval;
  hc->timeout = h->timeout;
  hc->start_period = h->start_period;
  hc->start_interval = h->start_interval;
  hc->retries = (int) h->retries;
}

int
build_config_apply (struct oci_image_config *config, const struct dockerfile_instruction *inst,
                    char *const *env, bool *cmd_set, estiba_error_t *err)
{
  struct oci_image_exec_config *c = exec_config (config);
  size_t i, len;
  char **argv;

  switch (inst->kind)
    {
      case DOCKERFILE_CMD:
        argv = command_argv (config, inst, &len);
        set_strv (&c->cmd, &c->cmd_len, argv, len);
        *cmd_set = true;
        return 0;
      case DOCKERFILE_ENTRYPOINT:
        argv = command_argv (config, inst, &len);
        set_strv (&c->entrypoint, &c->entrypoint_len, argv, len);
        /* Docker: an ENTRYPOINT resets a CMD inherited from the base
           image, not one set earlier in this stage.  */
        if (!*cmd_set)
          set_strv (&c->cmd, &c->cmd_len, NULL, 0);
        return 0;
      case DOCKERFILE_LABEL:
        for (i = 0; i < inst->n_kvs; i++)
          oci_string_map_set (&c->labels, inst->kvs[i].key, inst->kvs[i].value ? inst->kvs[i].value : "");
        sort_maps (c);
        return 0;
      case DOCKERFILE_EXPOSE:
        apply_expose (c, inst);
        sort_maps (c);
        return 0;
      case DOCKERFILE_ENV:
        argv = oci_strv_dup (env, &len);
        set_strv (&c->env, &c->env_len, argv, len);
        return 0;
      case DOCKERFILE_VOLUME:
        for (i = 0; i < inst->args.n; i++)
          image_empty_map_add (&c->volumes, inst->args.v[i]);
        sort_maps (c);
        return 0;
      case DOCKERFILE_USER:
        free (c->user);
        c->user = oci_strdup (inst->value);
        return 0;
      case DOCKERFILE_WORKDIR:
        {
          char *dir = workdir_join (c->working_dir, inst->value);
          free (c->working_dir);
          c->working_dir = dir;
          return 0;
        }
      case DOCKERFILE_ONBUILD:
        oci_strv_append (&c->on_build, &c->on_build_len, inst->trigger_text);
        return 0;
      case DOCKERFILE_STOPSIGNAL:
        free (c->stop_signal);
        c->stop_signal = oci_strdup (inst->value);
        return 0;
      case DOCKERFILE_HEALTHCHECK:
        apply_healthcheck (c, inst);
        return 0;
      case DOCKERFILE_SHELL:
        argv = oci_strv_dup (inst->args.v, &len);
        set_strv (&c->shell, &c->shell_len, argv, len);
        return 0;
      case DOCKERFILE_MAINTAINER:
        free (config->author);
        config->author = oci_strdup (inst->value);
        return 0;
      case DOCKERFILE_ARG:
        return 0;
      default:
        return estiba_error (err, EINVAL, "%s is not a metadata instruction",
                             dockerfile_kind_name (inst->kind));
    }
}

/* ["a", "b"] as JSON for history text.  */
static void
append_json_array (FILE *f, char *const *v, size_t n)
{
  size_t i;
  const char *s;

  fputc ('[', f);
  for (i = 0; i < n; i++)
    {
      fputs (i ? ",\"" : "\"", f);
      for (s = v[i]; *s; s++)
        {
          if (*s == '"' || *s == '\\')
            fputc ('\\', f);
          if ((unsigned char) *s < 0x20)
            fprintf (f, "\\u%04x", (unsigned char) *s);
          else
            fputc (*s, f);
        }
      fputc ('"', f);
    }
  fputc (']', f);
}

void
build_config_sort_maps (struct oci_image_config *config)
{
  if (config->config != NULL)
    sort_maps (config->config);
}

char *
build_config_created_by (const struct oci_image_config *config, const struct dockerfile_instruction *inst)
{
  char *text = NULL;
  size_t len = 0, i, n;
  FILE *f = open_memstream (&text, &len);
  char **argv;

  if (f == NULL)
    abort ();
  fprintf (f, "%s ", dockerfile_kind_name (inst->kind));
  switch (inst->kind)
    {
      case DOCKERFILE_RUN:
      case DOCKERFILE_CMD:
      case DOCKERFILE_ENTRYPOINT:
        argv = command_argv (config, inst, &n);
        if (inst->kind == DOCKERFILE_RUN)
          for (i = 0; i < n; i++)
            fprintf (f, "%s%s", i ? " " : "", argv[i]);
        else
          append_json_array (f, argv, n);
        oci_strv_free (argv);
        break;
      case DOCKERFILE_SHELL:
      case DOCKERFILE_VOLUME:
        append_json_array (f, inst->args.v, inst->args.n);
        break;
      case DOCKERFILE_ENV:
      case DOCKERFILE_LABEL:
      case DOCKERFILE_ARG:
        for (i = 0; i < inst->n_kvs; i++)
          fprintf (f, "%s%s%s%s", i ? " " : "", inst->kvs[i].key, inst->kvs[i].value ? "=" : "",
                   inst->kvs[i].value ? inst->kvs[i].value : "");
        break;
      case DOCKERFILE_EXPOSE:
        for (i = 0; i < inst->n_ports; i++)
          if (inst->ports[i].end != inst->ports[i].start)
            fprintf (f, "%s%u-%u/%s", i ? " " : "", inst->ports[i].start, inst->ports[i].end,
                     inst->ports[i].proto);
          else
            fprintf (f, "%s%u/%s", i ? " " : "", inst->ports[i].start, inst->ports[i].proto);
        break;
      case DOCKERFILE_USER:
      case DOCKERFILE_WORKDIR:
      case DOCKERFILE_STOPSIGNAL:
      case DOCKERFILE_MAINTAINER:
        fputs (inst->value ? inst->value : "", f);
        break;
      case DOCKERFILE_ONBUILD:
        fputs (inst->trigger_text ? inst->trigger_text : "", f);
        break;
      case DOCKERFILE_COPY:
      case DOCKERFILE_ADD:
        for (i = 0; i < inst->n_flags; i++)
          fprintf (f, "--%s%s%s ", inst->flags[i].name, inst->flags[i].value ? "=" : "",
                   inst->flags[i].value ? inst->flags[i].value : "");
        for (i = 0; i < inst->copy.sources.n; i++)
          fprintf (f, "%s ", inst->copy.sources.v[i]);
        fputs (inst->copy.dest ? inst->copy.dest : "", f);
        break;
      default:
        {
          /* HEALTHCHECK, FROM: as written, without the keyword.  */
          const char *o = inst->original;
          o += strcspn (o, " \t");
          o += strspn (o, " \t");
          fputs (o, f);
        }
    }
  if (inst->kind == DOCKERFILE_RUN || inst->kind == DOCKERFILE_COPY || inst->kind == DOCKERFILE_ADD)
    fputs (" # buildkit", f);
  if (fclose (f) != 0)
    abort ();
  return text;
}

void
build_config_add_history (struct oci_image_config *config, const char *created_by, const char *created,
                          bool empty_layer, const char *diff_id)
{
  struct oci_image_history *h = OCI_APPEND (config->history, config->history_len);

  h->created = oci_strdup (created);
  h->created_by = oci_strdup (created_by);
  if (empty_layer)
    OCI_SET (h, empty_layer, true);
  else
    {
      if (config->rootfs == NULL)
        {
          config->rootfs = oci_xzalloc (sizeof (*config->rootfs));
          config->rootfs->type = oci_strdup ("layers");
        }
      oci_strv_append (&config->rootfs->diff_ids, &config->rootfs->diff_ids_len, diff_id);
    }
}
