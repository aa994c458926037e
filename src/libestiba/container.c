/* Container lifecycle: create, start, run, delete, kill, state, list.
 *
 * The create/start protocol (see init.h for the container side):
 *   1. create validates the id and config, reserves <root>/<id> (mkdir:
 *      a duplicate id fails here), saves config.json there, creates the
 *      cgroup and forks stage 1 with one end of a SOCK_SEQPACKET pair.
 *   2. The runtime sets stage 1's initial CPU affinity and says GO; stage 1
 *      joins and creates namespaces but the cgroup one (asking the runtime
 *      to write the id maps of a new user namespace) and forks the init,
 *      whose pid it reports.  Both stay in the runtime's cgroups.
 *   3. The init builds the rootfs and sends the pty master when there is
 *      a terminal.  When there are hooks, it asks for the prestart and
 *      createRuntime ones, which the runtime runs, and runs createContainer
 *      itself.  It pivots and reports CREATED.  On the way it asks the
 *      runtime to move it into the container's cgroups (SYNC_CGROUP) and
 *      then creates the cgroup namespace: as late as possible, so the
 *      kernel memory of the setup is not charged to the container, but
 *      before any hook runs and before the process attributes (scheduler)
 *      are set.  The runtime writes the state and the pid file and exits.
 *   4. The init now blocks in accept() on <root>/<id>/start.sock.  `start`
 *      connects, removes the socket (so the container reads as "running"
 *      from then on) and says GO; the init runs startContainer hooks, the
 *      final process setup and execs.  The connection is close-on-exec:
 *      EOF tells `start` the exec happened, an error message that it
 *      failed.  Then `start` runs the poststart hooks.
 * Any failure during create kills what was forked and removes the cgroup
 * and state dir: nothing is left behind.  */
#include <config.h>
#include "container.h"
#include "seccomp_filter.h"
#include "seccomp_notify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capabilities.h"
#include "cgroup.h"
#include "cgroup_freezer.h"
#include "cgroup_resources.h"
#include "cgroup_systemd.h"
#include "cloned_binary.h"
#include "cleanup.h"
#include "fds.h"
#include "init.h"
#include "lsm.h"
#include "namespaces.h"
#include "rootless.h"
#include "rlimits.h"
#include "scheduling.h"
#include "signals.h"
#include "sysctl.h"
#include "sync.h"
#include "terminal.h"
#if __has_include("hooks.h")
#include "hooks.h"
#define HAVE_HOOKS 1
#endif

const char *
container_state_root (const struct estiba_context *ctx)
{
  return ctx && ctx->state_root ? ctx->state_root : ESTIBA_DEFAULT_STATE_ROOT;
}

int
container_open (struct estiba_context *ctx, const char *id, bool exclusive, struct container *c,
                estiba_error_t *err)
{
  memset (c, 0, sizeof (*c));
  c->lock_fd = -1;
  if (state_dir_lookup (container_state_root (ctx), id, &c->dir, err) < 0)
    return -1;
  if (state_lock (c->dir, exclusive, &c->lock_fd, err) < 0 || state_read (c->dir, &c->st, err) < 0)
    {
      /* Removed by a concurrent delete while we waited for the lock.  */
      if (access (c->dir, F_OK) < 0)
        {
          estiba_error_release (err);
          estiba_error (err, 0, "container '%s' does not exist", id);
        }
      container_close (c);
      return -1;
    }
  c->status = state_status (c->dir, &c->st);
  return 0;
}

void
container_close (struct container *c)
{
  state_release (&c->st);
  free (c->dir);
  c->dir = NULL;
  if (c->lock_fd >= 0)
    close (c->lock_fd);
  c->lock_fd = -1;
}

int
container_load_config (const struct container *c, struct oci_config **config, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  char *errstr = NULL;

  if (asprintf (&path, "%s/%s", c->dir, STATE_CONFIG_FILE) < 0)
    return estiba_error_errno (err, "asprintf");
  *config = oci_config_parse_file (path, &errstr);
  if (*config == NULL)
    {
      int ret = estiba_error (err, 0, "%s", errstr ? errstr : path);
      free (errstr);
      return ret;
    }
  return 0;
}

/* SCMP_ACT_NOTIFY: the process sent its seccomp listener fd.  */
static int
forward_seccomp_listener (const struct oci_seccomp *profile, int fd, const char *state_json, pid_t pid,
                          estiba_error_t *err)
{
  struct oci_state *state;
  char *perr = NULL;
  int ret;

  if (profile == NULL || profile->listener_path == NULL)
    return estiba_error (err, 0, "protocol error: unexpected seccomp listener fd");
  state = oci_state_parse_data (state_json, strlen (state_json), "state", &perr);
  if (state == NULL)
    {
      ret = estiba_error (err, 0, "state: %s", perr);
      free (perr);
      return ret;
    }
  ret = seccomp_send_listener (profile->listener_path, fd, state, profile->listener_metadata, pid, err);
  oci_state_free (state);
  return ret;
}

