/* Linux security modules: process.apparmorProfile, process.selinuxLabel
 * and linux.mountLabel (config.md "Linux Process", config-linux.md).
 *
 * AppArmor: the profile is applied on exec (like `aa-exec`, through
 * /proc/thread-self/attr/apparmor/exec, falling back to attr/exec) where
 * the kernel has AppArmor enabled; where it does not, asking for a
 * profile is a config error, as in runc ("apparmor profile specified but
 * AppArmor is not enabled on the host").
 *
 * SELinux: natively, as runc's go-selinux does (libselinux is not linked:
 * see lsm.c).  Where SELinux is off (no selinuxfs, like this build host)
 * labels are ignored, as runc and crun do; where it is on, the process
 * label is set as the exec label and the key label (the session keyring
 * is created with the process label, as runc does).
 *
 * Every write to a /proc attr file goes through lsm_open_proc_attr,
 * which checks (fstatfs) that the fd really is on procfs: a container
 * that mounted something else over /proc could otherwise make the write
 * land in an ordinary file and run unconfined (CVE-2019-16884,
 * CVE-2023-27561).  lsm_validate also refuses, at create, mounts that
 * would put anything but procfs at /proc (runc's checkProcMount).  */
#ifndef ESTIBA_LSM_H
#define ESTIBA_LSM_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"

/* Whether the running kernel has AppArmor enabled.  */
bool lsm_apparmor_enabled (void);

/* Whether SELinux is enabled on the host (a writable selinuxfs, a policy
 * configuration).  Decided once per process, by the first call: the
 * validation calls it on the host when a config has a label.  */
bool lsm_selinux_enabled (void);

/* The config-time checks of one process (create and exec): a profile
 * where AppArmor is off.  what names it in errors ("process").  */
int lsm_validate_process (const struct oci_process *p, estiba_error_t *err);

/* The config-time checks of a whole config: the process's and that no
 * mount puts a filesystem other than procfs on /proc or over a file
 * below it.  */
int lsm_validate_config (const struct oci_config *c, estiba_error_t *err);

/* Opens /proc/thread-self/attr/<name> (or the first that exists of
 * several, ':'-separated) for writing, failing unless it is on procfs.  */
int lsm_open_proc_attr (const char *names, estiba_error_t *err);

/* In the container, just before the user change: arranges for the
 * profile and label to take effect at execve.  No-op for what is not
 * set or not enabled.  */
int lsm_apply_process (const struct oci_process *p, estiba_error_t *err);

#endif
