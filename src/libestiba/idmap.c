/* User namespaces carrying id mappings: see idmap.h.  */
#include <config.h>
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

/* "containerID hostID size\n" lines, as uid_map wants them.  */
static char *
format_map (const struct oci_id_mapping *m, size_t n)
{
  char *s = strdup (""), *next;
  size_t i;

  for (i = 0; s && i < n; i++)
    {
      if (asprintf (&next, "%s%u %u %u\n", s, m[i].container_id, m[i].host_id, m[i].size) < 0)
        next = NULL;
      free (s);
      s = next;
    }
  return s;
}

static int
write_map (const char *proc_dir, const char *file, const struct oci_id_mapping *m, size_t n, const char *what,
           estiba_error_t *err)
{
  cleanup_free char *text = format_map (m, n);
  cleanup_close int fd = -1;
  char path[128];

  if (text == NULL)
    return estiba_error_errno (err, "malloc");
  snprintf (path, sizeof path, "%s/%s", proc_dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "%s: open %s", what, path);
  if (write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    return estiba_error_errno (err, "%s: write %s", what, path);
  return 0;
}

/* The helper only has to exist while its maps are written and its
 * namespace is opened: it unshares, stops itself, and is killed.  It
 * tells its pid as /proc sees it: the init runs in the container's pid
 * namespace but still with the host's /proc, where fork's pid would name
 * another process.  */
static pid_t
spawn_userns_helper (char *proc_dir, size_t size, estiba_error_t *err)
{
  char self[32] = "";
  int pipefd[2], status;
  ssize_t len;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return estiba_error_errno (err, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return estiba_error_errno (err, "fork the id-mapping helper");
    }
  if (pid == 0)
    {
      close (pipefd[0]);
      if (unshare (CLONE_NEWUSER) < 0)
        _exit (1);
      len = readlink ("/proc/self", self, sizeof self - 1);
      if (len <= 0 || write (pipefd[1], self, (size_t) len) != len)
        _exit (1);
      close (pipefd[1]);
      raise (SIGSTOP);
      _exit (0);
    }
  close (pipefd[1]);
  len = read (pipefd[0], self, sizeof self - 1);
  close (pipefd[0]);
  if (len <= 0 || waitpid (pid, &status, WUNTRACED) < 0 || !WIFSTOPPED (status))
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return estiba_error (err, EINVAL, "create a user namespace for the id mapping");
    }
  self[len] = '\0';
  snprintf (proc_dir, size, "/proc/%s", self);
  return pid;
}

int
idmap_userns_open (const struct oci_id_mapping *uids, size_t n_uids, const struct oci_id_mapping *gids,
                   size_t n_gids, const char *what, estiba_error_t *err)
{
  pid_t pid;
  int fd = -1;
  char proc_dir[64], path[96];

  if (n_uids == 0 || n_gids == 0)
    return estiba_error (err, EINVAL, "%s: an id-mapped mount needs both uid and gid mappings", what);
  pid = spawn_userns_helper (proc_dir, sizeof proc_dir, err);
  if (pid < 0)
    return -1;
  if (write_map (proc_dir, "uid_map", uids, n_uids, what, err) == 0
      && write_map (proc_dir, "gid_map", gids, n_gids, what, err) == 0)
    {
      snprintf (path, sizeof path, "%s/ns/user", proc_dir);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        estiba_error_errno (err, "%s: open %s", what, path);
    }
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return fd;
}
