/* Linux security modules: see lsm.h.  */
#include <config.h>
#include "lsm.h"
#include "cleanup.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <linux/magic.h>

bool
lsm_apparmor_enabled (void)
{
  char buf[4] = "";
  int fd;

  /* What libapparmor's aa_is_enabled checks: the module is loaded and
   * says it is enabled.  */
  if (access ("/sys/kernel/security/apparmor", F_OK) < 0)
    return false;
  fd = open ("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  if (read (fd, buf, sizeof buf - 1) < 0)
    buf[0] = '\0';
  close (fd);
  return buf[0] == 'Y';
}

/* What libselinux's is_selinux_enabled answers, without linking it (its
 * loader and constructor cost every estiba process ~1 ms of CPU, for two
 * calls only a labelled config needs): a writable selinuxfs at one of its
 * usual mount points (a read-only one is how a container is told SELinux
 * is off) and a policy configuration in /etc/selinux.  libselinux also
 * searches /proc/mounts for a selinuxfs mounted elsewhere; runc's
 * go-selinux looks at the same two places first.  */
static bool
probe_selinux (void)
{
  static const char *const mount_points[] = { "/sys/fs/selinux", "/selinux" };
  size_t i;

  for (i = 0; i < sizeof mount_points / sizeof mount_points[0]; i++)
    {
      struct statfs sfs;
      struct statvfs vfs;

      if (statfs (mount_points[i], &sfs) < 0 || sfs.f_type != SELINUX_MAGIC)
        continue;
      if (statvfs (mount_points[i], &vfs) < 0 || (vfs.f_flag & ST_RDONLY))
        return false;
      return access ("/etc/selinux/config", F_OK) == 0;
    }
  return false;
}

/* The answer is the host's, so it is taken once per process, the first
 * time a label is met: at create/exec validation (lsm_validate_*), in the
 * host's mount namespace; the container's init, forked after that, asks
 * again after pivot_root, where /sys/fs/selinux would be the container's.
 * (libselinux keeps the same fact in a global, set by its constructor.)  */
static int selinux_on = -1;

bool
lsm_selinux_enabled (void)
{
  if (selinux_on < 0)
    selinux_on = probe_selinux ();
  return selinux_on;
}

int
lsm_validate_process (const struct oci_process *p, estiba_error_t *err)
{
  if (p && p->selinux_label && *p->selinux_label)
    (void) lsm_selinux_enabled (); /* decided here, on the host: see above */
  if (p && p->apparmor_profile && *p->apparmor_profile && !lsm_apparmor_enabled ())
    return estiba_error (
      err, EINVAL, "process.apparmorProfile: profile '%s' specified but AppArmor is not enabled on the host",
      p->apparmor_profile);
  return 0;
}

/* The destination without repeated or trailing slashes ("/proc//" ->
 * "/proc"); NULL on allocation failure.  ".." is left as it is: the
 * mount code refuses paths leaving the rootfs anyway, and a "/a/../proc"
 * is caught by the procfs check of the attr fd at apply time.  */
static char *
clean_destination (const char *dest)
{
  char *out = malloc (strlen (dest) + 2);
  char *o = out;
  const char *s;

  if (out == NULL)
    return NULL;
  *o++ = '/';
  for (s = dest; *s; s++)
    if (*s != '/' || (o[-1] != '/'))
      *o++ = *s;
  if (o - out > 1 && o[-1] == '/')
    o--;
  *o = '\0';
  return out;
}

/* Files below /proc that lxcfs-style tools legitimately replace (runc's
 * list): their source need not be procfs.  */
static bool
replaceable_proc_file (const char *dest)
{
  static const char *const files[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",  "/proc/stat",    "/proc/swaps",
    "/proc/uptime",  "/proc/loadavg",   "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid"
  };
  size_t i;

  for (i = 0; i < sizeof files / sizeof files[0]; i++)
    if (strcmp (dest, files[i]) == 0)
      return true;
  return false;
}

static bool
source_is_procfs (const char *source)
{
  struct statfs sfs;
  return source && statfs (source, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static int
check_proc_mount (const struct oci_mount *m, size_t index, estiba_error_t *err)
{
  cleanup_free char *dest = NULL;

  if (m->destination == NULL)
    return 0;
  dest = clean_destination (m->destination);
  if (dest == NULL)
    return estiba_error_errno (err, "malloc");
  if (strcmp (dest, "/proc") == 0)
    {
      if (m->type && strcmp (m->type, "proc") == 0)
        return 0;
      return estiba_error (err, EINVAL,
                           "mounts[%zu]: '%s' cannot be mounted on /proc: only type \"proc\" may be", index,
                           m->source ? m->source : "");
    }
  if (strncmp (dest, "/proc/", 6) != 0 || replaceable_proc_file (dest))
    return 0;
  if (source_is_procfs (m->source))
    return 0;
  return estiba_error (err, EINVAL,
                       "mounts[%zu]: '%s' cannot be mounted on '%s': only procfs may be mounted below /proc",
                       index, m->source ? m->source : "", m->destination);
}

int
lsm_validate_config (const struct oci_config *c, estiba_error_t *err)
{
  size_t i;

  if (lsm_validate_process (c->process, err) < 0)
    return -1;
  if (c->linux_ && c->linux_->mount_label && *c->linux_->mount_label)
    (void) lsm_selinux_enabled (); /* decided here, on the host: see above */
  for (i = 0; i < c->mounts_len; i++)
    if (check_proc_mount (&c->mounts[i], i, err) < 0)
      return -1;
  return 0;
}

int
lsm_open_proc_attr (const char *names, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (names);
  char *name, *save = NULL;
  int saved_errno = ENOENT;

  if (copy == NULL)
    return estiba_error_errno (err, "strdup");
  for (name = strtok_r (copy, ":", &save); name; name = strtok_r (NULL, ":", &save))
    {
      char path[128];
      struct statfs sfs;
      cleanup_close int fd = -1;

      snprintf (path, sizeof path, "/proc/thread-self/attr/%s", name);
      fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0)
        {
          saved_errno = errno;
          continue;
        }
      if (fstatfs (fd, &sfs) < 0)
        return estiba_error_errno (err, "fstatfs '%s'", path);
      if (sfs.f_type != PROC_SUPER_MAGIC)
        return estiba_error (err, EPERM, "'%s' is not on procfs: refusing to write a security label to it",
                             path);
      return steal_fd (&fd);
    }
  errno = saved_errno;
  return estiba_error_errno (err, "open /proc/thread-self/attr/%s", names);
}

static int
write_attr (const char *names, const char *value, const char *what, estiba_error_t *err)
{
  cleanup_close int fd = lsm_open_proc_attr (names, err);
  size_t len = strlen (value);

  if (fd < 0)
    return estiba_error_wrap (err, "%s", what);
  if (write (fd, value, len) != (ssize_t) len)
    return estiba_error_errno (err, "%s: '%s'", what, value);
  return 0;
}

static int
apply_apparmor (const char *profile, estiba_error_t *err)
{
  cleanup_free char *cmd = NULL;

  if (profile == NULL || *profile == '\0')
    return 0;
  if (!lsm_apparmor_enabled ())
    return estiba_error (
      err, EINVAL, "process.apparmorProfile: profile '%s' specified but AppArmor is not enabled on the host",
      profile);
  if (asprintf (&cmd, "exec %s", profile) < 0)
    return estiba_error_errno (err, "asprintf");
  return write_attr ("apparmor/exec:exec", cmd, "process.apparmorProfile", err);
}

static int
apply_selinux (const char *label, estiba_error_t *err)
{
  if (label == NULL || *label == '\0' || !lsm_selinux_enabled ())
    return 0;
  /* Not setexeccon: libselinux would write to whatever /proc is.  */
  if (write_attr ("exec", label, "process.selinuxLabel", err) < 0)
    return -1;
  /* What setkeycreatecon does (and runc's go-selinux), through the same
   * procfs-checked open.  */
  return write_attr ("keycreate", label, "process.selinuxLabel: key label", err);
}

int
lsm_apply_process (const struct oci_process *p, estiba_error_t *err)
{
  if (p == NULL)
    return 0;
  if (apply_apparmor (p->apparmor_profile, err) < 0)
    return -1;
  return apply_selinux (p->selinux_label, err);
}
