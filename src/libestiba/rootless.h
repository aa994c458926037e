/* Rootless containers: estiba invoked by an ordinary user.
 *
 * The container gets a user namespace (`estiba spec --rootless` asks for
 * one) whose maps an unprivileged runtime can only write in two ways:
 *   - a single-id map of the caller's own uid (and gid) onto one container
 *     id, written directly after denying setgroups(2) in the namespace (the
 *     kernel's rule for unprivileged gid maps);
 *   - any other map (ranges from /etc/subuid and /etc/subgid) through the
 *     setuid helpers newuidmap/newgidmap from Debian's `uidmap` package,
 *     which check the ranges against those files.
 * As root, the maps are written directly (namespaces_write_id_maps).
 * State lives under $XDG_RUNTIME_DIR/estiba (src/estiba/main.c) and
 * cgroups are skipped unless delegated (container.c create_cgroup).  */
#ifndef ESTIBA_ROOTLESS_H
#define ESTIBA_ROOTLESS_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

/* Whether this runtime runs as an ordinary user.  */
bool rootless_euid (void);

/* Writes the uid and gid maps of pid's new user namespace, as root or
 * as an ordinary user (see above).  */
int rootless_write_id_maps (pid_t pid, const struct oci_linux *l, estiba_error_t *err);

/* False in a user namespace whose setgroups is "deny" (a single-id
 * rootless map): then the process keeps no supplementary groups.  */
bool rootless_setgroups_allowed (void);

#endif
