/* Device nodes in the container's /dev: the default devices every Linux
 * container gets (config-linux.md "Default Devices"), linux.devices, and
 * the /dev symlinks (fd, stdin, stdout, stderr, ptmx, core) runc makes.
 * Without privilege to mknod (a user namespace), the host's node is bind
 * mounted instead, as runc does.  Runs in the init before pivot_root.  */
#ifndef ESTIBA_DEVICES_H
#define ESTIBA_DEVICES_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

int devices_setup (int rootfd, const struct oci_linux *l, bool bind_only, estiba_error_t *err);

#endif
