#include <config.h>
#include "terminal.h"
#include "cleanup.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* The slave fd straight from the master (TIOCGPTPEER, Linux 4.13), so a
 * path under a devpts the container controls is never resolved.  */
static int
open_slave_of (int master, int *slave_fd, estiba_error_t *err)
{
  char name[64];
  int fd;

  if (unlockpt (master) < 0)
    return estiba_error_errno (err, "unlock pty");
  fd = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && errno == EINVAL)
    {
      if (ptsname_r (master, name, sizeof (name)) != 0)
        return estiba_error_errno (err, "get pty slave name");
      fd = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    }
  if (fd < 0)
    return estiba_error_errno (err, "open pty slave");
  *slave_fd = fd;
  return 0;
}

int
terminal_open_pty_in (const char *ptmx_path, int *master_fd, int *slave_fd, estiba_error_t *err)
{
  cleanup_close int master = open (ptmx_path, O_RDWR | O_NOCTTY | O_CLOEXEC);

  if (master < 0)
    return estiba_error_errno (err, "open %s", ptmx_path);
  if (open_slave_of (master, slave_fd, err) < 0)
    return estiba_error_wrap (err, "%s", ptmx_path);
  *master_fd = steal_fd (&master);
  return 0;
}

int
terminal_create_pty (int *master_fd, int *slave_fd, estiba_error_t *err)
{
  return terminal_open_pty_in ("/dev/ptmx", master_fd, slave_fd, err);
}

int
terminal_set_size (int fd, unsigned rows, unsigned cols, estiba_error_t *err)
{
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };

  if (rows > USHRT_MAX || cols > USHRT_MAX)
    return estiba_error (err, EINVAL, "console size %ux%u: too large", rows, cols);
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return estiba_error_errno (err, "set console size to %ux%u", rows, cols);
  return 0;
}

int
terminal_clear_onlcr (int fd, estiba_error_t *err)
{
  struct termios t;

  if (tcgetattr (fd, &t) < 0)
    return estiba_error_errno (err, "get terminal attributes");
  t.c_oflag &= ~ONLCR;
  if (tcsetattr (fd, TCSANOW, &t) < 0)
    return estiba_error_errno (err, "set terminal attributes");
  return 0;
}

int
terminal_make_controlling (int slave_fd, estiba_error_t *err)
{
  int fd;

  /* setsid fails when we already lead a session; that one is fine as long
   * as it has no other controlling terminal, which TIOCSCTTY checks.  */
  if (setsid () < 0 && getsid (0) != getpid ())
    return estiba_error_errno (err, "create a new session");
  if (ioctl (slave_fd, TIOCSCTTY, 0) < 0)
    return estiba_error_errno (err, "make the pty the controlling terminal");
  for (fd = 0; fd <= 2; fd++)
    if (fd != slave_fd && dup2 (slave_fd, fd) < 0)
      return estiba_error_errno (err, "make the pty fd %d", fd);
  if (slave_fd > 2)
    close (slave_fd);
  return 0;
}

int
terminal_send_fd_on (int sock, int master_fd, estiba_error_t *err)
{
  char payload[] = TERMINAL_FD_PAYLOAD;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = payload, .iov_len = sizeof (payload) - 1 };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof (control.buf)
  };
  struct cmsghdr *cmsg;
  ssize_t r;

  memset (&control, 0, sizeof (control));
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &master_fd, sizeof (int));
  do
    r = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return estiba_error_errno (err, "send the pty master fd");
  return 0;
}

int
terminal_send_fd (const char *console_socket_path, int master_fd, estiba_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = -1;

  if (strlen (console_socket_path) >= sizeof (addr.sun_path))
    return estiba_error (err, ENAMETOOLONG, "console socket %s: path longer than %zu bytes",
                         console_socket_path, sizeof (addr.sun_path) - 1);
  strcpy (addr.sun_path, console_socket_path);
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return estiba_error_errno (err, "create socket for console socket %s", console_socket_path);
  if (connect (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return estiba_error_errno (err, "connect to console socket %s", console_socket_path);
  if (terminal_send_fd_on (sock, master_fd, err) < 0)
    return estiba_error_wrap (err, "console socket %s", console_socket_path);
  return 0;
}

/* Close every fd passed in a control message except the one we keep.  */
static void
close_passed_fds (struct msghdr *msg, int keep)
{
  struct cmsghdr *cmsg;

  for (cmsg = CMSG_FIRSTHDR (msg); cmsg; cmsg = CMSG_NXTHDR (msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      {
        size_t n = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int), i;
        for (i = 0; i < n; i++)
          {
            int fd;
            memcpy (&fd, CMSG_DATA (cmsg) + i * sizeof (int), sizeof (int));
            if (fd != keep)
              close (fd);
          }
      }
}

int
terminal_recv_fd (int sock, int *fd, estiba_error_t *err)
{
  char payload[4096];
  union
  {
    char buf[CMSG_SPACE (4 * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = payload, .iov_len = sizeof (payload) };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof (control.buf)
  };
  struct cmsghdr *cmsg;
  ssize_t r;
  int received = -1;

  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return estiba_error_errno (err, "receive the pty master fd");
  cmsg = CMSG_FIRSTHDR (&msg);
  if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS
      && cmsg->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (&received, CMSG_DATA (cmsg), sizeof (int));
  close_passed_fds (&msg, received);
  if (received < 0 || (msg.msg_flags & MSG_CTRUNC))
    {
      if (received >= 0)
        close (received);
      return estiba_error (err, EBADMSG, "receive the pty master fd: expected exactly one fd (got %s)",
                           r == 0 ? "end of stream" : "a message without one");
    }
  *fd = received;
  return 0;
}
