#include <config.h>
#include "build_run.h"
#include "build_diff.h"
#include "build_layer.h"
#include "build_mounts.h"
#include "cleanup.h"
#include "default_spec.h"
#include "estiba.h"
#include "fsutil.h"
#include "image_user.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUILD_HOSTNAME "buildkitsandbox"
#define DEFAULT_PATH   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What `docker build` gives a RUN step (moby's default capability set).  */
static const char *const build_caps[] = {
  "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",      "CAP_MKNOD",
  "CAP_NET_RAW", "CAP_SETGID",       "CAP_SETUID",           "CAP_SETFCAP",     "CAP_SETPCAP",
  "CAP_KILL",    "CAP_SYS_CHROOT",   "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE", NULL,
};

/* Host files the step sees read-only and that never reach its layer.  */
static const char *const host_files[] = { "/etc/hosts", "/etc/resolv.conf", NULL };

struct run_step
{
  const struct build_run_request *req;
  char *scratch; /* build/tmp/run-XXXXXX: bundle/, state/, secrets/ */
  char *id;
  char *state_root;
  const char *private_dir; /* where bundle/ and state/ go: scratch, or a tmpfs with secrets */
  struct build_rootfs *rootfs;
  struct build_mounts *mounts;
  struct oci_config *config;
  struct build_diff_ignore ignore; /* mount points the parent did not have */
  /* SIGINT/SIGTERM/SIGHUP are blocked for the whole step and read here,
   * so the step always cleans up before the signal takes effect.  */
  int sfd;
  sigset_t saved_mask;
  int got_signal;
};

/* ---- the runtime config ---- */

static void
set_caps (struct oci_process *p)
{
  struct oci_capabilities *c = p->capabilities;

  if (c == NULL)
    c = p->capabilities = oci_xzalloc (sizeof (*c));
  oci_strv_free (c->bounding);
  oci_strv_free (c->effective);
  oci_strv_free (c->permitted);
  oci_strv_free (c->inheritable);
  oci_strv_free (c->ambient);
  c->bounding = oci_strv_dup ((char *const *) build_caps, &c->bounding_len);
  c->effective = oci_strv_dup ((char *const *) build_caps, &c->effective_len);
  c->permitted = oci_strv_dup ((char *const *) build_caps, &c->permitted_len);
  c->inheritable = NULL;
  c->inheritable_len = 0;
  c->ambient = NULL;
  c->ambient_len = 0;
}

