#include <config.h>
#include "cloned_binary.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

bool
cloned_binary_is_sealed (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);

  return seals >= 0 && (seals & CLONED_BINARY_SEALS) == CLONED_BINARY_SEALS;
}

static int
create_memfd (estiba_error_t *err)
{
  /* MFD_EXEC states the intent on kernels with vm.memfd_noexec (6.3+);
   * older kernels reject the unknown flag.  */
  int fd = memfd_create ("estiba", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("estiba", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return estiba_error_errno (err, "memfd_create for the estiba binary copy");
  return fd;
}

static int
copy_contents (int from, int to, estiba_error_t *err)
{
  struct stat st;
  off_t done = 0;

  if (fstat (from, &st) < 0)
    return estiba_error_errno (err, "stat /proc/self/exe");
  if (ftruncate (to, st.st_size) < 0)
    return estiba_error_errno (err, "size the estiba binary copy");
  while (done < st.st_size)
    {
      ssize_t n = sendfile (to, from, &done, (size_t) (st.st_size - done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return estiba_error_errno (err, "copy /proc/self/exe");
      if (n == 0)
        return estiba_error (err, EIO, "copy /proc/self/exe: file shrank while copying");
    }
  return 0;
}

int
cloned_binary_make_copy (int fd, estiba_error_t *err)
{
  cleanup_close int copy = create_memfd (err);

  if (copy < 0)
    return -1;
  if (copy_contents (fd, copy, err) < 0)
    return -1;
  if (fcntl (copy, F_ADD_SEALS, CLONED_BINARY_SEALS) < 0)
    return estiba_error_errno (err, "seal the estiba binary copy");
  return steal_fd (&copy);
}

/* envp plus the marker, for the re-exec.  */
static char **
env_with_marker (char **envp)
{
  size_t n = 0;
  char **env;

  while (envp[n])
    n++;
  env = malloc ((n + 2) * sizeof (char *));
  if (env == NULL)
    return NULL;
  memcpy (env, envp, n * sizeof (char *));
  env[n] = (char *) CLONED_BINARY_ENV "=1";
  env[n + 1] = NULL;
  return env;
}

int
cloned_binary_ensure (int argc, char **argv, char **envp, estiba_error_t *err)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int copy = -1;
  cleanup_free char **env = NULL;

  (void) argc;
  if (envp == NULL)
    envp = environ;
  if (self < 0)
    return estiba_error_errno (err, "open /proc/self/exe");
  if (cloned_binary_is_sealed (self))
    {
      unsetenv (CLONED_BINARY_ENV);
      return 0;
    }
  /* We were re-executed from a sealed copy and yet are not running from
   * one: stop rather than loop.  */
  if (getenv (CLONED_BINARY_ENV))
    return estiba_error (err, 0, "re-executing from a sealed copy of the estiba binary did not take effect");
  copy = cloned_binary_make_copy (self, err);
  if (copy < 0)
    return -1;
  env = env_with_marker (envp);
  if (env == NULL)
    return estiba_error_errno (err, "allocate the environment for the re-exec");
  syscall (SYS_execveat, copy, "", argv, env, AT_EMPTY_PATH);
  return estiba_error_errno (err, "re-execute from the sealed copy of the estiba binary");
}
