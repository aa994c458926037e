/* The D-Bus client (src/libestiba/dbus.c) and the pure parts of the
 * systemd cgroup driver (cgroup_systemd.c): the exact bytes of marshalled
 * messages, parsing replies and signals, every truncation and corruption
 * of a message refused without reading past it (run it under ASan), a
 * round trip through a real dbus-daemon when one is installed, and the
 * unit names, slice paths and CPU masks given to systemd.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup_systemd.h"
#include "cleanup.h"
#include "dbus.h"
#include "leaf-tap.h"

/* A copy in a buffer of exactly len bytes, so ASan sees any read past it.  */
static uint8_t *
exact_copy (const uint8_t *p, size_t len)
{
  uint8_t *q = malloc (len ? len : 1);
  if (q && len)
    memcpy (q, p, len);
  return q;
}

/* Parse a copy of exactly len bytes; m points into it until the next
 * call (the copy stays reachable, so no leak is reported).  */
static int
parse (const uint8_t *data, size_t len, struct dbus_message *m)
{
  static uint8_t *copy;
  estiba_error_t err = NULL;
  int ret;

  free (copy);
  copy = exact_copy (data, len);
  ret = dbus_message_parse (copy, len, m, &err);
  estiba_error_release (&err);
  return ret;
}

/* A message of any type built by hand: header fields as (code, type,
 * value) with type 's', 'o', 'g' or 'u' (value then a decimal).  */
struct field
{
  uint8_t code;
  char type;
  const char *value;
};

static void
build (struct dbus_writer *out, uint8_t type, uint32_t serial, const struct field *f, size_t nf,
       const struct dbus_writer *body)
{
  size_t fields, i;

  memset (out, 0, sizeof *out);
  dbus_put_byte (out, 'l');
  dbus_put_byte (out, type);
  dbus_put_byte (out, 0);
  dbus_put_byte (out, 1);
  dbus_put_u32 (out, body ? (uint32_t) body->len : 0);
  dbus_put_u32 (out, serial);
  fields = dbus_array_begin (out, 8);
  for (i = 0; i < nf; i++)
    {
      char sig[2] = { f[i].type, 0 };
      dbus_struct_begin (out);
      dbus_put_byte (out, f[i].code);
      dbus_variant_begin (out, sig);
      if (f[i].type == 'u')
        dbus_put_u32 (out, (uint32_t) strtoul (f[i].value, NULL, 10));
      else if (f[i].type == 'g')
        dbus_put_signature (out, f[i].value);
      else
        dbus_put_string (out, f[i].value);
    }
  dbus_array_end (out, fields);
  dbus_struct_begin (out);
  for (i = 0; body && i < body->len; i++)
    dbus_put_byte (out, body->data[i]);
}

/* JobRemoved(u 7, o "/org/freedesktop/systemd1/job/7", s "a.scope", s "done").  */
static void
job_removed (struct dbus_writer *msg)
{
  struct dbus_writer body = { 0 };
  const struct field f[] = {
    { 1, 'o', "/org/freedesktop/systemd1" },
    { 2, 's', "org.freedesktop.systemd1.Manager" },
    { 3, 's', "JobRemoved" },
    { 8, 'g', "uoss" },
  };

  dbus_put_u32 (&body, 7);
  dbus_put_string (&body, "/org/freedesktop/systemd1/job/7");
  dbus_put_string (&body, "a.scope");
  dbus_put_string (&body, "done");
  build (msg, DBUS_SIGNAL, 9, f, 4, &body);
  dbus_writer_free (&body);
}