int
container_wait_exec (int sock, const struct oci_seccomp *profile, const char *state_json, pid_t pid,
                     estiba_error_t *err)
{
  char buf[SYNC_MAX_PAYLOAD + 64];
  struct pollfd pfd = { sock, POLLIN, 0 };
  ssize_t n;

  for (;;)
    {
      union
      {
        char buf[CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
      } control;
      struct iovec iov = { buf, sizeof buf - 1 };
      struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf
      };
      struct cmsghdr *cm;
      cleanup_close int fd = -1;

      if (poll (&pfd, 1, -1) < 0 && errno != EINTR)
        return estiba_error_errno (err, "wait for the container process");
      n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
      for (cm = n > 0 ? CMSG_FIRSTHDR (&mh) : NULL; cm; cm = CMSG_NXTHDR (&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && fd < 0)
          memcpy (&fd, CMSG_DATA (cm), sizeof fd);
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0)
        return 0; /* closed on exec */
      if (n < 0)
        return estiba_error_errno (err, "wait for the container process");
      if ((size_t) n >= 3 * sizeof (uint32_t))
        {
          uint32_t type;
          int32_t value;
          memcpy (&type, buf, sizeof type);
          memcpy (&value, buf + 4, sizeof value);
          buf[n] = '\0';
          if (type == SYNC_ERROR)
            return estiba_error (err, value, "%s", buf + 12);
          /* The process waits for the go-ahead before it execs.  */
          if (type == SYNC_FD && fd >= 0
              && (forward_seccomp_listener (profile, fd, state_json, pid, err) < 0
                  || sync_send (sock, SYNC_GO, 0, NULL, err) < 0))
            return -1;
        }
    }
}

int
container_send_console (const char *console_socket, int master, estiba_error_t *err)
{
  if (terminal_send_fd (console_socket, master, err) < 0)
    return estiba_error_wrap (err, "--console-socket '%s'", console_socket);
  return 0;
}

int
container_check_preserved_fds (int n, estiba_error_t *err)
{
  int fd;
  for (fd = 3; fd < 3 + n; fd++)
    if (fcntl (fd, F_GETFD) < 0)
      return estiba_error (err, 0, "--preserve-fds %d: fd %d is not open", n, fd);
  return 0;
}

int
container_write_pid_file (const char *path, pid_t pid, estiba_error_t *err)
{
  char buf[32];
  int len = snprintf (buf, sizeof buf, "%d", (int) pid);
  if (write_file_atomic (path, buf, (size_t) len, 0644, err) < 0)
    return estiba_error_wrap (err, "--pid-file");
  return 0;
}

int
container_wait_pid_gone (pid_t pid, int timeout_ms)
{
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  struct pollfd pfd;
  int ret;

  if (pidfd < 0)
    return errno == ESRCH ? 0 : -1;
  pfd.fd = pidfd;
  pfd.events = POLLIN;
  do
    ret = poll (&pfd, 1, timeout_ms);
  while (ret < 0 && errno == EINTR);
  close (pidfd);
  /* Our own child stays a zombie until reaped.  */
  waitpid (pid, NULL, WNOHANG);
  return ret > 0 ? 0 : -1;
}

/* ---- CVE-2019-5736 ---- */

/* Make sure we run from a sealed copy of our binary before anything of
 * ours can be reached from a container: re-executes (with our own argv
 * from /proc/self/cmdline) when we do not.  */
int
container_ensure_sealed_binary (const struct estiba_context *ctx, estiba_error_t *err)
{
  extern char **environ;
  cleanup_close int self = -1;
  cleanup_free char *cmdline = NULL;
  cleanup_free char **argv = NULL;
  size_t len = 0, i, argc = 0;
  FILE *f;

  if (ctx && ctx->no_cloned_binary)
    return 0;
  self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self >= 0 && cloned_binary_is_sealed (self))
    return cloned_binary_ensure (0, NULL, environ, err);
  f = fopen ("/proc/self/cmdline", "re");
  if (f == NULL)
    return estiba_error_errno (err, "open /proc/self/cmdline");
  {
    char chunk[4096];
    size_t n;
    FILE *mem = open_memstream (&cmdline, &len);
    if (mem == NULL)
      {
        fclose (f);
        return estiba_error_errno (err, "open_memstream");
      }
    while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
      fwrite (chunk, 1, n, mem);
    fclose (mem);
    fclose (f);
  }
  for (i = 0; i < len; i++)
    if (cmdline[i] == '\0')
      argc++;
  argv = calloc (argc + 1, sizeof (char *));
  if (argv == NULL)
    return estiba_error_errno (err, "calloc");
  for (i = 0, argc = 0; i < len; i += strlen (cmdline + i) + 1)
    argv[argc++] = cmdline + i;
  fflush (NULL);
  return cloned_binary_ensure ((int) argc, argv, environ, err);
}

/* ---- hooks run by the runtime ---- */

static int
run_hooks (const struct oci_hook *hooks, size_t n, const char *phase, const char *state_json,
           estiba_error_t *err)
{
  if (n == 0)
    return 0;
#ifdef HAVE_HOOKS
  return hooks_run (hooks, n, phase, state_json, err);
#else
  return estiba_error (err, ENOSYS, "hooks.%s: hooks are not supported yet", phase);
#endif
}

static void
run_poststop_hooks (const struct oci_config *config, const char *state_json)
{
  if (config == NULL || config->hooks == NULL || config->hooks->poststop_len == 0)
    return;
#ifdef HAVE_HOOKS
  hooks_run_poststop (config->hooks->poststop, config->hooks->poststop_len, state_json);
#else
  estiba_warn ("hooks.poststop: hooks are not supported yet");
#endif
}

