/* muelle build [OPTIONS] CONTEXT: a Dockerfile becomes an image in the
 * store (see build.h for the driver, docs/build.md for the whole story).  */
#include <config.h>
#include "build.h"
#include "cleanup.h"
#include "cmd_common.h"
#include "fsutil.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUILD_USAGE "[OPTIONS] CONTEXT"

enum
{
  OPT_BUILD_ARG = 256,
  OPT_TARGET,
  OPT_NO_CACHE,
  OPT_PULL,
  OPT_NETWORK,
  OPT_SQUASH,
  OPT_LABEL,
  OPT_PLATFORM,
  OPT_SECRET,
  OPT_TIMESTAMP_NOW,
};

struct build_cli
{
  struct build_options opts;
  char **tags, **build_args, **labels, **secrets;
  size_t n_tags, n_build_args, n_labels, n_secrets;
};

static void
build_cli_clear (struct build_cli *c)
{
  oci_strv_free (c->tags);
  oci_strv_free (c->build_args);
  oci_strv_free (c->labels);
  oci_strv_free (c->secrets);
}

/* --secret id=ID,src=PATH (also source=, and type=file) -> "ID=PATH".  */
static int
parse_secret (const char *text, char **out, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (text);
  cleanup_free char *abs = NULL;
  const char *id = NULL, *src = NULL;
  char *field, *save = NULL;
  struct stat st;

  if (copy == NULL)
    return estiba_error (err, ENOMEM, "--secret");
  for (field = strtok_r (copy, ",", &save); field; field = strtok_r (NULL, ",", &save))
    {
      if (strncmp (field, "id=", 3) == 0)
        id = field + 3;
      else if (strncmp (field, "src=", 4) == 0)
        src = field + 4;
      else if (strncmp (field, "source=", 7) == 0)
        src = field + 7;
      else if (strcmp (field, "type=file") == 0)
        continue;
      else
        return estiba_error (err, 0, "--secret `%s`: unknown field `%s` (expected id=ID,src=PATH)", text,
                             field);
    }
  if (id == NULL || id[0] == '\0' || strchr (id, '/') != NULL || strcmp (id, ".") == 0
      || strcmp (id, "..") == 0)
    return estiba_error (err, 0, "--secret `%s`: needs id=ID (a plain name)", text);
  if (src == NULL || src[0] == '\0')
    return estiba_error (err, 0, "--secret `%s`: needs src=PATH", text);
  if (stat (src, &st) < 0)
    return estiba_error_errno (err, "--secret `%s`: `%s`", text, src);
  if (!S_ISREG (st.st_mode))
    return estiba_error (err, 0, "--secret `%s`: `%s` is not a regular file", text, src);
  abs = realpath (src, NULL);
  if (abs == NULL)
    return estiba_error_errno (err, "--secret `%s`: `%s`", text, src);
  if (asprintf (out, "%s=%s", id, abs) < 0)
    return estiba_error (err, ENOMEM, "--secret");
  return 0;
}

static int
check_key_value (const char *option, const char *text, bool value_required, estiba_error_t *err)
{
  const char *eq = strchr (text, '=');

  if (text[0] == '\0' || eq == text)
    return estiba_error (err, 0, "%s `%s`: needs KEY=VALUE", option, text);
  if (value_required && eq == NULL)
    return estiba_error (err, 0, "%s `%s`: needs KEY=VALUE", option, text);
  return 0;
}

/* SOURCE_DATE_EPOCH: a decimal number of seconds, as reproducible-builds.org
   defines it.  */
static int
source_date_epoch (int64_t *out, estiba_error_t *err)
{
  const char *v = getenv ("SOURCE_DATE_EPOCH");
  char *end;
  long long n;

  *out = 0;
  if (v == NULL || v[0] == '\0')
    return 0;
  errno = 0;
  n = strtoll (v, &end, 10);
  if (errno != 0 || *end != '\0' || n < 0 || v[0] < '0' || v[0] > '9')
    return estiba_error (err, 0, "SOURCE_DATE_EPOCH `%s`: not a number of seconds", v);
  *out = n;
  return 0;
}

