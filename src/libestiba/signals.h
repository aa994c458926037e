/* Signal names and forwarding signals to a container process.
 *
 * estiba_parse_signal() (declared in estiba.h) is implemented here.
 *
 * In the foreground (`run` without -d, `exec` without -d) the runtime
 * stands in for the container process: every signal it receives is passed
 * on to that process, as runc does, until the process exits.  Signals are
 * blocked and read from a signalfd, so none is lost between fork and the
 * forwarding loop.  Usage:
 *
 *   struct signals_forwarder f;
 *   signals_forward_setup (&f, err);      // before fork
 *   pid = fork ();
 *   if (pid == 0) { signals_forward_child_reset (&f); ... exec }
 *   signals_forward_wait (&f, pid, &status, err);
 *   signals_forward_teardown (&f);
 */
#ifndef ESTIBA_SIGNALS_H
#define ESTIBA_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

/* "SIGTERM" for 15, "SIGRTMIN+3", ...; NULL when sig is not a signal.
 * Returns a static string for named signals, else writes into buf.  */
const char *signals_name (int sig, char *buf, size_t len);

struct signals_forwarder
{
  int sfd;             /* signalfd of the blocked signals, -1 when not set up */
  sigset_t saved_mask; /* mask before setup, restored by teardown */
};

/* Block every catchable signal and open a signalfd for them.  */
int signals_forward_setup (struct signals_forwarder *f, estiba_error_t *err);

/* In a child forked after setup: restore the original signal mask (the
 * signalfd is close-on-exec).  Async-signal-safe.  */
void signals_forward_child_reset (const struct signals_forwarder *f);

/* Read the pending signals once: forward each to `child`, reap it on
 * SIGCHLD.  Returns 1 when the child has exited (*wait_status filled),
 * 0 otherwise; *winch is set when SIGWINCH arrived (may be NULL).  */
int signals_forward_handle (struct signals_forwarder *f, pid_t child, int *wait_status, bool *winch,
                            estiba_error_t *err);

/* Forward signals until `child` exits; fills its wait status.  */
int signals_forward_wait (struct signals_forwarder *f, pid_t child, int *wait_status, estiba_error_t *err);

/* Close the signalfd and restore the signal mask.  Signals still pending
 * are discarded first, so a forwarded SIGINT does not kill us afterwards. */
void signals_forward_teardown (struct signals_forwarder *f);

/* runc's exit code for a wait status: the exit status, or 128+N when
 * killed by signal N.  */
int signals_exit_code (int wait_status);

#endif