/* ---- create ---- */

struct create_run
{
  struct estiba_context *ctx;
  const struct estiba_create_options *opts;
  struct oci_config *config;
  char *bundle;
  char *rootfs;
  char *config_path;
  char *state_dir;
  int state_dir_fd;
  int start_listen_fd;
  struct ns_plan ns;
  char **cgroup_dirs;
  struct container_state st;
  char **env;
  size_t env_len;
  int preserve_fds;
  pid_t stage1;
  pid_t init;
  int sync[2];
  int console_master; /* kept for the foreground proxy of run */
  struct estiba_seccomp *seccomp;
  bool keep_console;
};

static void
create_run_release (struct create_run *r)
{
  oci_config_free (r->config);
  free (r->bundle);
  free (r->rootfs);
  free (r->config_path);
  free (r->state_dir);
  if (r->state_dir_fd >= 0)
    close (r->state_dir_fd);
  if (r->start_listen_fd >= 0)
    close (r->start_listen_fd);

  namespaces_plan_release (&r->ns);
  cleanup_strv_fn (&r->cgroup_dirs);
  /* st's strings are owned here too.  */
  r->st.cgroup_paths = NULL;
  state_release (&r->st);
  oci_strv_free (r->env);
  seccomp_free (r->seccomp);
  if (r->sync[0] >= 0)
    close (r->sync[0]);
  if (r->sync[1] >= 0)
    close (r->sync[1]);
  if (r->console_master >= 0)
    close (r->console_master);
}

/* Undo a failed create: nothing may remain.  */
static void
create_rollback (struct create_run *r)
{
  if (r->init > 0)
    {
      kill (r->init, SIGKILL);
      waitpid (r->init, NULL, 0);
    }
  if (r->stage1 > 0)
    {
      kill (r->stage1, SIGKILL);
      waitpid (r->stage1, NULL, 0);
    }
  if (r->state_dir)
    cgroup_systemd_stop (r->state_dir, NULL);
  if (r->cgroup_dirs)
    cgroup_destroy (r->cgroup_dirs, NULL);
  if (r->state_dir)
    state_dir_remove (r->state_dir, NULL);
}

/* state.json's "owner" (runc's): the creator's name from the host's
 * /etc/passwd, read directly.  getpwuid would go through NSS (the nscd
 * socket, the modules' loading) on every create.  */
static char *
owner_name (void)
{
  cleanup_fclose FILE *f = fopen ("/etc/passwd", "re");
  uid_t uid = geteuid ();
  struct passwd *pw;
  char *s = NULL;

  while (f && (pw = fgetpwent (f)) != NULL)
    if (pw->pw_uid == uid)
      return strdup (pw->pw_name);
  if (asprintf (&s, "#%d", (int) uid) < 0)
    return NULL;
  return s;
}

static char **
flatten_annotations (const struct oci_string_map *m)
{
  size_t i, n = m ? m->len : 0;
  char **out = calloc (2 * n + 1, sizeof (char *));
  for (i = 0; out && i < n; i++)
    {
      out[2 * i] = strdup (m->keys[i]);
      out[2 * i + 1] = strdup (m->values[i]);
    }
  return out;
}

static int
load_config (struct create_run *r, estiba_error_t *err)
{
  const struct estiba_create_options *o = r->opts;
  char cwd[PATH_MAX];
  char *errstr = NULL;
  cleanup_free char *root = NULL;
  struct stat sb;

  if (o->bundle == NULL && getcwd (cwd, sizeof cwd) == NULL)
    return estiba_error_errno (err, "getcwd");
  r->bundle = realpath (o->bundle ? o->bundle : cwd, NULL);
  if (r->bundle == NULL)
    return estiba_error_errno (err, "bundle '%s'", o->bundle ? o->bundle : cwd);
  if (o->config_path)
    r->config_path = strdup (o->config_path);
  else if (asprintf (&r->config_path, "%s/config.json", r->bundle) < 0)
    r->config_path = NULL;
  if (r->config_path == NULL)
    return estiba_error_errno (err, "malloc");
  r->config = oci_config_parse_file (r->config_path, &errstr);
  if (r->config == NULL || oci_config_validate (r->config, &errstr) < 0)
    {
      int ret = estiba_error (err, 0, "%s", errstr ? errstr : r->config_path);
      free (errstr);
      return ret;
    }
  if (r->config->root == NULL || r->config->root->path == NULL)
    return estiba_error (err, 0, "%s: root.path: missing", r->config_path);
  /* process is OPTIONAL (config.md): without it create builds the
   * container and start fails (runtime.md).  */
  if (r->config->root->path[0] == '/')
    root = strdup (r->config->root->path);
  else if (asprintf (&root, "%s/%s", r->bundle, r->config->root->path) < 0)
    root = NULL;
  if (root == NULL)
    return estiba_error_errno (err, "malloc");
  r->rootfs = realpath (root, NULL);
  if (r->rootfs == NULL || stat (r->rootfs, &sb) < 0)
    return estiba_error_errno (err, "%s: root.path: '%s'", r->config_path, root);
  if (!S_ISDIR (sb.st_mode))
    return estiba_error (err, ENOTDIR, "%s: root.path: '%s'", r->config_path, root);
  if (strcmp (r->rootfs, "/") == 0)
    return estiba_error (err, 0, "%s: root.path: the host's / cannot be a container's rootfs",
                         r->config_path);
  return 0;
}

