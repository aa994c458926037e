/* File descriptors handed to a container process.
 *
 * Only fds 0-2, the socket-activation fds (LISTEN_FDS) and the ones asked
 * for with --preserve-fds may cross into a container: everything else the
 * runtime holds (state dirs, sockets, the console socket) must be closed
 * or marked close-on-exec first, or the container could use it to reach
 * the host.  */
#ifndef ESTIBA_FDS_H
#define ESTIBA_FDS_H

#include <stddef.h>
#include "error.h"

/* Close every fd >= first_fd.  */
int fds_close_from (int first_fd, estiba_error_t *err);

/* Mark every fd >= first_fd close-on-exec (they stay usable until exec).  */
int fds_set_cloexec_from (int first_fd, estiba_error_t *err);

/* Number of socket-activation fds systemd passed to this process: N when
 * LISTEN_FDS=N and LISTEN_PID is our pid, else 0.  */
int fds_listen_fds_count (void);

/* How many fds, counted from 3, the container process inherits, and its
 * environment adjusted as runc does.  The socket-activation fds come first
 * (3..3+L-1, with LISTEN_FDS=L and LISTEN_PID=1 set in *env since the
 * process will be pid 1 of its namespace), then the `preserve_fds` fds
 * asked for with --preserve-fds.  *env is a NULL-terminated array of
 * malloc'd strings of *env_len entries (as libocispec's process.env); it
 * is reallocated when entries are added.  Returns the total count.  */
int fds_preserve_count_from_env (int preserve_fds, char ***env, size_t *env_len, estiba_error_t *err);

#endif