static void
drop_rlimits (struct oci_process *p)
{
  size_t i;

  for (i = 0; i < p->rlimits_len; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  p->rlimits = NULL;
  p->rlimits_len = 0;
}

static void
set_env (struct oci_process *p, char *const *env)
{
  bool has_path = false;
  size_t n;

  oci_strv_free (p->env);
  p->env = oci_strv_dup (env, &n);
  p->env_len = n;
  for (; env && *env; env++)
    has_path |= strncmp (*env, "PATH=", 5) == 0;
  /* An image without PATH still finds its tools (docker build does this).  */
  if (!has_path)
    oci_strv_append (&p->env, &p->env_len, DEFAULT_PATH);
}

static int
set_user (struct oci_process *p, const char *merged, const char *user, estiba_error_t *err)
{
  cleanup_close int rootfd = open (merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct image_user u = { 0 };

  if (rootfd < 0)
    return estiba_error_errno (err, "RUN: open the rootfs `%s`", merged);
  if (image_user_resolve (rootfd, user, &u, err) < 0)
    return -1;
  if (p->user == NULL)
    p->user = oci_xzalloc (sizeof (*p->user));
  OCI_SET (p->user, uid, u.uid);
  OCI_SET (p->user, gid, u.gid);
  free (p->user->additional_gids);
  p->user->additional_gids = u.has_additional_gids ? u.additional_gids : NULL;
  p->user->additional_gids_len = u.has_additional_gids ? u.additional_gids_len : 0;
  if (!u.has_additional_gids)
    free (u.additional_gids);
  return 0;
}

/* The network namespace is not the runtime's business here: "host" shares
 * ours, "none" is a fresh one the child makes (with lo up, which the
 * runtime would not do).  */
static void
drop_network_namespace (struct oci_linux *l)
{
  size_t i, k = 0;

  for (i = 0; i < l->namespaces_len; i++)
    {
      if (strcmp (l->namespaces[i].type, "network") == 0)
        {
          free (l->namespaces[i].type);
          free (l->namespaces[i].path);
          continue;
        }
      l->namespaces[k++] = l->namespaces[i];
    }
  l->namespaces_len = k;
}

/* docker build lets a step make any device node (moby's default device
 * rules "c *:* m" and "b *:* m"); using them still needs a rule.  */
static void
allow_mknod (struct oci_config *c)
{
  static const char *const types[] = { "c", "b" };
  size_t i;

  if (c->linux_ == NULL)
    c->linux_ = oci_xzalloc (sizeof (*c->linux_));
  if (c->linux_->resources == NULL)
    c->linux_->resources = oci_xzalloc (sizeof (*c->linux_->resources));
  for (i = 0; i < 2; i++)
    {
      struct oci_linux_device_cgroup *d =
        OCI_APPEND (c->linux_->resources->devices, c->linux_->resources->devices_len);
      OCI_SET (d, allow, true);
      d->type = oci_strdup (types[i]);
      d->access = oci_strdup ("m");
    }
}

static void
add_host_files (struct oci_config *config)
{
  size_t i;

  for (i = 0; host_files[i]; i++)
    {
      struct oci_mount *m;
      if (access (host_files[i], R_OK) < 0)
        continue;
      m = OCI_APPEND (config->mounts, config->mounts_len);
      m->destination = oci_strdup (host_files[i]);
      m->type = oci_strdup ("bind");
      m->source = oci_strdup (host_files[i]);
      oci_strv_append (&m->options, &m->options_len, "rbind");
      oci_strv_append (&m->options, &m->options_len, "ro");
      oci_strv_append (&m->options, &m->options_len, "nosuid");
      oci_strv_append (&m->options, &m->options_len, "nodev");
    }
}

static int
make_config (struct run_step *s, estiba_error_t *err)
{
  const struct build_run_request *req = s->req;
  const char *merged = build_rootfs_path (s->rootfs);
  struct oci_config *c = estiba_default_spec (false, 0, 0, err);
  struct oci_process *p;
  size_t n;

  if (c == NULL)
    return -1;
  s->config = c;
  if (c->process == NULL)
    c->process = oci_xzalloc (sizeof (*c->process));
  p = c->process;
  OCI_SET (p, terminal, false);
  oci_strv_free (p->args);
  p->args = oci_strv_dup (req->argv, &n);
  p->args_len = n;
  set_env (p, req->env);
  free (p->cwd);
  p->cwd = oci_strdup (req->workdir && req->workdir[0] ? req->workdir : "/");
  set_caps (p);
  /* As docker build: setuid programs work (no no_new_privs) and the
   * limits are the builder's own, not runc's 1024 open files.  */
  OCI_SET (p, no_new_privileges, false);
  drop_rlimits (p);
  if (set_user (p, merged, req->user, err) < 0)
    return -1;
  free (c->hostname);
  c->hostname = oci_strdup (BUILD_HOSTNAME);
  if (c->root == NULL)
    c->root = oci_xzalloc (sizeof (*c->root));
  free (c->root->path);
  c->root->path = oci_strdup (merged);
  OCI_SET (c->root, readonly, false);
  if (c->linux_)
    drop_network_namespace (c->linux_);
  allow_mknod (c);
  add_host_files (c);
  build_mounts_add_to_config (s->mounts, c);
  return 0;
}

/* rel (inside rootfd) is a directory, made when missing.  */
static int
ensure_dir_in_root (int rootfd, char *rel, estiba_error_t *err)
{
  cleanup_close int fd = fs_open_in_root (rootfd, rel, O_PATH | O_DIRECTORY);
  cleanup_close int parentfd = -1;
  char *last;

  if (fd >= 0)
    return 0;
  if (errno != ENOENT)
    return estiba_error_errno (err, "RUN: working directory `/%s`", rel);
  last = strrchr (rel, '/');
  if (last)
    *last = '\0';
  parentfd = fs_open_in_root (rootfd, last ? rel : ".", O_PATH | O_DIRECTORY);
  if (last)
    *last = '/';
  if (parentfd < 0 || (mkdirat (parentfd, last ? last + 1 : rel, 0755) < 0 && errno != EEXIST))
    return estiba_error_errno (err, "RUN: create the working directory `/%s`", rel);
  return 0;
}

/* The working directory, made when missing as runc does (it stays in the
 * layer, as with docker build).  Symlinks resolve inside the rootfs.  */
static int
ensure_workdir (const char *merged, const char *workdir, estiba_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *rel = NULL;
  size_t i, len;

  if (workdir == NULL)
    return 0;
  while (*workdir == '/')
    workdir++;
  rel = strdup (workdir);
  rootfd = open (merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rel == NULL || rootfd < 0)
    return estiba_error_errno (err, "RUN: open the rootfs `%s`", merged);
  len = strlen (rel);
  for (i = 1; i <= len; i++)
    if (rel[i] == '/' || rel[i] == '\0')
      {
        char c = rel[i];
        rel[i] = '\0';
        if (ensure_dir_in_root (rootfd, rel, err) < 0)
          return -1;
        rel[i] = c;
      }
  return 0;
}

/* ---- mount points the runtime creates ---- */

static bool
stat_in_rootfs (int rootfd, const char *rel, struct stat *st)
{
  int fd = fs_open_in_root (rootfd, rel[0] ? rel : ".", O_PATH | O_NOFOLLOW);
  bool ok;

  if (fd < 0)
    return false;
  ok = fstat (fd, st) == 0;
  close (fd);
  return ok;
}

static int
note_parent (struct run_step *s, const char *rel, const struct stat *st, estiba_error_t *err)
{
  struct build_diff_ignore *ig = &s->ignore;
  struct build_diff_parent *p;
  size_t i;

  if (!S_ISDIR (st->st_mode))
    return 0;
  for (i = 0; i < ig->n_parents; i++)
    if (strcmp (ig->parents[i].path, rel) == 0)
      return 0;
  p = realloc (ig->parents, (ig->n_parents + 1) * sizeof (*ig->parents));
  if (p == NULL)
    return estiba_error (err, ENOMEM, "RUN");
  ig->parents = p;
  p = &ig->parents[ig->n_parents];
  p->path = strdup (rel);
  if (p->path == NULL)
    return estiba_error (err, ENOMEM, "RUN");
  p->uid = st->st_uid;
  p->gid = st->st_gid;
  p->mode = st->st_mode & 07777;
  ig->n_parents++;
  return 0;
}

static int
note_created_path (struct run_step *s, const char *rel, estiba_error_t *err)
{
  struct build_diff_ignore *ig = &s->ignore;
  void *p = realloc (ig->created, (ig->n_created + 1) * sizeof (*ig->created));

  if (p == NULL)
    return estiba_error (err, ENOMEM, "RUN");
  ig->created = p;
  ig->created[ig->n_created] = strdup (rel);
  if (ig->created[ig->n_created] == NULL)
    return estiba_error (err, ENOMEM, "RUN");
  ig->n_created++;
  return 0;
}

/* rel and its ancestors: overlayfs copies them all up.  */
static int
note_parents (struct run_step *s, int rootfd, char *rel, estiba_error_t *err)
{
  struct stat st;
  char *slash;

  while (rel[0])
    {
      if (stat_in_rootfs (rootfd, rel, &st) && note_parent (s, rel, &st, err) < 0)
        return -1;
      slash = strrchr (rel, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
    }
  return 0;
}

/* Every missing component of dest, from the target up to the first that
 * exists; that one and its ancestors are copied up when the runtime
 * creates the rest.  */
static int
note_created (struct run_step *s, int rootfd, const char *dest, estiba_error_t *err)
{
  cleanup_free char *rel = NULL;
  bool missing = false;
  struct stat st;
  char *slash;

  while (*dest == '/')
    dest++;
  rel = strdup (dest);
  if (rel == NULL)
    return estiba_error (err, ENOMEM, "RUN");
  for (;;)
    {
      size_t len = strlen (rel);
      while (len > 0 && rel[len - 1] == '/')
        rel[--len] = '\0';
      if (stat_in_rootfs (rootfd, rel, &st))
        return missing ? note_parents (s, rootfd, rel, err) : 0;
      if (len == 0)
        return 0;
      if (note_created_path (s, rel, err) < 0)
        return -1;
      missing = true;
      slash = strrchr (rel, '/');
      if (slash == NULL)
        rel[0] = '\0';
      else
        *slash = '\0';
    }
}

static int
note_mount_points (struct run_step *s, estiba_error_t *err)
{
  cleanup_close int rootfd = open (build_rootfs_path (s->rootfs), O_PATH | O_DIRECTORY | O_CLOEXEC);
  size_t i;

  if (rootfd < 0)
    return estiba_error_errno (err, "RUN: open the rootfs");
  for (i = 0; i < s->config->mounts_len; i++)
    if (note_created (s, rootfd, s->config->mounts[i].destination, err) < 0)
      return -1;
  return 0;
}

/* ---- running the container ---- */

static int
write_bundle (struct run_step *s, char **bundle, estiba_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_close int fd = -1;
  char *jerr = NULL;

  if (asprintf (bundle, "%s/bundle", s->private_dir) < 0)
    return estiba_error (err, ENOMEM, "RUN");
  if (mkdir (*bundle, 0700) < 0)
    return estiba_error_errno (err, "RUN: mkdir `%s`", *bundle);
  json = oci_config_generate (s->config, true, &jerr);
  if (json == NULL)
    {
      estiba_error (err, 0, "RUN: runtime config: %s", jerr ? jerr : "?");
      free (jerr);
      return -1;
    }
  /* Scratch that dies with the step: no need for fsync and rename.  */
  fd = openat (AT_FDCWD, *bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    {
      int dirfd = fd;
      fd = openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      close (dirfd);
    }
  if (fd < 0 || fs_write_all (fd, json, strlen (json)) < 0)
    return estiba_error_errno (err, "RUN: write `%s/config.json`", *bundle);
  return 0;
}

static int
loopback_up (void)
{
  struct ifreq ifr = { 0 };
  cleanup_close int sk = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (sk < 0)
    return -1;
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (sk, SIOCGIFFLAGS, &ifr) < 0)
    return -1;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl (sk, SIOCSIFFLAGS, &ifr);
}

static void
report_child_error (int errfd, const char *what, int saved_errno)
{
  dprintf (errfd, "%s: %s", what, strerror (saved_errno));
}

/* The forked child: stdio, network namespace, then the runtime.  Its
 * signal and subreaper state is its own, muelle's stays untouched.  */
static void __attribute__ ((noreturn))
child_run (struct run_step *s, const char *bundle, bool new_netns, const sigset_t *saved, int errfd)
{
  struct estiba_context ctx = { .state_root = s->state_root, .rootless = 0, .no_cloned_binary = true };
  struct estiba_create_options opts = { .id = s->id, .bundle = bundle };
  estiba_error_t err = NULL;
  int nullfd, ret;

  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  signal (SIGHUP, SIG_DFL);
  sigprocmask (SIG_SETMASK, saved, NULL);
  nullfd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (nullfd < 0 || dup2 (nullfd, 0) < 0 || dup2 (s->req->output_fd, 1) < 0
      || dup2 (s->req->output_fd, 2) < 0)
    {
      report_child_error (errfd, "RUN: set up the output", errno);
      _exit (255);
    }
  if (new_netns && (unshare (CLONE_NEWNET) < 0 || loopback_up () < 0))
    {
      report_child_error (errfd, "RUN --network=none: new network namespace", errno);
      _exit (255);
    }
  ret = estiba_container_run (&ctx, &opts, &err);
  if (ret < 0)
    {
      cleanup_free char *msg = estiba_error_string (err);
      dprintf (errfd, "%s", msg ? msg : "container failed");
      estiba_error_release (&err);
      _exit (255);
    }
  _exit (ret & 0xff);
}

static bool
network_is_none (const struct build_run_request *req)
{
  if (req->run && req->run->network == DOCKERFILE_NETWORK_NONE)
    return true;
  if (req->run && req->run->network == DOCKERFILE_NETWORK_HOST)
    return false;
  return req->network && strcmp (req->network, "none") == 0;
}

static void
kill_container (struct run_step *s)
{
  struct estiba_context ctx = { .state_root = s->state_root, .rootless = 0, .no_cloned_binary = true };
  estiba_error_t err = NULL;

  estiba_container_kill (&ctx, s->id, "KILL", true, &err);
  estiba_error_release (&err);
}

/* Wait for the child; SIGINT/SIGTERM/SIGHUP kill the container (again
 * every 100 ms until the child is gone: it may not exist yet).  */
static int
wait_child (struct run_step *s, pid_t pid, int sfd, int *status, int *got_signal, estiba_error_t *err)
{
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);

  for (;;)
    {
      struct pollfd fds[2] = { { .fd = sfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      int r = poll (fds, pidfd >= 0 ? 2 : 1, *got_signal || pidfd < 0 ? 100 : -1);
      if (r < 0 && errno != EINTR)
        {
          int saved = errno;
          if (pidfd >= 0)
            close (pidfd);
          return estiba_error (err, saved, "RUN: poll");
        }
      if (r > 0 && (fds[0].revents & POLLIN))
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof (si)) == (ssize_t) sizeof (si) && *got_signal == 0)
            *got_signal = (int) si.ssi_signo;
        }
      if (*got_signal)
        kill_container (s);
      if (waitpid (pid, status, WNOHANG) == pid)
        break;
    }
  if (pidfd >= 0)
    close (pidfd);
  return 0;
}

static char *
argv_text (char *const *argv)
{
  size_t len = 1;
  char *out, *p;
  char *const *a;

  for (a = argv; a && *a; a++)
    len += strlen (*a) + 1;
  out = p = malloc (len);
  if (out == NULL)
    return NULL;
  *p = '\0';
  for (a = argv; a && *a; a++)
    p += sprintf (p, "%s%s", a == argv ? "" : " ", *a);
  return out;
}

static int
block_signals (struct run_step *s, estiba_error_t *err)
{
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  if (sigprocmask (SIG_BLOCK, &set, &s->saved_mask) < 0)
    return estiba_error_errno (err, "RUN: block signals");
  s->sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->sfd < 0)
    {
      sigprocmask (SIG_SETMASK, &s->saved_mask, NULL);
      return estiba_error_errno (err, "RUN: signalfd");
    }
  return 0;
}

