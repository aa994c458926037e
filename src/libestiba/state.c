/* Container state store: see state.h.  */
#include <config.h>
#include "state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroup_freezer.h"
#include "cleanup.h"

const char *
container_status_name (enum container_status s)
{
  switch (s)
    {
      case CONTAINER_CREATING:
        return "creating";
      case CONTAINER_CREATED:
        return "created";
      case CONTAINER_RUNNING:
        return "running";
      case CONTAINER_PAUSED:
        return "paused";
      case CONTAINER_STOPPED:
      default:
        return "stopped";
    }
}

int
state_validate_id (const char *id, estiba_error_t *err)
{
  const char *p;

  if (id == NULL || *id == '\0')
    return estiba_error (err, 0, "container id cannot be empty");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return estiba_error (err, 0, "invalid container id '%s'", id);
  for (p = id; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
      return estiba_error (err, 0, "invalid container id '%s': only letters, digits and _+-. are allowed",
                           id);
  if (strlen (id) > 1024)
    return estiba_error (err, 0, "invalid container id: longer than 1024 characters");
  return 0;
}

int
state_root_ensure (const char *root, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (root);
  char *p;

  if (copy == NULL)
    return estiba_error_errno (err, "strdup");
  /* mkdir -p, the last component private to root.  */
  for (p = copy + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (copy, 0755) < 0 && errno != EEXIST)
          return estiba_error_errno (err, "create state root '%s'", copy);
        *p = '/';
      }
  if (mkdir (copy, 0700) < 0 && errno != EEXIST)
    return estiba_error_errno (err, "create state root '%s'", root);
  return 0;
}

int
state_dir_reserve (const char *root, const char *id, char **dir, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  int ret;

  ret = state_root_ensure (root, err);
  if (ret < 0)
    return ret;
  if (asprintf (&path, "%s/%s", root, id) < 0)
    return estiba_error_errno (err, "asprintf");
  if (mkdir (path, 0700) < 0)
    {
      if (errno == EEXIST)
        return estiba_error (err, 0, "container '%s' already exists", id);
      return estiba_error_errno (err, "create state directory '%s'", path);
    }
  *dir = steal_pointer (&path);
  return 0;
}

int
state_dir_lookup (const char *root, const char *id, char **dir, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  struct stat sb;
  int ret;

  ret = state_validate_id (id, err);
  if (ret < 0)
    return ret;
  if (asprintf (&path, "%s/%s", root, id) < 0)
    return estiba_error_errno (err, "asprintf");
  if (stat (path, &sb) < 0 || !S_ISDIR (sb.st_mode))
    return estiba_error (err, 0, "container '%s' does not exist", id);
  *dir = steal_pointer (&path);
  return 0;
}

int
state_lock (const char *dir, bool exclusive, int *lock_fd, estiba_error_t *err)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return estiba_error_errno (err, "open state directory '%s'", dir);
  if (TEMP_FAILURE_RETRY (flock (fd, exclusive ? LOCK_EX : LOCK_SH)) < 0)
    return estiba_error_errno (err, "lock state directory '%s'", dir);
  *lock_fd = steal_fd (&fd);
  return 0;
}

int
write_file_atomic (const char *path, const char *content, size_t len, mode_t mode, estiba_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  size_t done = 0;

  if (asprintf (&tmp, "%s.tmp.%d", path, (int) getpid ()) < 0)
    return estiba_error_errno (err, "asprintf");
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return estiba_error_errno (err, "create '%s'", tmp);
  while (done < len)
    {
      ssize_t n = write (fd, content + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          unlink (tmp);
          return estiba_error (err, saved, "write '%s'", tmp);
        }
      done += n;
    }
  /* No fsync: the state (and pid files) describe processes that a reboot
   * ends anyway, and /run is volatile by design.  rename() is what makes
   * the update atomic for concurrent readers and for a runtime that dies
   * half-way.  On an ext4 /run an fsync per write cost ~75 ms a run
   * (docs/performance.md).  */
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return estiba_error (err, saved, "write '%s'", path);
    }
  return 0;
}

