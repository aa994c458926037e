/* seccomp_filter.c and seccomp_notify.c against the real kernel: every
 * filter is installed in a forked child, which reports what the syscalls
 * it makes afterwards returned.  Run as root.  */
#include <config.h>
#include "leaf-tap.h"
#include "seccomp_filter.h"
#include "seccomp_notify.h"
#include "cleanup.h"
#include "ocispec.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

static char tmpdir[] = "/tmp/test-seccomp.XXXXXX";

/* A config holding only linux.seccomp = json.  */
static struct oci_config *
config_with (const char *json)
{
  cleanup_free char *doc = NULL;
  char *perr = NULL;
  struct oci_config *c;

  if (asprintf (&doc, "{\"ociVersion\":\"1.3.0\",\"linux\":{\"seccomp\":%s}}", json) < 0)
    abort ();
  c = oci_config_parse_data (doc, strlen (doc), "test", &perr);
  if (c == NULL)
    {
      printf ("# parse: %s\n", perr);
      free (perr);
      abort ();
    }
  return c;
}

static struct estiba_seccomp *
compile_ok (const char *json, const char *cache_dir)
{
  struct oci_config *c = config_with (json);
  estiba_error_t err = NULL;
  struct estiba_seccomp *sc = NULL;

  if (seccomp_compile (c->linux_->seccomp, cache_dir, &sc, &err) < 0)
    {
      child_fail (&err, "seccomp_compile");
      sc = NULL;
    }
  oci_config_free (c);
  return sc;
}

static void
compile_fails (const char *json, const char *needle, const char *desc)
{
  struct oci_config *c = config_with (json);
  estiba_error_t err = NULL;
  struct estiba_seccomp *sc = NULL;
  int ret = seccomp_compile (c->linux_->seccomp, NULL, &sc, &err);

  ok_fails_with (ret, &err, needle, "%s", desc);
  seccomp_free (sc);
  oci_config_free (c);
}

/* Under AddressSanitizer the runtime library itself makes syscalls in the
 * filtered child (signal stacks, shadow memory); an allow-list filter must
 * let those through or ASan aborts before the test can look.  */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
#define SANITIZER_SYSCALLS                                                                                   \
  ",\"sigaltstack\",\"mmap\",\"munmap\",\"mprotect\",\"madvise\",\"rt_sigaction\",\"rt_sigprocmask\","       \
  "\"getpid\",\"gettid\",\"tgkill\",\"futex\",\"prctl\",\"sched_yield\",\"openat\",\"read\",\"close\","      \
  "\"readlink\",\"readlinkat\",\"getrlimit\",\"prlimit64\""
#else
#define SANITIZER_SYSCALLS ""
#endif

/* Fork; the child installs sc then runs fn; returns the wait status.  */
static int
run_filtered (const struct estiba_seccomp *sc, int (*fn) (void *), void *arg)
{
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      estiba_error_t err = NULL;
      int notify_fd;

      if (seccomp_install (sc, &notify_fd, &err) < 0)
        _exit (child_fail (&err, "seccomp_install"));
      _exit (fn (arg));
    }
  if (waitpid (pid, &status, 0) < 0)
    return -1;
  return status;
}

