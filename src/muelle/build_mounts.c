#include <config.h>
#include "build_mounts.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SECRET_SIZE (500 * 1024) /* BuildKit's limit */

struct step_mount
{
  char *target;
  char *type; /* "bind" or "tmpfs" */
  char *source;
  char *options[6];
};

struct build_mounts
{
  struct step_mount *mounts;
  size_t n;
  char **env; /* NULL-terminated */
  size_t env_len;
  struct build_rootfs **views; /* from= views and rw overlays */
  size_t n_views;
  int *lock_fds;
  size_t n_locks;
  char **tmp_dirs; /* private cache instances */
  size_t n_tmp_dirs;
  char *secrets_dir; /* a tmpfs while mounted */
};

static void *
grow (void *array, size_t n, size_t elem)
{
  return realloc (array, (n + 1) * elem);
}

static int
add_mount (struct build_mounts *m, const char *target, const char *type, const char *source, bool readonly,
           const char *extra, estiba_error_t *err)
{
  struct step_mount *sm;
  size_t k = 0;
  void *p = grow (m->mounts, m->n, sizeof (*m->mounts));

  if (p == NULL)
    return estiba_error (err, ENOMEM, "RUN --mount");
  m->mounts = p;
  sm = &m->mounts[m->n++];
  memset (sm, 0, sizeof (*sm));
  sm->target = strdup (target);
  sm->type = strdup (type);
  sm->source = strdup (source);
  if (strcmp (type, "bind") == 0)
    sm->options[k++] = strdup ("rbind");
  else
    {
      sm->options[k++] = strdup ("nosuid");
      sm->options[k++] = strdup ("nodev");
    }
  sm->options[k++] = strdup (readonly ? "ro" : "rw");
  if (extra)
    sm->options[k++] = strdup (extra);
  if (sm->target == NULL || sm->type == NULL || sm->source == NULL)
    return estiba_error (err, ENOMEM, "RUN --mount");
  return 0;
}

static char *
absolute_target (const char *workdir, const char *target)
{
  char *out = NULL;
  if (target[0] == '/')
    return strdup (target);
  if (asprintf (&out, "%s/%s", workdir && workdir[0] ? workdir : "/", target) < 0)
    return NULL;
  return out;
}

/* The real path of `path` inside root, symlinks resolved within root: a
 * context cannot make a bind mount reach the host's files.  */
static int
resolve_inside (const char *root, const char *path, char **out, estiba_error_t *err)
{
  cleanup_close int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  char proc[64], buf[PATH_MAX];
  ssize_t len;

  if (rootfd < 0)
    return estiba_error_errno (err, "RUN --mount: open `%s`", root);
  fd = fs_open_in_root (rootfd, path && path[0] ? path : ".", O_PATH);
  if (fd < 0)
    return estiba_error_errno (err, "RUN --mount: source `%s`", path ? path : ".");
  snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
  len = readlink (proc, buf, sizeof (buf) - 1);
  if (len < 0)
    return estiba_error_errno (err, "RUN --mount: source `%s`", path);
  buf[len] = '\0';
  *out = strdup (buf);
  return *out ? 0 : estiba_error (err, ENOMEM, "RUN --mount");
}

static int
keep_view (struct build_mounts *m, struct build_rootfs *view, estiba_error_t *err)
{
  void *p = grow (m->views, m->n_views, sizeof (*m->views));
  if (p == NULL)
    {
      build_rootfs_release (view);
      return estiba_error (err, ENOMEM, "RUN --mount");
    }
  m->views = p;
  m->views[m->n_views++] = view;
  return 0;
}

/* A read-only view of the stage or image from= names.  */
static int
from_root (const struct build_mounts_request *req, struct build_mounts *m, const char *from,
           const char **root, estiba_error_t *err)
{
  struct build_layers layers = { 0 };
  struct build_rootfs *view;

  if (req->resolve_from == NULL)
    return estiba_error (err, 0, "RUN --mount from=%s: no stage or image of that name", from);
  if (req->resolve_from (req->opaque, from, &layers, err) < 0)
    return -1;
  if (build_rootfs_mount (req->store, &layers, false, &view, err) < 0 || keep_view (m, view, err) < 0)
    return -1;
  *root = build_rootfs_path (view);
  return 0;
}

