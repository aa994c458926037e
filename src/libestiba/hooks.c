#include <config.h>
#include "hooks.h"
#include "cleanup.h"
#include "fds.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Set in the JSON, or assigned by code building the struct (see
 * ocispec.h: a non-zero value counts as present).  */
static bool
has_timeout (const struct oci_hook *h)
{
  return h->has_timeout || h->timeout != 0;
}

struct hook_run
{
  pid_t pid;
  int pidfd;
  int output; /* read end of the hook's stdout+stderr */
  char captured[HOOKS_OUTPUT_MAX + 1];
  size_t captured_len;
  int wait_status;
  bool timed_out;
};

static int
check_hook (const struct oci_hook *h, estiba_error_t *err)
{
  if (h->path == NULL || h->path[0] != '/')
    return estiba_error (err, 0, "path \"%s\" must be absolute", h->path ? h->path : "");
  if (has_timeout (h) && h->timeout <= 0)
    return estiba_error (err, 0, "timeout %d must be greater than zero", h->timeout);
  return 0;
}

/* The state goes through a memfd rather than a pipe: the hook may exit
 * without reading it (no SIGPIPE, no deadlock on a big state), and it
 * still reads exactly the JSON followed by end-of-file.  */
static int
state_file (const char *state_json, estiba_error_t *err)
{
  cleanup_close int fd = memfd_create ("estiba-hook-state", MFD_CLOEXEC);
  size_t len = strlen (state_json), done = 0;

  if (fd < 0)
    return estiba_error_errno (err, "create the hook's stdin");
  while (done < len)
    {
      ssize_t w = write (fd, state_json + done, len - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return estiba_error_errno (err, "write the state for the hook");
      done += (size_t) w;
    }
  if (lseek (fd, 0, SEEK_SET) < 0)
    return estiba_error_errno (err, "rewind the hook's stdin");
  return steal_fd (&fd);
}

static void
write_str (int fd, const char *s)
{
  if (write (fd, s, strlen (s)) < 0)
    return;
}

/* In the child, between fork and exec.  Only async-signal-safe calls.  */
static __attribute__ ((noreturn)) void
exec_hook (const struct oci_hook *h, int state_fd, int output_fd)
{
  static char *const no_env[] = { NULL };
  char *default_argv[] = { h->path, NULL };
  char *const *argv = h->args_len > 0 ? h->args : default_argv;
  char *const *env = h->env ? h->env : no_env;
  sigset_t none;
  int sig;

  /* The runtime may have signals blocked (forwarding) or ignored: the hook
   * must start with the defaults.  */
  for (sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (dup2 (state_fd, 0) < 0 || dup2 (output_fd, 1) < 0 || dup2 (output_fd, 2) < 0)
    _exit (127);
  /* Nothing the runtime holds open (state dirs, sockets) reaches a hook. */
  syscall (SYS_close_range, 3U, ~0U, 0U);
  execve (h->path, argv, env);
  write_str (2, "exec ");
  write_str (2, h->path);
  write_str (2, ": ");
  write_str (2, strerror (errno));
  _exit (127);
}

static int
spawn_hook (const struct oci_hook *h, const char *state_json, struct hook_run *run, estiba_error_t *err)
{
  cleanup_close int state_fd = state_file (state_json, err);
  int out[2];

  if (state_fd < 0)
    return -1;
  if (pipe2 (out, O_CLOEXEC) < 0)
    return estiba_error_errno (err, "create the hook's output pipe");
  run->pid = fork ();
  if (run->pid < 0)
    {
      close (out[0]);
      close (out[1]);
      return estiba_error_errno (err, "fork");
    }
  if (run->pid == 0)
    exec_hook (h, state_fd, out[1]);
  close (out[1]);
  run->output = out[0];
  run->pidfd = (int) syscall (SYS_pidfd_open, run->pid, 0);
  return 0;
}

static long
ms_until (const struct timespec *deadline)
{
  struct timespec now;

  clock_gettime (CLOCK_MONOTONIC, &now);
  return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Keep the first HOOKS_OUTPUT_MAX bytes, read (and drop) the rest.  */
static bool
read_output (struct hook_run *run)
{
  char buf[4096];
  ssize_t r = read (run->output, buf, sizeof (buf));
  size_t keep;

  if (r < 0 && errno == EINTR)
    return true;
  if (r <= 0)
    return false;
  keep = HOOKS_OUTPUT_MAX - run->captured_len;
  if (keep > (size_t) r)
    keep = (size_t) r;
  memcpy (run->captured + run->captured_len, buf, keep);
  run->captured_len += keep;
  return true;
}

/* Collect output until the hook exits (or the pipe closes), or kill it at
 * the deadline.  Processes the hook left behind may keep the pipe open,
 * so the hook's own exit (pidfd) ends the wait.  */
static int
wait_hook (const struct oci_hook *h, struct hook_run *run, estiba_error_t *err)
{
  struct timespec deadline;
  bool output_open = true;
  pid_t r;

  clock_gettime (CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += has_timeout (h) ? h->timeout : 0;
  for (;;)
    {
      struct pollfd pfds[2] = { { .fd = output_open ? run->output : -1, .events = POLLIN },
                                { .fd = run->pidfd, .events = POLLIN } };
      long timeout = has_timeout (h) ? ms_until (&deadline) : -1;
      int n;

      if (has_timeout (h) && timeout <= 0)
        {
          run->timed_out = true;
          kill (run->pid, SIGKILL);
          break;
        }
      if (!output_open && run->pidfd < 0)
        break;
      n = poll (pfds, 2, timeout > INT32_MAX ? INT32_MAX : (int) timeout);
      if (n < 0 && errno != EINTR)
        return estiba_error_errno (err, "wait for the hook");
      if (pfds[0].revents && !read_output (run))
        output_open = false;
      if (pfds[1].revents)
        break;
    }
  do
    r = waitpid (run->pid, &run->wait_status, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return estiba_error_errno (err, "wait for the hook");
  /* What it printed just before exiting.  */
  while (!run->timed_out && output_open
         && poll (&(struct pollfd){ .fd = run->output, .events = POLLIN }, 1, 0) > 0 && read_output (run))
    ;
  return 0;
}

/* The first non-empty line of the output, for a one-line error.  */
static const char *
first_line (char *captured)
{
  char *line = captured, *nl;

  while (*line == '\n' || *line == '\r' || *line == ' ')
    line++;
  nl = strpbrk (line, "\r\n");
  if (nl)
    *nl = '\0';
  return line;
}

static int
report (const struct oci_hook *h, const char *phase, size_t index, struct hook_run *run, estiba_error_t *err)
{
  const char *line;
  char how[64];

  if (run->timed_out)
    snprintf (how, sizeof (how), "timed out after %d s (killed)", h->timeout);
  else if (WIFSIGNALED (run->wait_status))
    snprintf (how, sizeof (how), "killed by signal %d", WTERMSIG (run->wait_status));
  else if (WEXITSTATUS (run->wait_status) != 0)
    snprintf (how, sizeof (how), "exit status %d", WEXITSTATUS (run->wait_status));
  else
    return 0;
  run->captured[run->captured_len] = '\0';
  line = first_line (run->captured);
  return estiba_error (err, 0, "%s hook %zu (%s): %s%s%s", phase, index, h->path, how, *line ? ": " : "",
                       line);
}

static int
run_one (const struct oci_hook *h, const char *phase, size_t index, const char *state_json,
         estiba_error_t *err)
{
  struct hook_run run = { .pid = -1, .pidfd = -1, .output = -1 };
  int ret;

  if (check_hook (h, err) < 0)
    return estiba_error_wrap (err, "%s hook %zu", phase, index);
  if (spawn_hook (h, state_json ? state_json : "", &run, err) < 0)
    return estiba_error_wrap (err, "%s hook %zu (%s)", phase, index, h->path);
  ret = wait_hook (h, &run, err);
  close (run.output);
  if (run.pidfd >= 0)
    close (run.pidfd);
  if (ret < 0)
    return estiba_error_wrap (err, "%s hook %zu (%s)", phase, index, h->path);
  return report (h, phase, index, &run, err);
}

int
hooks_run (const struct oci_hook *hooks, size_t n, const char *phase, const char *state_json,
           estiba_error_t *err)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (run_one (&hooks[i], phase, i, state_json, err) < 0)
      return -1;
  return 0;
}

int
hooks_run_all_warn (const struct oci_hook *hooks, size_t n, const char *phase, const char *state_json)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      cleanup_error estiba_error_t err = NULL;

      if (run_one (&hooks[i], phase, i, state_json, &err) < 0)
        {
          cleanup_free char *msg = estiba_error_string (err);
          estiba_warn ("%s", msg ? msg : "hook failed");
        }
    }
  return 0;
}

int
hooks_run_poststop (const struct oci_hook *hooks, size_t n, const char *state_json)
{
  return hooks_run_all_warn (hooks, n, "poststop", state_json);
}
