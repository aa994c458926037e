/* estiba - the D-Bus properties of the systemd units estiba starts
 * (--systemd-cgroup): StartTransientUnit's and SetUnitProperties'
 * a(sv) arrays.  */
#ifndef ESTIBA_CGROUP_SYSTEMD_PROPS_H
#define ESTIBA_CGROUP_SYSTEMD_PROPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "dbus.h"
#include "error.h"
#include "ocispec.h"

/* Write a unit's whole a(sv): Description, DefaultDependencies=no, then a
 * scope's Slice, Delegate and PIDs (pid), or a slice's Wants (slice),
 * then the limits of res (may be NULL).  */
int systemd_unit_properties (struct dbus_writer *w, const char *id, const char *slice, bool unit_is_slice,
                             pid_t pid, const struct oci_linux_resources *res, estiba_error_t *err);

/* Write the (sv) entries of the limits systemd knows in res (MemoryMax,
 * MemoryLow, MemorySwapMax, TasksMax, CPUWeight, CPUQuotaPeriodUSec,
 * CPUQuotaPerSecUSec, AllowedCPUs, AllowedMemoryNodes), inside an array
 * the caller opened.  An error names a cpus or mems list that is not one.  */
int systemd_resource_properties (struct dbus_writer *w, const struct oci_linux_resources *res,
                                 estiba_error_t *err);

#endif
