/* linux.namespaces: see namespaces.h.  */
#include <config.h>
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *type;
  const char *proc_name;
  int flag;
} ns_table[] = {
  { "pid", "pid", CLONE_NEWPID },          { "network", "net", CLONE_NEWNET },
  { "mount", "mnt", CLONE_NEWNS },         { "ipc", "ipc", CLONE_NEWIPC },
  { "uts", "uts", CLONE_NEWUTS },          { "user", "user", CLONE_NEWUSER },
  { "cgroup", "cgroup", CLONE_NEWCGROUP }, { "time", "time", CLONE_NEWTIME },
};

int
namespace_flag (const char *type)
{
  size_t i;
  for (i = 0; type && i < sizeof ns_table / sizeof ns_table[0]; i++)
    if (strcmp (type, ns_table[i].type) == 0)
      return ns_table[i].flag;
  return 0;
}

const char *
namespace_proc_name (int flag)
{
  size_t i;
  for (i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
    if (ns_table[i].flag == flag)
      return ns_table[i].proc_name;
  return NULL;
}

void
namespaces_plan_release (struct ns_plan *plan)
{
  size_t i;
  for (i = 0; i < plan->n_join; i++)
    if (plan->join[i].fd >= 0)
      close (plan->join[i].fd);
  plan->n_join = 0;
}

static int
check_id_mappings (const struct oci_linux *l, bool user_ns, estiba_error_t *err)
{
  bool has_maps = l->uid_mappings_len > 0 || l->gid_mappings_len > 0;

  if (has_maps && !user_ns)
    return estiba_error (err, 0, "linux.uidMappings: id mappings need a user namespace in linux.namespaces");
  if (user_ns && (l->uid_mappings_len == 0 || l->gid_mappings_len == 0))
    return estiba_error (err, 0,
                         "linux.namespaces: a new user namespace needs linux.uidMappings and "
                         "linux.gidMappings");
  return 0;
}

int
namespaces_plan (const struct oci_linux *l, struct ns_plan *plan, estiba_error_t *err)
{
  int seen = 0;
  size_t i;

  memset (plan, 0, sizeof (*plan));
  for (i = 0; l && i < l->namespaces_len; i++)
    {
      const struct oci_namespace *ns = &l->namespaces[i];
      int flag = namespace_flag (ns->type);

      if (flag == 0)
        {
          namespaces_plan_release (plan);
          return estiba_error (err, 0, "linux.namespaces[%zu].type: unknown namespace type '%s'", i,
                               ns->type ? ns->type : "");
        }
      if (seen & flag)
        {
          namespaces_plan_release (plan);
          return estiba_error (err, 0, "linux.namespaces[%zu]: duplicate namespace type '%s'", i, ns->type);
        }
      seen |= flag;
      if (flag == CLONE_NEWNS)
        plan->has_mount = true;
      if (flag == CLONE_NEWUSER)
        plan->has_user = true;
      if (ns->path == NULL || *ns->path == '\0')
        {
          plan->new_flags |= flag;
          continue;
        }
      plan->join[plan->n_join].type = flag;
      plan->join[plan->n_join].fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (plan->join[plan->n_join].fd < 0)
        {
          int saved = errno;
          namespaces_plan_release (plan);
          return estiba_error (err, saved, "linux.namespaces[%zu].path: open '%s'", i, ns->path);
        }
      plan->n_join++;
    }
  /* config-linux.md: a type left out is inherited from the runtime.  The
   * way back to the runtime's mount namespace needs the host's
   * CAP_SYS_ADMIN, which a user namespace does not give.  */
  if (!plan->has_mount && plan->has_user)
    {
      namespaces_plan_release (plan);
      return estiba_error (err, 0, "linux.namespaces: a user namespace needs a mount namespace too");
    }
  if (!plan->has_mount)
    {
      plan->inherit_mount = true;
      plan->new_flags |= CLONE_NEWNS;
    }
  if (l && check_id_mappings (l, (plan->new_flags & CLONE_NEWUSER) != 0, err) < 0)
    {
      namespaces_plan_release (plan);
      return -1;
    }
  if (l && l->time_offsets && l->time_offsets->len > 0 && !(plan->new_flags & CLONE_NEWTIME))
    {
      namespaces_plan_release (plan);
      return estiba_error (err, 0, "linux.timeOffsets: needs a new time namespace in linux.namespaces");
    }
  return 0;
}

int
namespaces_plan_for_pid (pid_t pid, struct ns_plan *plan, estiba_error_t *err)
{
  size_t i;

  memset (plan, 0, sizeof (*plan));
  for (i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
    {
      char theirs[64], ours[64];
      struct stat a, b;
      int fd;

      snprintf (theirs, sizeof theirs, "/proc/%d/ns/%s", (int) pid, ns_table[i].proc_name);
      snprintf (ours, sizeof ours, "/proc/self/ns/%s", ns_table[i].proc_name);
      if (stat (ours, &b) < 0)
        continue; /* a namespace type this kernel lacks */
      fd = open (theirs, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          int saved = errno;
          namespaces_plan_release (plan);
          return estiba_error (err, saved, "open '%s'", theirs);
        }
      if (fstat (fd, &a) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        {
          close (fd);
          continue;
        }
      if (ns_table[i].flag == CLONE_NEWUSER)
        plan->has_user = true;
      if (ns_table[i].flag == CLONE_NEWNS)
        plan->has_mount = true;
      plan->join[plan->n_join].type = ns_table[i].flag;
      plan->join[plan->n_join].fd = fd;
      plan->n_join++;
    }
  return 0;
}

static int
join_one (const struct ns_join *j, estiba_error_t *err)
{
  if (setns (j->fd, j->type) < 0)
    return estiba_error_errno (err, "join the %s namespace", namespace_proc_name (j->type));
  return 0;
}

int
namespaces_join (const struct ns_plan *plan, estiba_error_t *err)
{
  size_t i;

  for (i = 0; i < plan->n_join; i++)
    if (plan->join[i].type == CLONE_NEWUSER && join_one (&plan->join[i], err) < 0)
      return -1;
  for (i = 0; i < plan->n_join; i++)
    if (plan->join[i].type != CLONE_NEWUSER && plan->join[i].type != CLONE_NEWNS
        && join_one (&plan->join[i], err) < 0)
      return -1;
  for (i = 0; i < plan->n_join; i++)
    if (plan->join[i].type == CLONE_NEWNS && join_one (&plan->join[i], err) < 0)
      return -1;
  return 0;
}

static int
write_proc_file (const char *path, const char *content, estiba_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "open '%s'", path);
  if (write (fd, content, strlen (content)) < 0)
    return estiba_error_errno (err, "write '%s'", path);
  return 0;
}

int
namespaces_write_time_offsets (pid_t pid, const struct oci_linux *l, estiba_error_t *err)
{
  char path[64];
  cleanup_free char *buf = NULL;
  size_t len = 0, i;
  FILE *f;

  if (l == NULL || l->time_offsets == NULL || l->time_offsets->len == 0)
    return 0;
  f = open_memstream (&buf, &len);
  if (f == NULL)
    return estiba_error_errno (err, "open_memstream");
  for (i = 0; i < l->time_offsets->len; i++)
    {
      const char *clock = l->time_offsets->keys[i];
      if (strcmp (clock, "monotonic") != 0 && strcmp (clock, "boottime") != 0)
        {
          fclose (f);
          return estiba_error (err, 0, "linux.timeOffsets: unknown clock '%s' (monotonic or boottime)",
                               clock);
        }
      fprintf (f, "%s %lld %u\n", clock, (long long) l->time_offsets->values[i].secs,
               l->time_offsets->values[i].nanosecs);
    }
  fclose (f);
  snprintf (path, sizeof path, "/proc/%d/timens_offsets", (int) pid);
  if (write_proc_file (path, buf, err) < 0)
    return estiba_error_wrap (err, "linux.timeOffsets");
  return 0;
}

static int
write_map (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n, estiba_error_t *err)
{
  cleanup_free char *buf = NULL;
  char path[64];
  size_t len = 0, i;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    return estiba_error_errno (err, "open_memstream");
  for (i = 0; i < n; i++)
    fprintf (f, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  fclose (f);
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  if (write_proc_file (path, buf, err) < 0)
    return estiba_error_wrap (err, "linux.%s", strcmp (file, "uid_map") == 0 ? "uidMappings" : "gidMappings");
  return 0;
}

int
namespaces_write_id_maps (pid_t pid, const struct oci_linux *l, estiba_error_t *err)
{
  if (write_map (pid, "uid_map", l->uid_mappings, l->uid_mappings_len, err) < 0)
    return -1;
  return write_map (pid, "gid_map", l->gid_mappings, l->gid_mappings_len, err);
}
