/* A minimal D-Bus client (see dbus.h), written from the D-Bus
 * specification's "Message Protocol" and "Authentication Protocol".  */
#include <config.h>
#include "dbus.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* The specification's limits: 128 MiB a message, 64 MiB an array; 32
 * nested containers.  systemd's replies here are a few hundred bytes, so
 * estiba accepts much less.  */
#define MAX_MESSAGE (1u << 20)
#define MAX_ARRAY   (1u << 26)
#define MAX_DEPTH   32

enum header_field
{
  FIELD_PATH = 1,
  FIELD_INTERFACE = 2,
  FIELD_MEMBER = 3,
  FIELD_ERROR_NAME = 4,
  FIELD_REPLY_SERIAL = 5,
  FIELD_DESTINATION = 6,
  FIELD_SENDER = 7,
  FIELD_SIGNATURE = 8,
  FIELD_UNIX_FDS = 9,
};

/* ---------------------------------------------------------------- writer */

void
dbus_writer_free (struct dbus_writer *w)
{
  free (w->data);
  memset (w, 0, sizeof *w);
}

static bool
writer_reserve (struct dbus_writer *w, size_t n)
{
  size_t cap;
  uint8_t *p;

  if (w->failed)
    return false;
  if (n > MAX_MESSAGE || w->len + n > MAX_MESSAGE)
    {
      w->failed = true;
      return false;
    }
  if (w->len + n <= w->cap)
    return true;
  cap = w->cap ? w->cap : 256;
  while (cap < w->len + n)
    cap *= 2;
  p = realloc (w->data, cap);
  if (p == NULL)
    {
      w->failed = true;
      return false;
    }
  w->data = p;
  w->cap = cap;
  return true;
}

static void
put_bytes (struct dbus_writer *w, const void *p, size_t n)
{
  if (n == 0 || !writer_reserve (w, n))
    return;
  memcpy (w->data + w->len, p, n);
  w->len += n;
}

/* Padding is zero bytes up to the next multiple of `align`.  */
static void
pad_to (struct dbus_writer *w, size_t align)
{
  static const uint8_t zeros[8];
  size_t n = (align - w->len % align) % align;

  put_bytes (w, zeros, n);
}

void
dbus_put_byte (struct dbus_writer *w, uint8_t v)
{
  put_bytes (w, &v, 1);
}

/* Little-endian whatever the host: the first header byte says 'l'.  */
void
dbus_put_u32 (struct dbus_writer *w, uint32_t v)
{
  uint8_t b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

  pad_to (w, 4);
  put_bytes (w, b, 4);
}

void
dbus_put_u64 (struct dbus_writer *w, uint64_t v)
{
  uint8_t b[8];
  int i;

  for (i = 0; i < 8; i++)
    b[i] = (v >> (8 * i)) & 0xff;
  pad_to (w, 8);
  put_bytes (w, b, 8);
}

void
dbus_put_bool (struct dbus_writer *w, bool v)
{
  dbus_put_u32 (w, v ? 1 : 0);
}

void
dbus_put_string (struct dbus_writer *w, const char *s)
{
  size_t n = strlen (s);

  if (n > MAX_MESSAGE)
    {
      w->failed = true;
      return;
    }
  dbus_put_u32 (w, (uint32_t) n);
  put_bytes (w, s, n + 1);
}

void
dbus_put_signature (struct dbus_writer *w, const char *sig)
{
  size_t n = strlen (sig);

  if (n > 255)
    {
      w->failed = true;
      return;
    }
  dbus_put_byte (w, (uint8_t) n);
  put_bytes (w, sig, n + 1);
}

size_t
dbus_array_begin (struct dbus_writer *w, size_t element_alignment)
{
  size_t token;

  dbus_put_u32 (w, 0);
  token = w->len;
  /* The padding to the first element is not part of the array length.  */
  pad_to (w, element_alignment);
  return token << 4 | (w->len - token);
}

