/* The muelle command table: every command is a function with the same
 * signature, dispatched by main.c.  Each command group lives in its own
 * cmd_*.c file and parses its own options (argv[0] is the command name).  */
#ifndef MUELLE_COMMANDS_H
#define MUELLE_COMMANDS_H

#include <stdbool.h>
#include "error.h"
#include "log.h"

#define MUELLE_DEFAULT_ROOT "/var/lib/muelle"

/* What every command gets from the global options.  */
struct muelle_context
{
  const char *root;       /* --root, default MUELLE_DEFAULT_ROOT */
  bool quiet;             /* -q: print only what scripts need (ids) */
  struct estiba_log *log; /* --log-level */
};

typedef int (*muelle_command_fn) (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);

/* Store engineer: local image commands.  */
int cmd_images (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_tag (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_rmi (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_inspect (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_history (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_prune (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_import (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_bundle (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_save (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_load (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);

/* Registry engineer: pull, push, login, logout (add declarations below).  */
int cmd_pull (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_push (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_login (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);
int cmd_logout (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);

/* Build engineers: muelle build.  */
int cmd_build (struct muelle_context *ctx, int argc, char **argv, estiba_error_t *err);

#endif