static bool
exited_ok (int status)
{
  if (WIFSIGNALED (status))
    printf ("# child killed by signal %d\n", WTERMSIG (status));
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* 0 when the syscall failed with errno want.  */
static int
expect_errno (long ret, int want, const char *what)
{
  if (ret == -1 && errno == want)
    return 0;
  printf ("# %s: returned %ld errno %d (%s), wanted errno %d\n", what, ret, errno, strerror (errno), want);
  return 1;
}

/* ------------------------------------------------------------ actions -- */

static int
mkdir_gives (void *want)
{
  char path[64];

  snprintf (path, sizeof path, "%s/never", tmpdir);
  return expect_errno (mkdir (path, 0700), *(int *) want, "mkdir");
}

static void
test_errno (void)
{
  struct estiba_seccomp *sc;
  int want;

  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                   "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":28}]}",
                   NULL);
  want = ENOSPC;
  ok (sc && exited_ok (run_filtered (sc, mkdir_gives, &want)),
      "SCMP_ACT_ERRNO with errnoRet 28: mkdir fails with ENOSPC");
  seccomp_free (sc);

  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                   "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                   NULL);
  want = EPERM;
  ok (sc && exited_ok (run_filtered (sc, mkdir_gives, &want)), "SCMP_ACT_ERRNO without errnoRet: EPERM");
  seccomp_free (sc);

  /* Unknown names are skipped, the known ones in the same entry kept.  */
  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"no_such_syscall_xyz\","
                   "\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":28}]}",
                   NULL);
  want = ENOSPC;
  ok (sc && exited_ok (run_filtered (sc, mkdir_gives, &want)),
      "unknown syscall name skipped, the others filtered");
  seccomp_free (sc);
}

static int
personality_rules (void *unused)
{
  (void) unused;
  /* 0xffffffff only queries the persona.  */
  if (syscall (SYS_personality, 0xffffffffUL) < 0)
    return expect_errno (-1, 0, "personality(query)");
  if (expect_errno (syscall (SYS_personality, (unsigned long) PER_LINUX32), 77, "personality(PER_LINUX32)"))
    return 1;
  return expect_errno (syscall (SYS_personality, 0x0800UL), 78, "personality(0x0800)");
}

static int
personality_split (void *unused)
{
  (void) unused;
  if (syscall (SYS_personality, 0xffffffffUL) < 0)
    return expect_errno (-1, 0, "personality(query)");
  if (expect_errno (syscall (SYS_personality, 8UL), 77, "personality(8)"))
    return 1;
  return expect_errno (syscall (SYS_personality, 16UL), 77, "personality(16)");
}

static void
test_args (void)
{
  struct estiba_seccomp *sc;

  sc =
    compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77,"
                "\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
                "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":78,"
                "\"args\":[{\"index\":0,\"value\":65280,\"valueTwo\":2048,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
                NULL);
  ok (sc && exited_ok (run_filtered (sc, personality_rules, NULL)),
      "argument rules: EQ and MASKED_EQ (value = mask, valueTwo = datum) match only their values");
  seccomp_free (sc);

  /* Two conditions on one argument: either matches (runc's behaviour).  */
  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                   "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77,"
                   "\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
                   "{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                   NULL);
  ok (sc && exited_ok (run_filtered (sc, personality_split, NULL)),
      "two conditions on the same index become separate rules");
  seccomp_free (sc);
}

static int
call_getppid (void *unused)
{
  (void) unused;
  syscall (SYS_getppid);
  return 0;
}

static volatile sig_atomic_t trapped_nr = -1;

static void
on_sigsys (int sig, siginfo_t *si, void *ctx)
{
  (void) sig;
  (void) ctx;
  trapped_nr = si->si_syscall;
}

static int
trap_getppid (void *unused)
{
  struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

  (void) unused;
  sigaction (SIGSYS, &sa, NULL);
  syscall (SYS_getppid);
  return trapped_nr == SYS_getppid ? 0 : 1;
}

static int
log_getppid (void *unused)
{
  (void) unused;
  return syscall (SYS_getppid) == getppid () ? 0 : 1;
}

static int
trace_untraced (void *unused)
{
  (void) unused;
  return expect_errno (syscall (SYS_getppid), ENOSYS, "getppid");
}

static int
default_errno (void *unused)
{
  (void) unused;
  if (syscall (SYS_getppid) <= 0)
    return 2;
  return expect_errno (syscall (SYS_getuid), ENOSYS, "getuid");
}