void
dbus_array_end (struct dbus_writer *w, size_t token)
{
  size_t start = token >> 4, first = start + (token & 0xf);
  uint32_t n;

  if (w->failed || w->len < first || w->len - first > MAX_ARRAY)
    {
      w->failed = true;
      return;
    }
  n = (uint32_t) (w->len - first);
  w->data[start - 4] = n & 0xff;
  w->data[start - 3] = (n >> 8) & 0xff;
  w->data[start - 2] = (n >> 16) & 0xff;
  w->data[start - 1] = n >> 24;
}

void
dbus_struct_begin (struct dbus_writer *w)
{
  pad_to (w, 8);
}

void
dbus_variant_begin (struct dbus_writer *w, const char *sig)
{
  dbus_put_signature (w, sig);
}

/* One header field: struct (byte code, variant).  */
static void
put_header_string (struct dbus_writer *w, enum header_field code, const char *type, const char *value)
{
  if (value == NULL || (code == FIELD_SIGNATURE && *value == '\0'))
    return;
  dbus_struct_begin (w);
  dbus_put_byte (w, (uint8_t) code);
  dbus_variant_begin (w, type);
  if (*type == 'g')
    dbus_put_signature (w, value);
  else
    dbus_put_string (w, value);
}

int
dbus_message_build (uint32_t serial, const struct dbus_call *call, const struct dbus_writer *body,
                    struct dbus_writer *out)
{
  size_t body_len = body ? body->len : 0, fields;

  if ((body && body->failed) || body_len > MAX_MESSAGE || serial == 0)
    return -1;
  memset (out, 0, sizeof *out);
  dbus_put_byte (out, 'l');
  dbus_put_byte (out, DBUS_METHOD_CALL);
  dbus_put_byte (out, 0); /* flags */
  dbus_put_byte (out, 1); /* protocol version */
  dbus_put_u32 (out, (uint32_t) body_len);
  dbus_put_u32 (out, serial);
  fields = dbus_array_begin (out, 8);
  put_header_string (out, FIELD_PATH, "o", call->path);
  put_header_string (out, FIELD_INTERFACE, "s", call->interface);
  put_header_string (out, FIELD_MEMBER, "s", call->member);
  put_header_string (out, FIELD_DESTINATION, "s", call->destination);
  put_header_string (out, FIELD_SIGNATURE, "g", call->signature);
  dbus_array_end (out, fields);
  /* The body starts 8-aligned.  */
  pad_to (out, 8);
  if (body_len)
    put_bytes (out, body->data, body_len);
  if (out->failed)
    {
      dbus_writer_free (out);
      return -1;
    }
  return 0;
}

/* ---------------------------------------------------------------- reader */

static bool
reader_fail (struct dbus_reader *r)
{
  r->failed = true;
  return false;
}

/* Skip the padding to `align`; the specification says it must be zero.  */
static bool
reader_align (struct dbus_reader *r, size_t align)
{
  size_t n = (align - r->pos % align) % align, i;

  if (r->failed || n > r->len - r->pos)
    return reader_fail (r);
  for (i = 0; i < n; i++)
    if (r->data[r->pos + i] != 0)
      return reader_fail (r);
  r->pos += n;
  return true;
}

static bool
reader_uint (struct dbus_reader *r, size_t size, uint64_t *v)
{
  uint64_t x = 0;
  size_t i;

  if (!reader_align (r, size) || size > r->len - r->pos)
    return reader_fail (r);
  for (i = 0; i < size; i++)
    {
      size_t shift = r->big_endian ? 8 * (size - 1 - i) : 8 * i;
      x |= (uint64_t) r->data[r->pos + i] << shift;
    }
  r->pos += size;
  *v = x;
  return true;
}

bool
dbus_read_u32 (struct dbus_reader *r, uint32_t *v)
{
  uint64_t x;

  if (!reader_uint (r, 4, &x))
    return false;
  *v = (uint32_t) x;
  return true;
}

bool
dbus_read_u64 (struct dbus_reader *r, uint64_t *v)
{
  return reader_uint (r, 8, v);
}

