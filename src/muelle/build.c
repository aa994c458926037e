/* muelle build: the driver (see build.h).
 *
 * Stages are built on demand: the target first asks for the stages it
 * depends on (FROM an earlier stage, COPY --from, RUN --mount from=), so
 * a stage the target does not need is never built.  Before that, the
 * needed stages whose dependencies are built are started two at a time in
 * child processes (see build_parallel_stages); their results come back
 * through the store.  Every RUN, COPY, ADD (and WORKDIR or VOLUME that has
 * to create a directory) goes through the step cache.  */
#include <config.h>
#include "build.h"
#include "build_cache.h"
#include "build_config.h"
#include "build_copy.h"
#include "build_from.h"
#include "build_layer.h"
#include "build_progress.h"
#include "build_rootfs.h"
#include "build_run.h"
#include "build_squash.h"
#include "cleanup.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "fsutil.h"
#include "image_user.h"
#include "image_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct stage_state
{
  bool built, building;
  size_t first_layer; /* layers below this come from the base image (squash keeps them) */
  struct build_image_state img;
  struct dockerfile_scope *scope;
  char **base_env; /* the Env the stage started from (to replay its scope) */
};

/* Images named by COPY --from / RUN --mount from= that are not stages.  */
struct extra_image
{
  char *name;
  struct build_image_state img;
};

struct build
{
  struct muelle_store *store;
  const struct build_options *opts;
  struct dockerfile *df;
  const char *filename; /* for errors: "Dockerfile" or the -f path */
  struct dockerignore *ignore;
  struct build_digest_cache *digests;
  struct build_progress progress;
  int output_fd; /* RUN output: the progress fd, or /dev/null when quiet */
  struct stage_state *stages;
  size_t *step_offset; /* per stage: the STEP number of its FROM, minus one */
  struct extra_image *extras;
  size_t n_extras;
  char *created;
  const char *platform_key; /* the platform part of cache keys */
};

/* One stage being built.  */
struct stage_ctx
{
  struct build *b;
  size_t index;
  struct stage_state *st;
  bool cmd_set;
};

static int build_stage (struct build *b, size_t index, estiba_error_t *err);

/* SIGINT/SIGTERM/SIGHUP during a build: the first one is remembered and the
   build stops at the next step boundary (a running RUN step is stopped by
   build_run_step, which then re-sends the signal here), so every mount,
   scratch directory and child is cleaned up and nothing gets tagged.  A
   signal handler can only talk through a static.  */
static volatile sig_atomic_t build_signal;

static void
record_signal (int sig)
{
  if (build_signal == 0)
    build_signal = sig;
}

static int
check_interrupted (estiba_error_t *err)
{
  if (build_signal == 0)
    return 0;
  return estiba_error (err, EINTR, "build: interrupted by signal %d", (int) build_signal);
}

/* No SA_RESTART: a wait for a stage's child returns to look at the flag.  */
static void
catch_signals (struct sigaction *saved)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
  struct sigaction sa;
  size_t i;

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = record_signal;
  sigemptyset (&sa.sa_mask);
  for (i = 0; i < 3; i++)
    sigaction (sigs[i], &sa, &saved[i]);
}

static void
restore_signals (const struct sigaction *saved)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
  size_t i;

  for (i = 0; i < 3; i++)
    sigaction (sigs[i], &saved[i], NULL);
}

static struct build_layers
image_layers (const struct build_image_state *img)
{
  struct build_layers l = { img->layers, img->config->rootfs->diff_ids, img->n_layers };
  return l;
}

static int
line_error (struct build *b, const struct dockerfile_instruction *inst, estiba_error_t *err)
{
  return estiba_error_wrap (err, "%s:%d", b->filename, inst->line);
}

/* A --from / from= name: an earlier stage (built now if needed) or an
   image (from the store, pulled when missing).  */
static int
resolve_from (struct build *b, const char *from, const struct build_image_state **out, estiba_error_t *err)
{
  const struct dockerfile_stage *stage = dockerfile_find_stage (b->df, from);
  struct extra_image *e;
  size_t i;

  if (stage != NULL)
    {
      if (build_stage (b, stage->index, err) < 0)
        return -1;
      *out = &b->stages[stage->index].img;
      return 0;
    }
  for (i = 0; i < b->n_extras; i++)
    if (strcmp (b->extras[i].name, from) == 0)
      {
        *out = &b->extras[i].img;
        return 0;
      }
  e = OCI_APPEND (b->extras, b->n_extras);
  e->name = oci_strdup (from);
  if (build_from_image (b->store, from, b->opts->platform, b->opts->pull, &e->img, err) < 0)
    {
      free (e->name);
      b->n_extras--;
      return -1;
    }
  *out = &e->img;
  return 0;
}

static int
run_resolve_from (void *opaque, const char *from, struct build_layers *out, estiba_error_t *err)
{
  const struct build_image_state *img;

  if (resolve_from (opaque, from, &img, err) < 0)
    return -1;
  *out = image_layers (img);
  return 0;
}

/* Record a step's result in the stage image: layer + history entry.  */
static void
add_step (struct stage_ctx *s, const struct dockerfile_instruction *inst, const char *created_by,
          const struct oci_image_descriptor *layer, const char *diff_id)
{
  bool empty = layer == NULL || layer->digest == NULL;

  (void) inst;
  if (!empty)
    build_image_state_add_layer (&s->st->img, layer);
  build_config_add_history (s->st->img.config, created_by, s->b->created, empty, diff_id);
}