static int
check_terminal_options (struct create_run *r, bool foreground, estiba_error_t *err)
{
  bool terminal = r->config->process && r->config->process->terminal;
  const char *sock = r->opts->console_socket;

  if (terminal && sock == NULL && !foreground)
    return estiba_error (err, 0, "process.terminal is true: a --console-socket is needed to receive the pty");
  if (!terminal && sock != NULL)
    return estiba_error (err, 0, "--console-socket given but process.terminal is false");
  return 0;
}

static int
save_config (struct create_run *r, estiba_error_t *err)
{
  cleanup_free char *json = NULL, *path = NULL;
  char *errstr = NULL;

  json = oci_config_generate (r->config, false, &errstr);
  if (json == NULL)
    {
      int ret = estiba_error (err, 0, "save config: %s", errstr ? errstr : "");
      free (errstr);
      return ret;
    }
  if (asprintf (&path, "%s/%s", r->state_dir, STATE_CONFIG_FILE) < 0)
    return estiba_error_errno (err, "asprintf");
  return write_file_atomic (path, json, strlen (json), 0600, err);
}

static int
prepare_env (struct create_run *r, estiba_error_t *err)
{
  const struct oci_process *p = r->config->process;
  int n;

  r->env = oci_strv_dup (p && p->env ? p->env : (char *[]){ NULL }, &r->env_len);
  n = fds_preserve_count_from_env (r->opts->preserve_fds, &r->env, &r->env_len, err);
  if (n < 0)
    return -1;
  r->preserve_fds = n;
  return container_check_preserved_fds (n, err);
}

static int
state_json_now (struct create_run *r, enum container_status status, char **json, estiba_error_t *err)
{
  return state_to_json (&r->st, status, false, json, err);
}

static const char *
initial_cpu_affinity (const struct create_run *r)
{
  const struct oci_process *p = r->config->process;
  return p && p->exec_cpu_affinity ? p->exec_cpu_affinity->initial : NULL;
}

static int
apply_initial_cpu_affinity (const struct create_run *r, pid_t pid, estiba_error_t *err)
{
  const char *cpus = initial_cpu_affinity (r);

  if (cpus && apply_cpu_affinity_pid (pid, cpus, err) < 0)
    return estiba_error_wrap (err, "process.execCPUAffinity.initial");
  return 0;
}

/* Step 3's SYNC_CGROUP: the init, its setup done, enters the container's
 * cgroups.  Joining a cpuset resets the CPU affinity: the initial one is
 * set again.  */
static int
move_init_into_cgroups (struct create_run *r, estiba_error_t *err)
{
  if (cgroup_enter (r->cgroup_dirs, r->init, err) < 0 || apply_initial_cpu_affinity (r, r->init, err) < 0)
    return -1;
  return sync_send (r->sync[0], SYNC_CGROUP_DONE, 0, NULL, err);
}

/* The runtime's side of steps 2-3.  */
static int
drive_create (struct create_run *r, estiba_error_t *err)
{
  const struct oci_hooks *h = r->config->hooks;
  int sock = r->sync[0];

  if (apply_initial_cpu_affinity (r, r->stage1, err) < 0 || sync_send (sock, SYNC_GO, 0, NULL, err) < 0)
    return -1;
  for (;;)
    {
      struct sync_msg msg;
      cleanup_free char *json = NULL;

      if (sync_recv (sock, &msg, err) < 0)
        return -1;
      switch (msg.type)
        {
          case SYNC_USERMAP:
            sync_msg_release (&msg);
            if (rootless_write_id_maps (r->stage1, r->config->linux_, err) < 0
                || sync_send (sock, SYNC_USERMAP_DONE, 0, NULL, err) < 0)
              return -1;
            break;
          case SYNC_TIMENS:
            sync_msg_release (&msg);
            if (namespaces_write_time_offsets (r->stage1, r->config->linux_, err) < 0
                || sync_send (sock, SYNC_TIMENS_DONE, 0, NULL, err) < 0)
              return -1;
            break;
          case SYNC_PID:
            r->init = msg.value;
            sync_msg_release (&msg);
            waitpid (r->stage1, NULL, 0);
            r->stage1 = 0;
            r->st.pid = r->init;
            if (proc_start_time (r->init, &r->st.pid_start, NULL, err) < 0
                || sync_send (sock, SYNC_GO, 0, NULL, err) < 0)
              return -1;
            break;
          case SYNC_CGROUP:
            sync_msg_release (&msg);
            if (move_init_into_cgroups (r, err) < 0)
              return -1;
            break;
          case SYNC_FD:
            if (r->opts->console_socket)
              {
                int ret = container_send_console (r->opts->console_socket, msg.fd, err);
                sync_msg_release (&msg);
                if (ret < 0)
                  return -1;
              }
            else
              {
                r->console_master = msg.fd;
                msg.fd = -1;
                sync_msg_release (&msg);
              }
            break;
          case SYNC_HOOKS:
            sync_msg_release (&msg);
            /* "created": runtime.md's status once the environment exists
             * (after lifecycle step 2), as crun and the conformance suite's
             * hooks_stdin; runc passes "creating".  */
            if (state_json_now (r, CONTAINER_CREATED, &json, err) < 0)
              return -1;
            if (h
                && (run_hooks (h->prestart, h->prestart_len, "prestart", json, err) < 0
                    || run_hooks (h->create_runtime, h->create_runtime_len, "createRuntime", json, err) < 0))
              return -1;
            if (sync_send (sock, SYNC_HOOKS_DONE, 0, json, err) < 0)
              return -1;
            break;
          case SYNC_CREATED:
            sync_msg_release (&msg);
            return 0;
          case SYNC_ERROR:
            {
              int ret = estiba_error (err, msg.value, "%s", msg.payload);
              sync_msg_release (&msg);
              return ret;
            }
          default:
            sync_msg_release (&msg);
            return estiba_error (err, 0, "protocol error: unexpected message %u from the container",
                                 msg.type);
        }
    }
}

