/* Messages between the runtime and the processes it starts (the stage-1
 * helper that sets up namespaces, the container init, an exec'd process).
 *
 * One SOCK_SEQPACKET socketpair per container: every message is one
 * packet, a header {type, value, len} followed by len payload bytes.  A
 * process that fails sends SYNC_ERROR (value = errno, payload = message)
 * and exits; the runtime turns it into its own error.  An fd (the pty
 * master) travels with SYNC_FD as SCM_RIGHTS.  */
#ifndef ESTIBA_SYNC_H
#define ESTIBA_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum sync_type
{
  SYNC_GO = 1,       /* runtime -> child: proceed */
  SYNC_USERMAP,      /* stage 1 -> runtime: write my uid/gid maps */
  SYNC_USERMAP_DONE, /* runtime -> stage 1 */
  SYNC_TIMENS,       /* stage 1 -> runtime: write my timens_offsets */
  SYNC_TIMENS_DONE,  /* runtime -> stage 1 */
  SYNC_PID,          /* stage 1 -> runtime: value = pid of the init */
  SYNC_FD,           /* child -> runtime: an fd (pty master) */
  SYNC_HOOKS,        /* init -> runtime: mounts done, run prestart/createRuntime */
  SYNC_HOOKS_DONE,   /* runtime -> init: payload = state JSON */
  SYNC_CREATED,      /* init -> runtime: ready, waiting for start */
  SYNC_ERROR,        /* any -> runtime: value = errno, payload = message */
  SYNC_CGROUP,       /* init -> runtime: move me into the container's cgroups */
  SYNC_CGROUP_DONE,  /* runtime -> init */
};

#define SYNC_MAX_PAYLOAD (256 * 1024)

struct sync_msg
{
  uint32_t type;
  int32_t value;
  uint32_t len;
  char *payload; /* NUL-terminated, malloc'd on receive */
  int fd;        /* received fd, -1 when none */
};

/* A close-on-exec SOCK_SEQPACKET socketpair.  */
int sync_pair (int fds[2], estiba_error_t *err);

int sync_send (int sock, enum sync_type type, int32_t value, const char *payload, estiba_error_t *err);
int sync_send_fd (int sock, int fd, estiba_error_t *err);

/* Receive one message.  EOF (the peer died) is an error.  */
int sync_recv (int sock, struct sync_msg *msg, estiba_error_t *err);
void sync_msg_release (struct sync_msg *msg);

/* Receive a message of type `want`; a SYNC_ERROR becomes *err, anything
 * else is a protocol error.  */
int sync_expect (int sock, enum sync_type want, struct sync_msg *msg, estiba_error_t *err);

/* In a child: report err to the runtime and _exit(1).  */
__attribute__ ((noreturn)) void sync_fail (int sock, estiba_error_t *err);

#endif
