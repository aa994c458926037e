/* Pseudo-terminals for containers with process.terminal = true.
 *
 * The pty is created by the container process itself (ideally in the
 * container's own devpts after pivot_root, so that the slave shows up
 * inside the container), the slave becomes its controlling terminal and
 * stdio, and the master goes out over a unix socket: to the runtime's
 * foreground proxy for `run`/`exec` without -d, or to whoever passed
 * --console-socket (containerd, podman's conmon, runc's recvtty).  */
#ifndef ESTIBA_TERMINAL_H
#define ESTIBA_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

/* The name sent along with the master fd, as runc does (it sends the
 * master's file name; receivers ignore it).  */
#define TERMINAL_FD_PAYLOAD "/dev/ptmx"

/* Open a new pty pair from /dev/ptmx.  Both fds are close-on-exec and
 * opened without becoming anyone's controlling terminal.  */
int terminal_create_pty (int *master_fd, int *slave_fd, estiba_error_t *err);

/* Same, from a given ptmx node (e.g. the container's /dev/ptmx, which
 * points into its private devpts instance).  */
int terminal_open_pty_in (const char *ptmx_path, int *master_fd, int *slave_fd, estiba_error_t *err);

/* process.consoleSize.  */
int terminal_set_size (int fd, unsigned rows, unsigned cols, estiba_error_t *err);

/* Turn off the \n -> \r\n output translation on the pty, for receivers
 * that store the output rather than show it.  */
int terminal_clear_onlcr (int fd, estiba_error_t *err);

/* In the container process: start a new session, make slave_fd its
 * controlling terminal and its stdin/stdout/stderr.  slave_fd is closed
 * unless it is one of 0-2.  */
int terminal_make_controlling (int slave_fd, estiba_error_t *err);

/* Connect to the unix socket at console_socket_path and send master_fd
 * with SCM_RIGHTS.  */
int terminal_send_fd (const char *console_socket_path, int master_fd, estiba_error_t *err);

/* Same, over an already connected socket.  */
int terminal_send_fd_on (int sock, int master_fd, estiba_error_t *err);

/* Receive one fd sent with SCM_RIGHTS on a connected socket; *fd is
 * close-on-exec.  */
int terminal_recv_fd (int sock, int *fd, estiba_error_t *err);

/* Foreground proxy between our stdio and the pty master until `child`
 * (our child) exits: stdin is put in raw mode when it is a terminal
 * (restored before returning), stdin -> master and master -> stdout are
 * copied, SIGWINCH resizes the pty to our terminal's size, other signals
 * are forwarded to the child.  EOF on stdin sends the pty's EOF character.
 * Fills *wait_status with the child's wait status.  */
int terminal_proxy (int master_fd, pid_t child, int *wait_status, estiba_error_t *err);

#endif
