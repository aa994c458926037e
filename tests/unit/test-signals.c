/* TAP tests for signals.c: names, and forwarding to a foreground child. */
#include <config.h>
#include "estiba.h"
#include "signals.h"
#include "leaf-tap.h"

#include <signal.h>
#include <string.h>

static void
test_parse (void)
{
  char buf[32];

  ok (estiba_parse_signal ("TERM") == SIGTERM, "TERM");
  ok (estiba_parse_signal ("SIGTERM") == SIGTERM, "SIGTERM");
  ok (estiba_parse_signal ("sigkill") == SIGKILL, "sigkill (case-insensitive)");
  ok (estiba_parse_signal ("9") == 9, "9");
  ok (estiba_parse_signal ("SIGCLD") == SIGCHLD, "alias SIGCLD");
  ok (estiba_parse_signal ("RTMIN") == SIGRTMIN, "RTMIN");
  ok (estiba_parse_signal ("SIGRTMIN+3") == SIGRTMIN + 3, "SIGRTMIN+3");
  ok (estiba_parse_signal ("RTMAX-1") == SIGRTMAX - 1, "RTMAX-1");
  ok (estiba_parse_signal ("RTMIN+99") == -1, "RTMIN+99 is out of range");
  ok (estiba_parse_signal ("RTMIN-1") == -1, "RTMIN-1 is refused");
  ok (estiba_parse_signal ("0") == -1, "0 is not a signal");
  ok (estiba_parse_signal ("65") == -1, "65 is not a signal");
  ok (estiba_parse_signal ("9x") == -1, "9x is refused");
  ok (estiba_parse_signal ("FOO") == -1 && estiba_parse_signal ("") == -1 && estiba_parse_signal (NULL) == -1,
      "unknown names are refused");
  ok (signals_name (SIGTERM, buf, sizeof (buf)) && strcmp (buf, "SIGTERM") == 0, "name of 15 is SIGTERM");
  ok (signals_name (SIGRTMIN + 2, buf, sizeof (buf)) && strcmp (buf, "SIGRTMIN+2") == 0,
      "name of SIGRTMIN+2");
  ok (signals_name (0, buf, sizeof (buf)) == NULL, "0 has no name");
}

static bool
same_mask (const sigset_t *a, const sigset_t *b)
{
  int sig;
  for (sig = 1; sig <= SIGRTMAX; sig++)
    if (sigismember (a, sig) != sigismember (b, sig))
      return false;
  return true;
}

static pid_t
spawn (struct signals_forwarder *f, int exit_code)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      signals_forward_child_reset (f);
      if (exit_code >= 0)
        _exit (exit_code);
      for (;;)
        pause ();
    }
  return pid;
}

static void
test_forward (void)
{
  estiba_error_t err = NULL;
  struct signals_forwarder f;
  sigset_t before, after;
  int status = 0, ret;
  pid_t child;

  sigemptyset (&before);
  sigemptyset (&after);
  sigaddset (&before, SIGUSR2);
  sigprocmask (SIG_SETMASK, &before, NULL);
  ret = signals_forward_setup (&f, &err);
  ok_call (ret, &err, "signals_forward_setup");
  child = spawn (&f, -1);
  /* Signals sent to us go to the child; SIGUSR1 kills it.  */
  kill (getpid (), SIGWINCH);
  kill (getpid (), SIGUSR1);
  ret = signals_forward_wait (&f, child, &status, &err);
  ok_call (ret, &err, "signals_forward_wait returns when the child dies");
  ok (WIFSIGNALED (status) && WTERMSIG (status) == SIGUSR1, "SIGUSR1 sent to us was forwarded to the child");
  ok (signals_exit_code (status) == 128 + SIGUSR1, "exit code of a killed child is 128+N (%d)",
      signals_exit_code (status));

  child = spawn (&f, 7);
  ret = signals_forward_wait (&f, child, &status, &err);
  ok_call (ret, &err, "waiting for a child that exits on its own");
  ok (WIFEXITED (status) && signals_exit_code (status) == 7, "its exit code 7 is reported");

  kill (getpid (), SIGINT);
  signals_forward_teardown (&f);
  sigprocmask (SIG_SETMASK, NULL, &after);
  ok (same_mask (&before, &after) && f.sfd == -1,
      "teardown restores the signal mask and drops pending signals");
}

int
main (void)
{
  test_parse ();
  test_forward ();
  return tap_done ();
}