char *
rfc3339_now (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  char *out = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (asprintf (&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
    return NULL;
  return out;
}

/* JSON writing helpers over yajl_gen.  */
static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  gen_str (g, k);
  gen_str (g, v ? v : "");
}

static int
gen_finish (yajl_gen g, char **out, estiba_error_t *err)
{
  const unsigned char *buf;
  size_t len;

  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    return estiba_error (err, 0, "generate JSON");
  *out = strndup ((const char *) buf, len);
  if (*out == NULL)
    return estiba_error_errno (err, "strndup");
  return 0;
}

static void
gen_annotations (yajl_gen g, char **annotations)
{
  size_t i;

  yajl_gen_map_open (g);
  for (i = 0; annotations && annotations[i] && annotations[i + 1]; i += 2)
    gen_kv (g, annotations[i], annotations[i + 1]);
  yajl_gen_map_close (g);
}

int
state_write (const char *dir, const struct container_state *st, estiba_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *path = NULL;
  yajl_gen g = yajl_gen_alloc (NULL);
  size_t i;
  int ret;

  if (g == NULL)
    return estiba_error (err, ENOMEM, "yajl_gen_alloc");
  yajl_gen_map_open (g);
  gen_kv (g, "id", st->id);
  gen_kv (g, "bundle", st->bundle);
  gen_kv (g, "rootfs", st->rootfs);
  gen_kv (g, "created", st->created);
  gen_kv (g, "owner", st->owner);
  gen_str (g, "creating");
  yajl_gen_bool (g, st->creating);
  gen_str (g, "pid");
  yajl_gen_integer (g, st->pid);
  gen_str (g, "pid_start");
  yajl_gen_integer (g, (long long) st->pid_start);
  gen_str (g, "cgroup_paths");
  yajl_gen_array_open (g);
  for (i = 0; st->cgroup_paths && st->cgroup_paths[i]; i++)
    gen_str (g, st->cgroup_paths[i]);
  yajl_gen_array_close (g);
  gen_str (g, "annotations");
  gen_annotations (g, st->annotations);
  yajl_gen_map_close (g);
  ret = gen_finish (g, &json, err);
  yajl_gen_free (g);
  if (ret < 0)
    return ret;
  if (asprintf (&path, "%s/%s", dir, STATE_FILE) < 0)
    return estiba_error_errno (err, "asprintf");
  return write_file_atomic (path, json, strlen (json), 0600, err);
}

static char *
tree_str (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  const char *s = v ? YAJL_GET_STRING (v) : NULL;
  return s ? strdup (s) : NULL;
}

static long long
tree_int (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

static char **
tree_strv (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_array);
  char **out;
  size_t i, n = v ? YAJL_GET_ARRAY (v)->len : 0;

  out = calloc (n + 1, sizeof (char *));
  for (i = 0; out && i < n; i++)
    {
      const char *s = YAJL_GET_STRING (YAJL_GET_ARRAY (v)->values[i]);
      out[i] = strdup (s ? s : "");
    }
  return out;
}

static char **
tree_map_flat (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_object);
  char **out;
  size_t i, j = 0, n = v ? YAJL_GET_OBJECT (v)->len : 0;

  out = calloc (2 * n + 1, sizeof (char *));
  for (i = 0; out && i < n; i++)
    {
      yajl_val val = YAJL_GET_OBJECT (v)->values[i];
      out[j++] = strdup (YAJL_GET_OBJECT (v)->keys[i]);
      const char *s = YAJL_GET_STRING (val);
      out[j++] = strdup (s ? s : "");
    }
  return out;
}

static int
read_whole_file (const char *path, char **content, estiba_error_t *err)
{
  cleanup_fclose FILE *f = fopen (path, "re");
  char *buf = NULL;
  size_t len = 0;
  FILE *mem;
  char chunk[8192];
  size_t n;

  if (f == NULL)
    return estiba_error_errno (err, "open '%s'", path);
  mem = open_memstream (&buf, &len);
  if (mem == NULL)
    return estiba_error_errno (err, "open_memstream");
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    fwrite (chunk, 1, n, mem);
  fclose (mem);
  if (ferror (f))
    {
      free (buf);
      return estiba_error_errno (err, "read '%s'", path);
    }
  *content = buf;
  return 0;
}

