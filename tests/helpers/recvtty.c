/* recvtty: the receiving end of --console-socket, for tests (like runc's
 * contrib/cmd/recvtty).
 *
 *   recvtty [-o FILE] [-i TEXT] [-n] [-p PIDFILE] SOCKET_PATH
 *
 * Listens on the unix socket SOCKET_PATH, accepts one connection and
 * receives the pty master sent with SCM_RIGHTS.  Without -o it proxies the
 * pty to its own stdin/stdout; with -o it writes TEXT (when -i is given)
 * to the pty, then copies everything read from the pty into FILE until the
 * pty is closed by its last user.  -n clears the \n -> \r\n translation
 * first, so FILE holds exactly what was written.  The socket path is
 * removed once the connection is accepted.  Writes "ready" to stdout (or
 * creates PIDFILE with our pid, -p) once listening, so scripts can wait.  */
#include <config.h>
#include "terminal.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
listen_on (const char *path, estiba_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = -1;

  if (strlen (path) >= sizeof (addr.sun_path))
    return estiba_error (err, ENAMETOOLONG, "socket path %s", path);
  strcpy (addr.sun_path, path);
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return estiba_error_errno (err, "socket");
  if (bind (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return estiba_error_errno (err, "bind %s", path);
  if (listen (sock, 1) < 0)
    return estiba_error_errno (err, "listen on %s", path);
  return steal_fd (&sock);
}

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

/* Copy from -> to until EOF or EIO (the pty's last user went away).  */
static bool
copy_once (int from, int to)
{
  char buf[4096];
  ssize_t r = read (from, buf, sizeof (buf));

  if (r < 0 && errno == EINTR)
    return true;
  if (r <= 0)
    return false;
  write_all (to, buf, (size_t) r);
  return true;
}

static int
to_file (int master, const char *path, const char *input)
{
  cleanup_close int out = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (out < 0)
    {
      perror (path);
      return 1;
    }
  if (input && write_all (master, input, strlen (input)) < 0)
    perror ("write to pty");
  while (copy_once (master, out))
    ;
  return 0;
}

static int
proxy_stdio (int master)
{
  struct pollfd pfds[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = master, .events = POLLIN } };

  for (;;)
    {
      if (poll (pfds, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          perror ("poll");
          return 1;
        }
      if (pfds[0].revents && !copy_once (STDIN_FILENO, master))
        pfds[0].fd = -1;
      if (pfds[1].revents && !copy_once (master, STDOUT_FILENO))
        return 0;
    }
}

static void
usage (void)
{
  fprintf (stderr, "usage: recvtty [-o FILE] [-i TEXT] [-n] [-p PIDFILE] SOCKET_PATH\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  cleanup_error estiba_error_t err = NULL;
  const char *out = NULL, *input = NULL, *pidfile = NULL;
  bool no_onlcr = false;
  cleanup_close int sock = -1, conn = -1, master = -1;
  int opt;

  while ((opt = getopt (argc, argv, "o:i:np:")) != -1)
    switch (opt)
      {
        case 'o':
          out = optarg;
          break;
        case 'i':
          input = optarg;
          break;
        case 'n':
          no_onlcr = true;
          break;
        case 'p':
          pidfile = optarg;
          break;
        default:
          usage ();
      }
  if (optind != argc - 1)
    usage ();
  sock = listen_on (argv[optind], &err);
  if (sock < 0)
    goto fail;
  if (pidfile)
    {
      FILE *f = fopen (pidfile, "we");
      if (f == NULL || fprintf (f, "%d\n", (int) getpid ()) < 0 || fclose (f) != 0)
        {
          perror (pidfile);
          return 1;
        }
    }
  else if (out)
    {
      printf ("ready\n");
      fflush (stdout);
    }
  conn = accept4 (sock, NULL, NULL, SOCK_CLOEXEC);
  unlink (argv[optind]);
  if (conn < 0)
    {
      estiba_error_errno (&err, "accept on %s", argv[optind]);
      goto fail;
    }
  if (terminal_recv_fd (conn, &master, &err) < 0)
    goto fail;
  if (no_onlcr && terminal_clear_onlcr (master, &err) < 0)
    goto fail;
  return out ? to_file (master, out, input) : proxy_stdio (master);

fail:
  estiba_error_print (stderr, "recvtty", err);
  return 1;
}
