/* TAP tests for terminal.c and terminal_proxy.c, and the recvtty helper. */
#include <config.h>
#include "terminal.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>

static char tmpdir[] = "/tmp/estiba-test-terminal.XXXXXX";

static bool
same_file (int a, int b)
{
  struct stat sa, sb;
  return fstat (a, &sa) == 0 && fstat (b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static char *
read_file (const char *path)
{
  static char buf[8192];
  int fd = open (path, O_RDONLY);
  ssize_t n;

  buf[0] = '\0';
  if (fd < 0)
    return buf;
  n = read (fd, buf, sizeof (buf) - 1);
  buf[n > 0 ? n : 0] = '\0';
  close (fd);
  return buf;
}

static void
test_create (void)
{
  estiba_error_t err = NULL;
  int master = -1, slave = -1, ret;
  struct winsize ws = { 0 };

  ret = terminal_create_pty (&master, &slave, &err);
  ok_call (ret, &err, "terminal_create_pty");
  ok (isatty (slave) && (fcntl (master, F_GETFD) & FD_CLOEXEC) && (fcntl (slave, F_GETFD) & FD_CLOEXEC),
      "slave is a tty, both fds are close-on-exec");
  ret = terminal_set_size (master, 33, 111, &err);
  ok_call (ret, &err, "terminal_set_size 33x111");
  ret = ioctl (slave, TIOCGWINSZ, &ws);
  ok (ret == 0 && ws.ws_row == 33 && ws.ws_col == 111, "the slave sees 33 rows, 111 columns (%u x %u)",
      ws.ws_row, ws.ws_col);
  ret = terminal_set_size (master, 70000, 1, &err);
  ok_fails_with (ret, &err, "too large", "a size beyond 65535 is refused");
  ret = terminal_open_pty_in ("/nonexistent/ptmx", &master, &slave, &err);
  ok_fails_with (ret, &err, "/nonexistent/ptmx", "opening a missing ptmx names it");
  close (master);
  close (slave);
}

static void
test_send_recv (void)
{
  estiba_error_t err = NULL;
  int sv[2], master, slave, got = -1, ret;

  terminal_create_pty (&master, &slave, &err);
  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  ret = terminal_send_fd_on (sv[0], master, &err);
  ok_call (ret, &err, "send the master over a socket");
  ret = terminal_recv_fd (sv[1], &got, &err);
  ok_call (ret, &err, "receive it");
  ok (got >= 0 && got != master && same_file (got, master) && (fcntl (got, F_GETFD) & FD_CLOEXEC),
      "the received fd is the same pty master, close-on-exec");
  close (got);
  /* A message without fds is refused.  */
  write (sv[0], "x", 1);
  ret = terminal_recv_fd (sv[1], &got, &err);
  ok_fails_with (ret, &err, "expected exactly one fd", "a message without an fd is refused");
  close (sv[0]);
  ret = terminal_recv_fd (sv[1], &got, &err);
  ok_fails_with (ret, &err, "end of stream", "a closed socket is refused");
  close (sv[1]);
  ret = terminal_send_fd ("/nonexistent/console.sock", master, &err);
  ok_fails_with (ret, &err, "connect to console socket /nonexistent/console.sock",
                 "a missing console socket is named in the error");
  close (master);
  close (slave);
}

static int
controlling_child (void *arg)
{
  estiba_error_t err = NULL;
  int master, slave;
  struct stat s0, s2;

  (void) arg;
  if (terminal_create_pty (&master, &slave, &err) < 0 || terminal_make_controlling (slave, &err) < 0)
    return child_fail (&err, "make controlling");
  if (tcgetsid (0) != getpid () || getsid (0) != getpid ())
    return 2;
  fstat (0, &s0);
  fstat (2, &s2);
  if (!isatty (1) || s0.st_rdev != s2.st_rdev || fcntl (slave, F_GETFD) >= 0)
    return 3;
  return 0;
}

/* A container-like child: pty as controlling terminal, then a script.  */
static pid_t
spawn_on_pty (int slave, const char *script)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      estiba_error_t err = NULL;
      if (terminal_make_controlling (slave, &err) < 0)
        _exit (child_fail (&err, "make controlling"));
      execl ("/bin/sh", "sh", "-c", script, NULL);
      _exit (127);
    }
  return pid;
}

struct proxy_case
{
  const char *script;
  const char *input; /* fed on the proxy's stdin (NULL: /dev/null) */
  bool send_term;    /* SIGTERM the proxy process after a moment */
  bool tty_stdin;    /* stdin is a terminal of 40x100, later resized to 50x120 */
  const char *out_path;
};

/* Make stdin a terminal of 40x100 (as a user's would be); a helper
 * later resizes it to 50x120 and sends us SIGWINCH, as the kernel does
 * for the foreground process of a resized terminal.  */
static int
tty_stdin (struct proxy_case *c)
{
  estiba_error_t err = NULL;
  int outer_master, outer_slave;

  (void) c;
  if (terminal_create_pty (&outer_master, &outer_slave, &err) < 0)
    return child_fail (&err, "outer pty");
  terminal_set_size (outer_master, 40, 100, &err);
  dup2 (outer_slave, 0);
  if (fork () == 0)
    {
      struct winsize ws = { .ws_row = 50, .ws_col = 120 };
      usleep (300 * 1000);
      ioctl (outer_master, TIOCSWINSZ, &ws);
      kill (getppid (), SIGWINCH);
      _exit (0);
    }
  return 0;
}

