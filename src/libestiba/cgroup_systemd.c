/* --systemd-cgroup and the slice:prefix:name cgroupsPath: see
 * cgroup_systemd.h.  */
#include <config.h>
#include "cgroup_systemd.h"
#include "cgroup_systemd_placeholder.h"
#include "cgroup_systemd_props.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "dbus.h"
#include "log.h"
#include "state.h"

#define FIELD "linux.cgroupsPath"
/* In the state directory: the unit to stop on delete.  */
#define UNIT_FILE "systemd-unit"

/* systemd's unit name rules for a slice as runc's ExpandSlice checks
 * them: NAME.slice, no '/', and the '-' separated parents neither empty
 * nor starting or ending with '-'.  */
static bool
valid_slice (const char *slice, size_t len)
{
  const char *suffix = ".slice";
  size_t slen = strlen (suffix), i;

  if (len <= slen || memcmp (slice + len - slen, suffix, slen) != 0)
    return false;
  len -= slen;
  if (slice[0] == '-' || slice[len - 1] == '-')
    return false;
  for (i = 0; i < len; i++)
    if (slice[i] == '/' || (slice[i] == '-' && slice[i + 1] == '-'))
      return false;
  return true;
}

static int
check_systemd_form (const char *path, estiba_error_t *err)
{
  const char *c1 = strchr (path, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;

  if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':'))
    return estiba_error (err, 0, FIELD " '%s': with --systemd-cgroup it must be \"slice:prefix:name\"", path);
  if (c1 != path && !valid_slice (path, (size_t) (c1 - path)))
    return estiba_error (err, 0, FIELD " '%s': '%.*s' is not a valid systemd slice (NAME.slice)", path,
                         (int) (c1 - path), path);
  if (c2 == c1 + 1 || c2[1] == '\0' || strchr (c1 + 1, '/'))
    return estiba_error (err, 0, FIELD " '%s': prefix and name must be non-empty and contain no '/'", path);
  return 0;
}

/* What runs as PID 1 (its comm), or "" when unreadable.  */
static void
pid1_name (char *buf, size_t size)
{
  cleanup_close int fd = open ("/proc/1/comm", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, size - 1);

  buf[n > 0 ? n : 0] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
}

int
cgroup_check_manager (const char *cgroups_path, bool systemd, estiba_error_t *err)
{
  char pid1[64];

  if (!systemd)
    {
      if (cgroups_path && cgroups_path[0] != '/' && strchr (cgroups_path, ':') && !strchr (cgroups_path, '/'))
        return estiba_error (err, 0,
                             FIELD
                             " '%s': the \"slice:prefix:name\" form needs --systemd-cgroup (the cgroupfs "
                             "driver takes a path)",
                             cgroups_path);
      return 0;
    }
  if (cgroups_path && *cgroups_path && check_systemd_form (cgroups_path, err) < 0)
    return -1;
  pid1_name (pid1, sizeof pid1);
  if (strcmp (pid1, "systemd") != 0 || access ("/run/systemd/system", F_OK) < 0)
    return estiba_error (
      err, 0,
      "--systemd-cgroup: systemd is not running as PID 1 (PID 1 is '%s'), so there is no "
      "systemd to create the cgroup; run without --systemd-cgroup to use the cgroupfs driver",
      *pid1 ? pid1 : "unknown");
  return 0;
}

/* ------------------------------------------------------------ unit names --
 * runc's rules: the scope is "prefix-name.scope", unless name is itself a
 * slice; the parent slice defaults to system.slice.  */

/* systemd's unit name characters (unit_name_is_valid): letters, digits,
 * ":-_.\" and at most 255 bytes.  */
static bool
valid_unit_name (const char *name)
{
  const char *p;

  if (*name == '\0' || strlen (name) > 255)
    return false;
  for (p = name; *p; p++)
    if (!isalnum ((unsigned char) *p) && !strchr (":-_.\\", *p))
      return false;
  return true;
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcmp (s + n - m, suffix) == 0;
}