static void
test_call_bytes (void)
{
  static const uint8_t want[48] = {
    'l', 1, 0,   1, 0, 0, 0, 0, 1,   0, 0, 0, 26, 0, 0, 0, /* fixed header, 26 bytes of fields */
    1,   1, 'o', 0, 1, 0, 0, 0, '/', 0, 0, 0, 0,  0, 0, 0, /* PATH "/" + padding */
    3,   1, 's', 0, 1, 0, 0, 0, 'M', 0, 0, 0, 0,  0, 0, 0, /* MEMBER "M" + padding to the body */
  };
  const struct dbus_call call = { .path = "/", .member = "M" };
  struct dbus_writer msg = { 0 };

  int ret = dbus_message_build (1, &call, NULL, &msg);

  ok (ret == 0 && msg.len == sizeof want && memcmp (msg.data, want, sizeof want) == 0,
      "a call's bytes: fixed header, fields 8-aligned, body 8-aligned (%zu bytes)", msg.len);
  dbus_writer_free (&msg);
}

static void
test_body_bytes (void)
{
  struct dbus_writer w = { 0 };
  size_t a;

  /* a(sv) holding ("A", <uint64 5>).  */
  a = dbus_array_begin (&w, 8);
  dbus_struct_begin (&w);
  dbus_put_string (&w, "A");
  dbus_variant_begin (&w, "t");
  dbus_put_u64 (&w, 5);
  dbus_array_end (&w, a);
  ok (w.len == 32 && w.data[0] == 24 && w.data[4] == 0 && w.data[8] == 1 && w.data[12] == 'A'
        && w.data[14] == 1 && w.data[15] == 't' && w.data[24] == 5,
      "a(sv): length excludes the padding before the first struct; uint64 8-aligned");
  dbus_writer_free (&w);

  /* An empty array of structs is still padded to 8.  */
  dbus_put_byte (&w, 1);
  a = dbus_array_begin (&w, 8);
  dbus_array_end (&w, a);
  ok (w.len == 8 && w.data[4] == 0, "empty a(sv): length 0, padded to the element alignment");
  dbus_writer_free (&w);

  dbus_put_byte (&w, 1);
  dbus_put_bool (&w, true);
  dbus_put_signature (&w, "au");
  a = dbus_array_begin (&w, 4);
  dbus_put_u32 (&w, 0x01020304);
  dbus_array_end (&w, a);
  ok (w.len == 20 && w.data[4] == 1 && w.data[8] == 2 && w.data[12] == 4 && w.data[16] == 4
        && w.data[19] == 1,
      "bool is 4 bytes aligned; signature 1-aligned; au little-endian");
  dbus_writer_free (&w);
}

static void
test_parse_signal (void)
{
  struct dbus_writer msg;
  struct dbus_message m;
  struct dbus_reader r;
  const char *job = NULL, *unit = NULL, *result = NULL;
  uint32_t id = 0;

  job_removed (&msg);
  ok (dbus_message_length (msg.data, 15) == 0 && dbus_message_length (msg.data, msg.len) == (long) msg.len,
      "message length: 0 before the fixed header, then the whole length");
  ok (parse (msg.data, msg.len, &m) == 0 && m.type == DBUS_SIGNAL && m.serial == 9 && m.member
        && strcmp (m.member, "JobRemoved") == 0 && strcmp (m.signature, "uoss") == 0,
      "a JobRemoved signal parses");
  /* Read from the buffer itself: m points into it.  */
  dbus_message_parse (msg.data, msg.len, &m, NULL);
  dbus_reader_init (&r, &m);
  ok (dbus_read_u32 (&r, &id) && dbus_read_string (&r, &job) && dbus_read_string (&r, &unit)
        && dbus_read_string (&r, &result) && id == 7 && strcmp (job, "/org/freedesktop/systemd1/job/7") == 0
        && strcmp (unit, "a.scope") == 0 && strcmp (result, "done") == 0 && !dbus_read_u32 (&r, &id),
      "its body reads back; reading past the end fails");
  dbus_writer_free (&msg);
}

/* Every prefix of a message, and every byte changed, is refused or parsed
 * without reading outside the message (ASan).  */
