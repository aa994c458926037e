/* Minimal cgroup placement: see cgroup.h.  */
#include <config.h>
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

struct hierarchy
{
  char *mountpoint;
  char *root;        /* mountinfo's root field: the cgroup seen at mountpoint */
  char *controllers; /* v1: "cpu,cpuacct" or "name=systemd"; v2: "" */
  bool v2;
};

static void
hierarchies_free (struct hierarchy *h, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (h[i].mountpoint);
      free (h[i].root);
      free (h[i].controllers);
    }
  free (h);
}

/* The v1 super options name the controllers among other options
 * ("rw,cpu,cpuacct"); keep only controller names.  */
static char *
v1_controllers (const char *superopts)
{
  static const char *const not_controllers[] = { "rw", "ro", "xattr", "noprefix", "clone_children", NULL };
  cleanup_free char *copy = strdup (superopts);
  char *out = calloc (1, strlen (superopts) + 1);
  char *tok, *save = NULL;
  size_t i;

  if (copy == NULL || out == NULL)
    {
      free (out);
      return NULL;
    }
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      bool skip = strncmp (tok, "release_agent=", 14) == 0;
      for (i = 0; not_controllers[i]; i++)
        skip = skip || strcmp (tok, not_controllers[i]) == 0;
      if (skip)
        continue;
      if (*out)
        strcat (out, ",");
      strcat (out, tok);
    }
  return out;
}

/* Parse /proc/self/mountinfo for cgroup and cgroup2 mounts.  A hierarchy
 * mounted twice is listed once.  */
static int
hierarchies_read (struct hierarchy **out, size_t *n_out, estiba_error_t *err)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0, n = 0, len = 0, i;
  struct hierarchy *h = NULL;

  if (f == NULL)
    return estiba_error_errno (err, "open /proc/self/mountinfo");
  while (getline (&line, &len, f) > 0)
    {
      char *fields[10] = { 0 };
      char *dash, *p, *save = NULL, *fstype, *superopts, *ctrls;
      int k = 0;
      bool dup = false;

      dash = strstr (line, " - ");
      if (dash == NULL)
        continue;
      *dash = '\0';
      for (p = strtok_r (line, " ", &save); p && k < 10; p = strtok_r (NULL, " ", &save))
        fields[k++] = p;
      save = NULL;
      fstype = strtok_r (dash + 3, " ", &save);
      strtok_r (NULL, " ", &save); /* source */
      superopts = strtok_r (NULL, " \n", &save);
      if (k < 5 || fstype == NULL || superopts == NULL)
        continue;
      if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
        continue;
      ctrls = strcmp (fstype, "cgroup2") == 0 ? strdup ("") : v1_controllers (superopts);
      if (ctrls == NULL)
        {
          hierarchies_free (h, n);
          return estiba_error_errno (err, "malloc");
        }
      for (i = 0; i < n; i++)
        dup = dup || (h[i].v2 == (*ctrls == '\0') && strcmp (h[i].controllers, ctrls) == 0);
      if (dup)
        {
          free (ctrls);
          continue;
        }
      if (n == cap)
        {
          struct hierarchy *nh = realloc (h, (cap = cap ? cap * 2 : 16) * sizeof (*h));
          if (nh == NULL)
            {
              free (ctrls);
              hierarchies_free (h, n);
              return estiba_error_errno (err, "malloc");
            }
          h = nh;
        }
      h[n].mountpoint = strdup (fields[4]);
      h[n].root = strdup (fields[3]);
      h[n].controllers = ctrls;
      h[n].v2 = strcmp (fstype, "cgroup2") == 0;
      n++;
    }
  *out = h;
  *n_out = n;
  return 0;
}

/* /proc/self/cgroup, read once for all the hierarchies (NULL when
 * unreadable: every hierarchy then counts from its root).  */
