/* The kernel's floor for starting a container: the least a runtime must do.

   floor ROOTFS [CMD...]   (CMD defaults to /bin/true)

   clone() into new pid, net, ipc, uts, mount and cgroup namespaces (the set in the
   benchmark bundle's config.json), make the mount tree private, bind ROOTFS onto itself,
   pivot_root into it, mount /proc, exec CMD and wait for it.  No cgroups, no
   capabilities, no seccomp, no config parsing: anything a runtime does beyond this is
   its own overhead.  Built by bench/run.sh with the system compiler; not part of the
   product.  */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *rootfs;
static char **cmd;
static char *default_cmd[] = { "/bin/true", NULL };

static void
die (const char *what)
{
  fprintf (stderr, "floor: %s: %s\n", what, strerror (errno));
  _exit (127);
}

static int
child (void *arg)
{
  (void) arg;
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    die ("make / private");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    die ("bind rootfs");
  if (chdir (rootfs) < 0)
    die ("chdir rootfs");
  /* pivot_root(".", ".") then detaching the old root: no put_old directory needed.  */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    die ("pivot_root");
  if (umount2 (".", MNT_DETACH) < 0)
    die ("detach old root");
  if (chdir ("/") < 0)
    die ("chdir /");
  if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die ("mount /proc");
  execv (cmd[0], cmd);
  die (cmd[0]);
  return 127;
}

int
main (int argc, char **argv)
{
  static char stack[64 * 1024] __attribute__ ((aligned (16)));
  int flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP;
  int status;
  pid_t pid;

  if (argc < 2)
    {
      fprintf (stderr, "usage: floor ROOTFS [CMD...]\n");
      return 2;
    }
  rootfs = argv[1];
  cmd = argc > 2 ? argv + 2 : default_cmd;
  pid = clone (child, stack + sizeof stack, flags | SIGCHLD, NULL);
  if (pid < 0)
    die ("clone");
  if (waitpid (pid, &status, 0) < 0)
    die ("waitpid");
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
