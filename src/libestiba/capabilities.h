/* process.capabilities (config.md "Linux Process"), applied with the
 * two-phase dance runc does around the change of user:
 *
 *   capabilities_prepare_user_change (caps, err);   // still uid 0
 *   apply_user_and_groups (...);                    // setuid keeps caps
 *   capabilities_apply_after_user_change (caps, err);
 *
 * (Without a user change, capabilities_apply alone is enough.)
 *
 * A NULL object or set means an empty set.
 *
 * Unknown names.  config.md says a value that "cannot be mapped to a
 * relevant kernel interface, or cannot be granted otherwise" is logged as
 * a warning; runc 1.1 warns and skips every name it cannot map.  estiba
 * draws the line where crun does and the conformance suite expects
 * (process_capabilities_fail: CAP_TEST must fail):
 *   - a name that is not a capability at all (a typo, "CAP_TEST") is a
 *     config error: capabilities_validate rejects it, naming the set and
 *     the name, before anything is created;
 *   - a real capability this (older) kernel does not have, i.e. above
 *     /proc/sys/kernel/cap_last_cap, "cannot be granted": a warning, and
 *     the name is skipped.  */
#ifndef ESTIBA_CAPABILITIES_H
#define ESTIBA_CAPABILITIES_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

/* "CAP_SYS_ADMIN" -> 21; -1 when not a capability name known to libcap
 * (for callers that must refuse unknown names, e.g. `exec --cap`).  */
int capabilities_parse_name (const char *name);

/* Highest capability number the running kernel knows.  */
int capabilities_last_cap (void);

/* The names among all the sets of c that this kernel cannot grant (not a
 * capability, or above its last one), comma-separated, or NULL when
 * there are none.  Caller frees.  */
char *capabilities_unknown_names (const struct oci_capabilities *c);

/* Fails naming the first name in c that is not a capability at all.  */
int capabilities_validate (const struct oci_capabilities *c, estiba_error_t *err);

/* Before changing uid: drop from the bounding set what c->bounding does
 * not list (this needs CAP_SETPCAP, which the setuid takes away) and set
 * PR_SET_KEEPCAPS so the permitted set survives the setuid.  */
int capabilities_prepare_user_change (const struct oci_capabilities *c, estiba_error_t *err);

/* Make the process's sets exactly c's: bounding (what is still to drop),
 * inheritable, permitted and effective, then ambient.  Clears
 * PR_SET_KEEPCAPS unless keep_for_user_change (when yet another uid
 * change follows).  */
int capabilities_apply (const struct oci_capabilities *c, bool keep_for_user_change, estiba_error_t *err);

/* The second half of the dance above: capabilities_apply without going
 * over the bounding set again, which capabilities_prepare_user_change
 * has already made c's (that pass is ~40 prctl calls per start).  */
int capabilities_apply_after_user_change (const struct oci_capabilities *c, estiba_error_t *err);

#endif
