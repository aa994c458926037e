/* TAP tests for cloned_binary.c: the test protects itself the way estiba
 * does (moved onto a sealed memfd copy without a re-exec, or re-executed
 * from it), then checks what a container would see at /proc/<pid>/exe.  */
#include <config.h>
#include "cloned_binary.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The path of this test on disk, remembered across the re-exec.  */
#define DISK_PATH_ENV "TEST_CLONED_BINARY_DISK_PATH"

static int
guard_mode (int argc, char **argv)
{
  estiba_error_t err = NULL;
  char *msg;
  int ret = cloned_binary_ensure (argc, argv, environ, &err);

  if (ret >= 0)
    return 1;
  msg = estiba_error_string (err);
  ret = strstr (msg, "did not take effect") ? 42 : 2;
  printf ("# error: %s\n", msg);
  free (msg);
  estiba_error_release (&err);
  return ret;
}

/* Without CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE PR_SET_MM_MAP is not
 * allowed: cloned_binary_ensure must fall back to
 * re-executing from a sealed memfd.  Exits 0 when it did.  */
static int
fallback_mode (int argc, char **argv)
{
  struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  estiba_error_t err = NULL;
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);

  if (cloned_binary_is_sealed (self))
    return cloned_binary_is_sealed (self) ? 0 : 4;
  if (syscall (SYS_capget, &head, data) < 0)
    return 5;
  data[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
  data[CAP_CHECKPOINT_RESTORE / 32].effective &= ~(1U << (CAP_CHECKPOINT_RESTORE % 32));
  if (syscall (SYS_capset, &head, data) < 0)
    return 5;
  cloned_binary_ensure (argc, argv, environ, &err);
  estiba_error_release (&err);
  return 3;
}

static int
run_self (const char *mode, char **extra_env)
{
  int status;
  pid_t pid = fork ();

  if (pid == 0)
    {
      if (extra_env)
        for (; *extra_env; extra_env++)
          putenv (*extra_env);
      execl (getenv (DISK_PATH_ENV), "test-cloned-binary", mode, NULL);
      _exit (127);
    }
  waitpid (pid, &status, 0);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static double
ms_per_run (const char *mode, int runs)
{
  struct timespec a, b;
  int i;

  clock_gettime (CLOCK_MONOTONIC, &a);
  for (i = 0; i < runs; i++)
    if (run_self (mode, NULL) != 0)
      return -1;
  clock_gettime (CLOCK_MONOTONIC, &b);
  return ((double) (b.tv_sec - a.tv_sec) * 1e3 + (double) (b.tv_nsec - a.tv_nsec) / 1e6) / runs;
}

/* Whether /proc/self/maps still maps the file (dev, ino).  */
static bool
maps_file (dev_t dev, ino_t ino)
{
  FILE *f = fopen ("/proc/self/maps", "re");
  char line[4096];
  bool found = false;

  while (f && fgets (line, sizeof line, f))
    {
      unsigned long inode = 0;
      unsigned int major, minor;
      if (sscanf (line, "%*x-%*x %*s %*x %x:%x %lu", &major, &minor, &inode) == 3 && inode == ino
          && makedev (major, minor) == dev)
        found = true;
    }
  if (f)
    fclose (f);
  return found;
}

static void
test_running_protected (int argc, char **argv, const struct stat *disk, int before)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int writable = -1;
  char link[PATH_MAX] = "";
  int status = -1;
  pid_t pid;

  ok (cloned_binary_is_sealed (self), "/proc/self/exe is a memfd sealed SEAL|SHRINK|GROW|WRITE");
  readlink ("/proc/self/exe", link, sizeof (link) - 1);
  ok (strcmp (link, getenv (DISK_PATH_ENV)) != 0, "/proc/self/exe links to %s, not the file on disk", link);
  ok (!maps_file (disk->st_dev, disk->st_ino),
      "no mapping of the file on disk is left (/proc/self/map_files)");
  writable = open ("/proc/self/exe", O_WRONLY | O_CLOEXEC);
  ok (writable < 0 ? (errno == EPERM || errno == ETXTBSY) : (write (writable, "x", 1) < 0 && errno == EPERM),
      "writing to /proc/self/exe fails (%s)", writable < 0 ? strerror (errno) : "open ok, write EPERM");
  ok (before == getpid (), "the same process carries on: no re-exec was needed here");
  ok (getenv (CLONED_BINARY_ENV) == NULL, "no re-exec marker in the environment");
  ok (argc == 1 && strstr (argv[0], "test-cloned-binary") != NULL, "argv is intact (%s)", argv[0]);
  pid = fork ();
  if (pid == 0)
    {
      execl ("/proc/self/exe", "test-cloned-binary", "--noop", NULL);
      _exit (127);
    }
  waitpid (pid, &status, 0);
  ok (WIFEXITED (status) && WEXITSTATUS (status) == 0, "/proc/self/exe still runs (a child exec'd it)");
}

static void
test_make_copy (void)
{
  estiba_error_t err = NULL;
  cleanup_close int src = open ("/bin/true", O_RDONLY | O_CLOEXEC);
  cleanup_close int copy = cloned_binary_make_copy (src, &err);
  struct stat a, b;

  ok_call (copy, &err, "cloned_binary_make_copy of /bin/true");
  ok (fstat (src, &a) == 0 && fstat (copy, &b) == 0 && a.st_size == b.st_size
        && cloned_binary_is_sealed (copy),
      "the copy has the same size and is sealed");
  ok (!cloned_binary_is_sealed (src), "a file on disk does not count as sealed");
}

int
main (int argc, char **argv)
{
  estiba_error_t err = NULL;
  char disk[PATH_MAX] = "";
  char *guard_env[] = { (char *) CLONED_BINARY_ENV "=1", NULL };
  double plain, cloned;
  struct stat on_disk;
  pid_t before;
  int ret;

  if (argc > 1 && strcmp (argv[1], "--noop") == 0)
    return 0;
  if (argc > 1 && strcmp (argv[1], "--guard") == 0)
    return guard_mode (argc, argv);
  if (argc > 1 && strcmp (argv[1], "--fallback") == 0)
    return fallback_mode (argc, argv);
  if (argc > 1 && strcmp (argv[1], "--ensure") == 0)
    return cloned_binary_ensure (argc, argv, environ, &err) < 0 ? 3 : 0;

  if (getenv (DISK_PATH_ENV) == NULL && readlink ("/proc/self/exe", disk, sizeof (disk) - 1) > 0)
    setenv (DISK_PATH_ENV, disk, 1);
  if (stat (getenv (DISK_PATH_ENV), &on_disk) < 0)
    return 1;
  before = getpid ();
  ret = cloned_binary_ensure (argc, argv, environ, &err);
  ok_call (ret, &err, "cloned_binary_ensure");
  test_running_protected (argc, argv, &on_disk, before);
  ret = cloned_binary_ensure (argc, argv, environ, &err);
  ok_call (ret, &err, "a second cloned_binary_ensure returns at once");
  test_make_copy ();
  ok (run_self ("--fallback", NULL) == 0, "without CAP_SYS_ADMIN it re-executes from a sealed memfd instead");
  ok (run_self ("--guard", guard_env) == 42, "a re-exec that did not take is an error, not a loop");

  plain = ms_per_run ("--noop", 20);
  cloned = ms_per_run ("--ensure", 20);
  ok (plain > 0 && cloned > 0, "exec cost: %.2f ms plain, %.2f ms with cloned_binary_ensure (+%.2f ms)",
      plain, cloned, cloned - plain);
  return tap_done ();
}