int
state_read (const char *dir, struct container_state *st, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *content = NULL;
  char errbuf[256];
  yajl_val root;
  const char *creating_path[] = { "creating", NULL };
  int ret;

  memset (st, 0, sizeof (*st));
  if (asprintf (&path, "%s/%s", dir, STATE_FILE) < 0)
    return estiba_error_errno (err, "asprintf");
  ret = read_whole_file (path, &content, err);
  if (ret < 0)
    return ret;
  root = yajl_tree_parse (content, errbuf, sizeof errbuf);
  if (root == NULL)
    return estiba_error (err, 0, "parse '%s': %s", path, errbuf);
  st->id = tree_str (root, "id");
  st->bundle = tree_str (root, "bundle");
  st->rootfs = tree_str (root, "rootfs");
  st->created = tree_str (root, "created");
  st->owner = tree_str (root, "owner");
  st->creating = YAJL_IS_TRUE (yajl_tree_get (root, creating_path, yajl_t_true));
  st->pid = (pid_t) tree_int (root, "pid");
  st->pid_start = (unsigned long long) tree_int (root, "pid_start");
  st->cgroup_paths = tree_strv (root, "cgroup_paths");
  st->annotations = tree_map_flat (root, "annotations");
  yajl_tree_free (root);
  if (st->id == NULL || st->cgroup_paths == NULL || st->annotations == NULL)
    {
      state_release (st);
      return estiba_error (err, 0, "'%s': missing fields", path);
    }
  return 0;
}

void
state_release (struct container_state *st)
{
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  cleanup_strv_fn (&st->cgroup_paths);
  cleanup_strv_fn (&st->annotations);
  memset (st, 0, sizeof (*st));
}

int
proc_start_time (pid_t pid, unsigned long long *start, bool *zombie, estiba_error_t *err)
{
  char path[64], buf[4096];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p, *save = NULL;
  int field;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "open '%s'", path);
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return estiba_error_errno (err, "read '%s'", path);
  buf[n] = '\0';
  /* The command name may hold spaces and parens: fields restart after the
   * last ')'.  Field 3 is the state, field 22 the start time.  */
  p = strrchr (buf, ')');
  if (p == NULL)
    return estiba_error (err, 0, "parse '%s'", path);
  field = 2;
  for (p = strtok_r (p + 1, " ", &save); p; p = strtok_r (NULL, " ", &save))
    {
      field++;
      if (field == 3 && zombie)
        *zombie = (*p == 'Z' || *p == 'X');
      if (field == 22)
        {
          *start = strtoull (p, NULL, 10);
          return 0;
        }
    }
  return estiba_error (err, 0, "parse '%s': no start time", path);
}

enum container_status
state_status (const char *dir, const struct container_state *st)
{
  unsigned long long start = 0;
  bool zombie = false;
  cleanup_free char *sock = NULL;

  if (st->creating)
    return CONTAINER_CREATING;
  if (st->pid <= 0 || proc_start_time (st->pid, &start, &zombie, NULL) < 0 || start != st->pid_start
      || zombie)
    return CONTAINER_STOPPED;
  if (cgroup_is_frozen (st->cgroup_paths))
    return CONTAINER_PAUSED;
  /* The init listens on start.sock until `start` releases it (and
   * removes the socket).  */
  if (asprintf (&sock, "%s/%s", dir, STATE_START_SOCK) >= 0 && access (sock, F_OK) == 0)
    return CONTAINER_CREATED;
  return CONTAINER_RUNNING;
}

int
state_to_json (const struct container_state *st, enum container_status status, bool pretty, char **json,
               estiba_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  int ret;

  if (g == NULL)
    return estiba_error (err, ENOMEM, "yajl_gen_alloc");
  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_map_open (g);
  gen_kv (g, "ociVersion", OCI_RUNTIME_SPEC_VERSION);
  gen_kv (g, "id", st->id);
  gen_kv (g, "status", container_status_name (status));
  gen_str (g, "pid");
  /* runtime-spec: pid is REQUIRED when created or running.  runc prints 0
   * when stopped.  */
  yajl_gen_integer (g, status == CONTAINER_STOPPED ? 0 : st->pid);
  gen_kv (g, "bundle", st->bundle);
  gen_kv (g, "rootfs", st->rootfs);
  gen_kv (g, "created", st->created);
  gen_kv (g, "owner", st->owner);
  if (st->annotations && st->annotations[0])
    {
      gen_str (g, "annotations");
      gen_annotations (g, st->annotations);
    }
  yajl_gen_map_close (g);
  ret = gen_finish (g, json, err);
  yajl_gen_free (g);
  return ret;
}

int
state_dir_remove (const char *dir, estiba_error_t *err)
{
  cleanup_closedir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return estiba_error_errno (err, "open state directory '%s'", dir);
    }
  /* The state dir is flat: only files and sockets we made.  */
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (d), de->d_name, 0) < 0 && errno != ENOENT)
        return estiba_error_errno (err, "remove '%s/%s'", dir, de->d_name);
    }
  if (rmdir (dir) < 0 && errno != ENOENT)
    return estiba_error_errno (err, "remove state directory '%s'", dir);
  return 0;
}