static int
fork_stage1 (struct create_run *r, estiba_error_t *err)
{
  struct init_config ic = {
    .config = r->config,
    .bundle = r->bundle,
    .rootfs = r->rootfs,
    .bundle_fd = -1,
    .rootfs_parent_fd = -1,
    .id = r->opts->id,
    .no_pivot = r->opts->no_pivot,
    .no_new_keyring = r->opts->no_new_keyring,
    .ns = &r->ns,
    .cgroup_dirs = r->cgroup_dirs,
    .start_listen_fd = r->start_listen_fd,
    .preserve_fds = r->preserve_fds,
    .env = r->env,
    .seccomp = r->seccomp,
  };
  pid_t pid;

  if (sync_pair (r->sync, err) < 0)
    return -1;
  ic.sync_fd = r->sync[1];
  fflush (NULL);
  /* A plain fork, not clone3 into the cgroup: the setup is charged to
   * the runtime's cgroups, the init joins the container's at the end.  */
  pid = fork ();
  if (pid < 0)
    return estiba_error_errno (err, "fork");
  if (pid == 0)
    {
      close (r->sync[0]);
      init_stage1 (&ic);
    }
  r->stage1 = pid;
  close (r->sync[1]);
  r->sync[1] = -1;
  /* The init holds the start socket alone: should it die (out of memory
   * in its cgroup, say) `start` gets ECONNREFUSED, not a connection no
   * one will ever accept.  */
  close (r->start_listen_fd);
  r->start_listen_fd = -1;
  return 0;
}

/* --systemd-cgroup without systemd as PID 1 is refused, never silently
 * replaced by cgroupfs (cgroup_systemd.h).  */
static int
check_cgroup_manager (const struct estiba_context *ctx, const struct oci_config *config, estiba_error_t *err)
{
  return cgroup_check_manager (config->linux_ ? config->linux_->cgroups_path : NULL, ctx->systemd_cgroup,
                               err);
}

/* The socket `start` connects to, made here (not in the init, which may be
 * an unprivileged user in its user namespace) and inherited by the init.
 * Bound through the state dir fd so the path stays short whatever the
 * id's length.  */
static int
listen_start_socket (int state_dir_fd, estiba_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return estiba_error_errno (err, "socket");
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", state_dir_fd, STATE_START_SOCK);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return estiba_error_errno (err, "bind the start socket");
  if (listen (fd, 4) < 0)
    return estiba_error_errno (err, "listen on the start socket");
  return steal_fd (&fd);
}

/* The cache lives in the state root (a dot name: `list` skips it).  */
int
container_compile_seccomp (const char *state_root, const struct oci_seccomp *s, struct estiba_seccomp **out,
                           estiba_error_t *err)
{
  cleanup_free char *cache = NULL;

  if (asprintf (&cache, "%s/.seccomp-cache", state_root) < 0)
    return estiba_error_errno (err, "asprintf");
  if (state_root_ensure (state_root, err) < 0)
    return -1;
  return seccomp_compile (s, cache, out, err);
}

/* Rootless: an ordinary user may not create cgroups unless some were
 * delegated to it (made writable for it); without, the container stays in
 * the caller's cgroups, as with runc --rootless.  */
static int
create_cgroup (struct create_run *r, const char *id, estiba_error_t *err)
{
  int status;

  if (r->ctx->systemd_cgroup)
    return cgroup_systemd_create (r->state_dir, r->config->linux_, id, &r->cgroup_dirs, err);
  if (cgroup_create (r->config->linux_ ? r->config->linux_->cgroups_path : NULL, id, &r->cgroup_dirs, err)
      == 0)
    return 0;
  status = (*err)->status;
  if (geteuid () == 0 || (status != EACCES && status != EPERM && status != EROFS))
    return -1;
  estiba_debug ("rootless: no delegated cgroup, running without one: %s", (*err)->msg);
  estiba_error_release (err);
  r->cgroup_dirs = calloc (1, sizeof (char *));
  return r->cgroup_dirs ? 0 : estiba_error_errno (err, "calloc");
}

