/* process.rlimits (runtime-spec config.md "POSIX process").  */
#ifndef ESTIBA_RLIMITS_H
#define ESTIBA_RLIMITS_H

#include "error.h"
#include "ocispec.h"

/* RLIMIT_NOFILE for "RLIMIT_NOFILE", -1 when the name is not a Linux
 * resource limit.  */
int rlimits_parse_type (const char *type);

/* Check every entry (known type, no duplicates, soft <= hard) without
 * changing anything; errors name the entry: "process.rlimits[2]: ...".  */
int rlimits_validate (const struct oci_process *p, estiba_error_t *err);

/* Validate, then set each limit on the calling process.  Raising a hard
 * limit needs CAP_SYS_RESOURCE, so call this before dropping
 * capabilities.  When the kernel refuses, the error says why, e.g.
 *   "process.rlimits[0]: RLIMIT_NOFILE hard 1048576 exceeds the host hard
 *    limit 20000 (no CAP_SYS_RESOURCE)".  */
int apply_rlimits (const struct oci_process *p, estiba_error_t *err);

#endif
