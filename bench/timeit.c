/* Time a sequence of runtime commands the way a container engine calls them.

   timeit [-m MNTNS] [-j N] STEP [:: STEP ...]

   A STEP is a command line, or "@wait PIDFILE": wait for the process whose pid is in
   PIDFILE to exit.  timeit is a child subreaper (as containerd-shim and conmon are), so a
   container init left behind by "create" is reparented to it and "@wait" can reap it
   exactly as an engine does, without polling "state".

   -m MNTNS  setns() into this mount namespace (a /proc/PID/ns/mnt path) in each forked
             child before exec.  That lets one long-lived namespace (the one where
             /sys/fs/cgroup/unified is detached) serve every iteration for the price of a
             single syscall instead of an extra unshare+sh per run.
   -j N      run N copies of the sequence at once; "{}" in any argument becomes the copy's
             index, so each copy gets its own container id and pid file.

   The commands' stdout goes to /dev/null; stderr is passed through.
   Prints one line: "WALL_US MAXRSS_KB STATUS CPU_US" -- the wall time from the first fork
   to the last wait, the largest peak RSS of any waited-for descendant (getrusage
   RUSAGE_CHILDREN), the first non-zero exit status (0 if all steps succeeded), and the
   user+system CPU time of all waited-for descendants (less sensitive to a loaded machine
   than wall time; a container init reaped via "@wait" is included, as is /bin/true).

   Built by bench/run.sh with the system compiler; not part of the product.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int mntns_fd = -1;

static void
die (const char *what)
{
  fprintf (stderr, "timeit: %s: %s\n", what, strerror (errno));
  exit (126);
}

static char *
substitute (const char *arg, int index)
{
  const char *hole = strstr (arg, "{}");
  char *out;

  if (hole == NULL)
    return (char *) arg;
  if (asprintf (&out, "%.*s%d%s", (int) (hole - arg), arg, index, hole + 2) < 0)
    die ("asprintf");
  return out;
}

static int
status_code (int status)
{
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static int
wait_pid_file (const char *path)
{
  char buf[32] = "";
  int status, fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, buf, sizeof buf - 1) <= 0)
    die (path);
  close (fd);
  if (waitpid (atoi (buf), &status, 0) < 0)
    die ("waitpid container init (is it our child? timeit must be its subreaper)");
  return status_code (status);
}

static int
run_command (char **argv, int index)
{
  int n = 0, status;
  pid_t pid;

  while (argv[n])
    n++;
  char **args = calloc (n + 1, sizeof *args);
  for (int i = 0; i < n; i++)
    args[i] = substitute (argv[i], index);
  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      int devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
      /* Our stdout carries only the result line; what the command prints (state JSON,
         list tables) is discarded, as an engine would consume it.  */
      if (devnull < 0 || dup2 (devnull, STDOUT_FILENO) < 0)
        die ("/dev/null");
      if (mntns_fd >= 0 && setns (mntns_fd, CLONE_NEWNS) < 0)
        die ("setns");
      execvp (args[0], args);
      die (args[0]);
    }
  if (waitpid (pid, &status, 0) < 0)
    die ("waitpid");
  return status_code (status);
}

/* Runs the steps of argv (separated by "::" entries, already split to NULL) in order.  */
static int
run_sequence (char **steps[], int nsteps, int index)
{
  int first_failure = 0;

  for (int s = 0; s < nsteps; s++)
    {
      int rc;
      if (strcmp (steps[s][0], "@wait") == 0)
        rc = wait_pid_file (substitute (steps[s][1], index));
      else
        rc = run_command (steps[s], index);
      if (rc && !first_failure)
        first_failure = rc;
    }
  return first_failure;
}

int
main (int argc, char **argv)
{
  char **steps[64];
  int nsteps = 0, jobs = 1, opt, rc = 0, status;
  struct timespec t0, t1;
  struct rusage ru;

  while ((opt = getopt (argc, argv, "+m:j:")) != -1)
    switch (opt)
      {
        case 'm':
          mntns_fd = open (optarg, O_RDONLY | O_CLOEXEC);
          if (mntns_fd < 0)
            die (optarg);
          break;
        case 'j':
          jobs = atoi (optarg);
          break;
        default:
          fprintf (stderr, "usage: timeit [-m MNTNS] [-j N] STEP [:: STEP ...]\n");
          return 2;
      }
  if (optind >= argc)
    return 2;
  steps[nsteps++] = argv + optind;
  for (int i = optind; i < argc && nsteps < 64; i++)
    if (strcmp (argv[i], "::") == 0)
      {
        argv[i] = NULL;
        steps[nsteps++] = argv + i + 1;
      }

  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    die ("PR_SET_CHILD_SUBREAPER");
  clock_gettime (CLOCK_MONOTONIC, &t0);
  if (jobs <= 1)
    rc = run_sequence (steps, nsteps, 0);
  else
    {
      for (int j = 0; j < jobs; j++)
        {
          pid_t pid = fork ();
          if (pid < 0)
            die ("fork");
          if (pid == 0)
            {
              prctl (PR_SET_CHILD_SUBREAPER, 1);
              exit (run_sequence (steps, nsteps, j));
            }
        }
    }
  /* Reap the lanes and anything reparented to us (a detached container's leftovers are
     not waited for: WNOHANG once the direct work is done).  */
  for (int j = 0; j < jobs && jobs > 1; j++)
    {
      pid_t pid;
      do
        pid = wait (&status);
      while (pid < 0 && errno == EINTR);
      if (pid > 0 && status_code (status) && !rc)
        rc = status_code (status);
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  while (waitpid (-1, &status, WNOHANG) > 0)
    ;
  getrusage (RUSAGE_CHILDREN, &ru);
  printf ("%ld %ld %d %ld\n", (long) ((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000),
          ru.ru_maxrss, rc,
          (long) ((ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec
                  + ru.ru_stime.tv_usec));
  return 0;
}