static int
do_create (struct create_run *r, bool foreground, estiba_error_t *err)
{
  const char *root = container_state_root (r->ctx);
  const char *id = r->opts->id;

  if (state_validate_id (id, err) < 0 || load_config (r, err) < 0
      || check_terminal_options (r, foreground, err) < 0 || rlimits_validate (r->config->process, err) < 0
      || sysctl_validate (r->config->linux_, err) < 0
      || capabilities_validate (r->config->process ? r->config->process->capabilities : NULL, err) < 0
      || lsm_validate_config (r->config, err) < 0 || prepare_env (r, err) < 0
      || namespaces_plan (r->config->linux_, &r->ns, err) < 0)
    return -1;
  if (check_cgroup_manager (r->ctx, r->config, err) < 0)
    return -1;
  if (r->config->linux_ && r->config->linux_->seccomp
      && container_compile_seccomp (root, r->config->linux_->seccomp, &r->seccomp, err) < 0)
    return -1;
  if (state_dir_reserve (root, id, &r->state_dir, err) < 0)
    return -1;
  r->state_dir_fd = open (r->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->state_dir_fd < 0)
    return estiba_error_errno (err, "open '%s'", r->state_dir);
  r->st.id = strdup (id);
  r->st.bundle = strdup (r->bundle);
  r->st.rootfs = strdup (r->rootfs);
  r->st.created = rfc3339_now ();
  r->st.owner = owner_name ();
  r->st.annotations = flatten_annotations (r->config->annotations);
  r->st.creating = true;
  if (!r->st.id || !r->st.bundle || !r->st.rootfs || !r->st.created || !r->st.owner || !r->st.annotations)
    return estiba_error_errno (err, "malloc");
  if (save_config (r, err) < 0 || state_write (r->state_dir, &r->st, err) < 0)
    return -1;
  if (create_cgroup (r, id, err) < 0)
    return -1;
  r->st.cgroup_paths = r->cgroup_dirs;
  if (state_write (r->state_dir, &r->st, err) < 0)
    return -1;
  /* Limits are in place before the first process enters the cgroup.  */
  if (cgroup_apply_resources (r->cgroup_dirs, r->config->linux_ ? r->config->linux_->resources : NULL,
                              r->config->linux_, true, err)
      < 0)
    return -1;
  r->start_listen_fd = listen_start_socket (r->state_dir_fd, err);
  if (r->start_listen_fd < 0)
    return -1;
  if (fork_stage1 (r, err) < 0 || drive_create (r, err) < 0)
    return -1;
  r->st.creating = false;
  if (state_write (r->state_dir, &r->st, err) < 0)
    return -1;
  if (r->opts->pid_file && container_write_pid_file (r->opts->pid_file, r->init, err) < 0)
    return -1;
  return 0;
}

static int
create_container (struct estiba_context *ctx, const struct estiba_create_options *opts, bool foreground,
                  struct create_run *r, estiba_error_t *err)
{
  memset (r, 0, sizeof (*r));
  r->ctx = ctx;
  r->opts = opts;
  r->state_dir_fd = -1;
  r->start_listen_fd = -1;

  r->sync[0] = r->sync[1] = -1;
  r->console_master = -1;
  if (do_create (r, foreground, err) < 0)
    {
      /* Only undo what this create made: a duplicate id leaves the other
       * container alone.  */
      create_rollback (r);
      return -1;
    }
  return 0;
}

int
estiba_container_create (struct estiba_context *ctx, const struct estiba_create_options *opts,
                         estiba_error_t *err)
{
  struct create_run r;
  int ret;

  if (container_ensure_sealed_binary (ctx, err) < 0)
    return -1;
  ret = create_container (ctx, opts, false, &r, err);
  create_run_release (&r);
  return ret;
}

/* ---- start ---- */

