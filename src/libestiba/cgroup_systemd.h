/* The cgroup manager choice.  estiba drives cgroups itself (cgroupfs);
 * --systemd-cgroup asks for cgroups made through systemd, with
 * linux.cgroupsPath in runc's "slice:prefix:name" form.  That needs
 * systemd as PID 1, and the request is refused with the reason, never
 * silently served by cgroupfs.
 *
 * With systemd, the container's cgroup is a transient unit systemd makes
 * (StartTransientUnit over D-Bus, dbus.h): the scope "prefix-name.scope"
 * in the slice (default system.slice), with Delegate=yes so estiba may
 * manage what is below it, or the slice "name" when name ends in
 * ".slice".  Its cgroup directory is then handed to the cgroupfs code
 * (cgroup.h), so the resources, stats, pause, update, kill and delete
 * work as for any other cgroup.  The unit's name is kept in the state
 * directory (file "systemd-unit") for delete, which stops the unit.  */
#ifndef ESTIBA_CGROUP_SYSTEMD_H
#define ESTIBA_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "ocispec.h"

/* Check cgroups_path (may be NULL) against the manager asked for: with
 * systemd, "slice:prefix:name" (slice empty or a valid NAME.slice, no '/'
 * anywhere); without, a path (the systemd form is refused rather than
 * taken as a directory named "a:b:c").  Then, with systemd, fail saying
 * why it cannot be used (systemd is not PID 1).  */
int cgroup_check_manager (const char *cgroups_path, bool systemd, estiba_error_t *err);

/* The units "slice:prefix:name" (or the default, runc's
 * "system.slice:<prefix>:<id>", for a NULL or empty cgroups_path) names:
 * *slice the parent slice, *unit "prefix-name.scope" or the slice
 * "name".  Both malloc'd.  */
int cgroup_systemd_unit_names (const char *cgroups_path, const char *id, char **slice, char **unit,
                               estiba_error_t *err);

/* The cgroup path systemd gives a slice unit: "a-b.slice" is
 * "/a.slice/a-b.slice", "-.slice" is "/".  Malloc'd.  */
char *cgroup_systemd_slice_path (const char *slice);

/* "0-3,8" -> the bitmask systemd's AllowedCPUs/AllowedMemoryNodes take
 * (byte i bit j is CPU 8i+j).  Returns the number of bytes (at most
 * size), or -1 for a malformed list or a CPU beyond size*8.  */
int cgroup_systemd_cpu_mask (const char *list, unsigned char *mask, size_t size);

/* Create the container's cgroup through systemd (see above) and put the
 * directories, as cgroup_create does, into *dirs.  The unit is stopped
 * again on failure.  */
int cgroup_systemd_create (const char *state_dir, const struct oci_linux *lnx, const char *id, char ***dirs,
                           estiba_error_t *err);

/* Tell systemd the limits in force after an update (SetUnitProperties,
 * runtime), so that it shows them and applies them again rather than the
 * create-time ones.  No unit recorded in state_dir: nothing to do.  */
int cgroup_systemd_update (const char *state_dir, const struct oci_linux_resources *res, estiba_error_t *err);

/* Stop the unit recorded in state_dir (none recorded: nothing to do; a
 * unit systemd has already removed is fine).  */
int cgroup_systemd_stop (const char *state_dir, estiba_error_t *err);

#endif