int
cgroup_systemd_unit_names (const char *cgroups_path, const char *id, char **slice, char **unit,
                           estiba_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *prefix, *name;
  const char *path = cgroups_path;
  int n;

  if (path == NULL || *path == '\0')
    {
      if (asprintf (&copy, "system.slice:estiba:%s", id) < 0)
        return estiba_error_errno (err, "asprintf");
    }
  else
    {
      if (check_systemd_form (path, err) < 0)
        return -1;
      copy = strdup (path);
      if (copy == NULL)
        return estiba_error_errno (err, "strdup");
    }
  prefix = strchr (copy, ':');
  *prefix++ = '\0';
  name = strchr (prefix, ':');
  *name++ = '\0';
  *slice = strdup (*copy ? copy : "system.slice");
  if (ends_with (name, ".slice"))
    {
      n = 0;
      *unit = strdup (name);
    }
  else
    n = asprintf (unit, "%s-%s.scope", prefix, name);
  if (*slice == NULL || n < 0 || *unit == NULL)
    {
      free (*slice);
      *slice = NULL;
      if (n >= 0)
        free (*unit);
      *unit = NULL;
      return estiba_error_errno (err, "malloc");
    }
  if (!valid_unit_name (*unit) || (ends_with (*unit, ".slice") && !valid_slice (*unit, strlen (*unit))))
    {
      int ret = path && *path ? estiba_error (err, 0,
                                              FIELD " '%s': '%s' is not a valid systemd unit name (letters, "
                                                    "digits and :-_.\\ only; a slice as NAME.slice)",
                                              path, *unit)
                              : estiba_error (err, 0,
                                              "container id '%s': '%s' (from the default " FIELD
                                              " system.slice:estiba:ID) is not a valid systemd unit name "
                                              "(letters, digits and :-_.\\ only)",
                                              id, *unit);
      free (*slice);
      free (*unit);
      *slice = *unit = NULL;
      return ret;
    }
  return 0;
}

char *
cgroup_systemd_slice_path (const char *slice)
{
  size_t len = strlen (slice) - strlen (".slice"), i;
  char *out, *p;

  if (strcmp (slice, "-.slice") == 0)
    return strdup ("/");
  /* Each '-' starts one more level: "a-b-c" is /a.slice/a-b.slice/a-b-c.slice.  */
  out = malloc (2 * strlen (slice) * (len + 1) + 2);
  if (out == NULL)
    return NULL;
  p = out;
  for (i = 0; i <= len; i++)
    if (i == len || slice[i] == '-')
      p += sprintf (p, "/%.*s.slice", (int) i, slice);
  return out;
}

int
cgroup_systemd_cpu_mask (const char *list, unsigned char *mask, size_t size)
{
  const char *p = list;
  int used = 0;

  memset (mask, 0, size);
  while (*p)
    {
      char *end;
      unsigned long lo, hi, i;

      if (!isdigit ((unsigned char) *p))
        return -1;
      lo = hi = strtoul (p, &end, 10);
      p = end;
      if (*p == '-')
        {
          if (!isdigit ((unsigned char) p[1]))
            return -1;
          hi = strtoul (p + 1, &end, 10);
          p = end;
        }
      if (hi < lo || hi >= size * 8)
        return -1;
      for (i = lo; i <= hi; i++)
        mask[i / 8] |= (unsigned char) (1u << (i % 8));
      if ((int) (hi / 8) + 1 > used)
        used = (int) (hi / 8) + 1;
      if (*p == ',' && p[1] != '\0')
        p++;
      else if (*p)
        return -1;
    }
  return used;
}

/* ------------------------------------------------------------ jobs --
 * StartTransientUnit and StopUnit return a job; the unit is there (or
 * gone) once systemd's JobRemoved signal names that job.  The signal may
 * come before the method's reply, so every one seen is kept.  */

struct jobs_seen
{
  char *path[16];
  char *result[16];
  size_t n;
};

static void
jobs_seen_release (struct jobs_seen *j)
{
  size_t i;

  for (i = 0; i < j->n; i++)
    {
      free (j->path[i]);
      free (j->result[i]);
    }
  j->n = 0;
}

