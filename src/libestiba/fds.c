#include <config.h>
#include "fds.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum fd_action
{
  FDS_CLOSE,
  FDS_CLOEXEC,
};

static int
apply_to_fd (int fd, enum fd_action action)
{
  int flags;

  if (action == FDS_CLOSE)
    return close (fd) < 0 && errno != EBADF ? -1 : 0;
  flags = fcntl (fd, F_GETFD);
  if (flags < 0)
    return errno == EBADF ? 0 : -1;
  if (flags & FD_CLOEXEC)
    return 0;
  return fcntl (fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Fallback for kernels or seccomp profiles without close_range.  The fds
 * are collected first because closing while iterating would close the
 * directory's own fd under readdir.  */
static int
apply_from_proc (int first_fd, enum fd_action action, estiba_error_t *err)
{
  cleanup_closedir DIR *dir = opendir ("/proc/self/fd");
  cleanup_free int *fds = NULL;
  size_t n = 0, allocated = 0, i;
  struct dirent *de;

  if (dir == NULL)
    return estiba_error_errno (err, "open /proc/self/fd");
  while ((de = readdir (dir)) != NULL)
    {
      char *end;
      long fd = strtol (de->d_name, &end, 10);

      if (de->d_name[0] == '.' || *end != '\0' || fd < first_fd || fd == dirfd (dir))
        continue;
      if (n == allocated)
        {
          int *bigger = realloc (fds, (allocated = allocated ? allocated * 2 : 64) * sizeof (*fds));
          if (bigger == NULL)
            return estiba_error_errno (err, "allocate fd list");
          fds = bigger;
        }
      fds[n++] = (int) fd;
    }
  for (i = 0; i < n; i++)
    if (apply_to_fd (fds[i], action) < 0)
      return estiba_error_errno (err, "%s fd %d", action == FDS_CLOSE ? "close" : "set close-on-exec on",
                                 fds[i]);
  return 0;
}

int
fds_close_from (int first_fd, estiba_error_t *err)
{
  if (first_fd < 0)
    return estiba_error (err, EINVAL, "close fds from %d", first_fd);
  if (syscall (SYS_close_range, (unsigned) first_fd, ~0U, 0U) == 0)
    return 0;
  return apply_from_proc (first_fd, FDS_CLOSE, err);
}

int
fds_set_cloexec_from (int first_fd, estiba_error_t *err)
{
  if (first_fd < 0)
    return estiba_error (err, EINVAL, "set close-on-exec from fd %d", first_fd);
  if (syscall (SYS_close_range, (unsigned) first_fd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  return apply_from_proc (first_fd, FDS_CLOEXEC, err);
}

static long
parse_positive (const char *s)
{
  char *end;
  long v;

  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0' || v < 0)
    return -1;
  return v;
}

int
fds_listen_fds_count (void)
{
  long n = parse_positive (getenv ("LISTEN_FDS"));
  long pid = parse_positive (getenv ("LISTEN_PID"));

  /* LISTEN_PID guards against inheriting a stale LISTEN_FDS meant for
   * some other process up the tree (sd_listen_fds(3)).  */
  if (n <= 0 || pid != (long) getpid () || n > INT_MAX - 3)
    return 0;
  return (int) n;
}

/* Replace KEY=... in env, or append it.  */
static int
env_set (char ***env, size_t *env_len, const char *key, const char *value, estiba_error_t *err)
{
  size_t key_len = strlen (key), i;
  char *entry = NULL;
  char **bigger;

  if (asprintf (&entry, "%s=%s", key, value) < 0)
    return estiba_error_errno (err, "set %s in the process environment", key);
  for (i = 0; i < *env_len; i++)
    if (strncmp ((*env)[i], key, key_len) == 0 && (*env)[i][key_len] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = entry;
        return 0;
      }
  bigger = realloc (*env, (*env_len + 2) * sizeof (char *));
  if (bigger == NULL)
    {
      free (entry);
      return estiba_error_errno (err, "set %s in the process environment", key);
    }
  bigger[(*env_len)++] = entry;
  bigger[*env_len] = NULL;
  *env = bigger;
  return 0;
}

int
fds_preserve_count_from_env (int preserve_fds, char ***env, size_t *env_len, estiba_error_t *err)
{
  int listen_fds = fds_listen_fds_count ();
  char count[16];

  if (preserve_fds < 0 || preserve_fds > INT_MAX - 3 - listen_fds)
    return estiba_error (err, 0, "--preserve-fds %d: must be a non-negative fd count", preserve_fds);
  if (listen_fds > 0)
    {
      snprintf (count, sizeof (count), "%d", listen_fds);
      if (env_set (env, env_len, "LISTEN_FDS", count, err) < 0
          || env_set (env, env_len, "LISTEN_PID", "1", err) < 0)
        return -1;
    }
  return listen_fds + preserve_fds;
}
