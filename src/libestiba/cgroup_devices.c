/* Device rules and their enforcement: see cgroup_devices.h.  */
#include <config.h>
#include "cgroup_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_files.h"
#include "cleanup.h"
#include "log.h"

#define FIELD "linux.resources.devices"

/* runc's AllowedDevices: what every container may use whatever its rules
 * say (mknod of any node, the spec's default devices, the console, /dev/pts
 * and /dev/ptmx).  */
static const struct cgroup_device_rule default_rules[] = {
  { true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },    { true, 'c', 1, 3, "rwm" },
  { true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 7, "rwm" },    { true, 'c', 1, 8, "rwm" },
  { true, 'c', 1, 9, "rwm" }, { true, 'c', 5, 0, "rwm" },    { true, 'c', 5, 1, "rwm" },
  { true, 'c', 5, 2, "rwm" }, { true, 'c', 136, -1, "rwm" },
};

/* field names the rule in errors: "linux.resources.devices" or
 * "linux.devices".  */
static int
rule_from (struct cgroup_device_rule *r, const char *field, size_t index, bool allow, const char *type,
           bool has_major, int64_t major, bool has_minor, int64_t minor, const char *access,
           estiba_error_t *err)
{
  size_t i;

  r->allow = allow;
  r->type = type && *type ? type[0] : 'a';
  if ((type && *type && type[1] != '\0') || (r->type != 'a' && r->type != 'c' && r->type != 'b'))
    return estiba_error (err, 0, "%s[%zu].type: '%s' is not one of a, c, b", field, index, type);
  r->major = has_major && major >= 0 ? major : -1;
  r->minor = has_minor && minor >= 0 ? minor : -1;
  if (r->major > UINT32_MAX || r->minor > UINT32_MAX)
    return estiba_error (err, 0, "%s[%zu]: major/minor out of range", field, index);
  if (access == NULL || *access == '\0')
    access = "rwm";
  if (strlen (access) > 3)
    return estiba_error (err, 0, "%s[%zu].access: '%s' is not a combination of r, w, m", field, index,
                         access);
  for (i = 0; access[i]; i++)
    if (strchr ("rwm", access[i]) == NULL)
      return estiba_error (err, 0, "%s[%zu].access: '%s' is not a combination of r, w, m", field, index,
                           access);
  strcpy (r->access, access);
  return 0;
}

int
cgroup_device_rules (const struct oci_linux_resources *res, const struct oci_linux *lnx,
                     struct cgroup_device_rule **out, size_t *n_out, estiba_error_t *err)
{
  size_t n_res = res ? res->devices_len : 0, n_lnx = lnx ? lnx->devices_len : 0;
  size_t n_def = sizeof default_rules / sizeof default_rules[0], n = 0, i;
  struct cgroup_device_rule *rules = calloc (n_res + n_lnx + n_def + 1, sizeof (*rules));

  if (rules == NULL)
    return estiba_error_errno (err, "calloc");
  for (i = 0; i < n_res; i++)
    {
      const struct oci_linux_device_cgroup *d = &res->devices[i];
      if (rule_from (&rules[n++], FIELD, i, d->allow, d->type, d->has_major, d->major, d->has_minor, d->minor,
                     d->access, err)
          < 0)
        {
          free (rules);
          return -1;
        }
    }
  for (i = 0; i < n_lnx; i++)
    {
      const struct oci_linux_device *d = &lnx->devices[i];
      const char *type = d->type && strcmp (d->type, "u") == 0 ? "c" : d->type;
      if (type == NULL || (strcmp (type, "c") != 0 && strcmp (type, "b") != 0))
        continue; /* fifos are not device-controlled */
      if (rule_from (&rules[n++], "linux.devices", i, true, type, d->has_major, d->major, d->has_minor,
                     d->minor, "rwm", err)
          < 0)
        {
          free (rules);
          return -1;
        }
    }
  for (i = 0; i < n_def; i++)
    rules[n++] = default_rules[i];
  *out = rules;
  *n_out = n;
  return 0;
}

/* The v1 devices directory's allow and deny lists, opened once: the kernel
 * takes one rule per write(), and looking the file up again among every
 * hierarchy's directory for each rule cost ~100 access() calls per start.  */
struct v1_lists
{
  char *allow_path, *deny_path;
  int allow_fd, deny_fd;
};

static void
v1_lists_close (struct v1_lists *l)
{
  if (l->allow_fd >= 0)
    close (l->allow_fd);
  if (l->deny_fd >= 0)
    close (l->deny_fd);
  free (l->allow_path);
  free (l->deny_path);
}