/* JobRemoved(u id, o job, s unit, s result).  */
static void
on_job_removed (const struct dbus_message *m, void *data)
{
  struct jobs_seen *j = data;
  struct dbus_reader r;
  const char *job, *unit, *result;
  uint32_t id;
  size_t i;

  if (!m->member || strcmp (m->member, "JobRemoved") != 0 || !m->signature
      || strcmp (m->signature, "uoss") != 0)
    return;
  dbus_reader_init (&r, m);
  if (!dbus_read_u32 (&r, &id) || !dbus_read_string (&r, &job) || !dbus_read_string (&r, &unit)
      || !dbus_read_string (&r, &result))
    return;
  /* Keep the latest few.  */
  if (j->n == sizeof j->path / sizeof j->path[0])
    {
      free (j->path[0]);
      free (j->result[0]);
      for (i = 1; i < j->n; i++)
        {
          j->path[i - 1] = j->path[i];
          j->result[i - 1] = j->result[i];
        }
      j->n--;
    }
  j->path[j->n] = strdup (job);
  j->result[j->n] = strdup (result);
  if (j->path[j->n] && j->result[j->n])
    j->n++;
  else
    {
      free (j->path[j->n]);
      free (j->result[j->n]);
    }
}

static const char *
job_result (const struct jobs_seen *j, const char *job)
{
  size_t i;

  for (i = 0; i < j->n; i++)
    if (strcmp (j->path[i], job) == 0)
      return j->result[i];
  return NULL;
}

#define MANAGER_PATH  "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define SYSTEMD_DEST  "org.freedesktop.systemd1"

/* Under software emulation systemd may take seconds.  */
#define SYSTEMD_TIMEOUT_MS 60000

static int
manager_call (struct dbus_conn *c, const char *member, const char *sig, const struct dbus_writer *body,
              struct jobs_seen *jobs, long long deadline, estiba_error_t *err)
{
  const struct dbus_call call = {
    .destination = SYSTEMD_DEST,
    .path = MANAGER_PATH,
    .interface = MANAGER_IFACE,
    .member = member,
    .signature = sig,
  };

  return dbus_call (c, &call, body, on_job_removed, jobs, deadline, err);
}

/* Connect and ask for the JobRemoved signals (on the bus also through a
 * match rule at the bus daemon).  */
static int
systemd_connect (struct dbus_conn *c, struct jobs_seen *jobs, long long deadline, estiba_error_t *err)
{
  if (dbus_open_systemd (c, err) < 0)
    return -1;
  if (c->bus)
    {
      const struct dbus_call add_match = {
        .destination = "org.freedesktop.DBus",
        .path = "/org/freedesktop/DBus",
        .interface = "org.freedesktop.DBus",
        .member = "AddMatch",
        .signature = "s",
      };
      struct dbus_writer w = { 0 };
      int ret;

      dbus_put_string (&w, "type='signal',sender='" SYSTEMD_DEST "',interface='" MANAGER_IFACE
                           "',member='JobRemoved'");
      ret = dbus_call (c, &add_match, &w, NULL, NULL, deadline, err);
      dbus_writer_free (&w);
      if (ret < 0)
        return -1;
    }
  return manager_call (c, "Subscribe", NULL, NULL, jobs, deadline, err);
}

/* Call member(unit, "replace"[, more body]) and wait for its job.  The
 * body is already marshalled in w.  */
static int
run_job (struct dbus_conn *c, const char *member, const char *sig, const struct dbus_writer *w,
         struct jobs_seen *jobs, long long deadline, estiba_error_t *err)
{
  cleanup_free char *job = NULL;
  const char *result;
  struct dbus_reader r;
  const char *path;

  if (manager_call (c, member, sig, w, jobs, deadline, err) < 0)
    return -1;
  dbus_reader_init (&r, &c->msg);
  if (!c->msg.signature || strcmp (c->msg.signature, "o") != 0 || !dbus_read_string (&r, &path))
    return estiba_error (err, 0, "D-Bus: %s: unexpected reply '%s'", member,
                         c->msg.signature ? c->msg.signature : "");
  job = strdup (path);
  if (job == NULL)
    return estiba_error_errno (err, "strdup");
  while ((result = job_result (jobs, job)) == NULL)
    {
      if (dbus_receive (c, deadline, err) < 0)
        return estiba_error_wrap (err, "waiting for systemd's job %s", job);
      if (c->msg.type == DBUS_SIGNAL)
        on_job_removed (&c->msg, jobs);
    }
  if (strcmp (result, "done") != 0)
    return estiba_error (err, 0, "systemd's job %s ended '%s'", job, result);
  return 0;
}