static void
test_truncated_and_corrupted (void)
{
  struct dbus_writer msg;
  struct dbus_message m;
  size_t i, refused = 0, v;
  bool all_refused = true;
  static const uint8_t values[] = { 0, 1, 0x7f, 0x80, 0xff, 's', '(', 'a', 'v' };

  job_removed (&msg);
  for (i = 0; i < msg.len; i++)
    if (parse (msg.data, i, &m) == 0)
      all_refused = false;
  ok (all_refused, "each of the %zu truncations is refused", msg.len);
  for (i = 0; i < msg.len; i++)
    for (v = 0; v < sizeof values; v++)
      {
        uint8_t *copy = exact_copy (msg.data, msg.len);
        long len;
        copy[i] = values[v];
        len = dbus_message_length (copy, msg.len);
        if (len != (long) msg.len || parse (copy, msg.len, &m) < 0)
          refused++;
        free (copy);
      }
  ok (refused > 0, "corrupting each byte: %zu of %zu variants refused, none read outside", refused,
      msg.len * sizeof values);
  dbus_writer_free (&msg);
}

static void
test_malformed (void)
{
  struct dbus_writer msg, body = { 0 };
  struct dbus_message m;
  const struct field ret[] = { { 5, 'u', "3" }, { 8, 'g', "s" } };
  char deep[64];
  size_t off;

  dbus_put_string (&body, "x");
  build (&msg, DBUS_METHOD_RETURN, 2, ret, 2, &body);
  ok (parse (msg.data, msg.len, &m) == 0 && m.reply_serial == 3, "a METHOD_RETURN parses");
  /* The string's length claims more than there is.  */
  off = msg.len - body.len;
  msg.data[off] = 0xff;
  ok (parse (msg.data, msg.len, &m) < 0, "a string longer than the body is refused");
  msg.data[off] = 1;
  msg.data[off + 5] = 'y'; /* the NUL after "x" */
  ok (parse (msg.data, msg.len, &m) < 0, "a string without its NUL is refused");
  msg.data[off + 5] = 0;
  ok (parse (msg.data, msg.len, &m) == 0 && msg.data[31] == 0, "restored, it parses again");
  msg.data[31] = 1; /* the padding after the SIGNATURE field */
  ok (parse (msg.data, msg.len, &m) < 0, "non-zero padding is refused");
  dbus_writer_free (&msg);

  /* Signature says u, the body is a string.  */
  {
    const struct field f[] = { { 5, 'u', "3" }, { 8, 'g', "uu" } };
    build (&msg, DBUS_METHOD_RETURN, 2, f, 2, &body);
    ok (parse (msg.data, msg.len, &m) < 0, "a body that does not match its signature is refused");
    dbus_writer_free (&msg);
  }
  /* Non-zero padding.  */
  {
    const struct field f[] = { { 5, 'u', "3" } };
    build (&msg, DBUS_METHOD_RETURN, 2, f, 1, NULL);
    ok (parse (msg.data, msg.len, &m) == 0, "a reply without body parses");
    dbus_writer_free (&msg);
  }
  /* An ERROR needs its name; a METHOD_RETURN its REPLY_SERIAL.  */
  {
    const struct field f[] = { { 5, 'u', "3" } };
    build (&msg, DBUS_ERROR, 2, f, 1, NULL);
    ok (parse (msg.data, msg.len, &m) < 0, "an ERROR without ERROR_NAME is refused");
    dbus_writer_free (&msg);
    build (&msg, DBUS_METHOD_RETURN, 2, NULL, 0, NULL);
    ok (parse (msg.data, msg.len, &m) < 0, "a METHOD_RETURN without REPLY_SERIAL is refused");
    dbus_writer_free (&msg);
  }
  /* A header field of the wrong type.  */
  {
    const struct field f[] = { { 5, 's', "3" } };
    build (&msg, DBUS_METHOD_RETURN, 2, f, 1, NULL);
    ok (parse (msg.data, msg.len, &m) < 0, "REPLY_SERIAL as a string is refused");
    dbus_writer_free (&msg);
  }
  /* Unknown header fields are skipped.  */
  {
    const struct field f[] = { { 5, 'u', "3" }, { 77, 's', "future" }, { 4, 's', "org.x.Error" } };
    build (&msg, DBUS_ERROR, 2, f, 3, NULL);
    ok (parse (msg.data, msg.len, &m) == 0 && strcmp (m.error_name, "org.x.Error") == 0,
        "an unknown header field is skipped");
    dbus_writer_free (&msg);
  }
  /* Nesting beyond the limit.  */
  memset (deep, 'a', sizeof deep - 2);
  deep[sizeof deep - 2] = 'y';
  deep[sizeof deep - 1] = '\0';
  {
    struct dbus_writer b = { 0 };
    const struct field f[] = { { 5, 'u', "3" }, { 8, 'g', deep } };
    dbus_put_u32 (&b, 0);
    build (&msg, DBUS_METHOD_RETURN, 2, f, 2, &b);
    ok (parse (msg.data, msg.len, &m) < 0, "62 nested arrays are refused");
    dbus_writer_free (&msg);
    dbus_writer_free (&b);
  }
  /* A variant and a struct in the body are walked.  */
  {
    struct dbus_writer b = { 0 };
    const struct field f[] = { { 5, 'u', "3" }, { 8, 'g', "va(sv)" } };
    size_t a;
    dbus_variant_begin (&b, "(ut)");
    dbus_struct_begin (&b);
    dbus_put_u32 (&b, 1);
    dbus_put_u64 (&b, 2);
    a = dbus_array_begin (&b, 8);
    dbus_struct_begin (&b);
    dbus_put_string (&b, "k");
    dbus_variant_begin (&b, "b");
    dbus_put_bool (&b, true);
    dbus_array_end (&b, a);
    build (&msg, DBUS_METHOD_RETURN, 2, f, 2, &b);
    ok (parse (msg.data, msg.len, &m) == 0, "a body with a variant of a struct and an a(sv) parses");
    /* A boolean of 2 is invalid.  */
    msg.data[msg.len - 4] = 2;
    ok (parse (msg.data, msg.len, &m) < 0, "a boolean other than 0 or 1 is refused");
    dbus_writer_free (&msg);
    dbus_writer_free (&b);
  }
  /* Big-endian messages are read too.  */
  {
    static const uint8_t be[] = { 'B', 2, 0, 1, 0, 0, 0, 4, 0,   0, 0, 5,   0, 0, 0, 15, 5, 1,
                                  'u', 0, 0, 0, 0, 3, 8, 1, 'g', 0, 1, 'u', 0, 0, 0, 0,  1, 2 };
    struct dbus_reader r;
    uint32_t v = 0;
    ok (parse (be, sizeof be, &m) == 0, "a big-endian reply parses");
    dbus_message_parse (be, sizeof be, &m, NULL);
    dbus_reader_init (&r, &m);
    ok (m.reply_serial == 3 && m.serial == 5 && dbus_read_u32 (&r, &v) && v == 0x102,
        "its numbers are read big-endian");
  }
  dbus_writer_free (&body);
}

