#include <config.h>
#include "signals.h"
#include "estiba.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

struct signal_name
{
  const char *name; /* without the SIG prefix */
  int number;
};

/* The names runc and kill(1) accept on Linux, including the aliases.  */
static const struct signal_name signal_names[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },   { "IOT", SIGIOT },   { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL },   { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },   { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CLD", SIGCHLD },  { "CONT", SIGCONT },
  { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
  { "URG", SIGURG },       { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },     { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "POLL", SIGPOLL },
  { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

#define N_SIGNAL_NAMES (sizeof (signal_names) / sizeof (signal_names[0]))

static int
parse_number (const char *s, int *out)
{
  char *end;
  long v;

  if (!isdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0' || v > INT_MAX)
    return -1;
  *out = (int) v;
  return 0;
}

/* "RTMIN", "RTMIN+3", "RTMAX-2".  */
static int
parse_realtime (const char *s)
{
  int base, offset = 0, sign = 1;
  const char *rest;

  if (strncasecmp (s, "RTMIN", 5) == 0)
    base = SIGRTMIN;
  else if (strncasecmp (s, "RTMAX", 5) == 0)
    {
      base = SIGRTMAX;
      sign = -1;
    }
  else
    return -1;
  rest = s + 5;
  if (*rest != '\0')
    {
      if (*rest != (sign > 0 ? '+' : '-') || parse_number (rest + 1, &offset) < 0)
        return -1;
    }
  if (offset > SIGRTMAX - SIGRTMIN)
    return -1;
  return base + sign * offset;
}

int
estiba_parse_signal (const char *s)
{
  size_t i;
  int n;

  if (s == NULL || *s == '\0')
    return -1;
  if (parse_number (s, &n) == 0)
    return n >= 1 && n <= SIGRTMAX ? n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (i = 0; i < N_SIGNAL_NAMES; i++)
    if (strcasecmp (s, signal_names[i].name) == 0)
      return signal_names[i].number;
  return parse_realtime (s);
}

const char *
signals_name (int sig, char *buf, size_t len)
{
  size_t i;

  for (i = 0; i < N_SIGNAL_NAMES; i++)
    if (signal_names[i].number == sig)
      {
        snprintf (buf, len, "SIG%s", signal_names[i].name);
        return buf;
      }
  if (sig >= SIGRTMIN && sig <= SIGRTMAX)
    {
      snprintf (buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
      return buf;
    }
  return NULL;
}

int
signals_forward_setup (struct signals_forwarder *f, estiba_error_t *err)
{
  sigset_t all;
  int sig;

  f->sfd = -1;
  /* sigaddset refuses the signals glibc reserves for itself (32, 33); SIGKILL
   * and SIGSTOP cannot be caught and are simply never delivered here.  */
  sigemptyset (&all);
  for (sig = 1; sig <= SIGRTMAX; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaddset (&all, sig);
  if (sigprocmask (SIG_BLOCK, &all, &f->saved_mask) < 0)
    return estiba_error_errno (err, "block signals for forwarding");
  f->sfd = signalfd (-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
  if (f->sfd < 0)
    {
      int saved = errno;
      sigprocmask (SIG_SETMASK, &f->saved_mask, NULL);
      return estiba_error (err, saved, "create signalfd for forwarding");
    }
  return 0;
}

void
signals_forward_child_reset (const struct signals_forwarder *f)
{
  sigprocmask (SIG_SETMASK, &f->saved_mask, NULL);
}

/* 1 and *wait_status set when child has exited.  */
static int
reap_child (pid_t child, int *wait_status, estiba_error_t *err)
{
  int status;
  pid_t r;

  do
    r = waitpid (child, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return estiba_error_errno (err, "wait for process %d", (int) child);
  if (r == 0)
    return 0;
  *wait_status = status;
  return 1;
}

/* SIGCHLD and SIGWINCH are about us, not the container: the child changed
 * state, or our terminal was resized (the proxy resizes the pty).  */
static bool
is_forwarded (int sig)
{
  return sig != SIGCHLD && sig != SIGWINCH;
}

int
signals_forward_handle (struct signals_forwarder *f, pid_t child, int *wait_status, bool *winch,
                        estiba_error_t *err)
{
  struct signalfd_siginfo si;
  ssize_t r;

  for (;;)
    {
      r = read (f->sfd, &si, sizeof (si));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        break;
      if (r != (ssize_t) sizeof (si))
        return estiba_error_errno (err, "read signalfd");
      if (si.ssi_signo == SIGWINCH && winch)
        *winch = true;
      else if (is_forwarded ((int) si.ssi_signo) && kill (child, (int) si.ssi_signo) < 0 && errno != ESRCH)
        return estiba_error_errno (err, "forward signal %u to process %d", si.ssi_signo, (int) child);
    }
  /* Always check: SIGCHLD may have been delivered (and discarded) before
   * setup, and several exits coalesce into one SIGCHLD.  */
  return reap_child (child, wait_status, err);
}

int
signals_forward_wait (struct signals_forwarder *f, pid_t child, int *wait_status, estiba_error_t *err)
{
  struct pollfd pfd = { .fd = f->sfd, .events = POLLIN };
  int ret;

  for (;;)
    {
      ret = signals_forward_handle (f, child, wait_status, NULL, err);
      if (ret != 0)
        return ret < 0 ? ret : 0;
      if (poll (&pfd, 1, -1) < 0 && errno != EINTR)
        return estiba_error_errno (err, "poll signalfd");
    }
}

void
signals_forward_teardown (struct signals_forwarder *f)
{
  struct signalfd_siginfo si;

  if (f->sfd < 0)
    return;
  while (read (f->sfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    ;
  close (f->sfd);
  f->sfd = -1;
  sigprocmask (SIG_SETMASK, &f->saved_mask, NULL);
}

int
signals_exit_code (int wait_status)
{
  if (WIFSIGNALED (wait_status))
    return 128 + WTERMSIG (wait_status);
  return WEXITSTATUS (wait_status);
}
