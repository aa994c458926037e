#include <config.h>
#include "fsutil.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

int
fs_mkdir_p (const char *path, mode_t mode, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  char *p;

  if (copy == NULL)
    return estiba_error (err, ENOMEM, "mkdir `%s`", path);
  for (p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return estiba_error_errno (err, "create directory `%s`", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return estiba_error_errno (err, "create directory `%s`", copy);
  return 0;
}

int
fs_lock (int dirfd, const char *name, int op, estiba_error_t *err)
{
  int fd = openat (dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    return estiba_error_errno (err, "open lock file `%s`", name);
  while (flock (fd, op) < 0)
    {
      if (errno == EINTR)
        continue;
      close (fd);
      return estiba_error_errno (err, "lock `%s`", name);
    }
  return fd;
}

int
fs_write_all (int fd, const void *data, size_t len)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += n;
      len -= n;
    }
  return 0;
}

void
fs_fsync_dir (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

int
fs_write_file_atomic (int dirfd, const char *name, const void *data, size_t len, estiba_error_t *err)
{
  char tmp[256];
  int fd;

  if (snprintf (tmp, sizeof (tmp), ".%s.tmp-%d", name, (int) getpid ()) >= (int) sizeof (tmp))
    return estiba_error (err, ENAMETOOLONG, "write `%s`", name);
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return estiba_error_errno (err, "write `%s`", name);
  if (fs_write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      int saved = errno;
      close (fd);
      unlinkat (dirfd, tmp, 0);
      return estiba_error (err, saved, "write `%s`", name);
    }
  close (fd);
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return estiba_error (err, saved, "replace `%s`", name);
    }
  fs_fsync_dir (dirfd, ".");
  return 0;
}

static int
remove_dir_contents (int fd, const char *name, estiba_error_t *err)
{
  cleanup_closedir DIR *dir = fdopendir (fd);
  struct dirent *de;

  if (dir == NULL)
    {
      close (fd);
      return estiba_error_errno (err, "open `%s`", name);
    }
  while ((de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fs_remove_tree_at (dirfd (dir), de->d_name, err) < 0)
        return -1;
    }
  return 0;
}

int
fs_remove_tree_at (int dirfd, const char *name, estiba_error_t *err)
{
  int fd;

  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return estiba_error_errno (err, "remove `%s`", name);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "remove `%s`", name);
  /* A directory without write/search permission for its owner (chmod 0 in
   * an image) still has to go.  */
  fchmod (fd, 0700);
  if (remove_dir_contents (fd, name, err) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return estiba_error_errno (err, "remove `%s`", name);
  return 0;
}

int
fs_remove_tree (const char *path, estiba_error_t *err)
{
  return fs_remove_tree_at (AT_FDCWD, path, err);
}

int
fs_read_file (const char *path, size_t max, char **data, size_t *len, estiba_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t got = 0, cap = 0;
  ssize_t n;

  if (fd < 0)
    return estiba_error_errno (err, "open `%s`", path);
  for (;;)
    {
      if (got + 1 >= cap)
        {
          char *grown;
          cap = cap ? cap * 2 : 4096;
          if (cap > max + 2)
            cap = max + 2;
          grown = realloc (buf, cap);
          if (grown == NULL)
            return estiba_error (err, ENOMEM, "read `%s`", path);
          buf = grown;
        }
      n = read (fd, buf + got, cap - got - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return estiba_error_errno (err, "read `%s`", path);
      if (n == 0)
        break;
      got += n;
      if (got > max)
        return estiba_error (err, EFBIG, "read `%s`", path);
    }
  buf[got] = '\0';
  *data = steal_pointer (&buf);
  if (len)
    *len = got;
  return 0;
}

int
fs_open_in_root (int dirfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };

  return (int) syscall (SYS_openat2, dirfd, path, &how, sizeof (how));
}
