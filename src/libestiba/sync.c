/* Runtime <-> child messages: see sync.h.  */
#include <config.h>
#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"

struct sync_header
{
  uint32_t type;
  int32_t value;
  uint32_t len;
};

int
sync_pair (int fds[2], estiba_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return estiba_error_errno (err, "socketpair");
  return 0;
}

static int
send_packet (int sock, const struct sync_header *h, const char *payload, int fd, estiba_error_t *err)
{
  struct iovec iov[2] = { { (void *) h, sizeof (*h) }, { (void *) payload, h->len } };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = h->len ? 2 : 1 };

  if (fd >= 0)
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
  if (TEMP_FAILURE_RETRY (sendmsg (sock, &mh, MSG_NOSIGNAL)) < 0)
    return estiba_error_errno (err, "send to the container process");
  return 0;
}

int
sync_send (int sock, enum sync_type type, int32_t value, const char *payload, estiba_error_t *err)
{
  struct sync_header h = { type, value, payload ? strlen (payload) : 0 };

  if (h.len > SYNC_MAX_PAYLOAD)
    h.len = SYNC_MAX_PAYLOAD;
  return send_packet (sock, &h, payload, -1, err);
}

int
sync_send_fd (int sock, int fd, estiba_error_t *err)
{
  struct sync_header h = { SYNC_FD, 0, 0 };
  return send_packet (sock, &h, NULL, fd, err);
}

/* The size of the next packet, without taking it.  */
static ssize_t
peek_packet_size (int sock)
{
  return TEMP_FAILURE_RETRY (recv (sock, NULL, 0, MSG_PEEK | MSG_TRUNC));
}

int
sync_recv (int sock, struct sync_msg *msg, estiba_error_t *err)
{
  struct sync_header h;
  cleanup_free char *buf = NULL;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov;
  struct msghdr mh = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf
  };
  struct cmsghdr *c;
  ssize_t n;

  memset (msg, 0, sizeof (*msg));
  msg->fd = -1;
  /* A buffer of the packet's size, not of the largest one: that would be
   * a fresh mmap per message, whose pages the container's memory cgroup
   * pays for once the init has joined it.  */
  n = peek_packet_size (sock);
  if (n < 0)
    return estiba_error_errno (err, "receive from the container process");
  if (n == 0)
    return estiba_error (err, 0, "the container process exited unexpectedly");
  if ((size_t) n > sizeof h + SYNC_MAX_PAYLOAD)
    n = sizeof h + SYNC_MAX_PAYLOAD;
  buf = malloc ((size_t) n + 1);
  if (buf == NULL)
    return estiba_error_errno (err, "malloc");
  iov.iov_base = buf;
  iov.iov_len = (size_t) n;
  n = TEMP_FAILURE_RETRY (recvmsg (sock, &mh, MSG_CMSG_CLOEXEC));
  if (n < 0)
    return estiba_error_errno (err, "receive from the container process");
  for (c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy (&msg->fd, CMSG_DATA (c), sizeof (int));
  if (n == 0)
    return estiba_error (err, 0, "the container process exited unexpectedly");
  if ((size_t) n < sizeof h)
    {
      sync_msg_release (msg);
      return estiba_error (err, 0, "short message from the container process");
    }
  memcpy (&h, buf, sizeof h);
  msg->type = h.type;
  msg->value = h.value;
  msg->len = (uint32_t) ((size_t) n - sizeof h);
  /* The payload moves to the front of the buffer, which becomes it.  */
  memmove (buf, buf + sizeof h, msg->len);
  buf[msg->len] = '\0';
  msg->payload = steal_pointer (&buf);
  return 0;
}

void
sync_msg_release (struct sync_msg *msg)
{
  free (msg->payload);
  msg->payload = NULL;
  if (msg->fd >= 0)
    close (msg->fd);
  msg->fd = -1;
}

int
sync_expect (int sock, enum sync_type want, struct sync_msg *msg, estiba_error_t *err)
{
  int ret = sync_recv (sock, msg, err);

  if (ret < 0)
    return ret;
  if (msg->type == want)
    return 0;
  if (msg->type == SYNC_ERROR)
    ret = estiba_error (err, msg->value, "%s", msg->payload);
  else
    ret = estiba_error (err, 0, "protocol error: got message %u, expected %u", msg->type, (unsigned) want);
  sync_msg_release (msg);
  return ret;
}

void
sync_fail (int sock, estiba_error_t *err)
{
  const char *text = (err && *err) ? (*err)->msg : "unknown error";
  sync_send (sock, SYNC_ERROR, (err && *err) ? (*err)->status : 0, text, NULL);
  _exit (1);
}