typedef int (*produce_fn) (struct stage_ctx *s, struct dockerfile_instruction *inst, void *data,
                           struct oci_image_descriptor *layer, char **diff_id, estiba_error_t *err);

/* The cached part every layer step shares: look the key up, produce the
   layer on a miss, remember it, add it to the stage.  */
static int
cached_step (struct stage_ctx *s, struct dockerfile_instruction *inst, char *const *extra, produce_fn produce,
             void *data, estiba_error_t *err)
{
  struct build *b = s->b;
  struct oci_image_descriptor layer = { 0 };
  cleanup_free char *diff_id = NULL;
  cleanup_free char *key = NULL;
  cleanup_free char *created_by = build_config_created_by (s->st->img.config, inst);
  int hit = 0, ret = -1;

  if (build_cache_key (s->st->img.config, inst, extra, b->platform_key, &key, err) < 0)
    return -1;
  if (!b->opts->no_cache)
    hit = build_cache_get (b->store, key, &layer, &diff_id, err);
  if (hit < 0)
    return -1;
  if (hit)
    build_progress_cached (&b->progress, layer.digest);
  else
    {
      if (produce (s, inst, data, &layer, &diff_id, err) < 0)
        goto out;
      if (build_cache_put (b->store, key, &layer, diff_id, err) < 0)
        goto out;
    }
  add_step (s, inst, created_by, &layer, diff_id);
  ret = 0;
out:
  free (layer.media_type);
  free (layer.digest);
  return ret;
}

/* ---- RUN ---- */

static char **
run_argv (const struct oci_image_config *config, const struct dockerfile_instruction *inst)
{
  cleanup_free char *script = NULL;

  if (inst->json)
    return oci_strv_dup (inst->args.v, NULL);
  if (inst->n_heredocs > 0)
    {
      script = dockerfile_run_script (inst);
      if (script == NULL)
        abort ();
      return build_config_shell_argv (config, script);
    }
  return build_config_shell_argv (config, inst->args.n ? inst->args.v[0] : "");
}

struct run_data
{
  char **argv;
  char **env;
};

static int
produce_run (struct stage_ctx *s, struct dockerfile_instruction *inst, void *data,
             struct oci_image_descriptor *layer, char **diff_id, estiba_error_t *err)
{
  struct run_data *d = data;
  struct build *b = s->b;
  const struct oci_image_exec_config *c = s->st->img.config->config;
  struct build_run_request req = {
    .store = b->store,
    .parent = image_layers (&s->st->img),
    .argv = d->argv,
    .env = d->env,
    .user = c ? c->user : NULL,
    .workdir = c ? c->working_dir : NULL,
    .run = &inst->run,
    .network = b->opts->network ? b->opts->network : "host",
    .context_dir = b->opts->context_dir,
    .resolve_from = run_resolve_from,
    .opaque = b,
    .secrets = b->opts->secrets,
    .timestamp = b->opts->timestamp,
    .output_fd = b->output_fd,
  };

  return build_run_step (&req, layer, diff_id, err);
}

static int
step_run (struct stage_ctx *s, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  struct run_data d;
  char **extra = NULL;
  size_t n_extra = 0, i;
  int ret;

  d.argv = run_argv (s->st->img.config, inst);
  d.env = dockerfile_scope_run_env (s->st->scope);
  if (d.env == NULL)
    abort ();
  /* What the step sees besides the instruction and the parent config:
     its argv, the environment (ENV and the build args it uses) and the
     network the build gives it.  Secret contents are not part of the key,
     as BuildKit does it.  */
  for (i = 0; d.argv[i]; i++)
    oci_strv_append (&extra, &n_extra, d.argv[i]);
  oci_strv_append (&extra, &n_extra, "--env--");
  for (i = 0; d.env[i]; i++)
    oci_strv_append (&extra, &n_extra, d.env[i]);
  oci_strv_append (&extra, &n_extra, s->b->opts->network ? s->b->opts->network : "host");
  ret = cached_step (s, inst, extra, produce_run, &d, err);
  oci_strv_free (extra);
  oci_strv_free (d.argv);
  oci_strv_free (d.env);
  return ret;
}

/* ---- COPY / ADD ---- */

struct copy_data
{
  struct build_copy_request req;
};

static int
produce_copy (struct stage_ctx *s, struct dockerfile_instruction *inst, void *data,
              struct oci_image_descriptor *layer, char **diff_id, estiba_error_t *err)
{
  struct copy_data *d = data;
  struct build_rootfs *stage_root = NULL;
  struct build_layers layers = image_layers (&s->st->img);
  int ret;

  (void) inst;
  if (d->req.stage_root == NULL)
    {
      if (build_rootfs_mount (s->b->store, &layers, false, &stage_root, err) < 0)
        return -1;
      d->req.stage_root = build_rootfs_path (stage_root);
    }
  ret = build_copy_step (&d->req, layer, diff_id, err);
  build_rootfs_release (stage_root);
  return ret;
}

/* --chown with a name needs the stage's /etc/passwd even for the cache
   key (the owner is part of the sources digest).  */
static bool
chown_needs_names (const struct dockerfile_instruction *inst)
{
  const char *c = inst->copy.chown;

  return c != NULL && c[strspn (c, "0123456789:")] != '\0';
}