static void
test_other_actions (void)
{
  struct estiba_seccomp *sc;
  int status;

  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                   "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
                   NULL);
  status = sc ? run_filtered (sc, call_getppid, NULL) : -1;
  ok (status != -1 && WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS,
      "SCMP_ACT_KILL_PROCESS kills with SIGSYS");
  seccomp_free (sc);

  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                   "\"action\":\"SCMP_ACT_KILL\"}]}",
                   NULL);
  status = sc ? run_filtered (sc, call_getppid, NULL) : -1;
  ok (status != -1 && WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS,
      "SCMP_ACT_KILL kills the (only) thread with SIGSYS");
  seccomp_free (sc);

  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                   "\"action\":\"SCMP_ACT_TRAP\"}]}",
                   NULL);
  ok (sc && exited_ok (run_filtered (sc, trap_getppid, NULL)),
      "SCMP_ACT_TRAP delivers SIGSYS naming the syscall");
  seccomp_free (sc);

  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                   "\"action\":\"SCMP_ACT_LOG\"}]}",
                   NULL);
  ok (sc && exited_ok (run_filtered (sc, log_getppid, NULL)), "SCMP_ACT_LOG allows the call");
  seccomp_free (sc);

  /* No tracer attached: the kernel answers ENOSYS.  */
  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                   "\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":5}]}",
                   NULL);
  ok (sc && exited_ok (run_filtered (sc, trace_untraced, NULL)), "SCMP_ACT_TRACE without a tracer: ENOSYS");
  seccomp_free (sc);

  /* Other architectures next to the native one (which is always there).  */
  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                   "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\",\"SCMP_ARCH_AARCH64\"],\"syscalls\":[{\"names\":["
                   "\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":28}]}",
                   NULL);
  {
    int want = ENOSPC;
    ok (sc && exited_ok (run_filtered (sc, mkdir_gives, &want)),
        "architectures x86_64, x86, x32, aarch64: compiled, and the native rules still apply");
  }
  seccomp_free (sc);

  /* An allow list: only what the child does after the install.  */
  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"syscalls\":[{\"names\":["
                   "\"getppid\",\"write\",\"exit\",\"exit_group\",\"rt_sigreturn\"" SANITIZER_SYSCALLS
                   "],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                   NULL);
  ok (sc && exited_ok (run_filtered (sc, default_errno, NULL)),
      "defaultAction ERRNO with defaultErrnoRet 38 and an allow list: allowed works, getuid gets ENOSYS");
  seccomp_free (sc);
}

/* ---------------------------------------------------------- errors -- */

static void
test_errors (void)
{
  compile_fails (
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"c\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_FOO\"}]}",
    "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"", "unknown action names the field");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
                 "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"", "unknown defaultAction");
  compile_fails (
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_VAX\"]}",
    "linux.seccomp.architectures[1]: unknown or unsupported architecture \"SCMP_ARCH_VAX\"",
    "unknown architecture");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":"
                 "\"SCMP_ACT_ERRNO\","
                 "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_ABOUT\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"",
                 "unknown operator");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":"
                 "\"SCMP_ACT_ERRNO\","
                 "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument",
                 "argument index out of range");
  compile_fails (
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_KILL\","
    "\"errnoRet\":1}]}",
    "linux.seccomp.syscalls[0].errnoRet: action SCMP_ACT_KILL does not take an errno",
    "errnoRet on an action without one fails (spec MUST)");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
                 "linux.seccomp.defaultErrnoRet: action SCMP_ACT_ALLOW does not take an errno",
                 "defaultErrnoRet with defaultAction ALLOW fails");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}",
                 "SCMP_ACT_NOTIFY cannot be the default action", "NOTIFY as defaultAction refused");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":"
                 "\"SCMP_ACT_NOTIFY\"}]}",
                 "linux.seccomp.listenerPath: required", "NOTIFY without listenerPath refused");
  compile_fails (
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"syscalls\":[{\"names\":[\"write\"],"
    "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
    "SCMP_ACT_NOTIFY cannot be used for \"write\"", "NOTIFY on write refused (runc does too)");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"m\"}",
                 "linux.seccomp.listenerMetadata: set without listenerPath",
                 "listenerMetadata without listenerPath");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_"
                 "FILTER_FLAG_BOGUS\"]}",
                 "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"", "unknown flag");
  compile_fails (
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}",
    "linux.seccomp.syscalls[0].names: must contain at least one entry", "empty names");
  compile_fails ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}",
                 "linux.seccomp.defaultErrnoRet: 70000 does not fit", "errno above 16 bits");
}