static char *
read_own_cgroups (void)
{
  cleanup_close int fd = open ("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  char *buf = NULL;
  size_t len = 0, cap = 0;
  ssize_t n;

  if (fd < 0)
    return NULL;
  do
    {
      if (cap - len < 1024)
        {
          char *grown = realloc (buf, cap += 4096);
          if (grown == NULL)
            {
              free (buf);
              return NULL;
            }
          buf = grown;
        }
      n = read (fd, buf + len, cap - len - 1);
      if (n > 0)
        len += (size_t) n;
    }
  while (n > 0 || (n < 0 && errno == EINTR));
  if (buf)
    buf[len] = '\0';
  return buf;
}

/* Our own cgroup in a hierarchy, from the lines of /proc/self/cgroup
 * ("ID:ctrls:path"; v2 is "0::path").  */
static char *
own_cgroup (const struct hierarchy *h, const char *own_cgroups)
{
  const char *line, *end;

  for (line = own_cgroups; line && *line; line = *end ? end + 1 : end)
    {
      const char *c1, *c2;
      end = strchrnul (line, '\n');
      c1 = memchr (line, ':', (size_t) (end - line));
      c2 = c1 ? memchr (c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;
      if (c2 == NULL)
        continue;
      if (h->v2 ? (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1)
                : ((size_t) (c2 - c1 - 1) == strlen (h->controllers)
                   && strncmp (c1 + 1, h->controllers, (size_t) (c2 - c1 - 1)) == 0))
        return strndup (c2 + 1, (size_t) (end - c2 - 1));
    }
  return NULL;
}

/* Directory of the container's cgroup in hierarchy h.  */
static char *
cgroup_dir_in (const struct hierarchy *h, const char *own_cgroups, const char *cgroups_path, const char *id)
{
  cleanup_free char *base = NULL;
  const char *rel;
  char *out = NULL;

  if (cgroups_path && cgroups_path[0] == '/')
    {
      if (asprintf (&out, "%s%s", h->mountpoint, cgroups_path) < 0)
        return NULL;
      return out;
    }
  rel = cgroups_path && *cgroups_path ? cgroups_path : id;
  base = own_cgroup (h, own_cgroups);
  if (base == NULL)
    base = strdup ("/");
  if (base == NULL)
    return NULL;
  /* Our cgroup path is relative to the hierarchy's root, the mount may
   * show a subtree of it (mountinfo root).  */
  {
    const char *b = base;
    size_t rl = strlen (h->root);
    if (strcmp (h->root, "/") != 0 && strncmp (b, h->root, rl) == 0)
      b += rl;
    if (asprintf (&out, "%s%s/%s", h->mountpoint, strcmp (b, "/") == 0 ? "" : b, rel) < 0)
      return NULL;
  }
  return out;
}

static int
read_small (const char *path, char *buf, size_t size)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n;
  if (fd < 0)
    return -1;
  n = read (fd, buf, size - 1);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return (int) n;
}

static int
write_small (const char *path, const char *value, estiba_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "open '%s'", path);
  if (write (fd, value, strlen (value)) < 0)
    return estiba_error_errno (err, "write '%s' to '%s'", value, path);
  return 0;
}

/* A new v1 cpuset cgroup starts with empty cpus/mems and accepts no task:
 * copy the parent's.  */
static int
cpuset_fill (const char *dir, estiba_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  size_t i;

  for (i = 0; i < 2; i++)
    {
      char path[4096], parent[4096], value[4096];
      snprintf (path, sizeof path, "%s/%s", dir, files[i]);
      if (read_small (path, value, sizeof value) < 0)
        continue;
      if (value[0] != '\0' && value[0] != '\n')
        continue;
      snprintf (parent, sizeof parent, "%s/../%s", dir, files[i]);
      if (read_small (parent, value, sizeof value) < 0)
        return estiba_error_errno (err, "read '%s'", parent);
      if (write_small (path, value, err) < 0)
        return -1;
    }
  return 0;
}

/* cgroup2 gives a child only the controllers its parent enables in
 * cgroup.subtree_control: enable every controller the parent has (as
 * runc does).  Best effort: a parent holding processes refuses (the "no
 * internal processes" rule), and a limit that then finds no file fails
 * naming its field.  */