/* n bytes of text and a NUL; no NUL inside.  */
static bool
reader_text (struct dbus_reader *r, size_t n, const char **s)
{
  const uint8_t *p;

  if (r->failed || n >= r->len - r->pos)
    return reader_fail (r);
  p = r->data + r->pos;
  if (p[n] != '\0' || memchr (p, '\0', n) != NULL)
    return reader_fail (r);
  *s = (const char *) p;
  r->pos += n + 1;
  return true;
}

bool
dbus_read_string (struct dbus_reader *r, const char **s)
{
  uint32_t n;

  return dbus_read_u32 (r, &n) && reader_text (r, n, s);
}

static bool
read_signature (struct dbus_reader *r, const char **s)
{
  if (r->failed || r->pos >= r->len)
    return reader_fail (r);
  r->pos++;
  return reader_text (r, r->data[r->pos - 1], s);
}

void
dbus_reader_init (struct dbus_reader *r, const struct dbus_message *m)
{
  r->data = m->body;
  r->len = m->body_len;
  r->pos = 0;
  r->big_endian = m->big_endian;
  r->failed = false;
}

static size_t
type_alignment (char t)
{
  switch (t)
    {
      case 'n':
      case 'q':
        return 2;
      case 'b':
      case 'i':
      case 'u':
      case 'h':
      case 's':
      case 'o':
      case 'a':
        return 4;
      case 'x':
      case 't':
      case 'd':
      case '(':
      case '{':
        return 8;
      default:
        return 1;
    }
}

/* The end of the single complete type starting at sig, or NULL.  */
static const char *
complete_type_end (const char *sig, int depth)
{
  char close;

  if (depth > MAX_DEPTH)
    return NULL;
  switch (*sig)
    {
      case 'y':
      case 'b':
      case 'n':
      case 'q':
      case 'i':
      case 'u':
      case 'x':
      case 't':
      case 'd':
      case 'h':
      case 's':
      case 'o':
      case 'g':
      case 'v':
        return sig + 1;
      case 'a':
        return complete_type_end (sig + 1, depth + 1);
      case '(':
      case '{':
        close = *sig == '(' ? ')' : '}';
        sig++;
        if (*sig == close)
          return NULL; /* empty structs are not allowed */
        while (sig && *sig && *sig != close)
          sig = complete_type_end (sig, depth + 1);
        return sig && *sig == close ? sig + 1 : NULL;
      default:
        return NULL;
    }
}

static bool skip_value (struct dbus_reader *r, const char **sig, int depth);

/* Skip the values of a signature of any number of complete types.  */
static bool
skip_values (struct dbus_reader *r, const char *sig, int depth)
{
  while (*sig)
    if (!skip_value (r, &sig, depth))
      return false;
  return true;
}

static bool
skip_array (struct dbus_reader *r, const char *element, const char *element_end, int depth)
{
  uint32_t n;
  size_t end;
  cleanup_free char *one = strndup (element, (size_t) (element_end - element));

  if (one == NULL || !dbus_read_u32 (r, &n) || n > MAX_ARRAY || !reader_align (r, type_alignment (*element))
      || n > r->len - r->pos)
    return reader_fail (r);
  end = r->pos + n;
  while (r->pos < end)
    if (!skip_values (r, one, depth + 1))
      return false;
  return r->pos == end ? true : reader_fail (r);
}