static int
start_unit (struct dbus_conn *c, const char *id, const char *slice, const char *unit, pid_t pid,
            const struct oci_linux_resources *res, struct jobs_seen *jobs, long long deadline,
            estiba_error_t *err)
{
  struct dbus_writer w = { 0 };
  size_t aux;
  int ret;

  dbus_put_string (&w, unit);
  dbus_put_string (&w, "replace");
  ret = systemd_unit_properties (&w, id, slice, ends_with (unit, ".slice"), pid, res, err);
  if (ret == 0)
    {
      /* No auxiliary units.  */
      aux = dbus_array_begin (&w, 8);
      dbus_array_end (&w, aux);
      ret = run_job (c, "StartTransientUnit", "ssa(sv)a(sa(sv))", &w, jobs, deadline, err);
    }
  dbus_writer_free (&w);
  return ret;
}

static int
stop_unit (const char *unit, estiba_error_t *err)
{
  struct dbus_conn c;
  struct jobs_seen jobs = { .n = 0 };
  struct dbus_writer w = { 0 };
  long long deadline = dbus_now_ms () + SYSTEMD_TIMEOUT_MS;
  int ret;

  if (systemd_connect (&c, &jobs, deadline, err) < 0)
    return estiba_error_wrap (err, "--systemd-cgroup: stop unit '%s'", unit);
  dbus_put_string (&w, unit);
  dbus_put_string (&w, "replace");
  ret = run_job (&c, "StopUnit", "ss", &w, &jobs, deadline, err);
  dbus_writer_free (&w);
  jobs_seen_release (&jobs);
  dbus_close (&c);
  /* Gone already: an empty scope is stopped by systemd itself.  */
  if (ret < 0 && *err && strstr ((*err)->msg, "org.freedesktop.systemd1.NoSuchUnit"))
    {
      estiba_error_release (err);
      return 0;
    }
  if (ret < 0)
    return estiba_error_wrap (err, "--systemd-cgroup: stop unit '%s'", unit);
  return 0;
}

/* ------------------------------------------------------------ create --  */

/* pid's cgroup as /proc/PID/cgroup says: the cgroup2 line ("0::path"),
 * else systemd's own v1 hierarchy (name=systemd).  */
static char *
process_cgroup (pid_t pid)
{
  char file[64], *line = NULL, *found = NULL;
  size_t len = 0;
  cleanup_fclose FILE *f = NULL;

  snprintf (file, sizeof file, "/proc/%d/cgroup", (int) pid);
  f = fopen (file, "re");
  while (f && getline (&line, &len, f) > 0)
    {
      line[strcspn (line, "\n")] = '\0';
      if (strncmp (line, "0::", 3) == 0 && strcmp (line + 3, "/") != 0)
        {
          free (found);
          found = strdup (line + 3);
          break;
        }
      if (!found && strstr (line, ":name=systemd:"))
        found = strdup (strstr (line, ":name=systemd:") + strlen (":name=systemd:"));
    }
  free (line);
  return found;
}

static int
write_unit_file (const char *state_dir, const char *unit, estiba_error_t *err)
{
  cleanup_free char *path = NULL;

  if (asprintf (&path, "%s/%s", state_dir, UNIT_FILE) < 0)
    return estiba_error_errno (err, "asprintf");
  return write_file_atomic (path, unit, strlen (unit), 0600, err);
}

/* The cgroup of the started unit: the placeholder's for a scope, which
 * must be the unit's own directory.  */
static int
unit_cgroup (const char *unit, pid_t pid, char **path, estiba_error_t *err)
{
  if (ends_with (unit, ".slice"))
    *path = cgroup_systemd_slice_path (unit);
  else
    *path = process_cgroup (pid);
  if (*path == NULL)
    return estiba_error (err, 0, "--systemd-cgroup: cannot read the cgroup of unit '%s'", unit);
  if (!ends_with (*path, unit) || (*path)[strlen (*path) - strlen (unit) - 1] != '/')
    return estiba_error (err, 0, "--systemd-cgroup: systemd put the process of unit '%s' into '%s'", unit,
                         *path);
  return 0;
}

static int
create_in_unit (const char *id, const char *slice, const char *unit, const struct oci_linux *lnx,
                struct scope_placeholder *ph, char ***dirs, estiba_error_t *err)
{
  struct dbus_conn c;
  struct jobs_seen jobs = { .n = 0 };
  cleanup_free char *path = NULL, *procs = NULL;
  long long deadline = dbus_now_ms () + SYSTEMD_TIMEOUT_MS;
  int ret;

