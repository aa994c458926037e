/* A minimal D-Bus client: enough to call systemd's manager as root
 * without libsystemd.  It connects to systemd's private peer-to-peer
 * socket (/run/systemd/private) or to the system bus, authenticates with
 * SASL EXTERNAL, marshals METHOD_CALL messages (little-endian, the D-Bus
 * specification's alignment rules) and parses what comes back:
 * METHOD_RETURN, ERROR and signals.  The parser checks every length and
 * offset against the received bytes, so a malformed message is an error,
 * never a read past the buffer.  */
#ifndef ESTIBA_DBUS_H
#define ESTIBA_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum dbus_message_type
{
  DBUS_METHOD_CALL = 1,
  DBUS_METHOD_RETURN = 2,
  DBUS_ERROR = 3,
  DBUS_SIGNAL = 4,
};

/* ---- marshalling ---- */

/* A growing buffer of marshalled values.  Offsets (and so alignment) are
 * relative to its start, which is where a message body starts too (the
 * body begins 8-aligned).  An allocation failure sets `failed`; the
 * builders then do nothing more.  */
struct dbus_writer
{
  uint8_t *data;
  size_t len, cap;
  bool failed;
};

void dbus_writer_free (struct dbus_writer *w);
void dbus_put_byte (struct dbus_writer *w, uint8_t v);
void dbus_put_bool (struct dbus_writer *w, bool v);
void dbus_put_u32 (struct dbus_writer *w, uint32_t v);
void dbus_put_u64 (struct dbus_writer *w, uint64_t v);
/* STRING and OBJECT_PATH: u32 length, bytes, NUL.  */
void dbus_put_string (struct dbus_writer *w, const char *s);
/* SIGNATURE: byte length, bytes, NUL.  */
void dbus_put_signature (struct dbus_writer *w, const char *sig);
/* An array: dbus_array_begin writes the length placeholder and pads to
 * the element alignment (1, 2, 4 or 8); its return value goes to
 * dbus_array_end, which fills in the length of the elements.  */
size_t dbus_array_begin (struct dbus_writer *w, size_t element_alignment);
void dbus_array_end (struct dbus_writer *w, size_t token);
/* Structs and dict entries start 8-aligned.  */
void dbus_struct_begin (struct dbus_writer *w);
/* A variant: its signature; the value follows with the dbus_put_*.  */
void dbus_variant_begin (struct dbus_writer *w, const char *sig);

/* The header of a call.  destination may be NULL (peer-to-peer).  */
struct dbus_call
{
  const char *destination;
  const char *path;
  const char *interface;
  const char *member;
  const char *signature; /* of the body; NULL or "" when there is none */
};

/* A whole METHOD_CALL message with this serial (non-zero) and body (may
 * be NULL) into *out.  Returns 0, or -1 on a failed allocation or a
 * body of more than the protocol's maximum.  */
int dbus_message_build (uint32_t serial, const struct dbus_call *call, const struct dbus_writer *body,
                        struct dbus_writer *out);

/* ---- parsing ---- */

/* A parsed message: the strings and the body point into the buffer that
 * was parsed.  Header strings not present are NULL.  */
struct dbus_message
{
  uint8_t type;
  uint8_t flags;
  bool big_endian;
  uint32_t serial;
  uint32_t reply_serial; /* 0 when absent */
  const char *path, *interface, *member, *error_name, *destination, *sender, *signature;
  const uint8_t *body;
  size_t body_len;
};

/* The total length of the message that starts data[0..len): 0 when fewer
 * than 16 bytes are there (the fixed header), -1 when the header is
 * malformed or the message is larger than the protocol allows.  */
long dbus_message_length (const uint8_t *data, size_t len);

/* Parse the complete message data[0..len) (len must be what
 * dbus_message_length said).  Returns 0 or -1 with *err naming what is
 * wrong.  */
int dbus_message_parse (const uint8_t *data, size_t len, struct dbus_message *m, estiba_error_t *err);

/* Reads the body values in order.  Every read checks the bounds and the
 * alignment padding; after the first failure `failed` is set and the
 * reads return false.  */
struct dbus_reader
{
  const uint8_t *data;
  size_t len, pos;
  bool big_endian;
  bool failed;
};

void dbus_reader_init (struct dbus_reader *r, const struct dbus_message *m);
bool dbus_read_u32 (struct dbus_reader *r, uint32_t *v);
bool dbus_read_u64 (struct dbus_reader *r, uint64_t *v);
/* STRING or OBJECT_PATH; *s points into the message.  */
bool dbus_read_string (struct dbus_reader *r, const char **s);

/* ---- the connection ---- */

struct dbus_conn
{
  int fd;
  uint32_t serial;
  uint8_t *in; /* bytes received and not yet consumed */
  size_t in_len, in_cap;
  struct dbus_message msg; /* the last message received, into `in` */
  size_t msg_len;
  bool bus; /* a bus daemon (system bus), not systemd's private socket */
};

/* Connect to systemd: /run/systemd/private (root only), else the system
 * bus (then Hello first).  */
int dbus_open_systemd (struct dbus_conn *c, estiba_error_t *err);

/* Connect to a socket path and authenticate; bus: send Hello.  */
int dbus_open (struct dbus_conn *c, const char *socket_path, bool bus, estiba_error_t *err);

void dbus_close (struct dbus_conn *c);

/* Send a call and return its serial through *serial.  */
int dbus_send (struct dbus_conn *c, const struct dbus_call *call, const struct dbus_writer *body,
               uint32_t *serial, estiba_error_t *err);

/* Receive the next message into c->msg (valid until the next receive),
 * waiting until the monotonic deadline_ms at most.  */
int dbus_receive (struct dbus_conn *c, long long deadline_ms, estiba_error_t *err);

/* Call and wait for the reply (into c->msg); an ERROR reply is returned
 * as "NAME: message".  Signals that arrive meanwhile are passed to
 * on_signal (may be NULL).  */
typedef void (*dbus_signal_fn) (const struct dbus_message *m, void *data);
int dbus_call (struct dbus_conn *c, const struct dbus_call *call, const struct dbus_writer *body,
               dbus_signal_fn on_signal, void *data, long long deadline_ms, estiba_error_t *err);

/* The monotonic clock in milliseconds, for deadlines.  */
long long dbus_now_ms (void);

#endif