/* The proxy put stdin back in canonical mode with echo.  */
static bool
stdin_restored (void)
{
  struct termios t;
  return tcgetattr (0, &t) == 0 && (t.c_lflag & ICANON) && (t.c_lflag & ECHO);
}

/* In a child (the proxy changes the signal mask and stdio): run the
 * proxy with stdout to a file and report the container's status.  */
static int
proxy_child (void *arg)
{
  struct proxy_case *c = arg;
  estiba_error_t err = NULL;
  int master, slave, status = 0, in[2], out;
  pid_t child;

  if (terminal_create_pty (&master, &slave, &err) < 0)
    return child_fail (&err, "create pty");
  child = spawn_on_pty (slave, c->script);
  close (slave);
  out = open (c->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2 (out, 1);
  if (c->input)
    {
      pipe (in);
      write (in[1], c->input, strlen (c->input));
      close (in[1]);
      dup2 (in[0], 0);
    }
  else
    dup2 (open ("/dev/null", O_RDONLY), 0);
  if (c->tty_stdin && tty_stdin (c) < 0)
    return 9;
  if (c->send_term && fork () == 0)
    {
      usleep (200 * 1000);
      kill (getppid (), SIGTERM);
      _exit (0);
    }
  if (terminal_proxy (master, child, &status, &err) < 0)
    return child_fail (&err, "terminal_proxy");
  if (c->tty_stdin && !stdin_restored ())
    return 99;
  if (WIFSIGNALED (status))
    return 100 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

static void
test_proxy (void)
{
  char out[PATH_MAX];
  struct proxy_case c = { .out_path = out };
  int ret;

  snprintf (out, sizeof (out), "%s/proxy.out", tmpdir);
  c.script = "echo hello from the container; exit 3";
  ret = in_child (proxy_child, &c);
  ok (ret == 3, "proxy returns the container's exit status 3 (got %d)", ret);
  ok (strstr (read_file (out), "hello from the container\r\n") != NULL,
      "its output reaches stdout via the pty");

  c.script = "read line; echo \"got:$line\"";
  c.input = "ping\n";
  ret = in_child (proxy_child, &c);
  ok (ret == 0 && strstr (read_file (out), "got:ping") != NULL, "stdin is copied to the container");

  c.script = "echo \"before $(stty size)\"; sleep 1; echo \"after $(stty size)\"";
  c.tty_stdin = true;
  ret = in_child (proxy_child, &c);
  ok (ret == 0, "with a terminal on stdin the proxy finishes and restores its mode (got %d)", ret);
  ok (strstr (read_file (out), "before 40 100") != NULL, "the pty starts with the size of our terminal");
  ok (strstr (read_file (out), "after 50 120") != NULL, "SIGWINCH carries a resize to the pty");
  c.tty_stdin = false;

  c.script = "echo $(stty size); exec sleep 30";
  c.input = NULL;
  c.send_term = true;
  ret = in_child (proxy_child, &c);
  ok (ret == 100 + SIGTERM, "SIGTERM sent to the proxy reaches the container (got %d)", ret);
}

static char *
helper_path (void)
{
  static char path[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", path, sizeof (path) - 64);

  path[n > 0 ? n : 0] = '\0';
  if (strrchr (path, '/'))
    *strrchr (path, '/') = '\0';
  strcat (path, "/../helpers/recvtty");
  return path;
}

static void
test_recvtty (void)
{
  estiba_error_t err = NULL;
  char sock[PATH_MAX], out[PATH_MAX], ready[16] = "";
  int pipefd[2], master, slave, status = -1, ret;
  pid_t helper, child;

  snprintf (sock, sizeof (sock), "%s/console.sock", tmpdir);
  snprintf (out, sizeof (out), "%s/recvtty.out", tmpdir);
  pipe (pipefd);
  helper = fork ();
  if (helper == 0)
    {
      dup2 (pipefd[1], 1);
      execl (helper_path (), "recvtty", "-n", "-o", out, "-i", "hi there\n", sock, NULL);
      _exit (127);
    }
  close (pipefd[1]);
  read (pipefd[0], ready, sizeof (ready) - 1);
  close (pipefd[0]);
  ok (strcmp (ready, "ready\n") == 0, "recvtty is listening on %s", sock);

  terminal_create_pty (&master, &slave, &err);
  child = spawn_on_pty (slave, "stty -echo; read line; echo \"container read: $line\"");
  close (slave);
  ret = terminal_send_fd (sock, master, &err);
  ok_call (ret, &err, "terminal_send_fd to the console socket");
  close (master);
  waitpid (child, &status, 0);
  ok (WIFEXITED (status) && WEXITSTATUS (status) == 0, "the container process finished");
  waitpid (helper, &status, 0);
  ok (WIFEXITED (status) && WEXITSTATUS (status) == 0, "recvtty exited cleanly after the pty closed");
  ok (strstr (read_file (out), "container read: hi there\n") != NULL,
      "recvtty fed the input and stored the output without \\r");
  ok (access (sock, F_OK) < 0, "recvtty removed its socket");
}

int
main (void)
{
  char cmd[PATH_MAX];

  if (mkdtemp (tmpdir) == NULL)
    return 1;
  test_create ();
  test_send_recv ();
  ok (in_child (controlling_child, NULL) == 0,
      "terminal_make_controlling: new session, pty on 0-2, slave closed");
  test_proxy ();
  test_recvtty ();
  snprintf (cmd, sizeof (cmd), "rm -rf %s", tmpdir);
  system (cmd);
  return tap_done ();
}
