/* tmpcopyup: see tmpcopyup.h.  */
#include <config.h>
#include "tmpcopyup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* Deep enough for any image, shallow enough for the init's stack.  */
#define MAX_DEPTH 128

static int copy_dir (int from, int to, int depth, estiba_error_t *err);

static int
copy_file (int from, int to, const char *name, const struct stat *sb, estiba_error_t *err)
{
  cleanup_close int in = openat (from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int out = -1;
  char buf[65536];
  ssize_t n;

  if (in < 0)
    return estiba_error_errno (err, "tmpcopyup: open '%s'", name);
  out = openat (to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, sb->st_mode & 07777);
  if (out < 0)
    return estiba_error_errno (err, "tmpcopyup: create '%s'", name);
  while ((n = read (in, buf, sizeof buf)) > 0)
    if (write (out, buf, (size_t) n) != n)
      return estiba_error_errno (err, "tmpcopyup: write '%s'", name);
  if (n < 0)
    return estiba_error_errno (err, "tmpcopyup: read '%s'", name);
  return 0;
}

static int
copy_entry (int from, int to, const char *name, int depth, estiba_error_t *err)
{
  struct stat sb;

  if (fstatat (from, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
    return estiba_error_errno (err, "tmpcopyup: stat '%s'", name);
  if (S_ISDIR (sb.st_mode))
    {
      cleanup_close int sub_from = -1, sub_to = -1;
      if (mkdirat (to, name, 0700) < 0)
        return estiba_error_errno (err, "tmpcopyup: mkdir '%s'", name);
      sub_from = openat (from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      sub_to = openat (to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_from < 0 || sub_to < 0)
        return estiba_error_errno (err, "tmpcopyup: open '%s'", name);
      if (copy_dir (sub_from, sub_to, depth + 1, err) < 0)
        return -1;
    }
  else if (S_ISREG (sb.st_mode))
    {
      if (copy_file (from, to, name, &sb, err) < 0)
        return -1;
    }
  else if (S_ISLNK (sb.st_mode))
    {
      char target[PATH_MAX];
      ssize_t len = readlinkat (from, name, target, sizeof target - 1);
      if (len < 0)
        return estiba_error_errno (err, "tmpcopyup: readlink '%s'", name);
      target[len] = '\0';
      if (symlinkat (target, to, name) < 0)
        return estiba_error_errno (err, "tmpcopyup: symlink '%s'", name);
    }
  else if (mknodat (to, name, sb.st_mode, sb.st_rdev) < 0)
    return estiba_error_errno (err, "tmpcopyup: mknod '%s'", name);
  if (fchownat (to, name, sb.st_uid, sb.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return estiba_error_errno (err, "tmpcopyup: chown '%s'", name);
  if (!S_ISLNK (sb.st_mode) && fchmodat (to, name, sb.st_mode & 07777, 0) < 0)
    return estiba_error_errno (err, "tmpcopyup: chmod '%s'", name);
  return 0;
}

static int
copy_dir (int from, int to, int depth, estiba_error_t *err)
{
  int fd;
  DIR *dir;
  struct dirent *de;
  int ret = 0;

  if (depth > MAX_DEPTH)
    return estiba_error (err, ELOOP, "tmpcopyup: directories nested deeper than %d", MAX_DEPTH);
  fd = openat (from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return estiba_error_errno (err, "tmpcopyup: read the directory");
    }
  while (ret == 0 && (errno = 0, de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      ret = copy_entry (from, to, de->d_name, depth, err);
  if (ret == 0 && errno != 0)
    ret = estiba_error_errno (err, "tmpcopyup: read the directory");
  closedir (dir);
  return ret;
}

int
tmpcopyup (int from, int to, estiba_error_t *err)
{
  struct stat sb;

  if (fstat (from, &sb) < 0)
    return estiba_error_errno (err, "tmpcopyup: stat the directory");
  if (copy_dir (from, to, 0, err) < 0)
    return -1;
  if (fchown (to, sb.st_uid, sb.st_gid) < 0 || fchmod (to, sb.st_mode & 07777) < 0)
    return estiba_error_errno (err, "tmpcopyup: set the mode and owner of the tmpfs");
  return 0;
}
