/* TAP tests for mkdir_in_root (mounts.c): a mount point created inside the
 * rootfs, whether only its last component is missing (created in its
 * parent) or several are (walked one by one), never outside the rootfs
 * whatever the symlinks in the way say.  */
#include <config.h>
#include "mounts.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

static char root[] = "/tmp/test-mkdir-in-root-XXXXXX";
static char outside[] = "/tmp/test-mkdir-in-root-outside-XXXXXX";

/* rel (inside the rootfs) exists and is of type `type` (S_IFDIR, S_IFREG).  */
static bool
has_type (const char *rel, mode_t type)
{
  char path[4096];
  struct stat st;

  snprintf (path, sizeof path, "%s/%s", root, rel);
  return lstat (path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

static void
make_in_root (int rootfd, const char *path, bool file, const char *desc)
{
  estiba_error_t err = NULL;
  int fd = mkdir_in_root (rootfd, path, file, 0755, &err);

  ok_call (fd, &err, "%s", desc);
  if (fd >= 0)
    close (fd);
}

int
main (void)
{
  cleanup_close int rootfd = -1;
  estiba_error_t err = NULL;
  char link_target[4096], cmd[256];
  int fd;

  if (mkdtemp (root) == NULL || mkdtemp (outside) == NULL)
    return 1;
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 || mkdir (strcat (strcpy (cmd, root), "/etc"), 0755) < 0)
    return 1;

  make_in_root (rootfd, "/etc", false, "an existing directory resolves");
  make_in_root (rootfd, "/etc/one", false, "one missing component is created");
  ok (has_type ("etc/one", S_IFDIR), "etc/one is a directory in the rootfs");
  make_in_root (rootfd, "/a/b/c", false, "several missing components are created");
  ok (has_type ("a/b/c", S_IFDIR), "a/b/c is a directory in the rootfs");
  make_in_root (rootfd, "/etc/hosts", true, "a missing file is created");
  ok (has_type ("etc/hosts", S_IFREG), "etc/hosts is a file in the rootfs");
  make_in_root (rootfd, "/trailing/", false, "a trailing slash is accepted");
  ok (has_type ("trailing", S_IFDIR), "trailing is a directory");

  /* Symlinks resolve as if the rootfs were /: an absolute one to /etc, a
     relative one climbing far above, and one straight at a host path.  */
  if (symlinkat ("/etc", rootfd, "abs") < 0 || symlinkat ("../../../../../../etc", rootfd, "climb") < 0)
    return 1;
  snprintf (link_target, sizeof link_target, "%s", outside);
  if (symlinkat (link_target, rootfd, "host") < 0)
    return 1;
  make_in_root (rootfd, "/abs/via-abs", false, "a mount point under an absolute symlink");
  ok (has_type ("etc/via-abs", S_IFDIR), "it is created in the rootfs's /etc");
  make_in_root (rootfd, "/climb/via-climb", false, "a mount point under a climbing symlink");
  ok (has_type ("etc/via-climb", S_IFDIR), "it is created in the rootfs's /etc, not the host's");
  /* Inside the rootfs that symlink dangles: an error, and the host
     directory it names stays untouched.  */
  fd = mkdir_in_root (rootfd, "/host/x/y", false, 0755, &err);
  ok_fails_with (fd, &err, "in the rootfs",
                 "a mount point under a symlink dangling in the rootfs is refused");
  if (fd >= 0)
    close (fd);
  snprintf (cmd, sizeof cmd, "%s/x", outside);
  ok (access (cmd, F_OK) < 0, "nothing is created in the host directory the symlink names");

  fd = mkdir_in_root (rootfd, "/etc/hosts/sub", false, 0755, &err);
  ok_fails_with (fd, &err, "rootfs", "a component that is a file is an error naming the rootfs");
  if (fd >= 0)
    close (fd);

  snprintf (cmd, sizeof cmd, "rm -rf '%s' '%s'", root, outside);
  if (system (cmd) != 0)
    diag ("cannot remove the test directories");
  return tap_done ();
}
