/* The foreground side of a container's terminal: what `estiba run` and
 * `estiba exec -t` do while the process runs (terminal.h).  */
#include <config.h>
#include "terminal.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* How long to keep reading output after the process exited, when a
 * process it left behind still holds the pty open.  */
#define DRAIN_IDLE_MS 100

struct proxy
{
  int master;
  bool master_open;
  bool stdin_open;
  bool stdin_is_tty;
  struct termios saved_stdin; /* restored on exit when stdin_is_tty */
  char pending[4096];         /* read from stdin, not yet written to the master */
  size_t pending_len, pending_off;
};

static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, buf, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      buf += w;
      len -= (size_t) w;
    }
  return 0;
}

static int
stdin_raw_mode (struct proxy *p, estiba_error_t *err)
{
  struct termios raw;

  p->stdin_is_tty = isatty (STDIN_FILENO);
  if (!p->stdin_is_tty)
    return 0;
  if (tcgetattr (STDIN_FILENO, &p->saved_stdin) < 0)
    return estiba_error_errno (err, "get stdin terminal attributes");
  raw = p->saved_stdin;
  cfmakeraw (&raw);
  /* Keep output processing: the pty already turns \n into \r\n.  */
  raw.c_oflag = p->saved_stdin.c_oflag;
  if (tcsetattr (STDIN_FILENO, TCSANOW, &raw) < 0)
    return estiba_error_errno (err, "put stdin in raw mode");
  return 0;
}

static void
stdin_restore (struct proxy *p)
{
  if (p->stdin_is_tty)
    tcsetattr (STDIN_FILENO, TCSANOW, &p->saved_stdin);
}

static void
copy_window_size (struct proxy *p)
{
  struct winsize ws;

  if (p->stdin_is_tty && ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl (p->master, TIOCSWINSZ, &ws);
}

/* master -> stdout.  Output the user cannot take (stdout closed) is
 * dropped rather than stopping the container.  */
static int
copy_output (struct proxy *p)
{
  char buf[8192];
  ssize_t r = read (p->master, buf, sizeof (buf));

  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (r <= 0)
    {
      /* EIO: no process holds the slave any more.  */
      p->master_open = false;
      return 0;
    }
  write_all (STDOUT_FILENO, buf, (size_t) r);
  return 1;
}

static void
queue_eof (struct proxy *p)
{
  struct termios t;

  p->stdin_open = false;
  if (tcgetattr (p->master, &t) == 0 && t.c_cc[VEOF] != _POSIX_VDISABLE)
    {
      p->pending[0] = (char) t.c_cc[VEOF];
      p->pending_len = 1;
      p->pending_off = 0;
    }
}

static void
read_input (struct proxy *p)
{
  ssize_t r = read (STDIN_FILENO, p->pending, sizeof (p->pending));

  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (r <= 0)
    {
      queue_eof (p);
      return;
    }
  p->pending_len = (size_t) r;
  p->pending_off = 0;
}

static int
write_input (struct proxy *p, estiba_error_t *err)
{
  ssize_t w = write (p->master, p->pending + p->pending_off, p->pending_len - p->pending_off);

  if (w < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (w < 0 && errno == EIO)
    {
      p->pending_len = p->pending_off = 0;
      return 0;
    }
  if (w < 0)
    return estiba_error_errno (err, "write to the pty");
  p->pending_off += (size_t) w;
  if (p->pending_off == p->pending_len)
    p->pending_len = p->pending_off = 0;
  return 0;
}

static void
drain_output (struct proxy *p)
{
  struct pollfd pfd = { .fd = p->master, .events = POLLIN };

  while (p->master_open && poll (&pfd, 1, DRAIN_IDLE_MS) > 0)
    if (copy_output (p) == 0)
      break;
}

enum
{
  POLL_SIGNALS,
  POLL_MASTER,
  POLL_STDIN,
  POLL_N
};

static int
proxy_loop (struct proxy *p, struct signals_forwarder *f, pid_t child, int *wait_status, estiba_error_t *err)
{
  struct pollfd pfds[POLL_N];
  int ret;

  for (;;)
    {
      bool winch = false;

      ret = signals_forward_handle (f, child, wait_status, &winch, err);
      if (ret != 0)
        return ret < 0 ? ret : 0;
      if (winch)
        copy_window_size (p);

      pfds[POLL_SIGNALS] = (struct pollfd){ .fd = f->sfd, .events = POLLIN };
      pfds[POLL_MASTER] = (struct pollfd){ .fd = p->master_open ? p->master : -1,
                                           .events = POLLIN | (p->pending_len ? POLLOUT : 0) };
      pfds[POLL_STDIN] =
        (struct pollfd){ .fd = p->stdin_open && !p->pending_len ? STDIN_FILENO : -1, .events = POLLIN };
      if (poll (pfds, POLL_N, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return estiba_error_errno (err, "poll the terminal");
        }
      if (pfds[POLL_MASTER].revents & (POLLIN | POLLHUP | POLLERR))
        copy_output (p);
      if ((pfds[POLL_MASTER].revents & POLLOUT) && write_input (p, err) < 0)
        return -1;
      if (pfds[POLL_STDIN].revents & (POLLIN | POLLHUP | POLLERR))
        read_input (p);
    }
}

int
terminal_proxy (int master_fd, pid_t child, int *wait_status, estiba_error_t *err)
{
  struct proxy p = { .master = master_fd, .master_open = true, .stdin_open = true };
  struct signals_forwarder f;
  int flags, ret;

  flags = fcntl (master_fd, F_GETFL);
  if (flags < 0 || fcntl (master_fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return estiba_error_errno (err, "make the pty master non-blocking");
  if (signals_forward_setup (&f, err) < 0)
    return -1;
  if (stdin_raw_mode (&p, err) < 0)
    {
      signals_forward_teardown (&f);
      return -1;
    }
  copy_window_size (&p);
  ret = proxy_loop (&p, &f, child, wait_status, err);
  if (ret == 0)
    drain_output (&p);
  stdin_restore (&p);
  signals_forward_teardown (&f);
  return ret;
}
