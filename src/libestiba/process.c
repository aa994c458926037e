/* Final process setup and exec: see process.h.  */
#include <config.h>
#include "process.h"
#include "seccomp_filter.h"
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fds.h"
#include "lsm.h"
#if __has_include("process_attrs.h")                                                                         \
                  && __has_include(                                                                          \
                    "capabilities.h")                                                                        \
                    && __has_include("rlimits.h")                                                            \
                                     && __has_include("scheduling.h") && __has_include("sysctl.h")
#include "process_attrs.h"
#define HAVE_PROCESS_ATTRS 1
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool
is_executable_file (const char *path)
{
  struct stat sb;
  return stat (path, &sb) == 0 && S_ISREG (sb.st_mode) && access (path, X_OK) == 0;
}

int
process_find_executable (const char *file, char *const *env, char **path, estiba_error_t *err)
{
  const char *search = NULL;
  cleanup_free char *copy = NULL;
  char *dir, *save = NULL;
  size_t i;

  if (file == NULL || *file == '\0')
    return estiba_error (err, 0, "process.args: no program to run");
  if (strchr (file, '/'))
    {
      if (access (file, F_OK) < 0)
        return estiba_error_errno (err, "process.args[0]: '%s'", file);
      *path = strdup (file);
      return *path ? 0 : estiba_error_errno (err, "strdup");
    }
  for (i = 0; env && env[i]; i++)
    if (strncmp (env[i], "PATH=", 5) == 0)
      search = env[i] + 5;
  copy = strdup (search ? search : DEFAULT_PATH);
  if (copy == NULL)
    return estiba_error_errno (err, "strdup");
  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *candidate = NULL;
      if (asprintf (&candidate, "%s/%s", *dir ? dir : ".", file) < 0)
        return estiba_error_errno (err, "asprintf");
      if (is_executable_file (candidate))
        {
          *path = steal_pointer (&candidate);
          return 0;
        }
    }
  return estiba_error (err, ENOENT, "process.args[0]: '%s' not found in PATH '%s'", file,
                       search ? search : DEFAULT_PATH);
}

int
process_check_cwd (const struct oci_process *p, estiba_error_t *err)
{
  struct stat sb;

  if (p->cwd == NULL || p->cwd[0] != '/')
    return estiba_error (err, 0, "process.cwd: '%s' is not an absolute path", p->cwd ? p->cwd : "");
  if (stat (p->cwd, &sb) < 0)
    return estiba_error_errno (err, "process.cwd: '%s'", p->cwd);
  if (!S_ISDIR (sb.st_mode))
    return estiba_error (err, ENOTDIR, "process.cwd: '%s'", p->cwd);
  return 0;
}

#ifdef HAVE_PROCESS_ATTRS
/* A cwd reached through a leaked fd (process.cwd "/proc/self/fd/N", as
 * in CVE-2024-21626) lies outside the container's root: the kernel then
 * gives getcwd "(unreachable)..." (ENOENT from glibc).  Checked after
 * every chdir, as runc does since 1.1.12.  */
static int
check_cwd_inside_root (const char *cwd, estiba_error_t *err)
{
  char buf[PATH_MAX];

  if (getcwd (buf, sizeof buf) == NULL)
    {
      if (errno == ERANGE) /* Long, but reachable.  */
        return 0;
      return estiba_error (err, EPERM, "process.cwd: '%s' is outside the container's root", cwd);
    }
  if (buf[0] != '/')
    return estiba_error (err, EPERM, "process.cwd: '%s' is outside the container's root", cwd);
  return 0;
}

static int
apply_attributes (const struct process_setup *s, estiba_error_t *err)
{
  const struct oci_process *p = s->process;

  /* Limits and priorities first: raising them needs capabilities the
   * process may lose below.  */
  if (apply_rlimits (p, err) < 0 || apply_oom_score_adj (p, err) < 0
      || apply_personality (s->linux_config, err) < 0 || apply_scheduler (p, err) < 0
      || apply_io_priority (p, err) < 0)
    return -1;
  return 0;
}

/* Entered as root and checked before the seccomp filter is loaded: the
 * filter may deny getcwd (the conformance suite's linux_seccomp does).
 * False when root may not enter it; apply_identity retries as the user.  */
static int
enter_cwd_as_root (const struct oci_process *p, bool *entered, estiba_error_t *err)
{
  *entered = chdir (p->cwd) == 0;
  return *entered ? check_cwd_inside_root (p->cwd, err) : 0;
}

static int
apply_identity (const struct process_setup *s, bool cwd_done, estiba_error_t *err)
{
  const struct oci_process *p = s->process;

  /* While still the namespace's root, as runc: the labels take effect
   * at the execve.  */
  if (lsm_apply_process (p, err) < 0)
    return -1;
  if (capabilities_prepare_user_change (p->capabilities, err) < 0)
    return -1;
  if (apply_user_and_groups (p->user, s->setgroups_allowed, err) < 0)
    return -1;
  if (capabilities_apply_after_user_change (p->capabilities, err) < 0)
    return -1;
  /* A cwd only the container user may enter is entered after the user
   * change, as runc does.  */
  if (!cwd_done
      && (chdir (p->cwd) < 0 ? estiba_error_errno (err, "process.cwd: chdir to '%s'", p->cwd)
                             : check_cwd_inside_root (p->cwd, err))
           < 0)
    return -1;
  if (p->no_new_privileges && apply_no_new_privs (p, err) < 0)
    return -1;
  if (p->exec_cpu_affinity && p->exec_cpu_affinity->final
      && apply_cpu_affinity (p->exec_cpu_affinity->final, err) < 0)
    return estiba_error_wrap (err, "process.execCPUAffinity.final");
  return 0;
}
#else
static int
apply_attributes (const struct process_setup *s, estiba_error_t *err)
{
  /* TODO: process_attrs.h (leaf) not there yet.  */
  return 0;
}

