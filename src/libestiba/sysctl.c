#include <config.h>
#include "sysctl.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The IPC namespace's sysctls outside fs.mqueue.*.  */
static const char *const ipc_sysctls[] = {
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* runtime-spec namespace type names.  */
static const struct oci_namespace *
find_namespace (const struct oci_linux *l, const char *type)
{
  size_t i;

  for (i = 0; i < l->namespaces_len; i++)
    if (l->namespaces[i].type && strcmp (l->namespaces[i].type, type) == 0)
      return &l->namespaces[i];
  return NULL;
}

/* Whether a namespace joined by path is the runtime's own (the host's).  */
static bool
is_own_namespace (const char *path, const char *proc_name)
{
  char own[64];
  struct stat a, b;

  snprintf (own, sizeof (own), "/proc/self/ns/%s", proc_name);
  return stat (path, &a) == 0 && stat (own, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int
require_namespace (const struct oci_linux *l, const char *key, const char *type, const char *proc_name,
                   bool check_path, estiba_error_t *err)
{
  const struct oci_namespace *ns = find_namespace (l, type);

  if (ns == NULL || (check_path && ns->path && is_own_namespace (ns->path, proc_name)))
    return estiba_error (err, 0, "linux.sysctl \"%s\": not allowed in the host's %s namespace", key, type);
  return 0;
}

/* "net/ipv4/ip_forward" -> "net.ipv4.ip_forward" for the checks.  */
static char *
dotted (const char *key)
{
  char *d = strdup (key), *p;

  for (p = d; p && *p; p++)
    if (*p == '/')
      *p = '.';
  return d;
}

static bool
is_ipc_sysctl (const char *name)
{
  size_t i;

  if (strncmp (name, "fs.mqueue.", 10) == 0)
    return true;
  for (i = 0; i < sizeof (ipc_sysctls) / sizeof (ipc_sysctls[0]); i++)
    if (strcmp (name, ipc_sysctls[i]) == 0)
      return true;
  return false;
}

/* No empty, "." or ".." component: the key must stay under /proc/sys.  */
static bool
is_safe_key (const char *key)
{
  const char *seps = strchr (key, '/') ? "/" : ".";
  const char *c = key;

  for (;;)
    {
      size_t len = strcspn (c, seps);

      if (len == 0 || (c[0] == '.' && (len == 1 || (len == 2 && c[1] == '.'))))
        return false;
      c += len;
      if (*c == '\0')
        return true;
      c++;
    }
}

static int
check_key (const struct oci_linux *l, const char *key, bool check_path, estiba_error_t *err)
{
  cleanup_free char *name = dotted (key);

  if (name == NULL)
    return estiba_error_errno (err, "linux.sysctl \"%s\"", key);
  if (!is_safe_key (key))
    return estiba_error (err, 0, "linux.sysctl \"%s\": not a valid sysctl name", key);
  if (is_ipc_sysctl (name))
    return require_namespace (l, key, "ipc", "ipc", check_path, err);
  if (strncmp (name, "net.", 4) == 0)
    return require_namespace (l, key, "network", "net", check_path, err);
  if (strcmp (name, "kernel.domainname") == 0)
    return require_namespace (l, key, "uts", "uts", check_path, err);
  if (strcmp (name, "kernel.hostname") == 0)
    return estiba_error (err, 0, "linux.sysctl \"%s\": not allowed, it conflicts with the hostname field",
                         key);
  return estiba_error (err, 0, "linux.sysctl \"%s\": not in a separate kernel namespace", key);
}

static int
check_all (const struct oci_linux *l, bool check_path, estiba_error_t *err)
{
  size_t i;

  for (i = 0; l && l->sysctl && i < l->sysctl->len; i++)
    if (check_key (l, l->sysctl->keys[i], check_path, err) < 0)
      return -1;
  return 0;
}

int
sysctl_validate (const struct oci_linux *l, estiba_error_t *err)
{
  return check_all (l, true, err);
}

/* Dotted keys map dots to directories; slashed keys are used as they are
 * (their dots are part of a name, e.g. an interface "eth0.100").  */
static char *
proc_path (const char *key)
{
  char *path = NULL, *p;

  if (asprintf (&path, "/proc/sys/%s", key) < 0)
    return NULL;
  if (strchr (key, '/') == NULL)
    for (p = path + strlen ("/proc/sys/"); *p; p++)
      if (*p == '.')
        *p = '/';
  return path;
}

static int
write_sysctl (const char *key, const char *value, estiba_error_t *err)
{
  cleanup_free char *path = proc_path (key);
  cleanup_close int fd = -1;
  struct statfs sfs;
  size_t len = strlen (value);

  if (path == NULL)
    return estiba_error_errno (err, "linux.sysctl \"%s\"", key);
  fd = open (path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "linux.sysctl \"%s\": open %s", key, path);
  /* Only ever write to procfs, whatever got mounted over /proc.  */
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return estiba_error (err, 0, "linux.sysctl \"%s\": %s is not on procfs", key, path);
  if (write (fd, value, len) != (ssize_t) len)
    return estiba_error_errno (err, "linux.sysctl \"%s\": write \"%s\" to %s", key, value, path);
  return 0;
}

int
apply_sysctl (const struct oci_linux *l, estiba_error_t *err)
{
  size_t i;

  if (check_all (l, false, err) < 0)
    return -1;
  for (i = 0; l && l->sysctl && i < l->sysctl->len; i++)
    if (write_sysctl (l->sysctl->keys[i], l->sysctl->values[i] ? l->sysctl->values[i] : "", err) < 0)
      return -1;
  return 0;
}