/* ----------------------------------------------------------- flags -- */

static int
seccomp_mode_is_filter (void *unused)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/status", "re");
  char line[256];

  (void) unused;
  while (f && fgets (line, sizeof line, f))
    if (strcmp (line, "Seccomp:\t2\n") == 0)
      return 0;
  return 1;
}

static void
test_flags (void)
{
  struct estiba_seccomp *sc;

  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
                   "\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
                   "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
                   NULL);
  ok (sc && exited_ok (run_filtered (sc, seccomp_mode_is_filter, NULL)),
      "flags TSYNC, LOG, SPEC_ALLOW: filter loaded (Seccomp: 2)");
  seccomp_free (sc);

  sc = compile_ok (
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}", NULL);
  ok (sc && exited_ok (run_filtered (sc, seccomp_mode_is_filter, NULL)),
      "WAIT_KILLABLE_RECV without a NOTIFY rule is dropped, the filter loads");
  seccomp_free (sc);

  ok (seccomp_kernel_supports_flag ("SECCOMP_FILTER_FLAG_LOG")
        && seccomp_kernel_supports_flag ("SECCOMP_FILTER_FLAG_TSYNC")
        && seccomp_kernel_supports_flag ("SECCOMP_FILTER_FLAG_SPEC_ALLOW")
        && seccomp_kernel_supports_flag ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
        && !seccomp_kernel_supports_flag ("SECCOMP_FILTER_FLAG_BOGUS"),
      "seccomp_kernel_supports_flag: the spec's flags on this kernel, not unknown names");
}

/* ---------------------------------------------------------- notify -- */

static int
send_fd (int sock, int fd)
{
  char c = 'x';
  struct iovec iov = { &c, 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf
  };
  struct cmsghdr *cm = CMSG_FIRSTHDR (&mh);

  memset (u.buf, 0, sizeof u.buf);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof fd);
  return sendmsg (sock, &mh, 0) == 1 ? 0 : -1;
}

/* Receive data (up to len, or until EOF when until_eof) and one fd.  */
static ssize_t
recv_with_fd (int sock, char *buf, size_t len, int *fd, bool until_eof)
{
  size_t got = 0;

  *fd = -1;
  while (got < len)
    {
      union
      {
        char buf[CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
      } u;
      struct iovec iov = { buf + got, len - got };
      struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf
      };
      ssize_t n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
      struct cmsghdr *cm;

      if (n < 0)
        return -1;
      for (cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm))
        if (cm->cmsg_type == SCM_RIGHTS && *fd < 0)
          memcpy (fd, CMSG_DATA (cm), sizeof (int));
      got += n;
      if (n == 0 || !until_eof)
        break;
    }
  return got;
}