static int
connect_start_socket (const struct container *c, int *sock, estiba_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int dirfd = open (c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

  if (dirfd < 0 || fd < 0)
    return estiba_error_errno (err, "open the start socket");
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, STATE_START_SOCK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return estiba_error_errno (err, "container '%s': connect to its init", c->st.id);
  /* From now on the container reads as running.  */
  unlinkat (dirfd, STATE_START_SOCK, 0);
  *sock = steal_fd (&fd);
  return 0;
}

static int
start_locked (struct container *c, estiba_error_t *err)
{
  cleanup_close int sock = -1;
  cleanup_free char *json = NULL, *json_running = NULL;
  struct oci_config *config = NULL;
  int ret;

  if (c->status != CONTAINER_CREATED)
    return estiba_error (err, 0, "container '%s' is not in created state: %s", c->st.id,
                         container_status_name (c->status));
  if (container_load_config (c, &config, err) < 0)
    return -1;
  ret = state_to_json (&c->st, CONTAINER_CREATED, false, &json, err);
  if (ret == 0)
    ret = connect_start_socket (c, &sock, err);
  if (ret == 0)
    ret = sync_send (sock, SYNC_GO, 0, json, err);
  if (ret == 0)
    ret = container_wait_exec (sock, config->linux_ ? config->linux_->seccomp : NULL, json, c->st.pid, err);
  if (ret == 0 && config->hooks && config->hooks->poststart_len > 0)
    {
      ret = state_to_json (&c->st, CONTAINER_RUNNING, false, &json_running, err);
      /* runtime.md: a failed poststart hook is a warning; the remaining
       * hooks and the lifecycle go on (runc 1.1 kills the container).  */
      if (ret == 0)
        hooks_run_all_warn (config->hooks->poststart, config->hooks->poststart_len, "poststart",
                            json_running);
    }
  oci_config_free (config);
  return ret;
}

int
estiba_container_start (struct estiba_context *ctx, const char *id, estiba_error_t *err)
{
  struct container c;
  int ret;

  if (container_open (ctx, id, true, &c, err) < 0)
    return -1;
  ret = start_locked (&c, err);
  container_close (&c);
  return ret;
}

/* ---- delete ---- */

static int
kill_cgroup_processes (char *const *dirs, int sig)
{
  pid_t *pids = NULL;
  size_t n = 0, i;
  bool killed;

  if (cgroup_pids (dirs, &pids, &n, NULL) < 0)
    return -1;
  /* cgroup2's cgroup.kill gets them all at once, new forks included.  */
  killed = sig == SIGKILL && n > 0 && cgroup_kill (dirs, NULL) == 1;
  for (i = 0; i < n && !killed; i++)
    kill (pids[i], sig);
  free (pids);
  return (int) n;
}

/* Stop every process of the container and wait until they are gone.  */
static int
stop_processes (struct container *c, estiba_error_t *err)
{
  int rounds;

  /* pid is 0 while creating: kill(0) would hit our own process group.  */
  if (c->status != CONTAINER_STOPPED && c->st.pid > 0)
    {
      kill (c->st.pid, SIGKILL);
      /* Frozen tasks die only once thawed.  */
      if (c->status == CONTAINER_PAUSED)
        cgroup_freeze (c->st.cgroup_paths, false, NULL);
      if (container_wait_pid_gone (c->st.pid, 10000) < 0)
        return estiba_error (err, 0, "container '%s': init %d did not die", c->st.id, (int) c->st.pid);
    }
  /* Without a pid namespace other processes survive the init.  */
  for (rounds = 0; rounds < 100; rounds++)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      if (kill_cgroup_processes (c->st.cgroup_paths, SIGKILL) <= 0)
        return 0;
      nanosleep (&ts, NULL);
    }
  return estiba_error (err, 0, "container '%s': processes in its cgroup survive SIGKILL", c->st.id);
}

static int
destroy (struct container *c, estiba_error_t *err)
{
  struct oci_config *config = NULL;
  cleanup_free char *json = NULL;
  cleanup_error estiba_error_t cfg_err = NULL;

  if (stop_processes (c, err) < 0 || cgroup_systemd_stop (c->dir, err) < 0)
    return -1;
  if (cgroup_destroy (c->st.cgroup_paths, err) < 0)
    return -1;
  if (container_load_config (c, &config, &cfg_err) == 0
      && state_to_json (&c->st, CONTAINER_STOPPED, false, &json, NULL) == 0)
    run_poststop_hooks (config, json);
  oci_config_free (config);
  return state_dir_remove (c->dir, err);
}

int
estiba_container_delete (struct estiba_context *ctx, const char *id, bool force, estiba_error_t *err)
{
  struct container c;
  int ret;

  if (container_open (ctx, id, true, &c, err) < 0)
    {
      /* runc: delete --force of a missing container is not an error.  */
      if (force && err && *err && strstr ((*err)->msg, "does not exist"))
        {
          estiba_error_release (err);
          return 0;
        }
      return -1;
    }
  /* runtime.md: deleting a container that is not stopped MUST fail; that
   * includes "created" (crun refuses it too; runc 1.1 kills and deletes).  */
  if ((c.status == CONTAINER_RUNNING || c.status == CONTAINER_CREATING || c.status == CONTAINER_PAUSED
       || c.status == CONTAINER_CREATED)
      && !force)
    {
      ret = estiba_error (err, 0, "cannot delete container '%s' that is not stopped: %s (use --force)", id,
                          container_status_name (c.status));
      container_close (&c);
      return ret;
    }
  ret = destroy (&c, err);
  container_close (&c);
  return ret;
}

/* ---- kill ---- */

int
estiba_container_kill (struct estiba_context *ctx, const char *id, const char *signal, bool all,
                       estiba_error_t *err)
{
  struct container c;
  int sig = estiba_parse_signal (signal ? signal : "SIGTERM");
  int ret = 0;

  if (sig <= 0)
    return estiba_error (err, 0, "unknown signal '%s'", signal);
  if (container_open (ctx, id, false, &c, err) < 0)
    return -1;
  if (c.status != CONTAINER_CREATED && c.status != CONTAINER_RUNNING && c.status != CONTAINER_PAUSED)
    ret = estiba_error (err, 0, "container '%s' is not running: %s", id, container_status_name (c.status));
  else if (all)
    kill_cgroup_processes (c.st.cgroup_paths, sig);
  else if (kill (c.st.pid, sig) < 0)
    ret = estiba_error_errno (err, "container '%s': kill %d", id, (int) c.st.pid);
  container_close (&c);
  return ret;
}

/* ---- state and list ---- */

int
estiba_container_state (struct estiba_context *ctx, const char *id, FILE *out, estiba_error_t *err)
{
  struct container c;
  cleanup_free char *json = NULL;
  int ret;

  if (container_open (ctx, id, false, &c, err) < 0)
    return -1;
  ret = state_to_json (&c.st, c.status, true, &json, err);
  if (ret == 0)
    fprintf (out, "%s\n", json);
  container_close (&c);
  return ret;
}

struct list_row
{
  char *cells[6];
  char *json;
};

