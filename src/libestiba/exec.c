/* exec: run a new process in a running container.
 *
 * Like create, the runtime forks a helper and talks to it over a
 * SOCK_SEQPACKET pair (sync.h).  The runtime first checks the container
 * is alive and opens its namespaces (/proc/PID/ns entries, only those that
 * differ from ours) and its root; the helper, once moved into the
 * container's cgroup, joins them (user first, mount last), chroots into
 * the container's root and forks, with CLONE_PARENT, the process itself:
 * a pid namespace only applies to children.  That process applies the
 * container's (or the overridden) process settings and execs; the socket
 * is close-on-exec, so EOF tells the runtime the exec happened.  The
 * helper is not dumpable, so nothing in the container can ptrace it or
 * open its /proc entries while it holds host resources.  */
#include <config.h>
#include "container.h"
#include "seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capabilities.h"
#include "cgroup.h"
#include "cleanup.h"
#include "fds.h"
#include "lsm.h"
#include "namespaces.h"
#include "process.h"
#include "scheduling.h"
#include "signals.h"
#include "sync.h"
#include "terminal.h"

struct exec_run
{
  const struct estiba_exec_options *opts;
  struct container c;
  struct oci_config *config;
  struct oci_process *process; /* owned: from --process or a copy */
  char **env;
  size_t env_len;
  int preserve_fds;
  struct ns_plan ns;
  int rootfd;
  int sync[2];
  pid_t helper;
  pid_t child;
  int master;
  struct estiba_seccomp *seccomp;
  char **sub_cgroups; /* exec --cgroup's directories, NULL without it */
};

static void
exec_run_release (struct exec_run *r)
{
  container_close (&r->c);
  oci_config_free (r->config);
  oci_process_free (r->process);
  oci_strv_free (r->env);
  oci_strv_free (r->sub_cgroups);
  namespaces_plan_release (&r->ns);
  if (r->rootfd >= 0)
    close (r->rootfd);
  if (r->sync[0] >= 0)
    close (r->sync[0]);
  if (r->sync[1] >= 0)
    close (r->sync[1]);
  if (r->master >= 0)
    close (r->master);
  seccomp_free (r->seccomp);
}

/* ---- the process to run ---- */

static struct oci_process *
copy_process (const struct oci_process *p, estiba_error_t *err)
{
  char *errstr = NULL;
  cleanup_free char *json = oci_process_generate (p, false, &errstr);
  struct oci_process *copy;

  if (json == NULL)
    {
      estiba_error (err, 0, "copy process: %s", errstr ? errstr : "");
      free (errstr);
      return NULL;
    }
  copy = oci_process_parse_data (json, strlen (json), "config.json process", &errstr);
  if (copy == NULL)
    {
      estiba_error (err, 0, "%s", errstr ? errstr : "copy process");
      free (errstr);
    }
  return copy;
}