static int
step_copy (struct stage_ctx *s, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  struct build *b = s->b;
  struct build_rootfs *from_root = NULL, *stage_root = NULL;
  const struct oci_image_exec_config *c = s->st->img.config->config;
  cleanup_free char *sources = NULL;
  char *extra[2] = { NULL, NULL };
  struct copy_data d = { {
    .store = b->store,
    .inst = inst,
    .context_dir = b->opts->context_dir,
    .ignore = b->ignore,
    .workdir = c && c->working_dir ? c->working_dir : "/",
    .timestamp = b->opts->timestamp,
    .digests = b->digests,
  } };
  int ret = -1;

  if (inst->copy.from != NULL)
    {
      const struct build_image_state *img;
      struct build_layers layers;
      if (resolve_from (b, inst->copy.from, &img, err) < 0)
        return -1;
      layers = image_layers (img);
      if (build_rootfs_mount (b->store, &layers, false, &from_root, err) < 0)
        return -1;
      d.req.from_root = build_rootfs_path (from_root);
    }
  if (chown_needs_names (inst))
    {
      struct build_layers layers = image_layers (&s->st->img);
      if (build_rootfs_mount (b->store, &layers, false, &stage_root, err) < 0)
        goto out;
      d.req.stage_root = build_rootfs_path (stage_root);
    }
  if (build_copy_sources_digest (&d.req, &sources, err) < 0)
    goto out;
  extra[0] = sources;
  ret = cached_step (s, inst, extra, produce_copy, &d, err);
out:
  build_rootfs_release (stage_root);
  build_rootfs_release (from_root);
  return ret;
}

/* ---- WORKDIR and VOLUME: directories the step creates ---- */

/* Add every missing directory of path (absolute, clean) to the layer *w
   (begun on the first one), from the top down.  An existing component
   that is not a directory is an error: a directory below it would make a
   broken layer.  */
static int
add_missing_dirs (struct stage_ctx *s, int rootfd, const char *what, const char *path,
                  const struct build_layer_meta *meta, struct build_layer_writer **w, estiba_error_t *err)
{
  cleanup_free char *rel = strdup (path + 1);
  char *p;

  if (rel == NULL)
    return estiba_error (err, ENOMEM, "%s", what);
  for (p = rel; *p != '\0';)
    {
      struct stat st;
      char saved;
      int fd;

      p += strcspn (p, "/");
      saved = *p;
      *p = '\0';
      fd = fs_open_in_root (rootfd, rel, O_PATH | O_CLOEXEC);
      if (fd >= 0)
        {
          int r = fstat (fd, &st);
          close (fd);
          if (r == 0 && !S_ISDIR (st.st_mode))
            return estiba_error (err, ENOTDIR, "%s: /%s exists and is not a directory", what, rel);
        }
      else
        {
          if (*w == NULL && build_layer_begin (s->b->store, s->b->opts->timestamp, w, err) < 0)
            return -1;
          if (build_layer_add_dir (*w, rel, meta, err) < 0)
            return -1;
        }
      *p = saved;
      p += strspn (p, "/");
    }
  return 0;
}

/* The layer holding the directories dirs[0..n) that are missing in the
   stage's rootfs; none missing: no layer.  They belong to the config's
   USER with owned_by_user, else to root.  */
static int
produce_dirs (struct stage_ctx *s, const char *what, char *const *dirs, size_t n, bool owned_by_user,
              struct oci_image_descriptor *layer, char **diff_id, estiba_error_t *err)
{
  const struct oci_image_exec_config *c = s->st->img.config->config;
  struct build_layers layers = image_layers (&s->st->img);
  struct build_rootfs *root = NULL;
  struct build_layer_writer *w = NULL;
  struct build_layer_meta meta = { 0, 0, 0755 };
  struct image_user user = { 0 };
  int rootfd = -1, ret = -1;
  size_t i;

  if (build_rootfs_mount (s->b->store, &layers, false, &root, err) < 0)
    return -1;
  rootfd = open (build_rootfs_path (root), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    {
      estiba_error_errno (err, "open `%s`", build_rootfs_path (root));
      goto out;
    }
  if (owned_by_user && c && c->user && c->user[0])
    {
      if (image_user_resolve (rootfd, c->user, &user, err) < 0)
        goto out;
      meta.uid = user.uid;
      meta.gid = user.gid;
      free (user.additional_gids);
    }
  for (i = 0; i < n; i++)
    if (add_missing_dirs (s, rootfd, what, dirs[i], &meta, &w, err) < 0)
      goto out;
  ret = w ? build_layer_commit (w, layer, diff_id, err) : 0;
out:
  build_layer_free (w);
  if (rootfd >= 0)
    close (rootfd);
  build_rootfs_release (root);
  return ret;
}

/* Docker creates the WORKDIR directory (owned by the USER) when it is
   missing; that mkdir is the step's layer.  An existing directory makes
   no layer (the cache remembers which case it was).  */
static int
produce_workdir (struct stage_ctx *s, struct dockerfile_instruction *inst, void *data,
                 struct oci_image_descriptor *layer, char **diff_id, estiba_error_t *err)
{
  char *dirs[] = { data };