  ret = systemd_connect (&c, &jobs, deadline, err);
  if (ret == 0)
    ret = start_unit (&c, id, slice, unit, ph->pid, lnx ? lnx->resources : NULL, &jobs, deadline, err);
  jobs_seen_release (&jobs);
  dbus_close (&c);
  if (ret < 0)
    return estiba_error_wrap (err, "--systemd-cgroup: start unit '%s'", unit);
  if (unit_cgroup (unit, ph->pid, &path, err) < 0 || cgroup_create (path, id, dirs, err) < 0)
    {
      cleanup_error estiba_error_t stop_err = NULL;
      stop_unit (unit, &stop_err);
      return -1;
    }
  if (asprintf (&procs, "%s/cgroup.procs", (*dirs)[0]) < 0)
    procs = NULL;
  estiba_debug ("--systemd-cgroup: unit %s, cgroup %s", unit, path);
  scope_placeholder_release (ph, procs);
  return 0;
}

int
cgroup_systemd_create (const char *state_dir, const struct oci_linux *lnx, const char *id, char ***dirs,
                       estiba_error_t *err)
{
  cleanup_free char *slice = NULL, *unit = NULL;
  struct scope_placeholder ph = { .pid = 0, .go_fd = -1 };
  int ret;

  if (cgroup_systemd_unit_names (lnx ? lnx->cgroups_path : NULL, id, &slice, &unit, err) < 0)
    return -1;
  if (!ends_with (unit, ".slice") && scope_placeholder_start (&ph, err) < 0)
    return -1;
  ret = create_in_unit (id, slice, unit, lnx, &ph, dirs, err);
  scope_placeholder_release (&ph, NULL);
  if (ret == 0 && write_unit_file (state_dir, unit, err) < 0)
    {
      cleanup_error estiba_error_t stop_err = NULL;
      stop_unit (unit, &stop_err);
      cgroup_destroy (*dirs, NULL);
      cleanup_strv_fn (dirs);
      return -1;
    }
  return ret;
}

/* The unit recorded in state_dir into unit[256]: 1, or 0 when there is
 * none (a cgroupfs container).  */
static int
read_unit_file (const char *state_dir, char *unit, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  ssize_t n;

  if (asprintf (&path, "%s/%s", state_dir, UNIT_FILE) < 0)
    return estiba_error_errno (err, "asprintf");
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : estiba_error_errno (err, "open '%s'", path);
  n = read (fd, unit, 255);
  if (n <= 0)
    return estiba_error (err, n < 0 ? errno : 0, "read '%s'", path);
  unit[n] = '\0';
  return 1;
}

int
cgroup_systemd_stop (const char *state_dir, estiba_error_t *err)
{
  char unit[256];
  int ret = read_unit_file (state_dir, unit, err);

  return ret <= 0 ? ret : stop_unit (unit, err);
}

int
cgroup_systemd_update (const char *state_dir, const struct oci_linux_resources *res, estiba_error_t *err)
{
  const struct dbus_call call = {
    .destination = SYSTEMD_DEST,
    .path = MANAGER_PATH,
    .interface = MANAGER_IFACE,
    .member = "SetUnitProperties",
    .signature = "sba(sv)",
  };
  struct dbus_writer w = { 0 };
  struct dbus_conn c;
  char unit[256];
  size_t a;
  int ret = read_unit_file (state_dir, unit, err);

  if (ret <= 0)
    return ret;
  dbus_put_string (&w, unit);
  dbus_put_bool (&w, true); /* runtime: not written to /etc */
  a = dbus_array_begin (&w, 8);
  ret = systemd_resource_properties (&w, res, err);
  dbus_array_end (&w, a);
  if (ret == 0 && w.failed)
    ret = estiba_error (err, ENOMEM, "D-Bus: unit properties");
  if (ret == 0 && (ret = dbus_open_systemd (&c, err)) == 0)
    {
      ret = dbus_call (&c, &call, &w, NULL, NULL, dbus_now_ms () + SYSTEMD_TIMEOUT_MS, err);
      dbus_close (&c);
    }
  dbus_writer_free (&w);
  return ret < 0 ? estiba_error_wrap (err, "--systemd-cgroup: set the properties of unit '%s'", unit) : 0;
}