static void
test_notify (void)
{
  struct estiba_seccomp *sc;
  int sv[2], status = -1, listener = -1;
  bool received = false;
  pid_t pid;

  sc = compile_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/unused\",\"flags\":["
                   "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
                   "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                   NULL);
  ok (sc && seccomp_uses_notify (sc), "a NOTIFY rule makes a listener filter");
  if (sc == NULL || socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      ok (false, "notification received and answered");
      seccomp_free (sc);
      return;
    }
  pid = fork ();
  if (pid == 0)
    {
      estiba_error_t err = NULL;
      int fd;

      close (sv[0]);
      if (seccomp_install (sc, &fd, &err) < 0)
        _exit (child_fail (&err, "seccomp_install"));
      if (fd < 0 || send_fd (sv[1], fd) < 0)
        _exit (3);
      close (fd);
      /* Answered by the test: 4242 instead of the real parent.  */
      _exit (syscall (SYS_getppid) == 4242 ? 0 : 4);
    }
  close (sv[1]);
  {
    char c;
    struct seccomp_notif *req = NULL;
    struct seccomp_notif_resp *resp = NULL;

    if (recv_with_fd (sv[0], &c, 1, &listener, false) == 1 && listener >= 0
        && seccomp_notify_alloc (&req, &resp) == 0 && seccomp_notify_receive (listener, req) == 0)
      {
        received = req->data.nr == SYS_getppid && (pid_t) req->pid == pid;
        resp->id = req->id;
        resp->val = 4242;
        resp->error = 0;
        resp->flags = 0;
        if (seccomp_notify_respond (listener, resp) != 0)
          received = false;
      }
    seccomp_notify_free (req, resp);
  }
  waitpid (pid, &status, 0);
  ok (received && exited_ok (status),
      "notification for getppid received from the listener fd and answered (4242)");
  if (listener >= 0)
    close (listener);
  close (sv[0]);
  seccomp_free (sc);
}

static void
test_send_listener (void)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  estiba_error_t err = NULL;
  cleanup_close int srv = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int conn = -1, got_fd = -1, sent_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  struct oci_state *state = oci_state_new ();
  struct oci_container_process_state *cps = NULL;
  char buf[8192];
  char *perr = NULL;
  ssize_t n;
  struct stat a, b;
  int ret;

  snprintf (addr.sun_path, sizeof addr.sun_path, "%s/agent.sock", tmpdir);
  if (bind (srv, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (srv, 1) < 0)
    {
      ok (false, "listener socket");
      return;
    }
  state->oci_version = oci_strdup ("1.3.0");
  state->id = oci_strdup ("ctr-1");
  state->status = oci_strdup ("creating");
  state->bundle = oci_strdup ("/b");
  OCI_SET (state, pid, 1234);
  oci_string_map_set (&state->annotations, "k", "v");

  ret = seccomp_send_listener (addr.sun_path, sent_fd, state, "META=1", 1234, &err);
  ok_call (ret, &err, "seccomp_send_listener connects and sends");
  conn = accept4 (srv, NULL, NULL, SOCK_CLOEXEC);
  n = conn < 0 ? -1 : recv_with_fd (conn, buf, sizeof buf - 1, &got_fd, true);
  buf[n > 0 ? n : 0] = '\0';
  printf ("# received: %s\n", buf);
  cps = n > 0 ? oci_container_process_state_parse_data (buf, n, "listener", &perr) : NULL;
  ok (cps && cps->oci_version && strcmp (cps->oci_version, OCI_RUNTIME_SPEC_VERSION) == 0 && cps->fds_len == 1
        && strcmp (cps->fds[0], "seccompFd") == 0 && cps->pid == 1234 && cps->metadata
        && strcmp (cps->metadata, "META=1") == 0 && cps->state && strcmp (cps->state->id, "ctr-1") == 0
        && strcmp (cps->state->status, "creating") == 0
        && strcmp (oci_string_map_get (cps->state->annotations, "k"), "v") == 0,
      "the container process state JSON: ociVersion, fds [seccompFd], pid, metadata, state");
  ok (cps && oci_container_process_state_validate (cps, &perr) == 0,
      "the message validates as a container process state");
  ok (got_fd >= 0 && fstat (got_fd, &a) == 0 && fstat (sent_fd, &b) == 0 && a.st_ino == b.st_ino
        && a.st_dev == b.st_dev,
      "the fd arrives as SCM_RIGHTS and is the one sent");
  if (perr)
    printf ("# %s\n", perr);
  free (perr);
  oci_container_process_state_free (cps);

  ret = seccomp_send_listener ("/nonexistent/agent.sock", sent_fd, state, NULL, 1, &err);
  ok_fails_with (ret, &err, "linux.seccomp.listenerPath: connect to '/nonexistent/agent.sock'",
                 "a listener that is not there is an error naming the path");
  unlink (addr.sun_path);
  oci_state_free (state);
}