/* Skip one value of the complete type at *sig and move *sig past it.  */
static bool
skip_value (struct dbus_reader *r, const char **sig, int depth)
{
  const char *t = *sig, *end = complete_type_end (t, depth), *s, *inner;
  uint64_t x;

  if (end == NULL || depth > MAX_DEPTH)
    return reader_fail (r);
  *sig = end;
  switch (*t)
    {
      case 'y':
        return reader_uint (r, 1, &x);
      case 'n':
      case 'q':
        return reader_uint (r, 2, &x);
      case 'b':
        return reader_uint (r, 4, &x) && (x <= 1 || reader_fail (r));
      case 'i':
      case 'u':
      case 'h':
        return reader_uint (r, 4, &x);
      case 'x':
      case 't':
      case 'd':
        return reader_uint (r, 8, &x);
      case 's':
      case 'o':
        return dbus_read_string (r, &s);
      case 'g':
        return read_signature (r, &s);
      case 'v':
        if (!read_signature (r, &inner))
          return false;
        /* Exactly one complete type.  */
        s = complete_type_end (inner, depth + 1);
        if (s == NULL || *s != '\0')
          return reader_fail (r);
        return skip_value (r, &inner, depth + 1);
      case 'a':
        return skip_array (r, t + 1, end, depth);
      default: /* struct or dict entry */
        if (!reader_align (r, 8))
          return false;
        {
          const char *m = t + 1;
          while (m < end - 1)
            if (!skip_value (r, &m, depth + 1))
              return false;
        }
        return true;
    }
}

/* ---------------------------------------------------------------- message */

long
dbus_message_length (const uint8_t *data, size_t len)
{
  struct dbus_reader r = { .data = data, .len = len };
  uint32_t body_len, fields_len;
  size_t total;

  if (len < 16)
    return 0;
  if ((data[0] != 'l' && data[0] != 'B') || data[3] != 1)
    return -1;
  r.big_endian = data[0] == 'B';
  r.pos = 4;
  if (!dbus_read_u32 (&r, &body_len))
    return -1;
  r.pos = 12;
  if (!dbus_read_u32 (&r, &fields_len))
    return -1;
  if (body_len > MAX_MESSAGE || fields_len > MAX_MESSAGE)
    return -1;
  total = 16 + (size_t) fields_len;
  total = (total + 7) / 8 * 8 + body_len;
  return total > MAX_MESSAGE ? -1 : (long) total;
}

/* A header field's value, as its code says it must be typed.  */
static bool
read_header_field (struct dbus_reader *r, uint8_t code, struct dbus_message *m)
{
  const char *sig, *want, *s = NULL;
  uint32_t u;

  if (!read_signature (r, &sig))
    return false;
  switch (code)
    {
      case FIELD_PATH:
        want = "o";
        break;
      case FIELD_SIGNATURE:
        want = "g";
        break;
      case FIELD_REPLY_SERIAL:
      case FIELD_UNIX_FDS:
        want = "u";
        break;
      case FIELD_INTERFACE:
      case FIELD_MEMBER:
      case FIELD_ERROR_NAME:
      case FIELD_DESTINATION:
      case FIELD_SENDER:
        want = "s";
        break;
      default: /* unknown fields are ignored, as the specification says */
        {
          const char *end = complete_type_end (sig, 1);
          if (end == NULL || *end != '\0')
            return reader_fail (r);
          return skip_value (r, &sig, 1);
        }
    }
  if (strcmp (sig, want) != 0)
    return reader_fail (r);
  if (*want == 'u')
    {
      if (!dbus_read_u32 (r, &u))
        return false;
      if (code == FIELD_REPLY_SERIAL)
        m->reply_serial = u;
      return true;
    }
  if (!(*want == 'g' ? read_signature (r, &s) : dbus_read_string (r, &s)))
    return false;
  switch (code)
    {
      case FIELD_PATH:
        m->path = s;
        break;
      case FIELD_SIGNATURE:
        m->signature = s;
        break;
      case FIELD_INTERFACE:
        m->interface = s;
        break;
      case FIELD_MEMBER:
        m->member = s;
        break;
      case FIELD_ERROR_NAME:
        m->error_name = s;
        break;
      case FIELD_DESTINATION:
        m->destination = s;
        break;
      default:
        m->sender = s;
        break;
    }
  return true;
}