/* ---- a real bus: dbus-daemon checks every message it routes ---- */

static pid_t
start_daemon (const char *dir, char *sock, size_t size)
{
  char addr[300];
  pid_t pid;
  int i;

  snprintf (sock, size, "%s/bus", dir);
  snprintf (addr, sizeof addr, "--address=unix:path=%s", sock);
  pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 1);
      dup2 (null, 2);
      execlp ("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--nopidfile", addr, (char *) NULL);
      _exit (127);
    }
  for (i = 0; pid > 0 && i < 500; i++)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      if (access (sock, F_OK) == 0)
        return pid;
      if (waitpid (pid, NULL, WNOHANG) == pid)
        return -1;
      nanosleep (&ts, NULL);
    }
  return -1;
}

static void
test_bus (void)
{
  char dir[] = "/tmp/test-dbus.XXXXXX", sock[256];
  struct dbus_conn c;
  estiba_error_t err = NULL;
  const char *me = NULL;
  cleanup_free char *name = NULL;
  pid_t daemon;
  int ret, tries;

  if (system ("command -v dbus-daemon >/dev/null") != 0 || mkdtemp (dir) == NULL)
    {
      ok (true, "# SKIP dbus-daemon is not installed (package dbus-daemon)");
      return;
    }
  daemon = start_daemon (dir, sock, sizeof sock);
  if (!ok (daemon > 0, "dbus-daemon started"))
    return;
  /* The socket file exists before dbus-daemon listens on it.  */
  for (tries = 0; (ret = dbus_open (&c, sock, true, &err)) < 0 && tries < 500; tries++)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      if (err->status != ECONNREFUSED)
        break;
      estiba_error_release (&err);
      nanosleep (&ts, NULL);
    }
  if (ret == 0)
    {
      struct dbus_reader r;
      dbus_reader_init (&r, &c.msg);
      if (dbus_read_string (&r, &me))
        name = strdup (me);
    }
  ok_call (ret, &err, "SASL EXTERNAL and Hello with a real dbus-daemon (unique name %s)", name ? name : "-");
  if (ret == 0 && name)
    {
      /* StartTransientUnit's shape, sent to ourselves: the daemon drops the
       * connection on a malformed message, so getting it back proves it
       * well-formed, and the copy is parsed as any received message.  */
      struct dbus_writer b = { 0 };
      const struct dbus_call call = { .destination = name,
                                      .path = "/org/freedesktop/systemd1",
                                      .interface = "org.freedesktop.systemd1.Manager",
                                      .member = "StartTransientUnit",
                                      .signature = "ssa(sv)a(sa(sv))" };
      size_t props, pids, aux;
      struct dbus_reader r;
      const char *unit = NULL, *mode = NULL, *key = NULL;
      uint32_t n = 0;

      dbus_put_string (&b, "estiba-x.scope");
      dbus_put_string (&b, "replace");
      props = dbus_array_begin (&b, 8);
      dbus_struct_begin (&b);
      dbus_put_string (&b, "PIDs");
      dbus_variant_begin (&b, "au");
      pids = dbus_array_begin (&b, 4);
      dbus_put_u32 (&b, 42);
      dbus_array_end (&b, pids);
      dbus_struct_begin (&b);
      dbus_put_string (&b, "MemoryMax");
      dbus_variant_begin (&b, "t");
      dbus_put_u64 (&b, 1 << 26);
      dbus_array_end (&b, props);
      aux = dbus_array_begin (&b, 8);
      dbus_array_end (&b, aux);
      ret = dbus_send (&c, &call, &b, NULL, &err);
      while (ret == 0 && c.msg.type != DBUS_METHOD_CALL)
        ret = dbus_receive (&c, dbus_now_ms () + 5000, &err);
      ok_call (ret, &err, "the daemon routes a StartTransientUnit-shaped call back to us");
      dbus_reader_init (&r, &c.msg);
      ok (ret == 0 && strcmp (c.msg.signature, "ssa(sv)a(sa(sv))") == 0 && dbus_read_string (&r, &unit)
            && dbus_read_string (&r, &mode) && dbus_read_u32 (&r, &n) && dbus_read_u64 (&r, &(uint64_t){ 0 })
            && strcmp (unit, "estiba-x.scope") == 0 && strcmp (mode, "replace") == 0,
          "its body reads back");
      (void) key;
      dbus_writer_free (&b);

      /* An ERROR reply is one line with its name.  */
      {
        const struct dbus_call bad = {
          .destination = "org.example.Nobody", .path = "/", .interface = "a.b", .member = "Nothing"
        };
        ret = dbus_call (&c, &bad, NULL, NULL, NULL, dbus_now_ms () + 5000, &err);
        ok (ret < 0 && err && strstr (err->msg, "org.freedesktop.DBus.Error.ServiceUnknown")
              && !strchr (err->msg, '\n'),
            "an ERROR reply becomes one line naming it: %s", err ? err->msg : "(none)");
        estiba_error_release (&err);
      }
      dbus_close (&c);
    }
  kill (daemon, SIGTERM);
  waitpid (daemon, NULL, 0);
  unlink (sock);
  rmdir (dir);
}

