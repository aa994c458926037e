/* SCMP_ACT_NOTIFY: hand the seccomp listener fd of a container process to
 * the agent listening on linux.seccomp.listenerPath (config-linux.md "The
 * Container Process State").  */
#ifndef ESTIBA_SECCOMP_NOTIFY_H
#define ESTIBA_SECCOMP_NOTIFY_H

#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

/* In the runtime: connect to the AF_UNIX SOCK_STREAM socket listener_path
 * and send the container process state {"ociVersion", "fds":
 * ["seccompFd"], "pid", "metadata" (listener_metadata, omitted when NULL),
 * "state"} with notify_fd as SCM_RIGHTS in the first sendmsg, then close
 * the connection (one state per connection, as the spec requires).  The
 * caller keeps notify_fd.  */
int seccomp_send_listener (const char *listener_path, int notify_fd, const struct oci_state *state,
                           const char *listener_metadata, pid_t pid, estiba_error_t *err);

#endif