/* The fields each message type requires.  */
static const char *
missing_field (const struct dbus_message *m)
{
  switch (m->type)
    {
      case DBUS_METHOD_CALL:
        return m->path && m->member ? NULL : "PATH or MEMBER";
      case DBUS_METHOD_RETURN:
        return m->reply_serial ? NULL : "REPLY_SERIAL";
      case DBUS_ERROR:
        return m->reply_serial && m->error_name ? NULL : "REPLY_SERIAL or ERROR_NAME";
      case DBUS_SIGNAL:
        return m->path && m->interface && m->member ? NULL : "PATH, INTERFACE or MEMBER";
      default:
        return NULL;
    }
}

int
dbus_message_parse (const uint8_t *data, size_t len, struct dbus_message *m, estiba_error_t *err)
{
  struct dbus_reader r = { .data = data, .len = len };
  long total = dbus_message_length (data, len);
  uint32_t body_len, fields_len;
  size_t fields_end;
  const char *missing;

  memset (m, 0, sizeof *m);
  if (total <= 0 || (size_t) total != len)
    return estiba_error (err, 0, "D-Bus: malformed message header");
  r.big_endian = m->big_endian = data[0] == 'B';
  m->type = data[1];
  m->flags = data[2];
  r.pos = 4;
  if (!dbus_read_u32 (&r, &body_len) || !dbus_read_u32 (&r, &m->serial) || !dbus_read_u32 (&r, &fields_len))
    return estiba_error (err, 0, "D-Bus: malformed message header");
  if (m->serial == 0)
    return estiba_error (err, 0, "D-Bus: message with serial 0");
  fields_end = 16 + (size_t) fields_len;
  /* The header fields are read within their array only.  */
  r.len = fields_end;
  while (r.pos < fields_end)
    {
      uint64_t code;
      if (!reader_align (&r, 8) || !reader_uint (&r, 1, &code) || !read_header_field (&r, (uint8_t) code, m))
        return estiba_error (err, 0, "D-Bus: malformed header field");
    }
  if (r.failed || r.pos != fields_end)
    return estiba_error (err, 0, "D-Bus: malformed header fields");
  r.len = len;
  if (!reader_align (&r, 8) || len - r.pos != body_len)
    return estiba_error (err, 0, "D-Bus: malformed message body offset");
  m->body = data + r.pos;
  m->body_len = body_len;
  if (m->type < DBUS_METHOD_CALL || m->type > DBUS_SIGNAL)
    return 0; /* unknown types are to be ignored; the caller skips them */
  missing = missing_field (m);
  if (missing)
    return estiba_error (err, 0, "D-Bus: message type %u without %s", m->type, missing);
  /* The body must be exactly what its signature says.  */
  {
    struct dbus_reader b;
    dbus_reader_init (&b, m);
    if (!skip_values (&b, m->signature ? m->signature : "", 0) || b.pos != b.len)
      return estiba_error (err, 0, "D-Bus: message body does not match its signature '%s'",
                           m->signature ? m->signature : "");
  }
  return 0;
}

/* ---------------------------------------------------------------- connection */

long long
dbus_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
wait_fd (int fd, short events, long long deadline_ms, estiba_error_t *err)
{
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = events };
      long long left = deadline_ms - dbus_now_ms ();
      int n;

      if (left <= 0)
        return estiba_error (err, ETIMEDOUT, "D-Bus: no answer from systemd");
      n = poll (&p, 1, left > 60000 ? 60000 : (int) left);
      if (n > 0)
        return 0;
      if (n < 0 && errno != EINTR)
        return estiba_error_errno (err, "D-Bus: poll");
    }
}

