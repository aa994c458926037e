/* OCI lifecycle hooks (runtime-spec config.md "POSIX-platform Hooks").
 *
 * Each hook is run as its own process: execve(path, args, env) with only
 * the env it lists (an empty environment when it lists none), args[0] as
 * argv[0] (the path when args is absent), the container state JSON on
 * stdin, stdout and stderr captured for the error message, and killed
 * when its timeout (seconds) expires.  The hooks of a phase run in order;
 * the caller runs each phase in the namespace the spec asks for.  */
#ifndef ESTIBA_HOOKS_H
#define ESTIBA_HOOKS_H

#include <stddef.h>
#include "error.h"
#include "ocispec.h"

/* How much of a hook's output is kept for the error message.  */
#define HOOKS_OUTPUT_MAX 4096

/* Run hooks[0..n) of `phase` ("prestart", "createRuntime", ...) in
 * order, stopping at the first failure.  The error names the phase, the
 * index, the path and the exit status or signal, and ends with the first
 * line the hook printed, e.g.
 *   "createRuntime hook 1 (/usr/bin/setup-net): exit status 2: no such bridge"
 */
int hooks_run (const struct oci_hook *hooks, size_t n, const char *phase, const char *state_json,
               estiba_error_t *err);

/* For poststop (and poststart, whose failures the spec says MUST NOT stop
 * anything): run every hook, log each failure as a warning and return 0. */
int hooks_run_all_warn (const struct oci_hook *hooks, size_t n, const char *phase, const char *state_json);

/* hooks_run_all_warn for "poststop".  */
int hooks_run_poststop (const struct oci_hook *hooks, size_t n, const char *state_json);

#endif