static int
parse_id (const char *s, uint32_t *out)
{
  char *end;
  unsigned long v;
  errno = 0;
  v = strtoul (s, &end, 10);
  if (errno || end == s || *end || v > 0xFFFFFFFFul)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

static int
apply_user_option (struct oci_process *p, const char *user, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (user);
  char *colon;

  if (copy == NULL)
    return estiba_error_errno (err, "strdup");
  colon = strchr (copy, ':');
  if (colon)
    *colon = '\0';
  if (p->user == NULL)
    p->user = oci_xzalloc (sizeof (*p->user));
  if (parse_id (copy, &p->user->uid) < 0 || (colon && parse_id (colon + 1, &p->user->gid) < 0))
    return estiba_error (err, 0, "--user '%s': expected uid[:gid] as numbers", user);
  return 0;
}

static int
apply_additional_gids (struct oci_process *p, char **gids, estiba_error_t *err)
{
  size_t n = 0, i;

  while (gids[n])
    n++;
  free (p->user->additional_gids);
  p->user->additional_gids = calloc (n + 1, sizeof (uint32_t));
  p->user->additional_gids_len = n;
  for (i = 0; i < n; i++)
    if (parse_id (gids[i], &p->user->additional_gids[i]) < 0)
      return estiba_error (err, 0, "--additional-gids: '%s' is not a gid", gids[i]);
  return 0;
}

static void
set_env (char ***env, size_t *len, const char *kv)
{
  size_t klen = strcspn (kv, "=");
  size_t i;

  for (i = 0; *env && i < *len; i++)
    if (strncmp ((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = strdup (kv);
        return;
      }
  oci_strv_append (env, len, kv);
}

static int
add_caps (struct oci_process *p, char **caps, estiba_error_t *err)
{
  struct oci_capabilities *c;
  size_t i;

  if (p->capabilities == NULL)
    p->capabilities = oci_xzalloc (sizeof (*p->capabilities));
  c = p->capabilities;
  for (i = 0; caps[i]; i++)
    {
      if (capabilities_parse_name (caps[i]) < 0)
        return estiba_error (err, 0, "--cap: unknown capability '%s'", caps[i]);
      oci_strv_append (&c->bounding, &c->bounding_len, caps[i]);
      oci_strv_append (&c->effective, &c->effective_len, caps[i]);
      oci_strv_append (&c->permitted, &c->permitted_len, caps[i]);
      /* As runc: ambient only when the spec already uses inheritable.  */
      if (c->inheritable_len > 0)
        {
          oci_strv_append (&c->inheritable, &c->inheritable_len, caps[i]);
          oci_strv_append (&c->ambient, &c->ambient_len, caps[i]);
        }
    }
  return 0;
}

static int
build_process (struct exec_run *r, estiba_error_t *err)
{
  const struct estiba_exec_options *o = r->opts;
  struct oci_process *p;
  char *errstr = NULL;
  size_t i;

  if (o->process_path)
    {
      p = oci_process_parse_file (o->process_path, &errstr);
      if (p == NULL || oci_process_validate (p, &errstr) < 0)
        {
          int ret = estiba_error (err, 0, "%s", errstr ? errstr : o->process_path);
          free (errstr);
          oci_process_free (p);
          return ret;
        }
      r->process = p;
    }
  else
    {
      if (o->args == NULL || o->args[0] == NULL)
        return estiba_error (err, 0, "exec: no command given");
      r->process = p = copy_process (r->config->process, err);
      if (p == NULL)
        return -1;
      oci_strv_free (p->args);
      p->args = oci_strv_dup (o->args, &p->args_len);
      p->terminal = o->tty;
      if (o->cwd)
        {
          free (p->cwd);
          p->cwd = strdup (o->cwd);
        }
    }
  if (o->user && apply_user_option (p, o->user, err) < 0)
    return -1;
  if (o->additional_gids && apply_additional_gids (p, o->additional_gids, err) < 0)
    return -1;
  if (o->caps && add_caps (p, o->caps, err) < 0)
    return -1;
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = strdup (o->apparmor);
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = strdup (o->process_label);
    }
  if (capabilities_validate (p->capabilities, err) < 0 || lsm_validate_process (p, err) < 0)
    return -1;
  if (o->tty)
    p->terminal = true;
  r->env = oci_strv_dup (p->env ? p->env : (char *[]){ NULL }, &r->env_len);
  for (i = 0; o->env && o->env[i]; i++)
    set_env (&r->env, &r->env_len, o->env[i]);
  r->preserve_fds = fds_preserve_count_from_env (o->preserve_fds, &r->env, &r->env_len, err);
  if (r->preserve_fds < 0)
    return -1;
  if (p->terminal && o->detach && o->console_socket == NULL)
    return estiba_error (err, 0, "exec -t -d: a --console-socket is needed to receive the pty");
  if (!p->terminal && o->console_socket)
    return estiba_error (err, 0, "--console-socket given without --tty");
  return container_check_preserved_fds (r->preserve_fds, err);
}

/* ---- the helper and the process ---- */

static bool
setgroups_allowed (void)
{
  char buf[16] = "";
  int fd = open ("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      if (read (fd, buf, sizeof buf - 1) < 0)
        buf[0] = '\0';
      close (fd);
    }
  return strncmp (buf, "deny", 4) != 0;
}

__attribute__ ((noreturn)) static void
exec_child (struct exec_run *r, int sock)
{
  cleanup_error estiba_error_t err = NULL;
  struct process_setup setup = { .process = r->process,
                                 .linux_config = r->config->linux_,
                                 .env = r->env,
                                 .preserve_fds = r->preserve_fds,
                                 .setgroups_allowed = setgroups_allowed (),
                                 .seccomp = r->seccomp,
                                 .sync_fd = sock };
  struct sync_msg msg;

  if (sync_expect (sock, SYNC_GO, &msg, &err) < 0)
    _exit (1);
  sync_msg_release (&msg);
  if (r->process->terminal)
    {
      int master = -1, slave = -1;
      if (terminal_create_pty (&master, &slave, &err) < 0)
        sync_fail (sock, &err);
      if (r->process->console_size
          && terminal_set_size (master, r->process->console_size->height, r->process->console_size->width,
                                &err)
               < 0)
        sync_fail (sock, &err);
      if (terminal_make_controlling (slave, &err) < 0 || sync_send_fd (sock, master, &err) < 0)
        sync_fail (sock, &err);
      close (master);
    }
  process_setup_and_exec (&setup, &err);
  sync_fail (sock, &err);
}

__attribute__ ((noreturn)) static void
exec_helper (struct exec_run *r, int sock)
{
  cleanup_error estiba_error_t err = NULL;
  struct sync_msg msg;
  long pid;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (sync_expect (sock, SYNC_GO, &msg, &err) < 0)
    _exit (1);
  sync_msg_release (&msg);
  if (namespaces_join (&r->ns, &err) < 0)
    sync_fail (sock, &err);
  if (fchdir (r->rootfd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    {
      estiba_error_errno (&err, "enter the container's root");
      sync_fail (sock, &err);
    }
  pid = syscall (SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      estiba_error_errno (&err, "fork");
      sync_fail (sock, &err);
    }
  if (pid == 0)
    exec_child (r, sock);
  sync_send (sock, SYNC_PID, (int32_t) pid, NULL, NULL);
  _exit (0);
}

/* Does the hierarchy of `dir` hold controller?  A cgroup2 directory lists
 * its controllers in cgroup.controllers; a v1 one is under
 * /sys/fs/cgroup/<controllers>/.  */
static bool
hierarchy_has (const char *dir, const char *controller, size_t len)
{
  cleanup_free char *path = NULL;
  cleanup_fclose FILE *f = NULL;
  const char *name = dir + strlen ("/sys/fs/cgroup/");
  size_t nlen, l;
  const char *p;
  char word[64];

  if (asprintf (&path, "%s/cgroup.controllers", dir) >= 0 && (f = fopen (path, "re")) != NULL)
    {
      while (fscanf (f, "%63s", word) == 1)
        if (strlen (word) == len && strncmp (word, controller, len) == 0)
          return true;
      return false;
    }
  if (strncmp (dir, "/sys/fs/cgroup/", 15) != 0)
    return false;
  nlen = strcspn (name, "/");
  for (p = name; p < name + nlen; p += l + 1)
    {
      l = strcspn (p, ",/");
      if (l == len && strncmp (p, controller, len) == 0)
        return true;
      if (p[l] != ',')
        break;
    }
  return false;
}

/* exec --cgroup [controller:]path: a sub-cgroup of the container's, which
 * must exist (as runc).  */
static int
exec_cgroup_dirs (struct exec_run *r, char ***out, estiba_error_t *err)
{
  const char *spec = r->opts->cgroup, *colon, *sub;
  char *const *dirs = r->c.st.cgroup_paths;
  size_t n = 0, i;
  char **v;

  *out = NULL;
  if (spec == NULL)
    return 0;
  colon = strchr (spec, ':');
  sub = colon ? colon + 1 : spec;
  if (strstr (sub, ".."))
    return estiba_error (err, 0, "--cgroup '%s': must not contain '..'", spec);
  while (dirs && dirs[n])
    n++;
  v = calloc (n + 1, sizeof (char *));
  if (v == NULL)
    return estiba_error_errno (err, "calloc");
  for (i = 0; i < n; i++)
    {
      bool use_sub = colon == NULL || hierarchy_has (dirs[i], spec, (size_t) (colon - spec));
      if (asprintf (&v[i], "%s/%s", dirs[i], use_sub ? sub : "") < 0)
        v[i] = NULL;
      if (v[i] == NULL)
        {
          cleanup_strv_fn (&v);
          return estiba_error_errno (err, "asprintf");
        }
      if (use_sub && access (v[i], F_OK) < 0)
        {
          int ret = estiba_error_errno (err, "--cgroup '%s': '%s'", spec, v[i]);
          cleanup_strv_fn (&v);
          return ret;
        }
    }
  *out = v;
  return 0;
}

/* The cgroups the process goes into: the container's, or exec --cgroup's
 * sub-cgroups of them.  */
static char *const *
target_cgroups (const struct exec_run *r)
{
  return r->sub_cgroups ? r->sub_cgroups : r->c.st.cgroup_paths;
}

static int
fork_helper (struct exec_run *r, estiba_error_t *err)
{
  pid_t pid;

  if (exec_cgroup_dirs (r, &r->sub_cgroups, err) < 0 || sync_pair (r->sync, err) < 0)
    return -1;
  fflush (NULL);
  /* Born in the container's cgroup where that is one cgroup2 directory
   * (clone3 CLONE_INTO_CGROUP, as runc 1.2's exec): no window in the
   * runtime's cgroup, no migration.  drive_exec's cgroup_enter is then a
   * no-op; elsewhere it is the move.  */
  pid = cgroup_fork_into (target_cgroups (r));
  if (pid < 0)
    return estiba_error_errno (err, "fork");
  if (pid == 0)
    {
      /* Nothing in the container may ptrace us or open our /proc files.  */
      prctl (PR_SET_DUMPABLE, 0);
      close (r->sync[0]);
      exec_helper (r, r->sync[1]);
    }
  r->helper = pid;
  close (r->sync[1]);
  r->sync[1] = -1;
  return 0;
}

static int
drive_exec (struct exec_run *r, estiba_error_t *err)
{
  int sock = r->sync[0];
  struct sync_msg msg;

  const struct oci_cpu_affinity *aff = r->process->exec_cpu_affinity;

  if (cgroup_enter (target_cgroups (r), r->helper, err) < 0)
    return -1;
  if (aff && aff->initial && apply_cpu_affinity_pid (r->helper, aff->initial, err) < 0)
    return estiba_error_wrap (err, "process.execCPUAffinity.initial");
  if (sync_send (sock, SYNC_GO, 0, NULL, err) < 0)
    return -1;
  if (sync_expect (sock, SYNC_PID, &msg, err) < 0)
    return -1;
  r->child = msg.value;
  sync_msg_release (&msg);
  waitpid (r->helper, NULL, 0);
  r->helper = 0;
  if (sync_send (sock, SYNC_GO, 0, NULL, err) < 0)
    return -1;
  if (r->process->terminal)
    {
      if (sync_expect (sock, SYNC_FD, &msg, err) < 0)
        return -1;
      r->master = msg.fd;
      msg.fd = -1;
      sync_msg_release (&msg);
      if (r->opts->console_socket && container_send_console (r->opts->console_socket, r->master, err) < 0)
        return -1;
    }
  {
    cleanup_free char *json = NULL;
    if (state_to_json (&r->c.st, r->c.status, false, &json, err) < 0)
      return -1;
    return container_wait_exec (sock, r->config->linux_ ? r->config->linux_->seccomp : NULL, json, r->child,
                                err);
  }
}

static int
wait_foreground (struct exec_run *r, int *status, estiba_error_t *err)
{
  struct signals_forwarder f;
  int ret;

  if (r->master >= 0 && r->opts->console_socket == NULL)
    return terminal_proxy (r->master, r->child, status, err);
  if (signals_forward_setup (&f, err) < 0)
    return -1;
  ret = signals_forward_wait (&f, r->child, status, err);
  signals_forward_teardown (&f);
  return ret;
}

static int
open_container (struct estiba_context *ctx, struct exec_run *r, estiba_error_t *err)
{
  char path[64];
  unsigned long long start;

  if (container_open (ctx, r->opts->id, false, &r->c, err) < 0)
    return -1;
  if (r->c.status != CONTAINER_RUNNING && r->c.status != CONTAINER_CREATED)
    return estiba_error (err, 0, "cannot exec in container '%s': it is %s", r->opts->id,
                         container_status_name (r->c.status));
  if (container_load_config (&r->c, &r->config, err) < 0)
    return -1;
  if (r->config->process == NULL && r->opts->process_path == NULL)
    return estiba_error (err, 0, "container '%s' has no process settings", r->opts->id);
  if (namespaces_plan_for_pid (r->c.st.pid, &r->ns, err) < 0)
    return -1;
  snprintf (path, sizeof path, "/proc/%d/root", (int) r->c.st.pid);
  r->rootfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfd < 0)
    return estiba_error_errno (err, "open '%s'", path);
  /* The fds were opened by pid: make sure it was still the container's.  */
  if (proc_start_time (r->c.st.pid, &start, NULL, err) < 0 || start != r->c.st.pid_start)
    return estiba_error (err, 0, "container '%s' stopped", r->opts->id);
  return 0;
}

int
estiba_container_exec (struct estiba_context *ctx, const struct estiba_exec_options *opts,
                       estiba_error_t *err)
{
  struct exec_run r = { .opts = opts, .rootfd = -1, .sync = { -1, -1 }, .master = -1 };
  int status = 0, ret;

  r.c.lock_fd = -1;
  if (container_ensure_sealed_binary (ctx, err) < 0)
    return -1;
  ret = open_container (ctx, &r, err);
  if (ret == 0)
    ret = build_process (&r, err);
  /* An exec'd process gets the container's filter (as runc).  */
  if (ret == 0 && r.config->linux_ && r.config->linux_->seccomp)
    ret = container_compile_seccomp (container_state_root (ctx), r.config->linux_->seccomp, &r.seccomp, err);
  if (ret == 0)
    ret = fork_helper (&r, err);
  if (ret == 0)
    ret = drive_exec (&r, err);
  if (ret == 0 && opts->pid_file)
    ret = container_write_pid_file (opts->pid_file, r.child, err);
  /* Let delete and others in while the process runs.  */
  if (r.c.lock_fd >= 0)
    {
      close (r.c.lock_fd);
      r.c.lock_fd = -1;
    }
  if (ret == 0 && !opts->detach)
    ret = wait_foreground (&r, &status, err);
  if (ret < 0)
    {
      if (r.helper > 0)
        {
          kill (r.helper, SIGKILL);
          waitpid (r.helper, NULL, 0);
        }
      if (r.child > 0)
        {
          kill (r.child, SIGKILL);
          waitpid (r.child, NULL, 0);
        }
    }
  exec_run_release (&r);
  if (ret < 0)
    return -1;
  return opts->detach ? 0 : signals_exit_code (status);
}
