// clang-format off

// fuzz-sources: src/libestiba/dbus.c src/libestiba/error.c src/libestiba/log.c
// fuzz-includes: src/libestiba libocispec

// clang-format on
/* libFuzzer target for the D-Bus message parser (src/libestiba/dbus.c):
 * any bytes are what systemd might send.  Whatever dbus_message_length
 * says, the parser must not read outside the message; a message it
 * accepts must read back as its signature says.  */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "dbus.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Read the body as a sequence of u32, u64 or strings, as the signature's
 * leading basic types say, stopping at the first container.  */
static void
read_body (const struct dbus_message *m)
{
  struct dbus_reader r;
  const char *sig = m->signature ? m->signature : "", *s;
  uint32_t u;
  uint64_t t;

  dbus_reader_init (&r, m);
  for (; *sig; sig++)
    {
      if (*sig == 'u' && !dbus_read_u32 (&r, &u))
        abort ();
      else if (*sig == 't' && !dbus_read_u64 (&r, &t))
        abort ();
      else if ((*sig == 's' || *sig == 'o') && (!dbus_read_string (&r, &s) || strlen (s) >= m->body_len))
        abort ();
      else if (!strchr ("uts o", *sig))
        break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  long total = dbus_message_length (data, size);
  struct dbus_message m;
  estiba_error_t err = NULL;
  uint8_t *copy;

  if (total <= 0 || (size_t) total > size)
    return 0;
  /* Exactly the message's bytes, so ASan sees a read past them.  */
  copy = malloc ((size_t) total);
  if (copy == NULL)
    return 0;
  memcpy (copy, data, (size_t) total);
  /* Unknown message types are accepted unread, as the specification says.  */
  if (dbus_message_parse (copy, (size_t) total, &m, &err) == 0 && m.type >= DBUS_METHOD_CALL
      && m.type <= DBUS_SIGNAL)
    read_body (&m);
  estiba_error_release (&err);
  free (copy);
  return 0;
}
