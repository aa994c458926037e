/* linux.resources written into the container's cgroups, each value into
 * the hierarchy that holds its controller: the v1 file where the
 * controller is mounted as v1, the v2 file (with runc's conversions, e.g.
 * cpu shares -> cpu.weight) where it sits in the cgroup2 mount.  On this
 * project's hybrid hosts hugetlb lives in cgroup2 and the rest in v1.
 * A field asked for whose controller (or file) is missing is an error
 * naming the field: a limit is never dropped silently.  */
#ifndef ESTIBA_CGROUP_RESOURCES_H
#define ESTIBA_CGROUP_RESOURCES_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

/* Apply res (may be NULL).  With devices set (create), the v1 device
 * list is rebuilt as runc does: deny everything, then res->devices in
 * order, then the devices of linux.devices (lnx, may be NULL) and the
 * default set every container gets (null, zero, full, tty, random,
 * urandom, ptmx, pts).  update leaves the device list alone.  */
int cgroup_apply_resources (char *const *dirs, const struct oci_linux_resources *res,
                            const struct oci_linux *lnx, bool devices, estiba_error_t *err);

#endif