static int
v1_lists_open (const char *allow_path, struct v1_lists *l, estiba_error_t *err)
{
  size_t dir_len = strlen (allow_path) - strlen ("devices.allow");

  l->allow_path = strdup (allow_path);
  if (l->allow_path == NULL || asprintf (&l->deny_path, "%.*sdevices.deny", (int) dir_len, allow_path) < 0)
    return estiba_error_errno (err, "malloc");
  l->allow_fd = open (l->allow_path, O_WRONLY | O_CLOEXEC);
  if (l->allow_fd < 0)
    return estiba_error_errno (err, "%s: open '%s'", FIELD, l->allow_path);
  l->deny_fd = open (l->deny_path, O_WRONLY | O_CLOEXEC);
  if (l->deny_fd < 0)
    return estiba_error_errno (err, "%s: open '%s'", FIELD, l->deny_path);
  return 0;
}

static int
v1_write_rule (const struct v1_lists *l, const struct cgroup_device_rule *r, estiba_error_t *err)
{
  char maj[24] = "*", min[24] = "*", value[96];
  int fd = r->allow ? l->allow_fd : l->deny_fd;

  if (r->major >= 0)
    snprintf (maj, sizeof maj, "%" PRId64, r->major);
  if (r->minor >= 0)
    snprintf (min, sizeof min, "%" PRId64, r->minor);
  if (r->type == 'a')
    snprintf (value, sizeof value, "a");
  else
    snprintf (value, sizeof value, "%c %s:%s %s", r->type, maj, min, r->access);
  if (write (fd, value, strlen (value)) < 0)
    return estiba_error_errno (err, "%s: write '%s' to '%s'", FIELD, value,
                               r->allow ? l->allow_path : l->deny_path);
  return 0;
}

/* As runc: deny everything, then each rule in order.  */
static int
v1_apply (const char *allow_path, const struct cgroup_device_rule *rules, size_t n, estiba_error_t *err)
{
  static const struct cgroup_device_rule deny_all = { false, 'a', -1, -1, "rwm" };
  struct v1_lists l = { NULL, NULL, -1, -1 };
  int ret = -1;
  size_t i;

  if (v1_lists_open (allow_path, &l, err) < 0 || v1_write_rule (&l, &deny_all, err) < 0)
    goto out;
  for (i = 0; i < n; i++)
    if (v1_write_rule (&l, &rules[i], err) < 0)
      goto out;
  ret = 0;
out:
  v1_lists_close (&l);
  return ret;
}

/* Whether we run without the host's privileges: not root, or root of a
 * user namespace other than the initial one.  */
static bool
unprivileged (void)
{
  char map[64] = "";
  cleanup_fclose FILE *f = NULL;

  if (geteuid () != 0)
    return true;
  f = fopen ("/proc/self/uid_map", "re");
  if (f == NULL || fgets (map, sizeof map, f) == NULL)
    return false;
  return strcmp (map, "         0          0 4294967295\n") != 0;
}

static int
v2_apply (const char *dir, const struct cgroup_device_rule *rules, size_t n, estiba_error_t *err)
{
  if (cgroup_bpf_devices_attach (dir, rules, n, err) == 0)
    return 0;
  /* A user may own a delegated cgroup without being allowed to load BPF
   * programs; its user namespace already keeps it from opening the host's
   * devices (crun skips the filter there too).  */
  if (err && *err && unprivileged () && ((*err)->status == EPERM || (*err)->status == EACCES))
    {
      estiba_debug ("%s: not enforced: %s", FIELD, (*err)->msg);
      estiba_error_release (err);
      return 0;
    }
  return -1;
}

int
cgroup_apply_devices (char *const *dirs, const struct oci_linux_resources *res, const struct oci_linux *lnx,
                      estiba_error_t *err)
{
  cleanup_free struct cgroup_device_rule *rules = NULL;
  cleanup_free char *v1_allow = NULL;
  const char *v2;
  size_t n = 0;

  if (cgroup_device_rules (res, lnx, &rules, &n, err) < 0)
    return -1;
  v1_allow = cgroup_file_find (dirs, "devices.allow");
  if (v1_allow != NULL)
    return v1_apply (v1_allow, rules, n, err);
  v2 = cgroup_v2_dir (dirs);
  if (v2 != NULL)
    return v2_apply (v2, rules, n, err);
  /* No cgroup at all: a rootless container without delegation.  */
  estiba_debug (FIELD ": no devices controller and no cgroup2 directory; rules not enforced");
  return 0;
}
