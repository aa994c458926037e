/* The last steps before a container process runs its program, shared by
 * the container init (after `start` releases it) and `exec`: process
 * attributes (rlimits, oom score, personality, scheduler, io priority),
 * the working directory, user and groups, capabilities, no_new_privs, the
 * final CPU affinity, closing every fd the program must not inherit, and
 * execve() of process.args with process.env.  */
#ifndef ESTIBA_PROCESS_H
#define ESTIBA_PROCESS_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

/* Find args[0] as execvp would, with PATH taken from env (the process's
 * environment, not ours; a default PATH when it has none), relative to the
 * current root.  *path is malloc'd.  */
int process_find_executable (const char *file, char *const *env, char **path, estiba_error_t *err);

/* Check process.cwd exists in the current root (at create time, so a
 * bad cwd fails create and not start).  */
int process_check_cwd (const struct oci_process *p, estiba_error_t *err);

struct estiba_seccomp;

struct process_setup
{
  const struct oci_process *process;
  const struct oci_linux *linux_config;
  char **env;                           /* process.env with LISTEN_* adjusted */
  int preserve_fds;                     /* fds 3..3+N-1 are inherited */
  bool setgroups_allowed;               /* false in a user namespace with setgroups denied */
  const struct estiba_seccomp *seccomp; /* compiled linux.seccomp, NULL for none */
  int sync_fd;                          /* where a seccomp listener fd is sent */
  bool attributes_applied;              /* process_apply_attributes already ran */
};

/* The process attributes alone (rlimits, oom score, personality,
 * scheduler, io priority): the init applies them before it reports
 * "created", as runc does, so a limit the host refuses fails create.  */
int process_apply_attributes (const struct oci_process *p, const struct oci_linux *l, estiba_error_t *err);

/* Apply everything and exec.  Returns only on failure.  */
int process_setup_and_exec (const struct process_setup *s, estiba_error_t *err);

#endif