static int
enter_cwd_as_root (const struct oci_process *p, bool *entered, estiba_error_t *err)
{
  (void) p;
  (void) err;
  *entered = false;
  return 0;
}

static int
apply_identity (const struct process_setup *s, bool cwd_done, estiba_error_t *err)
{
  const struct oci_process *p = s->process;
  (void) cwd_done;
  if (chdir (p->cwd) < 0)
    return estiba_error_errno (err, "process.cwd: chdir to '%s'", p->cwd);
  if (p->user && (setgid (p->user->gid) < 0 || setuid (p->user->uid) < 0))
    return estiba_error_errno (err, "process.user");
  return 0;
}
#endif

/* The home directory of UID in the container's /etc/passwd, "/" when the
 * file or the entry is missing (runc's default).  Never blocks: a FIFO or
 * device planted at /etc/passwd is not read.  */
static char *
passwd_home (uid_t uid)
{
  cleanup_close int fd = open ("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  cleanup_fclose FILE *f = NULL;
  struct passwd *pw;
  struct stat sb;

  if (fd < 0 || fstat (fd, &sb) < 0 || !S_ISREG (sb.st_mode) || (f = fdopen (fd, "re")) == NULL)
    return strdup ("/");
  fd = -1;
  while ((pw = fgetpwent (f)) != NULL)
    if (pw->pw_uid == uid)
      return strdup (pw->pw_dir);
  return strdup ("/");
}

/* runc and crun give a process whose environment has no (or an empty)
 * HOME its user's home directory; engines such as containerd rely on it.
 * *envp becomes a malloc'd copy with HOME added, or stays as it is.  Read
 * as root before the user change and seccomp: the file may be closed to
 * the user, open() to the filter.  */
static int
env_add_home (char ***envp, const struct oci_user *user, char ***owned, estiba_error_t *err)
{
  char **env = *envp;
  cleanup_free char *home = NULL, *kv = NULL;
  size_t len = 0;

  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], "HOME=", 5) == 0 && env[i][5] != '\0')
      return 0;
  home = passwd_home (user ? user->uid : 0);
  if (home == NULL || asprintf (&kv, "HOME=%s", home) < 0)
    return estiba_error (err, ENOMEM, "process.env: HOME");
  /* An empty HOME= is replaced, not kept next to ours.  */
  for (size_t i = 0; env && env[i]; i++)
    if (strcmp (env[i], "HOME=") != 0)
      oci_strv_append (owned, &len, env[i]);
  oci_strv_append (owned, &len, kv);
  *envp = *owned;
  return 0;
}

int
process_apply_attributes (const struct oci_process *p, const struct oci_linux *l, estiba_error_t *err)
{
  struct process_setup s = { .process = p, .linux_config = l };

  return apply_attributes (&s, err);
}

static int
wait_listener_handed_over (int sync_fd, int notify_fd, estiba_error_t *err)
{
  struct sync_msg msg = { .fd = -1 };
  int ret;

  if (sync_send_fd (sync_fd, notify_fd, err) < 0)
    return -1;
  ret = sync_expect (sync_fd, SYNC_GO, &msg, err);
  sync_msg_release (&msg);
  return ret;
}

int
process_setup_and_exec (const struct process_setup *s, estiba_error_t *err)
{
  const struct oci_process *p = s->process;
  cleanup_free char *path = NULL;
  cleanup_close int notify_fd = -1;
  cleanup_strv char **env_owned = NULL;
  char **env = s->env;
  bool cwd_done;

  if (p->args == NULL || p->args_len == 0)
    return estiba_error (err, 0, "process.args: no program to run");
  if (!s->attributes_applied && apply_attributes (s, err) < 0)
    return -1;
  if (env_add_home (&env, p->user, &env_owned, err) < 0)
    return -1;
  if (enter_cwd_as_root (p, &cwd_done, err) < 0)
    return -1;
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
   * capabilities below may drop: load it first, as runc does.  */
  if (s->seccomp && !p->no_new_privileges && seccomp_install (s->seccomp, &notify_fd, err) < 0)
    return -1;
  if (apply_identity (s, cwd_done, err) < 0)
    return -1;
  /* Look the program up as the container user, in the container.  */
  if (process_find_executable (p->args[0], env, &path, err) < 0)
    return -1;
  /* Nothing but 0-2 and the preserved fds may reach the program: the rest
   * are close-on-exec from here (still usable to report an exec error).  */
  if (fds_set_cloexec_from (3 + s->preserve_fds, err) < 0)
    return -1;
  for (int fd = 3; fd < 3 + s->preserve_fds; fd++)
    if (fcntl (fd, F_SETFD, 0) < 0)
      return estiba_error_errno (err, "preserve fd %d", fd);
  /* As late as possible, so the profile need not allow our own setup.  */
  if (s->seccomp && p->no_new_privileges && seccomp_install (s->seccomp, &notify_fd, err) < 0)
    return -1;
  /* SCMP_ACT_NOTIFY: the runtime hands the listener to the agent, and the
   * program starts only once it has (runc's procSeccompDone): when no
   * agent takes it, the runtime fails and the program never runs.  */
  if (notify_fd >= 0 && wait_listener_handed_over (s->sync_fd, notify_fd, err) < 0)
    return -1;
  execve (path, p->args, env ? env : (char *[]){ NULL });
  return estiba_error_errno (err, "exec '%s'", path);
}
