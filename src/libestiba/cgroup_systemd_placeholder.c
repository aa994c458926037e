/* The placeholder process of a systemd scope (see
 * cgroup_systemd_placeholder.h).
 *
 * systemd refuses a scope without processes and stops one whose processes
 * are gone, but the container's directories must exist before its first
 * process is forked (it mounts them).  So a placeholder process holds the
 * scope and exits as soon as another process is in the cgroup, or when the
 * runtime exits.  It is a grandchild of the runtime, reaped by its parent,
 * which stays in the runtime's cgroup: an unreaped zombie would count in
 * the scope's pids.current (`run` is a subreaper that reaps only the
 * init).  Neither keeps any of the runtime's descriptors open.  */
#include <config.h>
#include "cgroup_systemd_placeholder.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

static bool
cgroup_has_other (const char *procs, pid_t self)
{
  char buf[256];
  cleanup_close int fd = open (procs, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, sizeof buf - 1);
  char *p, *end;

  if (n <= 0)
    return n < 0; /* unreadable: the cgroup is gone */
  buf[n] = '\0';
  for (p = buf; *p; p = end)
    {
      long pid = strtol (p, &end, 10);
      if (end == p)
        break;
      if (pid != self)
        return true;
      while (*end == '\n')
        end++;
    }
  return false;
}

/* Runs in the placeholder: fd 3 is the go pipe, fd 4 a pidfd of the
 * runtime.  */
__attribute__ ((noreturn)) static void
placeholder_main (void)
{
  char procs[4096];
  size_t n = 0;
  struct pollfd p[2] = { { .fd = 3, .events = POLLIN }, { .fd = 4, .events = POLLIN } };

  prctl (PR_SET_NAME, "estiba-scope");
  signal (SIGTERM, SIG_DFL);
  signal (SIGINT, SIG_DFL);
  signal (SIGHUP, SIG_DFL);
  while (n < sizeof procs)
    {
      ssize_t r;
      if (poll (p, 2, -1) < 0 || (p[1].revents && !p[0].revents))
        _exit (0);
      r = read (3, procs + n, sizeof procs - n);
      if (r <= 0)
        break;
      n += (size_t) r;
    }
  if (n == 0 || n >= sizeof procs || procs[n - 1] != '\0')
    _exit (0);
  while (!cgroup_has_other (procs, getpid ()))
    if (poll (&p[1], 1, 10) != 0)
      _exit (0);
  _exit (0);
}

/* Move fds[0..n) to 3, 4, ..., stdio to /dev/null, close the rest.  */
static int
keep_only_fds (int *fds, int n)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC), i;

  if (null < 0 || dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (null, 2) < 0)
    return -1;
  /* Above every target first, so no dup2 overwrites a source.  */
  for (i = 0; i < n; i++)
    if ((fds[i] = fcntl (fds[i], F_DUPFD, 3 + n)) < 0)
      return -1;
  for (i = 0; i < n; i++)
    if (dup2 (fds[i], 3 + i) < 0)
      return -1;
  return (int) syscall (SYS_close_range, 3 + n, ~0U, 0);
}

/* The placeholder's parent: fork it, report its pid on fd 5, reap it.  */
__attribute__ ((noreturn)) static void
placeholder_parent (int go, int runtime, int report)
{
  int fds[3] = { go, runtime, report };
  pid_t pid;

  if (keep_only_fds (fds, 3) < 0)
    _exit (1);
  pid = fork ();
  if (pid == 0)
    {
      close (5);
      placeholder_main ();
    }
  if (pid < 0 || write (5, &pid, sizeof pid) != sizeof pid)
    _exit (1);
  close (5);
  close (3);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  _exit (0);
}

int
scope_placeholder_start (struct scope_placeholder *ph, estiba_error_t *err)
{
  cleanup_close int self = (int) syscall (SYS_pidfd_open, getpid (), 0);
  int go[2], report[2];
  pid_t child;

  ph->pid = 0;
  ph->go_fd = -1;
  if (self < 0)
    return estiba_error_errno (err, "--systemd-cgroup: pidfd_open");
  if (pipe2 (go, O_CLOEXEC) < 0)
    return estiba_error_errno (err, "pipe");
  if (pipe2 (report, O_CLOEXEC) < 0)
    {
      close (go[0]);
      close (go[1]);
      return estiba_error_errno (err, "pipe");
    }
  fflush (NULL);
  child = fork ();
  if (child == 0)
    placeholder_parent (go[0], self, report[1]);
  close (go[0]);
  close (report[1]);
  /* EOF (no pid) when the parent failed.  */
  if (child < 0 || read (report[0], &ph->pid, sizeof ph->pid) != sizeof ph->pid)
    ph->pid = 0;
  close (report[0]);
  if (ph->pid <= 0)
    {
      close (go[1]);
      if (child > 0)
        waitpid (child, NULL, 0);
      return estiba_error (err, 0, "--systemd-cgroup: cannot start the scope's placeholder process");
    }
  ph->go_fd = go[1];
  return 0;
}

void
scope_placeholder_release (struct scope_placeholder *ph, const char *procs)
{
  if (ph->go_fd < 0)
    return;
  if (procs && write (ph->go_fd, procs, strlen (procs) + 1) < 0)
    estiba_debug ("--systemd-cgroup: placeholder: %s", strerror (errno));
  close (ph->go_fd);
  ph->go_fd = -1;
}
