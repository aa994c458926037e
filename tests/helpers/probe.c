/* probe: copied into test root filesystems to report, from inside a
 * container, what the process sees.  One `key=value` per line (or a file's
 * raw contents).  Static, no dependencies: the test rootfs has no libc.
 * `probe help` lists the subcommands.  */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static int
die (const char *what)
{
  fprintf (stderr, "probe: %s: %s\n", what, strerror (errno));
  return 1;
}

static int
usage_error (const char *msg)
{
  fprintf (stderr, "probe: %s (try: probe help)\n", msg);
  return 2;
}

/* Copies a file to stdout unchanged.  */
static int
cat_file (const char *path)
{
  char buf[8192];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return die (path);
  while ((n = read (fd, buf, sizeof buf)) > 0)
    fwrite (buf, 1, (size_t) n, stdout);
  close (fd);
  return n < 0 ? die (path) : 0;
}

/* Prints the /proc/self/status lines whose key is in KEYS as key=value.  */
static int
print_status_keys (const char *const *keys)
{
  char line[4096];
  FILE *f = fopen ("/proc/self/status", "re");
  if (f == NULL)
    return die ("/proc/self/status");
  while (fgets (line, sizeof line, f))
    {
      char *colon = strchr (line, ':');
      if (colon == NULL)
        continue;
      *colon = '\0';
      for (const char *const *k = keys; *k; k++)
        if (strcmp (line, *k) == 0)
          {
            char *value = colon + 1;
            value += strspn (value, " \t");
            printf ("%s=%s", line, value);
          }
    }
  fclose (f);
  return 0;
}

static int
cmd_ids (int argc, char **argv)
{
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  gid_t groups[NGROUPS_MAX];
  int n = getgroups (NGROUPS_MAX, groups);
  mode_t mask = umask (0);

  umask (mask);
  if (n < 0 || getresuid (&ruid, &euid, &suid) < 0 || getresgid (&rgid, &egid, &sgid) < 0)
    return die ("ids");
  printf ("uid=%u\ngid=%u\neuid=%u\negid=%u\nsuid=%u\nsgid=%u\n", ruid, rgid, euid, egid, suid, sgid);
  printf ("groups=");
  for (int i = 0; i < n; i++)
    printf ("%s%u", i ? "," : "", groups[i]);
  printf ("\numask=%04o\n", (unsigned) mask);
  return 0;
}

static int
cmd_caps (int argc, char **argv)
{
  static const char *const keys[] = { "CapInh",     "CapPrm",  "CapEff",          "CapBnd", "CapAmb",
                                      "NoNewPrivs", "Seccomp", "Seccomp_filters", NULL };
  return print_status_keys (keys);
}

static int
cmd_mounts (int argc, char **argv)
{
  return cat_file ("/proc/self/mountinfo");
}

static int
cmd_cgroup (int argc, char **argv)
{
  return cat_file ("/proc/self/cgroup");
}

static int
cmd_env (int argc, char **argv)
{
  for (char **e = environ; *e; e++)
    printf ("%s\n", *e);
  return 0;
}

static int
cmd_limits (int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int resource;
  } limits[] = {
    { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
  };
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
    {
      struct rlimit rl;
      if (getrlimit (limits[i].resource, &rl) < 0)
        return die (limits[i].name);
      printf ("%s=", limits[i].name);
      if (rl.rlim_cur == RLIM_INFINITY)
        printf ("unlimited:");
      else
        printf ("%ju:", (uintmax_t) rl.rlim_cur);
      if (rl.rlim_max == RLIM_INFINITY)
        printf ("unlimited\n");
      else
        printf ("%ju\n", (uintmax_t) rl.rlim_max);
    }
  return 0;
}

static int
cmd_ns (int argc, char **argv)
{
  struct dirent *de;
  DIR *d = opendir ("/proc/self/ns");
  if (d == NULL)
    return die ("/proc/self/ns");
  while ((de = readdir (d)))
    {
      struct stat st;
      if (de->d_name[0] == '.')
        continue;
      if (fstatat (dirfd (d), de->d_name, &st, 0) < 0)
        printf ("%s=error:%s\n", de->d_name, strerrorname_np (errno));
      else
        printf ("%s=%ju\n", de->d_name, (uintmax_t) st.st_ino);
    }
  closedir (d);
  return 0;
}

