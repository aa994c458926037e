#include <config.h>
#include "seccomp_notify.h"
#include "cleanup.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
connect_listener (const char *path, estiba_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (path == NULL || path[0] == '\0')
    return estiba_error (err, 0, "linux.seccomp.listenerPath: empty");
  if (strlen (path) >= sizeof addr.sun_path)
    return estiba_error (err, ENAMETOOLONG, "linux.seccomp.listenerPath: '%s'", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return estiba_error_errno (err, "linux.seccomp.listenerPath: socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return estiba_error_errno (err, "linux.seccomp.listenerPath: connect to '%s'", path);
  return steal_fd (&fd);
}

/* The whole text, with fd as SCM_RIGHTS on the first sendmsg only.  */
static int
send_with_fd (int sock, const char *text, size_t len, int fd, const char *path, estiba_error_t *err)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  bool fd_sent = false;

  while (len > 0)
    {
      struct iovec iov = { .iov_base = (void *) text, .iov_len = len };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
      ssize_t n;

      if (!fd_sent)
        {
          struct cmsghdr *c;

          memset (&control, 0, sizeof control);
          mh.msg_control = control.buf;
          mh.msg_controllen = sizeof control.buf;
          c = CMSG_FIRSTHDR (&mh);
          c->cmsg_level = SOL_SOCKET;
          c->cmsg_type = SCM_RIGHTS;
          c->cmsg_len = CMSG_LEN (sizeof (int));
          memcpy (CMSG_DATA (c), &fd, sizeof (int));
        }
      n = sendmsg (sock, &mh, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return estiba_error_errno (
          err, "linux.seccomp.listenerPath: sending the container process state to '%s'", path);
      fd_sent = true;
      text += n;
      len -= n;
    }
  return 0;
}

int
seccomp_send_listener (const char *listener_path, int notify_fd, const struct oci_state *state,
                       const char *listener_metadata, pid_t pid, estiba_error_t *err)
{
  char *fds[] = { (char *) "seccompFd", NULL };
  struct oci_container_process_state cps = {
    .oci_version = (char *) OCI_RUNTIME_SPEC_VERSION,
    .fds = fds,
    .fds_len = 1,
    .pid = pid,
    .has_pid = true,
    .metadata = (char *) listener_metadata,
    .state = (struct oci_state *) state,
  };
  cleanup_free char *gen_err = NULL;
  cleanup_free char *text = NULL;
  cleanup_close int sock = -1;

  if (notify_fd < 0)
    return estiba_error (err, EBADF, "seccomp: no listener fd to send");
  text = oci_container_process_state_generate (&cps, false, &gen_err);
  if (text == NULL)
    return estiba_error (err, 0, "seccomp: container process state: %s",
                         gen_err ? gen_err : "cannot generate");
  sock = connect_listener (listener_path, err);
  if (sock < 0)
    return -1;
  return send_with_fd (sock, text, strlen (text), notify_fd, listener_path, err);
}
