/* Helpers shared by the lifecycle commands (container.c) and exec
 * (exec.c).  */
#ifndef ESTIBA_CONTAINER_H
#define ESTIBA_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include "estiba.h"
#include "ocispec.h"
#include "state.h"

const char *container_state_root (const struct estiba_context *ctx);

/* A container looked up by id: its state dir, state and status.  */
struct container
{
  char *dir;
  struct container_state st;
  enum container_status status;
  int lock_fd;
};

/* Re-execute from a sealed copy of our binary unless we already run from
 * one (CVE-2019-5736); see estiba_context.no_cloned_binary.  */
int container_ensure_sealed_binary (const struct estiba_context *ctx, estiba_error_t *err);

/* Find and lock (exclusive when asked) a container.  */
int container_open (struct estiba_context *ctx, const char *id, bool exclusive, struct container *c,
                    estiba_error_t *err);
void container_close (struct container *c);

/* The config saved at create.  */
int container_load_config (const struct container *c, struct oci_config **config, estiba_error_t *err);

/* Wait for a child that was told to exec over `sock`: EOF means the exec
 * happened, a SYNC_ERROR message is its error.  */
struct oci_seccomp;
struct estiba_seccomp;
/* With SCMP_ACT_NOTIFY, the child sends its seccomp listener fd first
 * (SYNC_FD): it goes to profile->listenerPath with state_json and pid.  */
int container_wait_exec (int sock, const struct oci_seccomp *profile, const char *state_json, pid_t pid,
                         estiba_error_t *err);

/* Compile linux.seccomp with the cache in <state_root>/.seccomp-cache.  */
int container_compile_seccomp (const char *state_root, const struct oci_seccomp *s,
                               struct estiba_seccomp **out, estiba_error_t *err);

/* Send the pty master to --console-socket.  */
int container_send_console (const char *console_socket, int master, estiba_error_t *err);

/* Check that fds 3..3+n-1 are open (so none of ours lands among them).  */
int container_check_preserved_fds (int n, estiba_error_t *err);

/* Write the pid file atomically.  */
int container_write_pid_file (const char *path, pid_t pid, estiba_error_t *err);

/* Wait for pid (not necessarily our child) to exit, up to timeout_ms.  */
int container_wait_pid_gone (pid_t pid, int timeout_ms);

#endif
