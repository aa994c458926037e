/* Container lifecycle: create, start, run, delete, kill, state, list, exec.
 * Placeholder until the runtime core lands: every call fails clearly.  */
#include <config.h>
#include <errno.h>
#include "estiba.h"

#define NOT_YET(what) estiba_error (err, ENOSYS, "%s: not implemented yet", what)

int
estiba_container_create (struct estiba_context *ctx, const struct estiba_create_options *opts, estiba_error_t *err)
{
  return NOT_YET ("create");
}

int
estiba_container_start (struct estiba_context *ctx, const char *id, estiba_error_t *err)
{
  return NOT_YET ("start");
}

int
estiba_container_run (struct estiba_context *ctx, const struct estiba_create_options *opts, estiba_error_t *err)
{
  return NOT_YET ("run");
}

int
estiba_container_delete (struct estiba_context *ctx, const char *id, bool force, estiba_error_t *err)
{
  return NOT_YET ("delete");
}

int
estiba_container_kill (struct estiba_context *ctx, const char *id, const char *signal, bool all, estiba_error_t *err)
{
  return NOT_YET ("kill");
}

int
estiba_container_state (struct estiba_context *ctx, const char *id, FILE *out, estiba_error_t *err)
{
  return NOT_YET ("state");
}

int
estiba_container_list (struct estiba_context *ctx, const char *format, bool quiet, FILE *out, estiba_error_t *err)
{
  return NOT_YET ("list");
}

int
estiba_container_exec (struct estiba_context *ctx, const struct estiba_exec_options *opts, estiba_error_t *err)
{
  return NOT_YET ("exec");
}
