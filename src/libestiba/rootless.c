/* Rootless containers: see rootless.h.  */
#include <config.h>
#include "rootless.h"
#include "cleanup.h"
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

bool
rootless_euid (void)
{
  return geteuid () != 0;
}

static int
write_file (const char *path, const char *data, estiba_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (data);

  if (fd < 0)
    return estiba_error_errno (err, "open '%s'", path);
  if (write (fd, data, len) != (ssize_t) len)
    return estiba_error_errno (err, "write '%s' to '%s'", data, path);
  return 0;
}

/* One id of the caller mapped once: what the kernel lets anyone write.  */
static bool
is_own_single_id (const struct oci_id_mapping *m, size_t n, unsigned int own)
{
  return n == 1 && m[0].size == 1 && m[0].host_id == own;
}

static int
write_own_map (pid_t pid, const char *file, const struct oci_id_mapping *m, estiba_error_t *err)
{
  char path[64], line[64];

  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  snprintf (line, sizeof line, "%u %u 1\n", m->container_id, m->host_id);
  return write_file (path, line, err);
}

/* newuidmap PID CONTAINER-ID HOST-ID SIZE...  */
static int
run_map_helper (const char *helper, pid_t pid, const struct oci_id_mapping *m, size_t n, const char *field,
                estiba_error_t *err)
{
  cleanup_free char **argv = calloc (3 * n + 3, sizeof (char *));
  char buf[3 * 16 * 8 + 16];
  size_t i, used = 0;
  int status;
  pid_t child;

  if (argv == NULL)
    return estiba_error_errno (err, "calloc");
  if (n > 8)
    return estiba_error (err, 0, "linux.%s: at most 8 ranges for %s", field, helper);
  argv[0] = (char *) helper;
  argv[1] = buf;
  used = (size_t) snprintf (buf, sizeof buf, "%d", (int) pid) + 1;
  for (i = 0; i < n; i++)
    {
      unsigned int v[3] = { m[i].container_id, m[i].host_id, m[i].size };
      for (int k = 0; k < 3; k++)
        {
          argv[2 + 3 * i + k] = buf + used;
          used += (size_t) snprintf (buf + used, sizeof buf - used, "%u", v[k]) + 1;
        }
    }
  child = fork ();
  if (child < 0)
    return estiba_error_errno (err, "fork %s", helper);
  if (child == 0)
    {
      execvp (helper, argv);
      fprintf (stderr, "estiba: %s: %s (install the uidmap package)\n", helper, strerror (errno));
      _exit (127);
    }
  if (waitpid (child, &status, 0) < 0)
    return estiba_error_errno (err, "wait for %s", helper);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return estiba_error (err, 0, "linux.%s: %s failed (are the ranges in /etc/sub%cid for this user?)", field,
                         helper, field[0]);
  return 0;
}

int
rootless_write_id_maps (pid_t pid, const struct oci_linux *l, estiba_error_t *err)
{
  char path[64];

  if (!rootless_euid ())
    return namespaces_write_id_maps (pid, l, err);
  if (is_own_single_id (l->uid_mappings, l->uid_mappings_len, geteuid ()))
    {
      if (write_own_map (pid, "uid_map", l->uid_mappings, err) < 0)
        return estiba_error_wrap (err, "linux.uidMappings");
    }
  else if (run_map_helper ("newuidmap", pid, l->uid_mappings, l->uid_mappings_len, "uidMappings", err) < 0)
    return -1;
  if (is_own_single_id (l->gid_mappings, l->gid_mappings_len, getegid ()))
    {
      /* The kernel lets an unprivileged process write a gid map only
       * once setgroups(2) is denied in the namespace.  */
      snprintf (path, sizeof path, "/proc/%d/setgroups", (int) pid);
      if (write_file (path, "deny", err) < 0 || write_own_map (pid, "gid_map", l->gid_mappings, err) < 0)
        return estiba_error_wrap (err, "linux.gidMappings");
      return 0;
    }
  return run_map_helper ("newgidmap", pid, l->gid_mappings, l->gid_mappings_len, "gidMappings", err);
}

bool
rootless_setgroups_allowed (void)
{
  char buf[16] = "";
  cleanup_close int fd = open ("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

  if (fd >= 0 && read (fd, buf, sizeof buf - 1) < 0)
    buf[0] = '\0';
  return strncmp (buf, "deny", 4) != 0;
}