static void
test_unit_names (void)
{
  estiba_error_t err = NULL;
  char *slice = NULL, *unit = NULL;
  cleanup_free char *p1 = NULL, *p2 = NULL, *p3 = NULL;
  unsigned char mask[4];
  int n;

  ok_call (cgroup_systemd_unit_names (NULL, "c1", &slice, &unit, &err), &err, "default names");
  ok (slice && unit && strcmp (slice, "system.slice") == 0 && strcmp (unit, "estiba-c1.scope") == 0,
      "default: system.slice, estiba-ID.scope (%s, %s)", slice, unit);
  free (slice);
  free (unit);
  ok_call (cgroup_systemd_unit_names ("machine.slice:pre:web", "c1", &slice, &unit, &err), &err, "scope");
  ok (strcmp (slice, "machine.slice") == 0 && strcmp (unit, "pre-web.scope") == 0, "slice:prefix:name");
  free (slice);
  free (unit);
  ok_call (cgroup_systemd_unit_names (":pre:web", "c1", &slice, &unit, &err), &err, "empty slice");
  ok (strcmp (slice, "system.slice") == 0, "an empty slice is system.slice");
  free (slice);
  free (unit);
  ok_call (cgroup_systemd_unit_names ("system.slice:pre:pod-a.slice", "c1", &slice, &unit, &err), &err,
           "slice unit");
  ok (strcmp (unit, "pod-a.slice") == 0, "a name ending in .slice is the unit itself");
  free (slice);
  free (unit);
  slice = unit = NULL;
  n = cgroup_systemd_unit_names ("system.slice:pre:a+b", "c1", &slice, &unit, &err);
  ok (n < 0 && err && strstr (err->msg, "not a valid systemd unit name") && slice == NULL && unit == NULL,
      "a '+' in the name is refused: %s", err ? err->msg : "");
  estiba_error_release (&err);
  ok (cgroup_systemd_unit_names ("bad:pre:x", "c1", &slice, &unit, &err) < 0 && err
        && strstr (err->msg, "not a valid systemd slice"),
      "a slice not ending in .slice is refused");
  estiba_error_release (&err);
  ok (cgroup_systemd_unit_names ("a.slice:pre", "c1", &slice, &unit, &err) < 0, "two parts are refused");
  estiba_error_release (&err);

  p1 = cgroup_systemd_slice_path ("a-b-c.slice");
  p2 = cgroup_systemd_slice_path ("system.slice");
  p3 = cgroup_systemd_slice_path ("-.slice");
  ok (p1 && strcmp (p1, "/a.slice/a-b.slice/a-b-c.slice") == 0 && p2 && strcmp (p2, "/system.slice") == 0
        && p3 && strcmp (p3, "/") == 0,
      "slice paths: %s, %s, %s", p1, p2, p3);

  n = cgroup_systemd_cpu_mask ("0-2,9", mask, sizeof mask);
  ok (n == 2 && mask[0] == 0x07 && mask[1] == 0x02, "cpu mask 0-2,9 -> 07 02 (%d bytes)", n);
  ok (cgroup_systemd_cpu_mask ("3", mask, sizeof mask) == 1 && mask[0] == 0x08, "cpu mask 3 -> 08");
  ok (cgroup_systemd_cpu_mask ("2-1", mask, sizeof mask) < 0
        && cgroup_systemd_cpu_mask ("0,", mask, sizeof mask) < 0
        && cgroup_systemd_cpu_mask ("a", mask, sizeof mask) < 0
        && cgroup_systemd_cpu_mask ("32", mask, sizeof mask) < 0
        && cgroup_systemd_cpu_mask ("1-", mask, sizeof mask) < 0,
      "malformed or too large cpu lists are refused");
}

int
main (void)
{
  test_call_bytes ();
  test_body_bytes ();
  test_parse_signal ();
  test_truncated_and_corrupted ();
  test_malformed ();
  test_bus ();
  test_unit_names ();
  return tap_done ();
}