static void
v2_enable_controllers (const char *parent)
{
  char path[4096], controllers[4096], *tok, *save = NULL;
  cleanup_close int fd = -1;

  snprintf (path, sizeof path, "%s/cgroup.controllers", parent);
  if (read_small (path, controllers, sizeof controllers) <= 0)
    return;
  snprintf (path, sizeof path, "%s/cgroup.subtree_control", parent);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  for (tok = strtok_r (controllers, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
    {
      char value[256];
      int len = snprintf (value, sizeof value, "+%s", tok);
      if (write (fd, value, (size_t) len) < 0)
        continue;
    }
}

/* mkdir -p below the mountpoint; cpuset dirs get cpus/mems on the way,
 * cgroup2 parents enable their controllers for the children.  */
static int
mkdir_cgroup (const char *mountpoint, const char *dir, bool cpuset, bool v2, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (dir);
  char *p;

  if (copy == NULL)
    return estiba_error_errno (err, "strdup");
  for (p = copy + strlen (mountpoint) + 1; p && *p;)
    {
      char *slash = strchr (p, '/');
      if (slash)
        *slash = '\0';
      if (v2)
        {
          /* copy up to the previous slash is the parent.  */
          char *parent_end = strrchr (copy, '/');
          *parent_end = '\0';
          v2_enable_controllers (copy);
          *parent_end = '/';
        }
      if (mkdir (copy, 0755) < 0 && errno != EEXIST)
        return estiba_error_errno (err, "create cgroup '%s'", copy);
      if (cpuset && cpuset_fill (copy, err) < 0)
        return -1;
      if (slash == NULL)
        break;
      *slash = '/';
      p = slash + 1;
    }
  return 0;
}

int
cgroup_create (const char *cgroups_path, const char *id, char ***dirs_out, estiba_error_t *err)
{
  struct hierarchy *h = NULL;
  size_t n = 0, i, k = 0;
  cleanup_free char *own_cgroups = NULL;
  char **dirs;
  int ret;

  if (cgroups_path && strstr (cgroups_path, ".."))
    return estiba_error (err, 0, "linux.cgroupsPath '%s': must not contain '..'", cgroups_path);
  ret = hierarchies_read (&h, &n, err);
  if (ret < 0)
    return ret;
  dirs = calloc (n + 1, sizeof (char *));
  if (dirs == NULL)
    {
      hierarchies_free (h, n);
      return estiba_error_errno (err, "calloc");
    }
  if (cgroups_path == NULL || cgroups_path[0] != '/')
    own_cgroups = read_own_cgroups ();
  for (i = 0; i < n; i++)
    {
      bool cpuset = !h[i].v2 && strstr (h[i].controllers, "cpuset") != NULL;
      char *dir = cgroup_dir_in (&h[i], own_cgroups, cgroups_path, id);
      if (dir == NULL)
        {
          ret = estiba_error_errno (err, "cgroup path");
          break;
        }
      dirs[k++] = dir;
      ret = mkdir_cgroup (h[i].mountpoint, dir, cpuset, h[i].v2, err);
      if (ret < 0)
        break;
    }
  hierarchies_free (h, n);
  if (ret < 0)
    {
      cgroup_destroy (dirs, NULL);
      cleanup_strv_fn (&dirs);
      return ret;
    }
  *dirs_out = dirs;
  return 0;
}

/* The one directory when the container's cgroups are a single cgroup2
 * directory, else NULL.  */
static const char *
single_v2_dir (char *const *dirs)
{
  char path[4096];

  if (dirs == NULL || dirs[0] == NULL || dirs[1] != NULL)
    return NULL;
  snprintf (path, sizeof path, "%s/cgroup.controllers", dirs[0]);
  return access (path, F_OK) == 0 ? dirs[0] : NULL;
}

pid_t
cgroup_fork_into (char *const *dirs)
{
  const char *dir = single_v2_dir (dirs);
  struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
  cleanup_close int fd = -1;
  long pid;

  if (dir == NULL || (fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    return fork ();
  args.cgroup = (uint64_t) fd;
  pid = syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL || errno == EOPNOTSUPP))
    return fork ();
  if (pid > 0)
    estiba_debug ("clone3 CLONE_INTO_CGROUP: %ld born in %s", pid, dir);
  return (pid_t) pid;
}

int
cgroup_enter (char *const *dirs, pid_t pid, estiba_error_t *err)
{
  char value[32];
  size_t i;

  snprintf (value, sizeof value, "%d", (int) pid);
  for (i = 0; dirs && dirs[i]; i++)
    {
      cleanup_free char *procs = NULL;
      if (asprintf (&procs, "%s/cgroup.procs", dirs[i]) < 0)
        return estiba_error_errno (err, "asprintf");
      if (write_small (procs, value, err) < 0)
        return -1;
    }
  return 0;
}

int
cgroup_pids (char *const *dirs, pid_t **pids_out, size_t *n_out, estiba_error_t *err)
{
  size_t i;

  *pids_out = NULL;
  *n_out = 0;
  for (i = 0; dirs && dirs[i]; i++)
    {
      cleanup_free char *procs = NULL;
      cleanup_fclose FILE *f = NULL;
      pid_t *pids = NULL;
      size_t n = 0;
      long v;

      if (asprintf (&procs, "%s/cgroup.procs", dirs[i]) < 0)
        return estiba_error_errno (err, "asprintf");
      f = fopen (procs, "re");
      if (f == NULL)
        continue;
      while (fscanf (f, "%ld", &v) == 1)
        {
          pid_t *np = realloc (pids, (n + 1) * sizeof (pid_t));
          if (np == NULL)
            {
              free (pids);
              return estiba_error_errno (err, "malloc");
            }
          pids = np;
          pids[n++] = (pid_t) v;
        }
      if (n > 0)
        {
          *pids_out = pids;
          *n_out = n;
          return 0;
        }
      free (pids);
    }
  return 0;
}

int
cgroup_kill (char *const *dirs, estiba_error_t *err)
{
  size_t i;

  for (i = 0; dirs && dirs[i]; i++)
    {
      cleanup_free char *path = NULL;
      if (asprintf (&path, "%s/cgroup.kill", dirs[i]) < 0)
        return estiba_error_errno (err, "asprintf");
      if (access (path, F_OK) < 0)
        continue;
      if (write_small (path, "1", err) < 0)
        return -1;
      return 1;
    }
  return 0;
}

int
cgroup_destroy (char *const *dirs, estiba_error_t *err)
{
  size_t i;
  int ret = 0;

  for (i = 0; dirs && dirs[i]; i++)
    {
      bool removed = false;
      int tries, saved = 0;
      for (tries = 0; tries < 200 && !removed; tries++)
        {
          struct timespec ts = { 0, 10 * 1000 * 1000 };
          if (rmdir (dirs[i]) == 0 || errno == ENOENT)
            removed = true;
          else if ((saved = errno) != EBUSY)
            break;
          else
            nanosleep (&ts, NULL);
        }
      if (!removed)
        ret = estiba_error (err, saved, "remove cgroup '%s'", dirs[i]);
    }
  return ret;
}