static int
read_row (const char *root, const char *name, struct list_row *row)
{
  cleanup_free char *dir = NULL;
  struct container_state st;
  enum container_status status;
  char pid[32];

  memset (row, 0, sizeof (*row));
  if (asprintf (&dir, "%s/%s", root, name) < 0 || state_read (dir, &st, NULL) < 0)
    return -1;
  status = state_status (dir, &st);
  snprintf (pid, sizeof pid, "%d", status == CONTAINER_STOPPED ? 0 : (int) st.pid);
  row->cells[0] = strdup (st.id);
  row->cells[1] = strdup (pid);
  row->cells[2] = strdup (container_status_name (status));
  row->cells[3] = strdup (st.bundle ? st.bundle : "");
  row->cells[4] = strdup (st.created ? st.created : "");
  row->cells[5] = strdup (st.owner ? st.owner : "");
  state_to_json (&st, status, false, &row->json, NULL);
  state_release (&st);
  return 0;
}

static int
compare_rows (const void *a, const void *b)
{
  return strcmp (((const struct list_row *) a)->cells[0], ((const struct list_row *) b)->cells[0]);
}

static void
print_table (FILE *out, struct list_row *rows, size_t n)
{
  static const char *const header[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t width[6], i, k;

  /* runc's tabwriter: minimum width 12, padding 3.  */
  for (k = 0; k < 6; k++)
    {
      width[k] = strlen (header[k]) + 3;
      for (i = 0; i < n; i++)
        if (strlen (rows[i].cells[k]) + 3 > width[k])
          width[k] = strlen (rows[i].cells[k]) + 3;
      if (width[k] < 12)
        width[k] = 12;
    }
  for (k = 0; k < 5; k++)
    fprintf (out, "%-*s", (int) width[k], header[k]);
  fprintf (out, "%s\n", header[5]);
  for (i = 0; i < n; i++)
    {
      for (k = 0; k < 5; k++)
        fprintf (out, "%-*s", (int) width[k], rows[i].cells[k]);
      fprintf (out, "%s\n", rows[i].cells[5]);
    }
}

int
estiba_container_list (struct estiba_context *ctx, const char *format, bool quiet, FILE *out,
                       estiba_error_t *err)
{
  const char *root = container_state_root (ctx);
  cleanup_closedir DIR *d = opendir (root);
  struct list_row *rows = NULL;
  size_t n = 0, i, k;
  struct dirent *de;
  bool json = format && strcmp (format, "json") == 0;

  if (format && !json && strcmp (format, "table") != 0)
    return estiba_error (err, 0, "--format: unknown format '%s' (table or json)", format);
  if (d == NULL && errno != ENOENT)
    return estiba_error_errno (err, "open state root '%s'", root);
  while (d && (de = readdir (d)) != NULL)
    {
      struct list_row row;
      if (de->d_name[0] == '.' || read_row (root, de->d_name, &row) < 0)
        continue;
      rows = realloc (rows, (n + 1) * sizeof (*rows));
      if (rows == NULL)
        return estiba_error_errno (err, "malloc");
      rows[n++] = row;
    }
  if (n > 0)
    qsort (rows, n, sizeof (*rows), compare_rows);
  if (quiet)
    for (i = 0; i < n; i++)
      fprintf (out, "%s\n", rows[i].cells[0]);
  else if (json)
    {
      fputc ('[', out);
      for (i = 0; i < n; i++)
        fprintf (out, "%s%s", i ? "," : "", rows[i].json ? rows[i].json : "{}");
      fputs ("]\n", out);
    }
  else
    print_table (out, rows, n);
  for (i = 0; i < n; i++)
    {
      for (k = 0; k < 6; k++)
        free (rows[i].cells[k]);
      free (rows[i].json);
    }
  free (rows);
  return 0;
}

/* ---- run ---- */

static int
wait_foreground (struct create_run *r, int *status, estiba_error_t *err)
{
  struct signals_forwarder f;
  int ret;

  if (r->console_master >= 0)
    return terminal_proxy (r->console_master, r->init, status, err);
  if (signals_forward_setup (&f, err) < 0)
    return -1;
  ret = signals_forward_wait (&f, r->init, status, err);
  signals_forward_teardown (&f);
  return ret;
}

int
estiba_container_run (struct estiba_context *ctx, const struct estiba_create_options *opts,
                      estiba_error_t *err)
{
  struct create_run r;
  int status = 0, ret;

  if (container_ensure_sealed_binary (ctx, err) < 0)
    return -1;
  /* Orphans of the container are reparented to us and reaped.  */
  if (!opts->no_subreaper && !opts->detach)
    prctl (PR_SET_CHILD_SUBREAPER, 1);
  if (create_container (ctx, opts, !opts->detach, &r, err) < 0)
    {
      create_run_release (&r);
      return -1;
    }
  ret = estiba_container_start (ctx, opts->id, err);
  if (ret == 0 && !opts->detach)
    ret = wait_foreground (&r, &status, err);
  if (ret < 0 || !opts->detach)
    {
      cleanup_error estiba_error_t del_err = NULL;
      if (!opts->keep || ret < 0)
        estiba_container_delete (ctx, opts->id, true, &del_err);
    }
  create_run_release (&r);
  if (ret < 0)
    return -1;
  return opts->detach ? 0 : signals_exit_code (status);
}