/* ----------------------------------------------------------- cache -- */

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_cache (void)
{
  char cache[128];
  const char *p1 = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                   "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":28}]}";
  const char *p2 = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                   "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":27}]}";
  struct estiba_seccomp *a, *b, *c;
  int want = ENOSPC;

  snprintf (cache, sizeof cache, "%s/cache", tmpdir);
  a = compile_ok (p1, cache);
  b = compile_ok (p1, cache);
  c = compile_ok (p2, cache);
  ok (a && !seccomp_from_cache (a), "first compile misses the cache");
  ok (b && seccomp_from_cache (b) && seccomp_program_length (a) == seccomp_program_length (b),
      "second compile of the same profile reads the cache");
  ok (b && exited_ok (run_filtered (b, mkdir_gives, &want)), "the cached program works (mkdir gets ENOSPC)");
  ok (c && !seccomp_from_cache (c), "a changed profile (errnoRet) misses the cache");
  seccomp_free (a);
  seccomp_free (b);
  seccomp_free (c);
}

/* runc/docker-sized profile: containers-common's default, ~470 names.
 * Times seccomp_compile alone (the JSON is parsed once).  */
static void
bench_default_profile (void)
{
  const char *path = "/usr/share/containers/seccomp.json";
  char cache[128];
  cleanup_free char *json = NULL;
  cleanup_fclose FILE *f = fopen (path, "re");
  size_t len = 0;
  double t0, t_compile = 0, t_hit = 0;
  const int rounds = 50;
  bool all_ok = true;
  struct oci_config *c;
  FILE *m;

  if (f == NULL)
    {
      printf ("ok %d - # SKIP %s not installed (containers-common)\n", ++tap_count, path);
      return;
    }
  m = open_memstream (&json, &len);
  for (int ch; (ch = fgetc (f)) != EOF;)
    fputc (ch, m);
  fclose (m);
  c = config_with (json);
  snprintf (cache, sizeof cache, "%s/bench-cache", tmpdir);

  for (int pass = 0; pass < 3; pass++)
    {
      /* 0: no cache; 1: fills the cache; 2: hits it.  */
      int n = pass == 1 ? 1 : rounds;

      t0 = now ();
      for (int i = 0; i < n; i++)
        {
          estiba_error_t err = NULL;
          struct estiba_seccomp *sc = NULL;

          if (seccomp_compile (c->linux_->seccomp, pass ? cache : NULL, &sc, &err) < 0)
            all_ok = child_fail (&err, "seccomp_compile") && false;
          else if (pass == 2 && !seccomp_from_cache (sc))
            all_ok = false;
          seccomp_free (sc);
        }
      if (pass == 0)
        t_compile = (now () - t0) / n;
      if (pass == 2)
        t_hit = (now () - t0) / n;
    }
  printf ("# default profile: compile %.3f ms, cache hit %.3f ms (mean of %d)\n", t_compile * 1e3,
          t_hit * 1e3, rounds);
  ok (all_ok && t_hit < t_compile, "default profile compiles, and a cache hit is faster than compiling");
  oci_config_free (c);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  test_errno ();
  test_args ();
  test_other_actions ();
  test_errors ();
  test_flags ();
  test_notify ();
  test_send_listener ();
  test_cache ();
  bench_default_profile ();
  {
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system (cmd) != 0)
      printf ("# could not remove %s\n", tmpdir);
  }
  return tap_done ();
}
