/* TAP tests for fds.c: closing and marking fds before exec, LISTEN_FDS.  */
#include <config.h>
#include "fds.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <string.h>

/* Open fds (besides 0-2 and the listing's own).  */
static int
count_open_fds_from (int first)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.' && atoi (de->d_name) >= first && atoi (de->d_name) != dirfd (d))
      n++;
  closedir (d);
  return n;
}

static void
open_some_fds (void)
{
  dup2 (0, 10);
  dup2 (0, 77);
  dup2 (0, 300);
  open ("/dev/null", O_RDONLY);
}

/* Make close_range fail with ENOSYS, as on old kernels or under a
 * container's seccomp profile, to exercise the /proc fallback.  */
static int
deny_close_range (void)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  int ret;

  if (ctx == NULL)
    return -1;
  ret = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), seccomp_syscall_resolve_name ("close_range"), 0);
  if (ret == 0)
    ret = seccomp_load (ctx);
  seccomp_release (ctx);
  return ret;
}

static int
close_from_leaves_0_2 (void *arg)
{
  estiba_error_t err = NULL;
  bool fallback = arg != NULL;

  open_some_fds ();
  if (count_open_fds_from (3) < 4)
    return 2;
  if (fallback && deny_close_range () < 0)
    return 3;
  if (fallback && syscall (SYS_close_range, 3U, ~0U, 0U) == 0)
    return 4;
  if (fds_close_from (3, &err) < 0)
    return child_fail (&err, "fds_close_from");
  if (count_open_fds_from (3) != 0 || count_open_fds_from (0) != 3)
    return 5;
  return 0;
}

static int
cloexec_from (void *arg)
{
  estiba_error_t err = NULL;
  int fds[] = { 10, 77, 300 };
  size_t i;

  open_some_fds ();
  if (arg && deny_close_range () < 0)
    return 3;
  if (fds_set_cloexec_from (3, &err) < 0)
    return child_fail (&err, "fds_set_cloexec_from");
  for (i = 0; i < 3; i++)
    if (!(fcntl (fds[i], F_GETFD) & FD_CLOEXEC))
      return 10 + (int) i;
  if (fcntl (0, F_GETFD) & FD_CLOEXEC)
    return 6;
  /* After exec, only 0-2 remain: the shell lists its own fds.  */
  execl ("/bin/sh", "sh", "-c", "set -- /proc/self/fd/*; [ $# -le 4 ] || { ls -l /proc/self/fd; exit 1; }",
         NULL);
  return 7;
}

static void
test_listen_fds (void)
{
  char pid[16];

  snprintf (pid, sizeof (pid), "%d", (int) getpid ());
  setenv ("LISTEN_FDS", "2", 1);
  setenv ("LISTEN_PID", pid, 1);
  ok (fds_listen_fds_count () == 2, "LISTEN_FDS=2 with our LISTEN_PID counts 2");
  setenv ("LISTEN_PID", "1", 1);
  ok (fds_listen_fds_count () == 0, "LISTEN_FDS meant for another pid counts 0");
  setenv ("LISTEN_PID", pid, 1);
  setenv ("LISTEN_FDS", "2x", 1);
  ok (fds_listen_fds_count () == 0, "a malformed LISTEN_FDS counts 0");
  unsetenv ("LISTEN_FDS");
  unsetenv ("LISTEN_PID");
  ok (fds_listen_fds_count () == 0, "no LISTEN_FDS counts 0");
}

static char **
make_env (size_t *len, ...)
{
  va_list ap;
  char **env = calloc (16, sizeof (char *));
  const char *s;

  *len = 0;
  va_start (ap, len);
  while ((s = va_arg (ap, const char *)))
    env[(*len)++] = strdup (s);
  va_end (ap);
  return env;
}

static bool
env_has (char **env, size_t len, const char *entry)
{
  size_t i;
  for (i = 0; i < len; i++)
    if (strcmp (env[i], entry) == 0)
      return true;
  return false;
}

static void
test_preserve_count (void)
{
  estiba_error_t err = NULL;
  cleanup_strv char **env = NULL;
  size_t len;
  char pid[16];
  int ret;

  env = make_env (&len, "PATH=/bin", "LISTEN_PID=77", NULL);
  snprintf (pid, sizeof (pid), "%d", (int) getpid ());
  setenv ("LISTEN_FDS", "2", 1);
  setenv ("LISTEN_PID", pid, 1);
  ret = fds_preserve_count_from_env (3, &env, &len, &err);
  ok_call (ret, &err, "preserve count with socket activation");
  ok (ret == 5, "2 listen fds + 3 preserved = 5 (got %d)", ret);
  ok (len == 3 && env_has (env, len, "LISTEN_FDS=2") && env_has (env, len, "LISTEN_PID=1")
        && !env_has (env, len, "LISTEN_PID=77") && env[len] == NULL,
      "LISTEN_FDS=2 added, LISTEN_PID replaced by 1, array still NULL-terminated");
  unsetenv ("LISTEN_FDS");
  unsetenv ("LISTEN_PID");

  ret = fds_preserve_count_from_env (1, &env, &len, &err);
  ok (ret == 1 && len == 3, "without LISTEN_FDS only --preserve-fds counts and env is untouched");
  estiba_error_release (&err);
  ret = fds_preserve_count_from_env (-1, &env, &len, &err);
  ok_fails_with (ret, &err, "--preserve-fds -1", "negative --preserve-fds is refused");
}

int
main (void)
{
  ok (in_child (close_from_leaves_0_2, NULL) == 0, "fds_close_from(3) leaves only 0-2 (close_range)");
  ok (in_child (close_from_leaves_0_2, (void *) 1) == 0,
      "fds_close_from(3) leaves only 0-2 (/proc fallback)");
  ok (in_child (cloexec_from, NULL) == 0, "fds_set_cloexec_from(3) marks fds, exec drops them (close_range)");
  ok (in_child (cloexec_from, (void *) 1) == 0, "fds_set_cloexec_from(3) marks fds (/proc fallback)");
  test_listen_fds ();
  test_preserve_count ();
  return tap_done ();
}