  (void) inst;
  return produce_dirs (s, "WORKDIR", dirs, 1, true, layer, diff_id, err);
}

/* buildah, docker's classic builder and docker run make a VOLUME's
   directory exist (empty, root's, 0755) in the container; muelle creates
   the missing ones in the image, as buildah does, so the bundle has them
   too.  An existing directory is left as it is.  */
static int
produce_volumes (struct stage_ctx *s, struct dockerfile_instruction *inst, void *data,
                 struct oci_image_descriptor *layer, char **diff_id, estiba_error_t *err)
{
  return produce_dirs (s, "VOLUME", data, inst->args.n, false, layer, diff_id, err);
}

static int
step_volume (struct stage_ctx *s, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  cleanup_strv char **dirs = calloc (inst->args.n + 1, sizeof (char *));
  bool unused = true;
  size_t i;

  if (dirs == NULL)
    return estiba_error (err, ENOMEM, "VOLUME");
  for (i = 0; i < inst->args.n; i++)
    if ((dirs[i] = build_config_volume_path (inst->args.v[i])) == NULL)
      return estiba_error (err, ENOMEM, "VOLUME");
  if (build_config_apply (s->st->img.config, inst, NULL, &unused, err) < 0)
    return -1;
  return cached_step (s, inst, NULL, produce_volumes, dirs, err);
}

static int
step_workdir (struct stage_ctx *s, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  cleanup_free char *dir = NULL;
  bool unused = true;

  /* Apply first: the config now holds the absolute, clean directory.  */
  if (build_config_apply (s->st->img.config, inst, NULL, &unused, err) < 0)
    return -1;
  dir = strdup (s->st->img.config->config->working_dir);
  if (dir == NULL)
    return estiba_error (err, ENOMEM, "WORKDIR");
  if (strcmp (dir, "/") == 0)
    {
      cleanup_free char *created_by = build_config_created_by (s->st->img.config, inst);
      add_step (s, inst, created_by, NULL, NULL);
      return 0;
    }
  return cached_step (s, inst, NULL, produce_workdir, dir, err);
}

/* ---- the instructions of a stage ---- */

static int
step_metadata (struct stage_ctx *s, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  cleanup_free char *created_by = build_config_created_by (s->st->img.config, inst);
  cleanup_strv char **env = NULL;

  if (inst->kind == DOCKERFILE_ENV)
    {
      env = dockerfile_scope_env (s->st->scope);
      if (env == NULL)
        return estiba_error (err, ENOMEM, "ENV");
    }
  if (build_config_apply (s->st->img.config, inst, env, &s->cmd_set, err) < 0)
    return -1;
  /* BuildKit records no history for ARG.  */
  if (inst->kind != DOCKERFILE_ARG)
    add_step (s, inst, created_by, NULL, NULL);
  return 0;
}

static int
run_instruction (struct stage_ctx *s, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  struct build *b = s->b;
  int ret;

  if (dockerfile_expand_instruction (inst, s->st->scope, b->filename, err) < 0)
    return -1;
  switch (inst->kind)
    {
      case DOCKERFILE_RUN:
        ret = step_run (s, inst, err);
        break;
      case DOCKERFILE_COPY:
      case DOCKERFILE_ADD:
        ret = step_copy (s, inst, err);
        break;
      case DOCKERFILE_WORKDIR:
        ret = step_workdir (s, inst, err);
        break;
      case DOCKERFILE_VOLUME:
        ret = step_volume (s, inst, err);
        break;
      default:
        ret = step_metadata (s, inst, err);
    }
  if (ret < 0 && strncmp ((*err)->msg, b->filename, strlen (b->filename)) != 0)
    return line_error (b, inst, err);
  return ret;
}

/* ONBUILD triggers of the base image run right after FROM, then leave the
   config (docker does not pass them on).  */
static int
run_triggers (struct stage_ctx *s, const struct dockerfile_instruction *from, estiba_error_t *err)
{
  struct oci_image_exec_config *c = s->st->img.config->config;
  char **triggers;
  size_t i, n;
  int ret = 0;

  if (c == NULL || c->on_build == NULL)
    return 0;
  triggers = c->on_build;
  n = c->on_build_len;
  c->on_build = NULL;
  c->on_build_len = 0;
  for (i = 0; i < n && ret == 0; i++)
    {
      struct dockerfile_instruction *inst =
        dockerfile_parse_instruction (triggers[i], s->b->filename, from->line, s->b->df->escape, err);
      if (inst == NULL)
        {
          ret = -1;
          break;
        }
      build_progress_line (&s->b->progress, "--> ONBUILD %s", triggers[i]);
      ret = run_instruction (s, inst, err);
      dockerfile_instruction_free (inst);
    }
  oci_strv_free (triggers);
  return ret;
}

static int
stage_base (struct build *b, const struct dockerfile_stage *stage, struct stage_state *st,
            estiba_error_t *err)
{
  const struct dockerfile_from *from = &stage->from->from;
  const char *platform = from->platform ? from->platform : b->opts->platform;
  char **env = NULL;

  if (from->base_stage >= 0)
    {
      struct stage_state *parent = &b->stages[from->base_stage];
      if (build_stage (b, (size_t) from->base_stage, err) < 0)
        return -1;
      if (build_image_state_copy (&st->img, &parent->img, err) < 0)
        return -1;
    }
  else if (strcmp (from->image, "scratch") == 0)
    {
      if (build_from_scratch (platform, &st->img, err) < 0)
        return -1;
    }
  else if (build_from_image (b->store, from->image, platform, b->opts->pull, &st->img, err) < 0)
    return -1;
  st->first_layer = st->img.n_layers;
  if (st->img.config->config != NULL)
    env = st->img.config->config->env;
  st->base_env = oci_strv_dup (env, NULL);
  st->scope = dockerfile_scope_new (b->df, stage->index, env);
  if (st->scope == NULL)
    return estiba_error (err, ENOMEM, "build stage");
  if (from->base_stage >= 0
      && dockerfile_scope_inherit_args (st->scope, b->stages[from->base_stage].scope) < 0)
    return estiba_error (err, ENOMEM, "build stage");
  return 0;
}

static int
build_stage (struct build *b, size_t index, estiba_error_t *err)
{
  const struct dockerfile_stage *stage = &b->df->stages[index];
  struct stage_state *st = &b->stages[index];
  struct stage_ctx s = { b, index, st, false };
  size_t i;

  if (st->built)
    return 0;
  if (st->building)
    return estiba_error (err, 0, "%s:%d: stage depends on itself", b->filename, stage->from->line);
  st->building = true;
  b->progress.step = b->step_offset[index];
  build_progress_step (&b->progress, stage->from);
  if (stage_base (b, stage, st, err) < 0)
    return line_error (b, stage->from, err);
  if (run_triggers (&s, stage->from, err) < 0)
    return -1;
  for (i = 1; i < stage->n_instructions; i++)
    {
      if (check_interrupted (err) < 0)
        return -1;
      build_progress_step (&b->progress, &stage->instructions[i]);
      if (run_instruction (&s, &stage->instructions[i], err) < 0)
        return -1;
    }
  if (check_interrupted (err) < 0)
    return -1;
  st->built = true;
  st->building = false;
  return 0;
}

/* ---- independent stages in parallel ---- */

#define BUILD_MAX_PARALLEL 2

/* The stage a --from / from= value names, when it can be told before
   expansion (no variables), or -1.  */
static long
static_stage_ref (const struct dockerfile *df, const char *name)
{
  const struct dockerfile_stage *st;

  if (name == NULL || strchr (name, '$') != NULL)
    return -1;
  st = dockerfile_find_stage (df, name);
  return st ? (long) st->index : -1;
}

/* RUN --mount values as written: the stages their from= fields name.  */
static void
run_mount_deps (const struct dockerfile *df, const struct dockerfile_instruction *inst, bool *deps)
{
  size_t i;

  for (i = 0; i < inst->run.mounts_raw.n; i++)
    {
      cleanup_free char *copy = strdup (inst->run.mounts_raw.v[i]);
      char *field, *save = NULL;
      for (field = copy ? strtok_r (copy, ",", &save) : NULL; field; field = strtok_r (NULL, ",", &save))
        if (strncmp (field, "from=", 5) == 0 && static_stage_ref (df, field + 5) >= 0)
          deps[static_stage_ref (df, field + 5)] = true;
    }
}

/* deps[j] for every stage j that stage i needs directly.  */
static void
stage_deps (const struct dockerfile *df, size_t i, bool *deps)
{
  const struct dockerfile_stage *st = &df->stages[i];
  size_t k;

  if (st->from->from.base_stage >= 0)
    deps[st->from->from.base_stage] = true;
  for (k = 1; k < st->n_instructions; k++)
    {
      const struct dockerfile_instruction *inst = &st->instructions[k];
      long j = -1;
      if (inst->kind == DOCKERFILE_COPY)
        j = inst->copy.from_stage >= 0 ? inst->copy.from_stage : static_stage_ref (df, inst->copy.from);
      if (j >= 0 && (size_t) j < i)
        deps[j] = true;
      if (inst->kind == DOCKERFILE_RUN)
        run_mount_deps (df, inst, deps);
    }
  deps[i] = false;
}

struct stage_child
{
  pid_t pid;
  size_t stage;
  int err_fd; /* read end: the child's error message */
};

static char *
stage_result_path (struct build *b, pid_t pid, const char *what)
{
  cleanup_free char *dir = NULL;
  char *path = NULL;
  estiba_error_t ignored = NULL;

  if (store_subdir (b->store, "build/tmp", &dir, &ignored) < 0)
    {
      estiba_error_release (&ignored);
      return NULL;
    }
  if (asprintf (&path, "%s/stage-%d.%s", dir, (int) pid, what) < 0)
    return NULL;
  return path;
}

/* path's directory must exist; written whole, then renamed.  */
static int
write_result (const char *path, const char *data, estiba_error_t *err)
{
  cleanup_free char *dir = strdup (path);
  char *slash = dir ? strrchr (dir, '/') : NULL;
  int dirfd, ret;

  if (slash == NULL)
    return estiba_error (err, ENOMEM, "stage result");
  *slash = '\0';
  dirfd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return estiba_error_errno (err, "open `%s`", dir);
  ret = fs_write_file_atomic (dirfd, slash + 1, data, strlen (data), err);
  close (dirfd);
  return ret;
}

/* A child hands its stage back as two files: the image config and a
   manifest listing the layers (annotated with the Env the stage started
   from, to replay its variable scope).  */
static int
save_stage (struct build *b, size_t index, estiba_error_t *err)
{
  struct stage_state *st = &b->stages[index];
  struct oci_image_manifest *m = oci_image_manifest_new ();
  struct oci_image_config *env_holder = oci_image_config_new ();
  cleanup_free char *config_path = stage_result_path (b, getpid (), "config");
  cleanup_free char *manifest_path = stage_result_path (b, getpid (), "manifest");
  cleanup_free char *config = NULL;
  cleanup_free char *manifest = NULL;
  cleanup_free char *env = NULL;
  char *perr = NULL;
  size_t i;
  int ret = -1;

  env_holder->config = oci_xzalloc (sizeof (*env_holder->config));
  env_holder->config->env = oci_strv_dup (st->base_env, &env_holder->config->env_len);
  env = oci_image_config_generate (env_holder, false, &perr);
  m->schema_version = 2;
  for (i = 0; i < st->img.n_layers; i++)
    {
      struct oci_image_descriptor *d = OCI_APPEND (m->layers, m->layers_len);
      d->media_type = oci_strdup (st->img.layers[i].media_type);
      d->digest = oci_strdup (st->img.layers[i].digest);
      d->size = st->img.layers[i].size;
    }
  if (env != NULL)
    oci_string_map_set (&m->annotations, "base-env", env);
  if (env != NULL && (config = oci_image_config_generate (st->img.config, false, &perr)) != NULL)
    manifest = oci_image_manifest_generate (m, false, &perr);
  if (config_path == NULL || manifest_path == NULL || manifest == NULL)
    estiba_error (err, 0, "stage result: %s", perr ? perr : "out of memory");
  else if (write_result (config_path, config, err) == 0 && write_result (manifest_path, manifest, err) == 0)
    ret = 0;
  free (perr);
  oci_image_manifest_free (m);
  oci_image_config_free (env_holder);
  return ret;
}

/* The parent's side: read the files of child pid back into the stage,
   then rebuild the stage's variable scope by expanding its instructions
   again (cheap, no step runs).  */
static int
load_stage (struct build *b, size_t index, pid_t pid, estiba_error_t *err)
{
  struct stage_state *st = &b->stages[index];
  const struct dockerfile_stage *stage = &b->df->stages[index];
  cleanup_free char *config_path = stage_result_path (b, pid, "config");
  cleanup_free char *manifest_path = stage_result_path (b, pid, "manifest");
  cleanup_free char *config = NULL;
  cleanup_free char *manifest = NULL;
  struct oci_image_manifest *m = NULL;
  struct oci_image_config *env_holder = NULL;
  const char *env;
  char *perr = NULL;
  size_t len, i;
  int ret = -1;

  if (config_path == NULL || manifest_path == NULL)
    return estiba_error (err, ENOMEM, "stage result");
  if (fs_read_file (config_path, 64 << 20, &config, &len, err) < 0
      || fs_read_file (manifest_path, 64 << 20, &manifest, &len, err) < 0)
    goto out;
  st->img.config = oci_image_config_parse_data (config, strlen (config), config_path, &perr);
  m = oci_image_manifest_parse_data (manifest, strlen (manifest), manifest_path, &perr);
  env = m ? oci_string_map_get (m->annotations, "base-env") : NULL;
  env_holder = env ? oci_image_config_parse_data (env, strlen (env), manifest_path, &perr) : NULL;
  if (st->img.config == NULL || env_holder == NULL)
    {
      estiba_error (err, 0, "stage result: %s", perr ? perr : "incomplete");
      goto out;
    }
  for (i = 0; i < m->layers_len; i++)
    build_image_state_add_layer (&st->img, &m->layers[i]);
  st->first_layer = 0;
  st->scope = dockerfile_scope_new (b->df, index, env_holder->config ? env_holder->config->env : NULL);
  if (st->scope == NULL)
    {
      estiba_error (err, ENOMEM, "build stage");
      goto out;
    }
  if (stage->from->from.base_stage >= 0
      && dockerfile_scope_inherit_args (st->scope, b->stages[stage->from->from.base_stage].scope) < 0)
    {
      estiba_error (err, ENOMEM, "build stage");
      goto out;
    }
  for (i = 1; i < stage->n_instructions; i++)
    if (dockerfile_expand_instruction (&stage->instructions[i], st->scope, b->filename, err) < 0)
      goto out;
  st->built = true;
  ret = 0;
out:
  free (perr);
  oci_image_manifest_free (m);
  oci_image_config_free (env_holder);
  unlink (config_path);
  unlink (manifest_path);
  return ret;
}

static int
start_child (struct build *b, size_t index, struct stage_child *c, estiba_error_t *err)
{
  int fds[2];

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return estiba_error_errno (err, "build: pipe");
  fflush (NULL);
  c->pid = fork ();
  if (c->pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return estiba_error_errno (err, "build: fork");
    }
  if (c->pid == 0)
    {
      estiba_error_t child_err = NULL;
      int r;
      close (fds[0]);
      r = build_stage (b, index, &child_err);
      if (r == 0)
        r = save_stage (b, index, &child_err);
      if (r == 0)
        r = build_digest_cache_close (steal_pointer (&b->digests), &child_err);
      if (r < 0)
        {
          cleanup_free char *msg = estiba_error_string (child_err);
          if (msg != NULL)
            (void) fs_write_all (fds[1], msg, strlen (msg));
        }
      _exit (r < 0 ? 1 : 0);
    }
  close (fds[1]);
  c->stage = index;
  c->err_fd = fds[0];
  return 0;
}

/* Wait for one child; on success its stage is loaded.  */
static int
reap_child (struct build *b, struct stage_child *children, size_t *n, estiba_error_t *err)
{
  char msg[4096];
  ssize_t len = 0, r;
  int status;
  pid_t pid;
  size_t i;

  do
    {
      pid = waitpid (-1, &status, 0);
      if (pid < 0 && errno == EINTR && check_interrupted (err) < 0)
        return -1;
    }
  while (pid < 0 && errno == EINTR);
  if (pid < 0)
    return estiba_error_errno (err, "build: wait for a stage");
  for (i = 0; i < *n && children[i].pid != pid; i++)
    ;
  if (i == *n)
    return 0;
  while (len < (ssize_t) sizeof (msg) - 1
         && (r = read (children[i].err_fd, msg + len, sizeof (msg) - 1 - len)) > 0)
    len += r;
  msg[len < 0 ? 0 : len] = '\0';
  close (children[i].err_fd);
  {
    struct stage_child done = children[i];
    children[i] = children[--*n];
    if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
      return load_stage (b, done.stage, done.pid, err);
    if (msg[0] != '\0')
      return estiba_error (err, 0, "%s", msg);
    return estiba_error (err, 0, "build stage %zu: the builder process died (status %d)", done.stage, status);
  }
}

static void
stop_children (struct stage_child *children, size_t n)
{
  size_t i;
  int status;

  for (i = 0; i < n; i++)
    {
      kill (children[i].pid, SIGTERM);
      while (waitpid (children[i].pid, &status, 0) < 0 && errno == EINTR)
        ;
      close (children[i].err_fd);
    }
}

/* Build the stages the target needs that are ready (all they depend on is
   built) two at a time in child processes.  A lone ready stage is built
   in this process: forking buys nothing then.  The target itself is built
   by the caller; anything missed here is built on demand there.  */
static int
build_parallel_stages (struct build *b, size_t target, estiba_error_t *err)
{
  size_t n = b->df->n_stages, i, j, n_children = 0;
  struct stage_child children[BUILD_MAX_PARALLEL];
  cleanup_free bool *deps = oci_xzalloc (n * n * sizeof (bool));
  cleanup_free bool *needed = oci_xzalloc (n * sizeof (bool));
  cleanup_free bool *started = oci_xzalloc (n * sizeof (bool));
  int ret = 0;

  for (i = 0; i < n; i++)
    stage_deps (b->df, i, deps + i * n);
  needed[target] = true;
  for (i = target + 1; i-- > 0;)
    for (j = 0; needed[i] && j < i; j++)
      needed[j] = needed[j] || deps[i * n + j];
  for (;;)
    {
      size_t ready[BUILD_MAX_PARALLEL], n_ready = 0;
      for (i = 0; i < target && n_ready < BUILD_MAX_PARALLEL - n_children; i++)
        {
          bool ok = needed[i] && !started[i];
          for (j = 0; ok && j < n; j++)
            ok = !deps[i * n + j] || b->stages[j].built;
          if (ok)
            ready[n_ready++] = i;
        }
      if (n_ready == 0 && n_children == 0)
        break;
      if (n_ready == 1 && n_children == 0)
        {
          started[ready[0]] = true;
          if (build_stage (b, ready[0], err) < 0)
            return -1;
          continue;
        }
      for (i = 0; i < n_ready && ret == 0; i++)
        {
          started[ready[i]] = true;
          ret = start_child (b, ready[i], &children[n_children], err);
          if (ret == 0)
            n_children++;
        }
      if (ret == 0)
        ret = reap_child (b, children, &n_children, err);
      if (ret < 0)
        {
          stop_children (children, n_children);
          return -1;
        }
    }
  return 0;
}

/* ---- the whole build ---- */

static int
read_dockerfile (const struct build_options *opts, char **data, size_t *len, estiba_error_t *err)
{
  cleanup_free char *path = NULL;

  if (opts->dockerfile != NULL && strcmp (opts->dockerfile, "-") == 0)
    return fs_read_file ("/dev/stdin", 16 << 20, data, len, err);
  if (opts->dockerfile != NULL)
    path = strdup (opts->dockerfile);
  else if (asprintf (&path, "%s/Dockerfile", opts->context_dir) < 0)
    path = NULL;
  if (path == NULL)
    return estiba_error (err, ENOMEM, "Dockerfile path");
  if (fs_read_file (path, 16 << 20, data, len, err) < 0)
    return estiba_error_wrap (err, "Dockerfile");
  return 0;
}

/* --build-arg NAME without a value takes it from the environment (and is
   dropped when unset), as docker does.  */
static char **
effective_build_args (char *const *args)
{
  char **out = oci_xzalloc (sizeof (char *));
  size_t n = 0, i;

  for (i = 0; args != NULL && args[i] != NULL; i++)
    {
      const char *value;
      cleanup_free char *kv = NULL;
      if (strchr (args[i], '=') != NULL)
        {
          oci_strv_append (&out, &n, args[i]);
          continue;
        }
      value = getenv (args[i]);
      if (value == NULL)
        continue;
      if (asprintf (&kv, "%s=%s", args[i], value) < 0)
        abort ();
      oci_strv_append (&out, &n, kv);
    }
  return out;
}

/* Steps are numbered through the stages up to the target (later ones
   can never be needed), so parallel stages print stable numbers.  */
static size_t
count_steps (const struct dockerfile *df, size_t target, size_t *offsets)
{
  size_t i, n = 0;

  for (i = 0; i < df->n_stages; i++)
    {
      offsets[i] = n;
      if (i <= target)
        n += df->stages[i].n_instructions;
    }
  return n;
}

static void
apply_labels (struct oci_image_config *config, char *const *labels)
{
  size_t i;

  for (i = 0; labels != NULL && labels[i] != NULL; i++)
    {
      cleanup_free char *key = strdup (labels[i]);
      char *eq;
      if (key == NULL)
        abort ();
      eq = strchr (key, '=');
      if (eq != NULL)
        *eq = '\0';
      if (config->config == NULL)
        config->config = oci_xzalloc (sizeof (*config->config));
      oci_string_map_set (&config->config->labels, key, eq ? eq + 1 : "");
    }
  build_config_sort_maps (config);
}

/* Write the final image and tag it with every name.  */
static int
commit_image (struct build *b, struct stage_state *st, char **image_id, estiba_error_t *err)
{
  struct oci_image_descriptor *manifest_desc = NULL;
  char *const *tags = b->opts->tags;
  size_t i;
  int ret;

  apply_labels (st->img.config, b->opts->labels);
  free (st->img.config->created);
  st->img.config->created = oci_strdup (b->created);
  if (b->opts->squash && build_squash (b->store, &st->img, st->first_layer, b->opts->timestamp, err) < 0)
    return -1;
  for (i = 0; tags != NULL && tags[i] != NULL; i++)
    build_progress_line (&b->progress, "COMMIT %s", tags[i]);
  if (tags == NULL || tags[0] == NULL)
    build_progress_line (&b->progress, "COMMIT");
  ret = image_write (b->store, st->img.config, st->img.layers, st->img.n_layers, tags ? tags[0] : NULL,
                     &manifest_desc, image_id, err);
  for (i = 1; ret == 0 && tags != NULL && tags[i] != NULL; i++)
    ret = store_tag (b->store, tags[i], manifest_desc, err);
  oci_image_descriptor_free (manifest_desc);
  if (ret == 0)
    build_progress_line (&b->progress, "--> %s", *image_id);
  return ret;
}

static void
build_release (struct build *b)
{
  size_t i;
  estiba_error_t ignored = NULL;

  for (i = 0; b->stages != NULL && i < b->df->n_stages; i++)
    {
      build_image_state_clear (&b->stages[i].img);
      dockerfile_scope_free (b->stages[i].scope);
      oci_strv_free (b->stages[i].base_env);
    }
  free (b->stages);
  free (b->step_offset);
  for (i = 0; i < b->n_extras; i++)
    {
      free (b->extras[i].name);
      build_image_state_clear (&b->extras[i].img);
    }
  free (b->extras);
  if (build_digest_cache_close (b->digests, &ignored) < 0)
    estiba_error_release (&ignored);
  dockerignore_free (b->ignore);
  dockerfile_free (b->df);
  free (b->created);
  if (b->output_fd >= 0 && b->output_fd != b->progress.fd)
    close (b->output_fd);
}

int
build_image (struct muelle_store *store, const struct build_options *opts, char **image_id,
             estiba_error_t *err)
{
  struct build b = { .store = store, .opts = opts, .output_fd = -1 };
  cleanup_free char *data = NULL;
  cleanup_strv char **args = effective_build_args (opts->build_args);
  struct dockerfile_build_args dargs = { args, opts->platform, NULL };
  const struct dockerfile_stage *target;
  struct sigaction saved[3];
  size_t len;
  int ret = -1;

  catch_signals (saved);
  b.filename = opts->dockerfile && strcmp (opts->dockerfile, "-") != 0 ? opts->dockerfile : "Dockerfile";
  b.platform_key = opts->platform ? opts->platform : "host";
  b.created = build_config_time (opts->timestamp);
  if (read_dockerfile (opts, &data, &len, err) < 0)
    goto out;
  b.df = dockerfile_parse (data, len, b.filename, &dargs, err);
  if (b.df == NULL)
    goto out;
  if (b.df->n_stages == 0)
    {
      estiba_error (err, 0, "%s: no FROM instruction", b.filename);
      goto out;
    }
  target = opts->target ? dockerfile_find_stage (b.df, opts->target) : &b.df->stages[b.df->n_stages - 1];
  if (target == NULL)
    {
      estiba_error (err, 0, "--target: no build stage `%s` in %s", opts->target, b.filename);
      goto out;
    }
  b.stages = oci_xzalloc (b.df->n_stages * sizeof (*b.stages));
  b.step_offset = oci_xzalloc (b.df->n_stages * sizeof (*b.step_offset));
  if (dockerignore_load (opts->context_dir, &b.ignore, err) < 0)
    goto out;
  if (build_digest_cache_open (store, &b.digests, err) < 0)
    goto out;
  build_progress_init (&b.progress, opts->quiet ? -1 : STDERR_FILENO,
                       count_steps (b.df, target->index, b.step_offset));
  b.output_fd = opts->quiet ? open ("/dev/null", O_WRONLY | O_CLOEXEC) : STDERR_FILENO;
  if (build_parallel_stages (&b, target->index, err) < 0 || build_stage (&b, target->index, err) < 0
      || check_interrupted (err) < 0)
    goto out;
  ret = commit_image (&b, &b.stages[target->index], image_id, err);
out:
  build_release (&b);
  restore_signals (saved);
  return ret;
}