/* The first signal that arrived (0: none); later ones are dropped.  */
static int
pending_signal (struct run_step *s)
{
  struct signalfd_siginfo si;

  while (s->sfd >= 0 && read (s->sfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    if (s->got_signal == 0)
      s->got_signal = (int) si.ssi_signo;
  return s->got_signal;
}

static void
unblock_signals (struct run_step *s)
{
  if (s->sfd < 0)
    return;
  pending_signal (s);
  close (s->sfd);
  s->sfd = -1;
  sigprocmask (SIG_SETMASK, &s->saved_mask, NULL);
}

static const char *
signal_text (int sig, char *buf, size_t len)
{
  const char *name = signals_name (sig, buf, len);
  return name ? name : "a signal";
}

static int
run_container (struct run_step *s, const char *bundle, estiba_error_t *err)
{
  int *got_signal = &s->got_signal;
  char sig[32];
  int pipefd[2], status = 0, ret;
  char msg[4096];
  ssize_t len;
  pid_t pid;

  if (pending_signal (s))
    return estiba_error (err, 0, "RUN: interrupted by %s", signal_text (s->got_signal, sig, sizeof (sig)));
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return estiba_error_errno (err, "RUN: pipe");
  pid = fork ();
  if (pid == 0)
    {
      close (pipefd[0]);
      child_run (s, bundle, network_is_none (s->req), &s->saved_mask, pipefd[1]);
    }
  close (pipefd[1]);
  if (pid < 0)
    {
      ret = estiba_error_errno (err, "RUN: fork");
      goto out;
    }
  ret = wait_child (s, pid, s->sfd, &status, got_signal, err);
  if (ret < 0)
    goto out;
  len = read (pipefd[0], msg, sizeof (msg) - 1);
  if (len > 0)
    {
      msg[len] = '\0';
      ret = estiba_error (err, 0, "RUN: %s", msg);
    }
  else if (*got_signal)
    ret = estiba_error (err, 0, "RUN: interrupted by %s", signal_text (*got_signal, sig, sizeof (sig)));
  else if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      cleanup_free char *text = argv_text (s->req->argv);
      int code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
      ret = estiba_error (err, 0, "process \"%s\" exited with status %d", text ? text : "", code);
    }
out:
  close (pipefd[0]);
  return ret;
}

/* ---- the step ---- */

static int
make_layer (struct run_step *s, struct oci_image_descriptor *layer, char **diff_id, estiba_error_t *err)
{
  struct build_layer_writer *w = NULL;
  int ret;

  if (build_layer_begin (s->req->store, s->req->timestamp, &w, err) < 0)
    return -1;
  ret = build_diff_upper (build_rootfs_upper (s->rootfs), &s->ignore, w, err);
  if (ret == 0)
    ret = build_layer_commit (w, layer, diff_id, err);
  build_layer_free (w);
  return ret;
}

static int
step_scratch (struct run_step *s, estiba_error_t *err)
{
  cleanup_free char *tmp = NULL;

  if (build_store_dir (s->req->store, "build/tmp", &tmp, err) < 0)
    return -1;
  if (asprintf (&s->scratch, "%s/run-XXXXXX", tmp) < 0)
    return estiba_error (err, ENOMEM, "RUN");
  if (mkdtemp (s->scratch) == NULL)
    {
      free (s->scratch);
      s->scratch = NULL;
      return estiba_error_errno (err, "RUN: create a directory in `%s`", tmp);
    }
  /* The container id: unique like the scratch directory it lives in.  */
  if (asprintf (&s->id, "muelle-build-%s", strrchr (s->scratch, '-') + 1) < 0)
    return estiba_error (err, ENOMEM, "RUN");
  return 0;
}

static void
step_release (struct run_step *s)
{
  size_t i;

  build_mounts_release (s->mounts);
  build_rootfs_release (s->rootfs);
  if (s->scratch)
    fs_remove_tree (s->scratch, NULL);
  oci_config_free (s->config);
  for (i = 0; i < s->ignore.n_created; i++)
    free (s->ignore.created[i]);
  free (s->ignore.created);
  for (i = 0; i < s->ignore.n_parents; i++)
    free (s->ignore.parents[i].path);
  free (s->ignore.parents);
  free (s->scratch);
  free (s->id);
  free (s->state_root);
}

int
build_run_step (const struct build_run_request *req, struct oci_image_descriptor *layer, char **diff_id,
                estiba_error_t *err)
{
  struct run_step s = { .req = req, .sfd = -1 };
  cleanup_free char *bundle = NULL;
  int ret = -1;

  if (req->argv == NULL || req->argv[0] == NULL)
    return estiba_error (err, 0, "RUN: empty command");
  /* BuildKit needs the security.insecure entitlement for it; muelle has
   * no way to grant one.  */
  if (req->run && req->run->insecure)
    return estiba_error (err, 0, "RUN --security=insecure: not allowed");
  if (block_signals (&s, err) < 0)
    return -1;
  if (step_scratch (&s, err) < 0 || build_rootfs_mount (req->store, &req->parent, true, &s.rootfs, err) < 0)
    goto out;
  {
    struct build_mounts_request mreq = {
      .store = req->store,
      .run = req->run,
      .context_dir = req->context_dir,
      .resolve_from = req->resolve_from,
      .opaque = req->opaque,
      .secrets = req->secrets,
      .workdir = req->workdir,
      .scratch = s.scratch,
      .signal_fd = s.sfd,
    };
    if (build_mounts_prepare (&mreq, &s.mounts, err) < 0)
      goto out;
  }
  s.private_dir = build_mounts_private_dir (s.mounts) ? build_mounts_private_dir (s.mounts) : s.scratch;
  if (asprintf (&s.state_root, "%s/state", s.private_dir) < 0)
    {
      s.state_root = NULL;
      estiba_error (err, ENOMEM, "RUN");
      goto out;
    }
  if (ensure_workdir (build_rootfs_path (s.rootfs), req->workdir, err) < 0 || make_config (&s, err) < 0
      || note_mount_points (&s, err) < 0 || write_bundle (&s, &bundle, err) < 0)
    goto out;
  if (run_container (&s, bundle, err) < 0)
    goto out;
  ret = make_layer (&s, layer, diff_id, err);
out:
  step_release (&s);
  unblock_signals (&s);
  /* Cleaned up: now the signal may do what the caller set it to do.  */
  if (s.got_signal)
    kill (getpid (), s.got_signal);
  return ret;
}