static int
send_all (int fd, const void *data, size_t len, estiba_error_t *err)
{
  const uint8_t *p = data;

  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return estiba_error_errno (err, "D-Bus: send");
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

/* One line of the SASL exchange ending in \r\n, read a byte at a time so
 * nothing after it is consumed.  */
static int
read_auth_line (int fd, char *buf, size_t size, long long deadline_ms, estiba_error_t *err)
{
  size_t n = 0;

  while (n + 1 < size)
    {
      ssize_t r;
      if (wait_fd (fd, POLLIN, deadline_ms, err) < 0)
        return -1;
      r = recv (fd, buf + n, 1, 0);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return estiba_error_errno (err, "D-Bus: authentication");
      if (r == 0)
        return estiba_error (err, 0, "D-Bus: the server closed the connection during authentication");
      if (n > 0 && buf[n - 1] == '\r' && buf[n] == '\n')
        {
          buf[n - 1] = '\0';
          return 0;
        }
      n++;
    }
  return estiba_error (err, 0, "D-Bus: authentication line too long");
}

/* SASL EXTERNAL: the server checks our uid (SO_PEERCRED) against the
 * hex-encoded decimal uid we claim.  BEGIN goes with AUTH in one write,
 * as sd-bus clients do: systemd reads the whole handshake at once, and a
 * message arriving in the same read as a late BEGIN would wait in its
 * buffer unprocessed.  */
static int
authenticate (int fd, long long deadline_ms, estiba_error_t *err)
{
  char uid[32], hex[80], line[512], out[160];
  size_t i;

  snprintf (uid, sizeof uid, "%u", (unsigned) geteuid ());
  for (i = 0; uid[i]; i++)
    snprintf (hex + 2 * i, 3, "%02x", (unsigned char) uid[i]);
  /* The protocol starts with one NUL byte.  */
  snprintf (out, sizeof out, "%cAUTH EXTERNAL %s\r\nBEGIN\r\n", 0, hex);
  if (send_all (fd, out, 1 + strlen (out + 1), err) < 0
      || read_auth_line (fd, line, sizeof line, deadline_ms, err) < 0)
    return -1;
  estiba_debug ("D-Bus: authentication: %s", line);
  if (strncmp (line, "OK ", 3) != 0)
    return estiba_error (err, 0, "D-Bus: authentication refused: '%.100s'", line);
  return 0;
}

static int
hello (struct dbus_conn *c, long long deadline_ms, estiba_error_t *err)
{
  const struct dbus_call call = {
    .destination = "org.freedesktop.DBus",
    .path = "/org/freedesktop/DBus",
    .interface = "org.freedesktop.DBus",
    .member = "Hello",
  };

  return dbus_call (c, &call, NULL, NULL, NULL, deadline_ms, err);
}

int
dbus_open (struct dbus_conn *c, const char *socket_path, bool bus, estiba_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  long long deadline = dbus_now_ms () + 10000;

  memset (c, 0, sizeof *c);
  c->fd = -1;
  c->bus = bus;
  if (strlen (socket_path) >= sizeof addr.sun_path)
    return estiba_error (err, ENAMETOOLONG, "D-Bus: socket '%s'", socket_path);
  strcpy (addr.sun_path, socket_path);
  c->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return estiba_error_errno (err, "D-Bus: socket");
  if (connect (c->fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      int ret = estiba_error_errno (err, "D-Bus: connect to '%s'", socket_path);
      dbus_close (c);
      return ret;
    }
  if (authenticate (c->fd, deadline, err) < 0 || (bus && hello (c, deadline, err) < 0))
    {
      dbus_close (c);
      return estiba_error_wrap (err, "'%s'", socket_path);
    }
  return 0;
}

int
dbus_open_systemd (struct dbus_conn *c, estiba_error_t *err)
{
  cleanup_error estiba_error_t private_err = NULL;

  /* Only root may use systemd's private socket.  */
  if (geteuid () == 0 && dbus_open (c, "/run/systemd/private", false, &private_err) == 0)
    return 0;
  if (dbus_open (c, "/run/dbus/system_bus_socket", true, err) == 0)
    return 0;
  if (private_err)
    return estiba_error_wrap (err, "%s; then", private_err->msg);
  return -1;
}

void
dbus_close (struct dbus_conn *c)
{
  if (c->fd >= 0)
    close (c->fd);
  free (c->in);
  memset (c, 0, sizeof *c);
  c->fd = -1;
}

int
dbus_send (struct dbus_conn *c, const struct dbus_call *call, const struct dbus_writer *body,
           uint32_t *serial, estiba_error_t *err)
{
  struct dbus_writer msg;
  int ret;

  if (++c->serial == 0)
    c->serial = 1;
  if (dbus_message_build (c->serial, call, body, &msg) < 0)
    return estiba_error (err, ENOMEM, "D-Bus: build the %s call", call->member);
  estiba_debug ("D-Bus: call %s serial %u", call->member, c->serial);
  ret = send_all (c->fd, msg.data, msg.len, err);
  dbus_writer_free (&msg);
  if (ret == 0 && serial)
    *serial = c->serial;
  return ret;
}

/* Drop the message handed out last from the input buffer.  */
static void
consume_message (struct dbus_conn *c)
{
  if (c->msg_len == 0)
    return;
  memmove (c->in, c->in + c->msg_len, c->in_len - c->msg_len);
  c->in_len -= c->msg_len;
  c->msg_len = 0;
  memset (&c->msg, 0, sizeof c->msg);
}

static int
receive_more (struct dbus_conn *c, size_t want, long long deadline_ms, estiba_error_t *err)
{
  ssize_t n;

  if (want > c->in_cap)
    {
      uint8_t *p = realloc (c->in, want);
      if (p == NULL)
        return estiba_error_errno (err, "D-Bus: receive");
      c->in = p;
      c->in_cap = want;
    }
  if (wait_fd (c->fd, POLLIN, deadline_ms, err) < 0)
    return -1;
  n = recv (c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
  if (n < 0 && errno == EINTR)
    return 0;
  if (n < 0)
    return estiba_error_errno (err, "D-Bus: receive");
  if (n == 0)
    return estiba_error (err, 0, "D-Bus: systemd closed the connection");
  c->in_len += (size_t) n;
  return 0;
}

int
dbus_receive (struct dbus_conn *c, long long deadline_ms, estiba_error_t *err)
{
  consume_message (c);
  for (;;)
    {
      long total = dbus_message_length (c->in, c->in_len);

      if (total < 0)
        return estiba_error (err, 0, "D-Bus: malformed message header");
      if (total > 0 && c->in_len >= (size_t) total)
        {
          if (dbus_message_parse (c->in, (size_t) total, &c->msg, err) < 0)
            return -1;
          c->msg_len = (size_t) total;
          estiba_debug ("D-Bus: received type %u serial %u reply to %u %s%s", c->msg.type, c->msg.serial,
                        c->msg.reply_serial, c->msg.member ? c->msg.member : "",
                        c->msg.error_name ? c->msg.error_name : "");
          return 0;
        }
      if (receive_more (c, total > 0 ? (size_t) total : 4096, deadline_ms, err) < 0)
        return -1;
    }
}

/* "NAME: message" of an ERROR reply.  */
static int
reply_error (const struct dbus_message *m, const char *member, estiba_error_t *err)
{
  struct dbus_reader r;
  const char *text = "";

  dbus_reader_init (&r, m);
  if (m->signature && m->signature[0] == 's')
    dbus_read_string (&r, &text);
  return estiba_error (err, 0, "%s: %s: %s", member, m->error_name, text);
}

int
dbus_call (struct dbus_conn *c, const struct dbus_call *call, const struct dbus_writer *body,
           dbus_signal_fn on_signal, void *data, long long deadline_ms, estiba_error_t *err)
{
  uint32_t serial;

  if (dbus_send (c, call, body, &serial, err) < 0)
    return -1;
  for (;;)
    {
      if (dbus_receive (c, deadline_ms, err) < 0)
        return -1;
      if (c->msg.type == DBUS_SIGNAL && on_signal)
        on_signal (&c->msg, data);
      if ((c->msg.type == DBUS_METHOD_RETURN || c->msg.type == DBUS_ERROR) && c->msg.reply_serial == serial)
        return c->msg.type == DBUS_ERROR ? reply_error (&c->msg, call->member, err) : 0;
    }
}