static int
cmd_fds (int argc, char **argv)
{
  struct dirent *de;
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return die ("/proc/self/fd");
  while ((de = readdir (d)))
    {
      char target[PATH_MAX];
      ssize_t n;
      if (de->d_name[0] == '.' || atoi (de->d_name) == dirfd (d))
        continue;
      n = readlinkat (dirfd (d), de->d_name, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      printf ("%s=%s\n", de->d_name, target);
    }
  closedir (d);
  return 0;
}

static int
cmd_cwd (int argc, char **argv)
{
  char cwd[PATH_MAX];
  if (getcwd (cwd, sizeof cwd) == NULL)
    return die ("getcwd");
  printf ("cwd=%s\n", cwd);
  return 0;
}

static int
cmd_hostname (int argc, char **argv)
{
  struct utsname u;
  if (uname (&u) < 0)
    return die ("uname");
  printf ("hostname=%s\ndomainname=%s\n", u.nodename, u.domainname);
  return 0;
}

static int
cmd_oom (int argc, char **argv)
{
  printf ("oom_score_adj=");
  fflush (stdout);
  return cat_file ("/proc/self/oom_score_adj");
}

static int
cmd_personality (int argc, char **argv)
{
  int p = personality (0xffffffff);
  if (p < 0)
    return die ("personality");
  printf ("personality=0x%x\n", (unsigned) p);
  printf ("domain=%s\n", (p & PER_MASK) == PER_LINUX32 ? "LINUX32"
                         : (p & PER_MASK) == PER_LINUX ? "LINUX"
                                                       : "other");
  return 0;
}

/* glibc has no wrapper for sched_getattr.  */
struct probe_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

static const char *
sched_policy_name (unsigned policy)
{
  static const char *const names[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
                                       "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE" };
  return policy < sizeof names / sizeof names[0] ? names[policy] : "unknown";
}

static int
cmd_sched (int argc, char **argv)
{
  struct probe_sched_attr attr = { .size = sizeof attr };
  if (syscall (SYS_sched_getattr, 0, &attr, sizeof attr, 0) < 0)
    return die ("sched_getattr");
  printf ("policy=%s\nflags=0x%" PRIx64 "\nnice=%d\npriority=%u\n", sched_policy_name (attr.sched_policy),
          attr.sched_flags, attr.sched_nice, attr.sched_priority);
  printf ("runtime=%" PRIu64 "\ndeadline=%" PRIu64 "\nperiod=%" PRIu64 "\n", attr.sched_runtime,
          attr.sched_deadline, attr.sched_period);
  errno = 0;
  printf ("getpriority=%d\n", getpriority (PRIO_PROCESS, 0));
  return 0;
}

static int
cmd_ioprio (int argc, char **argv)
{
  static const char *const classes[] = { "IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                         "IOPRIO_CLASS_IDLE" };
  long v = syscall (SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
  if (v < 0)
    return die ("ioprio_get");
  unsigned cls = (unsigned) v >> 13;
  printf ("class=%s\npriority=%ld\n", cls < 4 ? classes[cls] : "unknown", v & 0xff);
  return 0;
}

static int
cmd_affinity (int argc, char **argv)
{
  static const char *const keys[] = { "Cpus_allowed_list", "Mems_allowed_list", NULL };
  cpu_set_t set;
  int first = 1;
  if (sched_getaffinity (0, sizeof set, &set) < 0)
    return die ("sched_getaffinity");
  printf ("cpus=");
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
    if (CPU_ISSET (cpu, &set))
      {
        int last = cpu;
        while (last + 1 < CPU_SETSIZE && CPU_ISSET (last + 1, &set))
          last++;
        printf (last > cpu ? "%s%d-%d" : "%s%d", first ? "" : ",", cpu, last);
        first = 0;
        cpu = last;
      }
  printf ("\n");
  return print_status_keys (keys);
}

static int
cmd_sysctl (int argc, char **argv)
{
  char path[PATH_MAX] = "/proc/sys/";
  if (argc < 1)
    return usage_error ("sysctl needs a NAME (kernel.domainname or kernel/domainname)");
  for (int i = 0; i < argc; i++)
    {
      size_t base = strlen ("/proc/sys/");
      snprintf (path + base, sizeof path - base, "%s", argv[i]);
      for (char *c = path + base; *c; c++)
        if (*c == '.')
          *c = '/';
      printf ("%s=", argv[i]);
      fflush (stdout);
      if (cat_file (path) != 0)
        return 1;
    }
  return 0;
}

static const char *
file_type_name (mode_t mode)
{
  switch (mode & S_IFMT)
    {
      case S_IFREG:
        return "file";
      case S_IFDIR:
        return "directory";
      case S_IFLNK:
        return "symlink";
      case S_IFCHR:
        return "char";
      case S_IFBLK:
        return "block";
      case S_IFIFO:
        return "fifo";
      case S_IFSOCK:
        return "socket";
      default:
        return "unknown";
    }
}

static int
cmd_stat (int argc, char **argv)
{
  struct stat st;
  if (argc < 1)
    return usage_error ("stat needs a PATH");
  if (lstat (argv[0], &st) < 0)
    {
      printf ("error=%s\n", strerrorname_np (errno));
      return 1;
    }
  printf ("type=%s\nmode=%04o\nuid=%u\ngid=%u\nmajor=%u\nminor=%u\nsize=%jd\nino=%ju\n",
          file_type_name (st.st_mode), (unsigned) (st.st_mode & 07777), st.st_uid, st.st_gid,
          major (st.st_rdev), minor (st.st_rdev), (intmax_t) st.st_size, (uintmax_t) st.st_ino);
  return 0;
}

static int
cmd_pid (int argc, char **argv)
{
  char *tty = ttyname (STDIN_FILENO);
  printf ("pid=%d\nppid=%d\nsid=%d\npgid=%d\ntty=%s\n", getpid (), getppid (), getsid (0), getpgid (0),
          tty ? tty : "none");
  return 0;
}

static int
cmd_tty (int argc, char **argv)
{
  struct winsize ws;
  for (int fd = 0; fd <= 2; fd++)
    {
      char *name = ttyname (fd);
      printf ("fd%d=%s\n", fd, isatty (fd) ? (name ? name : "tty") : "notty");
    }
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    printf ("rows=%u\ncols=%u\n", ws.ws_row, ws.ws_col);
  printf ("ctty_pgrp=%d\n", tcgetpgrp (STDIN_FILENO));
  return 0;
}

/* Without an active LSM the file cannot be read: print "none".  */
static int
cmd_label (int argc, char **argv)
{
  char label[4096] = "";
  ssize_t n = -1;
  int fd = open ("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      n = read (fd, label, sizeof label - 1);
      close (fd);
    }
  label[n > 0 ? n : 0] = '\0';
  label[strcspn (label, "\n")] = '\0';
  printf ("label=%s\n", n > 0 ? label : "none");
  return 0;
}

/* Syscalls with harmless arguments (bad pointers, invalid flags), so the
 * answer tells whether a seccomp filter or a missing capability stopped
 * them: 0 or the kernel's own errno means the call got through.  */
static const struct
{
  const char *name;
  long nr;
  long args[4];
} syscalls[] = {
  { "getpid", SYS_getpid, { 0 } },
  { "getcwd", SYS_getcwd, { 1, 1 } },
  { "uname", SYS_uname, { 1 } },
  { "mkdir", SYS_mkdir, { 1, 0 } },
  { "mkdirat", SYS_mkdirat, { AT_FDCWD, 1, 0 } },
  { "unlink", SYS_unlink, { 1 } },
  { "chmod", SYS_chmod, { 1, 0 } },
  { "chown", SYS_chown, { 1, 0, 0 } },
  { "mknod", SYS_mknod, { 1, 0, 0 } },
  { "mount", SYS_mount, { 1, 1, 1, 0 } },
  { "umount2", SYS_umount2, { 1, 0 } },
  { "pivot_root", SYS_pivot_root, { 1, 1 } },
  { "chroot", SYS_chroot, { 1 } },
  { "unshare", SYS_unshare, { -1 } },
  { "setns", SYS_setns, { -1, 0 } },
  { "ptrace", SYS_ptrace, { -1, 0 } },
  { "personality", SYS_personality, { 0xffffffff } },
  { "keyctl", SYS_keyctl, { -1 } },
  { "add_key", SYS_add_key, { 1, 1, 0, 0 } },
  { "request_key", SYS_request_key, { 1, 1, 0, 0 } },
  { "bpf", SYS_bpf, { -1, 0, 0 } },
  { "perf_event_open", SYS_perf_event_open, { 1, 0, -1, -1 } },
  { "userfaultfd", SYS_userfaultfd, { -1 } },
  { "reboot", SYS_reboot, { 0, 0, 0, 0 } },
  { "swapon", SYS_swapon, { 1, 0 } },
  { "swapoff", SYS_swapoff, { 1 } },
  { "kexec_load", SYS_kexec_load, { 0, 0, 0, -1 } },
  { "init_module", SYS_init_module, { 1, 0, 1 } },
  { "finit_module", SYS_finit_module, { -1, 1, 0 } },
  { "delete_module", SYS_delete_module, { 1, 0 } },
  { "acct", SYS_acct, { 1 } },
  { "settimeofday", SYS_settimeofday, { 1, 1 } },
  { "clock_settime", SYS_clock_settime, { -1, 1 } },
  { "adjtimex", SYS_adjtimex, { 1 } },
  { "sethostname", SYS_sethostname, { 1, -1 } },
  { "setdomainname", SYS_setdomainname, { 1, -1 } },
  { "syslog", SYS_syslog, { -1, 0, 0 } },
  { "iopl", SYS_iopl, { 4 } },
  { "ioperm", SYS_ioperm, { 0, 0, 0 } },
  { "open_by_handle_at", SYS_open_by_handle_at, { -1, 1, 0 } },
  { "name_to_handle_at", SYS_name_to_handle_at, { -1, 1, 1, 1 } },
  { "quotactl", SYS_quotactl, { 0, 1, 0, 1 } },
  { "socket", SYS_socket, { -1, 0, 0 } },
  { "setpriority", SYS_setpriority, { -1, 0, 0 } },
  { "sched_setscheduler", SYS_sched_setscheduler, { 0, -1, 1 } },
  { "move_mount", SYS_move_mount, { -1, 1, -1, 1 } },
  { "open_tree", SYS_open_tree, { -1, 1, -1 } },
  { "fsopen", SYS_fsopen, { 1, 0 } },
  { "pidfd_open", SYS_pidfd_open, { 0, -1 } },
  { "process_vm_readv", SYS_process_vm_readv, { 0, 1, 1, 1 } },
  { "lookup_dcookie", SYS_lookup_dcookie, { 0, 1, 0 } },
  { "mbind", SYS_mbind, { 0, 0, -1, 0 } },
  { "set_mempolicy", SYS_set_mempolicy, { -1, 0, 0 } },
};

static int
cmd_syscall (int argc, char **argv)
{
  if (argc < 1)
    return usage_error ("syscall needs one or more NAMEs");
  for (int i = 0; i < argc; i++)
    {
      size_t k;
      for (k = 0; k < sizeof syscalls / sizeof syscalls[0]; k++)
        if (strcmp (argv[i], syscalls[k].name) == 0)
          break;
      if (k == sizeof syscalls / sizeof syscalls[0])
        return usage_error ("unknown syscall name (see the table in probe.c)");
      errno = 0;
      long r = syscall (syscalls[k].nr, syscalls[k].args[0], syscalls[k].args[1], syscalls[k].args[2],
                        syscalls[k].args[3]);
      printf ("%s=%s\n", argv[i], r < 0 ? strerrorname_np (errno) : "0");
    }
  return 0;
}

static int
cmd_sleep (int argc, char **argv)
{
  if (argc < 1)
    return usage_error ("sleep needs SECONDS");
  printf ("ready\n");
  fflush (stdout);
  sleep ((unsigned) atoi (argv[0]));
  return 0;
}

static int
cmd_exit (int argc, char **argv)
{
  if (argc < 1)
    return usage_error ("exit needs a STATUS");
  return atoi (argv[0]);
}

static void
ignore_signal (int sig)
{
  (void) sig;
}

/* Prints each signal it receives; exits 0 after SIGTERM or after COUNT signals.
 * A handler is installed because PID 1 of a namespace drops default-action
 * signals sent from inside it.  */
static int
cmd_signal_wait (int argc, char **argv)
{
  int count = argc > 0 ? atoi (argv[0]) : 0;
  sigset_t all;
  struct sigaction sa = { .sa_handler = ignore_signal };

  sigfillset (&all);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &sa, NULL);
  sigprocmask (SIG_BLOCK, &all, NULL);
  printf ("ready\n");
  fflush (stdout);
  for (int received = 0;;)
    {
      siginfo_t info;
      int sig = sigwaitinfo (&all, &info);
      if (sig < 0)
        {
          if (errno == EINTR)
            continue;
          return die ("sigwaitinfo");
        }
      printf ("signal=%s\n", sigabbrev_np (sig) ? sigabbrev_np (sig) : "unknown");
      fflush (stdout);
      received++;
      if ((count == 0 && sig == SIGTERM) || (count > 0 && received >= count))
        return 0;
    }
}

static int cmd_help (int argc, char **argv);

static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *help;
} commands[] = {
  { "ids", cmd_ids, "uid gid euid egid suid sgid groups umask" },
  { "caps", cmd_caps, "CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp from /proc/self/status" },
  { "mounts", cmd_mounts, "/proc/self/mountinfo" },
  { "limits", cmd_limits, "RLIMIT_NAME=soft:hard for every rlimit" },
  { "cgroup", cmd_cgroup, "/proc/self/cgroup" },
  { "ns", cmd_ns, "NAME=inode for each /proc/self/ns/*" },
  { "fds", cmd_fds, "FD=readlink target for each open fd" },
  { "env", cmd_env, "the environment" },
  { "cwd", cmd_cwd, "the working directory" },
  { "hostname", cmd_hostname, "hostname and domainname" },
  { "oom", cmd_oom, "oom_score_adj" },
  { "personality", cmd_personality, "the execution domain" },
  { "sched", cmd_sched, "scheduling policy, flags, nice, priority (sched_getattr)" },
  { "ioprio", cmd_ioprio, "I/O priority class and level" },
  { "affinity", cmd_affinity, "allowed CPUs and memory nodes" },
  { "sysctl", cmd_sysctl, "NAME...: values from /proc/sys" },
  { "stat", cmd_stat, "PATH: type mode uid gid major minor size ino (lstat)" },
  { "pid", cmd_pid, "pid ppid sid pgid tty" },
  { "tty", cmd_tty, "which of fds 0-2 are terminals, window size" },
  { "label", cmd_label, "the LSM label (/proc/self/attr/current)" },
  { "syscall", cmd_syscall, "NAME...: try each syscall with harmless arguments, print 0 or the errno name" },
  { "sleep", cmd_sleep, "SECONDS: print ready, then sleep" },
  { "exit", cmd_exit, "STATUS: exit with STATUS" },
  { "signal-wait", cmd_signal_wait,
    "[COUNT]: print ready, then each signal; exit after SIGTERM or COUNT signals" },
  { "help", cmd_help, "this list" },
};

static int
cmd_help (int argc, char **argv)
{
  printf ("usage: probe COMMAND [ARGS...]\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    printf ("  %-12s %s\n", commands[i].name, commands[i].help);
  return 0;
}

int
main (int argc, char **argv)
{
  /* Line buffering: tests wait for "ready" through pipes and files.  */
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc < 2)
    return usage_error ("missing command");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 2, argv + 2);
  return usage_error ("unknown command");
}
