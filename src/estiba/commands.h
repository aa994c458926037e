/* The estiba commands.  Each one parses its own flags (runc's) and calls
 * libestiba.  A command returns its exit status (>= 0), or < 0 with *err
 * set: main() then logs the error once and exits with status 1.  */
#ifndef ESTIBA_COMMANDS_H
#define ESTIBA_COMMANDS_H

#include "estiba.h"

typedef int (*command_fn) (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);

struct command
{
  const char *name;
  const char *summary; /* one line for "estiba --help" */
  command_fn run;
};

/* argv[0] is the command name, argv[1..] its flags and arguments.  */
int command_create (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_run (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_start (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_state (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_kill (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_delete (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_list (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_exec (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_ps (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_pause (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_resume (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_update (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_events (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_checkpoint (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_restore (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_spec (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);
int command_features (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err);

/* The failure of a command that carries its own exit status (exec fails
 * with 255 as runc's does): logs err once and returns status.  */
int command_fail_with_status (estiba_error_t *err, int status);

/* Shared help texts.  */
#define HELP_CONSOLE_SOCKET                                                                                  \
  "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the "        \
  "console's pseudoterminal"
#define HELP_PRESERVE_FDS                                                                                    \
  "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)"
#define HELP_PID_FILE "specify the file to write the process id to"
#define HELP_PIDFD_SOCKET                                                                                    \
  "path to an AF_UNIX socket which will receive a pidfd of the process (not supported yet: refused)"
#define HELP_NO_PIVOT                                                                                        \
  "do not use pivot root to jail process inside rootfs; use this when the rootfs is on top of a ramdisk"
#define HELP_NO_SUBREAPER "disable the use of the subreaper used to reap reparented processes"

#define ARGS_CONTAINER_ID "<container-id>"

#endif