static int
parse_options (struct build_cli *c, int argc, char **argv, estiba_error_t *err)
{
  static const struct option options[] = {
    { "tag", required_argument, NULL, 't' },
    { "file", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "build-arg", required_argument, NULL, OPT_BUILD_ARG },
    { "target", required_argument, NULL, OPT_TARGET },
    { "no-cache", no_argument, NULL, OPT_NO_CACHE },
    { "pull", no_argument, NULL, OPT_PULL },
    { "network", required_argument, NULL, OPT_NETWORK },
    { "squash", no_argument, NULL, OPT_SQUASH },
    { "label", required_argument, NULL, OPT_LABEL },
    { "platform", required_argument, NULL, OPT_PLATFORM },
    { "secret", required_argument, NULL, OPT_SECRET },
    { "timestamp-now", no_argument, NULL, OPT_TIMESTAMP_NOW },
    { NULL, 0, NULL, 0 },
  };
  bool now = false;
  int opt;

  optind = 0;
  while ((opt = getopt_long (argc, argv, ":t:f:q", options, NULL)) != -1)
    {
      char *value = NULL;
      switch (opt)
        {
          case 't':
            if (muelle_normalise_name (optarg, &value, err) < 0)
              return estiba_error_wrap (err, "-t");
            oci_strv_append (&c->tags, &c->n_tags, value);
            free (value);
            break;
          case 'f':
            c->opts.dockerfile = optarg;
            break;
          case 'q':
            c->opts.quiet = true;
            break;
          case OPT_BUILD_ARG:
            if (check_key_value ("--build-arg", optarg, false, err) < 0)
              return -1;
            oci_strv_append (&c->build_args, &c->n_build_args, optarg);
            break;
          case OPT_TARGET:
            c->opts.target = optarg;
            break;
          case OPT_NO_CACHE:
            c->opts.no_cache = true;
            break;
          case OPT_PULL:
            c->opts.pull = true;
            break;
          case OPT_NETWORK:
            if (strcmp (optarg, "host") != 0 && strcmp (optarg, "none") != 0)
              return estiba_error (err, 0, "--network `%s`: expected host or none", optarg);
            c->opts.network = optarg;
            break;
          case OPT_SQUASH:
            c->opts.squash = true;
            break;
          case OPT_LABEL:
            if (check_key_value ("--label", optarg, false, err) < 0)
              return -1;
            oci_strv_append (&c->labels, &c->n_labels, optarg);
            break;
          case OPT_PLATFORM:
            c->opts.platform = optarg;
            break;
          case OPT_SECRET:
            if (parse_secret (optarg, &value, err) < 0)
              return -1;
            oci_strv_append (&c->secrets, &c->n_secrets, value);
            free (value);
            break;
          case OPT_TIMESTAMP_NOW:
            now = true;
            break;
          default:
            return muelle_option_error ("build", opt, argv, err);
        }
    }
  if (argc - optind != 1)
    return muelle_usage_error ("build", BUILD_USAGE, err);
  c->opts.context_dir = argv[optind];
  c->opts.tags = c->tags;
  c->opts.build_args = c->build_args;
  c->opts.labels = c->labels;
  c->opts.secrets = c->secrets;
  if (now)
    c->opts.timestamp = BUILD_TIMESTAMP_NOW;
  else if (source_date_epoch (&c->opts.timestamp, err) < 0)
    return -1;
  return 0;
}

/* Every mount the build makes (overlays, binds) lives in a private mount
   namespace: it disappears with this process, even when it is killed.  */
static int
private_mount_namespace (estiba_error_t *err)
{
  if (unshare (CLONE_NEWNS) < 0)
    return estiba_error_errno (err, "build: unshare the mount namespace");
  if (mount ("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return estiba_error_errno (err, "build: make / private");
  return 0;
}

int
cmd_build (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  struct build_cli c = { 0 };
  struct muelle_store *store = NULL;
  cleanup_free char *image_id = NULL;
  struct stat st;
  int ret = -1;

  c.opts.network = "host";
  if (parse_options (&c, argc, argv, err) < 0)
    goto out;
  c.opts.quiet = c.opts.quiet || ctx->quiet;
  if (stat (c.opts.context_dir, &st) < 0)
    {
      estiba_error_errno (err, "build: context `%s`", c.opts.context_dir);
      goto out;
    }
  if (!S_ISDIR (st.st_mode))
    {
      estiba_error (err, 0, "build: context `%s` is not a directory", c.opts.context_dir);
      goto out;
    }
  if (private_mount_namespace (err) < 0)
    goto out;
  store = store_open (ctx->root, err);
  if (store == NULL)
    goto out;
  if (build_image (store, &c.opts, &image_id, err) < 0)
    goto out;
  printf ("%s\n", image_id);
  ret = 0;
out:
  store_close (store);
  build_cli_clear (&c);
  return ret;
}
