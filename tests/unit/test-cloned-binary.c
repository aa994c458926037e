/* TAP tests for cloned_binary.c: the test re-executes itself from a sealed
 * memfd, then checks what a container would see at /proc/<pid>/exe.  */
#include <config.h>
#include "cloned_binary.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

static void
test_running_sealed (int argc, char **argv)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int writable = -1;
  char link[PATH_MAX] = "";
  int seals = fcntl (self, F_GET_SEALS);

  ok (seals >= 0 && (seals & CLONED_BINARY_SEALS) == CLONED_BINARY_SEALS,
      "/proc/self/exe is a memfd sealed SEAL|SHRINK|GROW|WRITE (seals %#x)", seals);
  readlink ("/proc/self/exe", link, sizeof (link) - 1);
  ok (strncmp (link, "/memfd:", 7) == 0, "/proc/self/exe links to %s", link);
  writable = open ("/proc/self/exe", O_WRONLY | O_CLOEXEC);
  ok (writable < 0 || (write (writable, "x", 1) < 0 && errno == EPERM),
      "writing to /proc/self/exe fails (open: %s)", writable < 0 ? strerror (errno) : "ok, write EPERM");
  ok (ftruncate (self, 0) < 0 && fcntl (self, F_ADD_SEALS, 0) < 0 && errno == EPERM,
      "it can be neither truncated nor unsealed");
  ok (getenv (CLONED_BINARY_ENV) == NULL, "the re-exec marker is gone from the environment");
  ok (argc == 1 && strstr (argv[0], "test-cloned-binary") != NULL, "argv survived the re-exec (%s)", argv[0]);
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
  int ret;

  if (argc > 1 && strcmp (argv[1], "--noop") == 0)
    return 0;
  if (argc > 1 && strcmp (argv[1], "--guard") == 0)
    return guard_mode (argc, argv);
  if (argc > 1 && strcmp (argv[1], "--ensure") == 0)
    return cloned_binary_ensure (argc, argv, environ, &err) < 0 ? 3 : 0;

  if (getenv (DISK_PATH_ENV) == NULL && readlink ("/proc/self/exe", disk, sizeof (disk) - 1) > 0)
    setenv (DISK_PATH_ENV, disk, 1);
  ret = cloned_binary_ensure (argc, argv, environ, &err);
  ok_call (ret, &err, "cloned_binary_ensure");
  test_running_sealed (argc, argv);
  ret = cloned_binary_ensure (argc, argv, environ, &err);
  ok_call (ret, &err, "a second cloned_binary_ensure returns at once");
  test_make_copy ();
  ok (run_self ("--guard", guard_env) == 42, "a re-exec that did not take is an error, not a loop");

  plain = ms_per_run ("--noop", 20);
  cloned = ms_per_run ("--ensure", 20);
  ok (plain > 0 && cloned > 0, "exec cost: %.2f ms plain, %.2f ms with the sealed re-exec (+%.2f ms)", plain,
      cloned, cloned - plain);
  return tap_done ();
}