static int
prepare_bind (const struct build_mounts_request *req, struct build_mounts *m,
              const struct dockerfile_mount *dm, const char *target, estiba_error_t *err)
{
  cleanup_free char *source = NULL;
  const char *root = req->context_dir;
  struct build_rootfs *rw;
  struct stat st;

  if (dm->from && from_root (req, m, dm->from, &root, err) < 0)
    return -1;
  if (root == NULL)
    return estiba_error (err, 0, "RUN --mount=type=bind: no build context");
  if (resolve_inside (root, dm->source, &source, err) < 0)
    return -1;
  if (dm->readonly)
    return add_mount (m, target, "bind", source, true, NULL, err);
  /* rw: the step may write, but the writes never reach the source.  */
  if (stat (source, &st) < 0)
    return estiba_error_errno (err, "RUN --mount: source `%s`", source);
  if (!S_ISDIR (st.st_mode))
    return estiba_error (err, 0, "RUN --mount=type=bind,rw: source `%s` is not a directory", dm->source);
  if (build_rootfs_mount_dir (req->store, source, &rw, err) < 0 || keep_view (m, rw, err) < 0)
    return -1;
  return add_mount (m, target, "bind", build_rootfs_path (rw), false, NULL, err);
}

static bool
holds_lock (const struct build_mounts *m, int fd)
{
  struct stat a, b;
  size_t i;

  if (fstat (fd, &a) < 0)
    return false;
  for (i = 0; i < m->n_locks; i++)
    if (fstat (m->lock_fds[i], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
      return true;
  return false;
}

/* 0: locked (or this step holds it already and wait is set: one step may
 * mount a locked cache twice), 1: busy and !wait.  */
static int
take_lock (struct build_mounts *m, const char *path, bool wait, int signal_fd, estiba_error_t *err)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  void *p;

  if (fd < 0)
    return estiba_error_errno (err, "RUN --mount=type=cache: lock `%s`", path);
  /* flock would wait for ourselves: a second open file is another owner.  */
  if (holds_lock (m, fd))
    {
      close (fd);
      return wait ? 0 : 1;
    }
  while (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      int saved = errno;
      struct pollfd pfd = { .fd = signal_fd, .events = POLLIN };
      if (saved == EWOULDBLOCK && wait && poll (&pfd, signal_fd >= 0 ? 1 : 0, 100) == 0)
        continue;
      close (fd);
      if (saved == EWOULDBLOCK && !wait)
        return 1;
      if (saved == EWOULDBLOCK)
        return estiba_error (err, 0, "RUN --mount=type=cache: interrupted while waiting for `%s`", path);
      return estiba_error (err, saved, "RUN --mount=type=cache: lock `%s`", path);
    }
  p = grow (m->lock_fds, m->n_locks, sizeof (*m->lock_fds));
  if (p == NULL)
    {
      close (fd);
      return estiba_error (err, ENOMEM, "RUN --mount");
    }
  m->lock_fds = p;
  m->lock_fds[m->n_locks++] = fd;
  return 0;
}

static int
make_cache_dir (const char *dir, const struct dockerfile_mount *dm, estiba_error_t *err)
{
  mode_t mode = dm->mode >= 0 ? (mode_t) dm->mode : 0755;

  if (mkdir (dir, 0700) < 0)
    {
      if (errno == EEXIST)
        return 0; /* kept from an earlier build: as it was left */
      return estiba_error_errno (err, "RUN --mount=type=cache: mkdir `%s`", dir);
    }
  if (chown (dir, dm->uid >= 0 ? (uid_t) dm->uid : 0, dm->gid >= 0 ? (gid_t) dm->gid : 0) < 0
      || chmod (dir, mode & 07777) < 0)
    return estiba_error_errno (err, "RUN --mount=type=cache: `%s`", dir);
  return 0;
}

static int
private_instance (const struct build_mounts_request *req, struct build_mounts *m,
                  const struct dockerfile_mount *dm, char **dir, estiba_error_t *err)
{
  cleanup_free char *tmp = NULL;
  void *p;

  if (build_store_dir (req->store, "build/tmp", &tmp, err) < 0)
    return -1;
  free (*dir);
  if (asprintf (dir, "%s/cache-XXXXXX", tmp) < 0 || mkdtemp (*dir) == NULL)
    return estiba_error_errno (err, "RUN --mount=type=cache: temporary instance");
  p = grow (m->tmp_dirs, m->n_tmp_dirs, sizeof (*m->tmp_dirs));
  if (p == NULL)
    return estiba_error (err, ENOMEM, "RUN --mount");
  m->tmp_dirs = p;
  m->tmp_dirs[m->n_tmp_dirs++] = strdup (*dir);
  if (rmdir (*dir) < 0)
    return estiba_error_errno (err, "RUN --mount=type=cache: `%s`", *dir);
  return make_cache_dir (*dir, dm, err);
}

static int
prepare_cache (const struct build_mounts_request *req, struct build_mounts *m,
               const struct dockerfile_mount *dm, const char *target, estiba_error_t *err)
{
  cleanup_free char *base = NULL;
  cleanup_free char *digest = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *lock = NULL;
  const char *id = dm->id && dm->id[0] ? dm->id : target;
  int busy;

  if (dm->from)
    return estiba_error (err, 0, "RUN --mount=type=cache,from=%s: not supported", dm->from);
  if (build_store_dir (req->store, "build/run-cache", &base, err) < 0)
    return -1;
  /* The id is the user's text: hashed, it names exactly one directory.  */
  digest = digest_buffer (id, strlen (id));
  if (digest == NULL || asprintf (&dir, "%s/%s", base, digest_hex (digest)) < 0
      || asprintf (&lock, "%s/%s.lock", base, digest_hex (digest)) < 0)
    return estiba_error (err, ENOMEM, "RUN --mount");
  switch (dm->sharing)
    {
      case DOCKERFILE_SHARING_LOCKED:
        if (take_lock (m, lock, true, req->signal_fd, err) < 0)
          return -1;
        break;
      case DOCKERFILE_SHARING_PRIVATE:
        busy = take_lock (m, lock, false, req->signal_fd, err);
        if (busy < 0)
          return -1;
        if (busy && private_instance (req, m, dm, &dir, err) < 0)
          return -1;
        break;
      case DOCKERFILE_SHARING_SHARED:
        break;
    }
  if (make_cache_dir (dir, dm, err) < 0)
    return -1;
  return add_mount (m, target, "bind", dir, dm->readonly, NULL, err);
}

static int
prepare_tmpfs (struct build_mounts *m, const struct dockerfile_mount *dm, const char *target,
               estiba_error_t *err)
{
  char size[64];

  if (dm->size > 0)
    snprintf (size, sizeof (size), "size=%lld", (long long) dm->size);
  return add_mount (m, target, "tmpfs", "tmpfs", false, dm->size > 0 ? size : NULL, err);
}

static const char *
secret_path (char *const *secrets, const char *id)
{
  size_t len = strlen (id);
  for (; secrets && *secrets; secrets++)
    if (strncmp (*secrets, id, len) == 0 && (*secrets)[len] == '=')
      return *secrets + len + 1;
  return NULL;
}

/* BuildKit: the id defaults to the target's last component.  */
static const char *
secret_id_from_target (const char *target)
{
  const char *slash = target ? strrchr (target, '/') : NULL;
  return slash ? slash + 1 : target;
}

/* Secrets are copied into a tmpfs only this process sees (the build's
 * private mount namespace), with the owner and mode the mount asks for.  */
static int
ensure_secrets_dir (const struct build_mounts_request *req, struct build_mounts *m, estiba_error_t *err)
{
  if (m->secrets_dir)
    return 0;
  if (asprintf (&m->secrets_dir, "%s/secrets", req->scratch) < 0)
    return estiba_error (err, ENOMEM, "RUN --mount");
  if (mkdir (m->secrets_dir, 0700) < 0)
    return estiba_error_errno (err, "RUN --mount=type=secret: mkdir `%s`", m->secrets_dir);
  if (mount ("tmpfs", m->secrets_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=64m") < 0)
    {
      int saved = errno;
      rmdir (m->secrets_dir);
      free (m->secrets_dir);
      m->secrets_dir = NULL;
      return estiba_error (err, saved, "RUN --mount=type=secret: tmpfs");
    }
  return 0;
}

static int
add_env (struct build_mounts *m, const char *name, const char *value, estiba_error_t *err)
{
  void *p = realloc (m->env, (m->env_len + 2) * sizeof (*m->env));
  if (p == NULL)
    return estiba_error (err, ENOMEM, "RUN --mount");
  m->env = p;
  if (asprintf (&m->env[m->env_len], "%s=%s", name, value) < 0)
    return estiba_error (err, ENOMEM, "RUN --mount");
  m->env[++m->env_len] = NULL;
  return 0;
}

static int
prepare_secret (const struct build_mounts_request *req, struct build_mounts *m,
                const struct dockerfile_mount *dm, estiba_error_t *err)
{
  const char *id = dm->id && dm->id[0] ? dm->id : secret_id_from_target (dm->target);
  cleanup_free char *data = NULL;
  cleanup_free char *copy = NULL;
  cleanup_free char *target = NULL;
  cleanup_close int fd = -1;
  const char *src;
  size_t len = 0;

  if (id == NULL || id[0] == '\0')
    return estiba_error (err, 0, "RUN --mount=type=secret: needs id= or target=");
  src = secret_path (req->secrets, id);
  if (src == NULL)
    {
      if (dm->required)
        return estiba_error (
          err, 0, "RUN --mount=type=secret: secret `%s` not provided (use --secret id=%s,src=PATH)", id, id);
      return 0;
    }
  if (fs_read_file (src, MAX_SECRET_SIZE, &data, &len, err) < 0)
    return estiba_error_wrap (err, "secret `%s`", id);
  /* Even for env= only: the runtime config that carries it goes there.  */
  if (ensure_secrets_dir (req, m, err) < 0)
    return -1;
  if (dm->env && add_env (m, dm->env, data, err) < 0)
    return -1;
  if (dm->env && dm->target == NULL)
    return 0; /* env= alone: no file (BuildKit) */
  if (dm->target)
    target = absolute_target (req->workdir, dm->target);
  else if (asprintf (&target, "/run/secrets/%s", id) < 0)
    target = NULL;
  if (target == NULL)
    return estiba_error (err, ENOMEM, "RUN --mount");
  if (asprintf (&copy, "%s/%zu", m->secrets_dir, m->n) < 0)
    return estiba_error (err, ENOMEM, "RUN --mount");
  fd = open (copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || fs_write_all (fd, data, len) < 0
      || fchown (fd, dm->uid >= 0 ? (uid_t) dm->uid : 0, dm->gid >= 0 ? (gid_t) dm->gid : 0) < 0
      || fchmod (fd, dm->mode >= 0 ? (mode_t) dm->mode & 07777 : 0400) < 0)
    return estiba_error_errno (err, "RUN --mount=type=secret: `%s`", id);
  return add_mount (m, target, "bind", copy, true, NULL, err);
}

static int
prepare_one (const struct build_mounts_request *req, struct build_mounts *m,
             const struct dockerfile_mount *dm, estiba_error_t *err)
{
  cleanup_free char *target = NULL;

  if (dm->type == DOCKERFILE_MOUNT_SECRET)
    return prepare_secret (req, m, dm, err);
  if (dm->type == DOCKERFILE_MOUNT_SSH)
    return estiba_error (err, 0, "RUN --mount=type=ssh: not supported");
  if (dm->target == NULL || dm->target[0] == '\0')
    return estiba_error (err, 0, "RUN --mount: target= is required");
  target = absolute_target (req->workdir, dm->target);
  if (target == NULL)
    return estiba_error (err, ENOMEM, "RUN --mount");
  switch (dm->type)
    {
      case DOCKERFILE_MOUNT_BIND:
        return prepare_bind (req, m, dm, target, err);
      case DOCKERFILE_MOUNT_CACHE:
        return prepare_cache (req, m, dm, target, err);
      case DOCKERFILE_MOUNT_TMPFS:
        return prepare_tmpfs (m, dm, target, err);
      default:
        return estiba_error (err, 0, "RUN --mount: unknown type");
    }
}

int
build_mounts_prepare (const struct build_mounts_request *req, struct build_mounts **out, estiba_error_t *err)
{
  struct build_mounts *m = calloc (1, sizeof (*m));
  size_t i;

  if (m == NULL)
    return estiba_error (err, ENOMEM, "RUN --mount");
  for (i = 0; req->run && i < req->run->n_mounts; i++)
    if (prepare_one (req, m, &req->run->mounts[i], err) < 0)
      {
        build_mounts_release (m);
        return -1;
      }
  *out = m;
  return 0;
}

void
build_mounts_add_to_config (const struct build_mounts *m, struct oci_config *config)
{
  size_t i, k;

  for (i = 0; i < m->n; i++)
    {
      struct oci_mount *om = OCI_APPEND (config->mounts, config->mounts_len);
      om->destination = oci_strdup (m->mounts[i].target);
      om->type = oci_strdup (m->mounts[i].type);
      om->source = oci_strdup (m->mounts[i].source);
      for (k = 0; m->mounts[i].options[k]; k++)
        oci_strv_append (&om->options, &om->options_len, m->mounts[i].options[k]);
    }
  for (i = 0; i < m->env_len; i++)
    oci_strv_append (&config->process->env, &config->process->env_len, m->env[i]);
}

const char *
build_mounts_private_dir (const struct build_mounts *m)
{
  return m->secrets_dir;
}

void
build_mounts_release (struct build_mounts *m)
{
  size_t i, k;

  if (m == NULL)
    return;
  for (i = 0; i < m->n; i++)
    {
      free (m->mounts[i].target);
      free (m->mounts[i].type);
      free (m->mounts[i].source);
      for (k = 0; k < sizeof (m->mounts[i].options) / sizeof (m->mounts[i].options[0]); k++)
        free (m->mounts[i].options[k]);
    }
  free (m->mounts);
  for (i = 0; i < m->env_len; i++)
    free (m->env[i]);
  free (m->env);
  for (i = 0; i < m->n_views; i++)
    build_rootfs_release (m->views[i]);
  free (m->views);
  for (i = 0; i < m->n_tmp_dirs; i++)
    {
      fs_remove_tree (m->tmp_dirs[i], NULL);
      free (m->tmp_dirs[i]);
    }
  free (m->tmp_dirs);
  for (i = 0; i < m->n_locks; i++)
    close (m->lock_fds[i]);
  free (m->lock_fds);
  if (m->secrets_dir)
    {
      umount2 (m->secrets_dir, MNT_DETACH);
      rmdir (m->secrets_dir);
      free (m->secrets_dir);
    }
  free (m);
}
