/* Runtime log: the text and JSON line formats of runc's logger (logrus),
 * which containerd and dockerd parse back from the --log file.  */
#include <config.h>
#include "log.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The sink for estiba_log_msg(): code deep in the library logs without a
 * context at hand.  NULL until estiba_log_use() is called: stderr, warnings
 * and errors only.  */
static struct estiba_log *current_log;

static const char *const level_names[] = {
  [ESTIBA_LOG_ERROR] = "error",
  [ESTIBA_LOG_WARNING] = "warning",
  [ESTIBA_LOG_INFO] = "info",
  [ESTIBA_LOG_DEBUG] = "debug",
};

static int
parse_level (const char *name, enum estiba_log_level *level)
{
  if (name == NULL || strcmp (name, "error") == 0)
    *level = ESTIBA_LOG_ERROR;
  else if (strcmp (name, "warning") == 0 || strcmp (name, "warn") == 0)
    *level = ESTIBA_LOG_WARNING;
  else if (strcmp (name, "info") == 0)
    *level = ESTIBA_LOG_INFO;
  else if (strcmp (name, "debug") == 0)
    *level = ESTIBA_LOG_DEBUG;
  else
    return -1;
  return 0;
}

int
estiba_log_open (struct estiba_log *log, const char *path, const char *format, const char *level,
                 estiba_error_t *err)
{
  bool json;
  enum estiba_log_level lvl;
  int fd = -1;

  if (format == NULL || *format == '\0' || strcmp (format, "text") == 0)
    json = false;
  else if (strcmp (format, "json") == 0)
    json = true;
  else
    return estiba_error (err, 0, "invalid --log-format '%s': expected 'text' or 'json'", format);

  /* A NULL level keeps the default of runc, which logs warnings too.  */
  if (level == NULL)
    lvl = ESTIBA_LOG_WARNING;
  else if (parse_level (level, &lvl) < 0)
    return estiba_error (err, 0, "invalid --log-level '%s': expected debug, info, warning or error", level);

  if (path != NULL && *path != '\0')
    {
      /* O_APPEND: the caller (containerd's shim) reads the file back and
       * several estiba processes may write to it.  */
      fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
      if (fd < 0)
        return estiba_error_errno (err, "open log file '%s'", path);
    }

  log->fd = fd;
  log->json = json;
  log->level = lvl;
  return 0;
}

void
estiba_log_close (struct estiba_log *log)
{
  if (log == NULL)
    return;
  if (current_log == log)
    current_log = NULL;
  if (log->fd >= 0)
    close (log->fd);
  log->fd = -1;
}

void
estiba_log_use (struct estiba_log *log)
{
  current_log = log;
}

/* A growable string; on allocation failure `failed` is set and further
 * appends are dropped, so the line is skipped rather than truncated.  */
struct line
{
  char *buf;
  size_t len, cap;
  bool failed;
};

static void
line_append (struct line *l, const char *s, size_t n)
{
  if (l->failed)
    return;
  if (l->len + n + 1 > l->cap)
    {
      size_t cap = (l->cap ? l->cap * 2 : 256);
      char *p;
      while (cap < l->len + n + 1)
        cap *= 2;
      p = realloc (l->buf, cap);
      if (p == NULL)
        {
          l->failed = true;
          return;
        }
      l->buf = p;
      l->cap = cap;
    }
  memcpy (l->buf + l->len, s, n);
  l->len += n;
  l->buf[l->len] = '\0';
}

static void
line_puts (struct line *l, const char *s)
{
  line_append (l, s, strlen (s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid.  */
static size_t
utf8_sequence_length (const unsigned char *s, size_t n)
{
  size_t len, i;
  unsigned int cp;

  if (s[0] < 0x80)
    return 1;
  if ((s[0] & 0xe0) == 0xc0)
    len = 2, cp = s[0] & 0x1f;
  else if ((s[0] & 0xf0) == 0xe0)
    len = 3, cp = s[0] & 0x0f;
  else if ((s[0] & 0xf8) == 0xf0)
    len = 4, cp = s[0] & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (i = 1; i < len; i++)
    {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i] & 0x3f);
    }
  /* Reject overlong forms, surrogates and values past U+10FFFF.  */
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff
      || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/* Append s as a double-quoted string.  json: JSON escapes, with invalid
 * UTF-8 replaced by U+FFFD as Go's encoder does; otherwise the Go-style
 * quoting logrus' text formatter uses.  */
static void
line_quote (struct line *l, const char *s, bool json)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t n = strlen (s);
  char tmp[8];

  line_puts (l, "\"");
  while (n > 0)
    {
      size_t seq = utf8_sequence_length (p, n);
      if (seq == 0)
        {
          if (json)
            line_puts (l, "\\ufffd");
          else
            {
              snprintf (tmp, sizeof tmp, "\\x%02x", *p);
              line_puts (l, tmp);
            }
          p++, n--;
          continue;
        }
      if (seq > 1)
        line_append (l, (const char *) p, seq);
      else if (*p == '"' || *p == '\\')
        {
          tmp[0] = '\\', tmp[1] = (char) *p;
          line_append (l, tmp, 2);
        }
      else if (*p == '\n')
        line_puts (l, "\\n");
      else if (*p == '\r')
        line_puts (l, "\\r");
      else if (*p == '\t')
        line_puts (l, "\\t");
      else if (*p < 0x20 || *p == 0x7f)
        {
          snprintf (tmp, sizeof tmp, json ? "\\u%04x" : "\\x%02x", *p);
          line_puts (l, tmp);
        }
      else
        line_append (l, (const char *) p, 1);
      p += seq, n -= seq;
    }
  line_puts (l, "\"");
}

static void
format_time (char *buf, size_t size)
{
  struct timespec ts;
  struct tm tm;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One complete line in a single write(2), so lines of concurrent writers to
 * the same O_APPEND file never interleave.  */
static void
write_line (int fd, const struct line *l)
{
  size_t done = 0;
  if (l->failed || l->buf == NULL)
    return;
  while (done < l->len)
    {
      ssize_t w = write (fd, l->buf + done, l->len - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return;
      done += (size_t) w;
    }
}

static void
write_file_line (const struct estiba_log *log, enum estiba_log_level level, const char *msg)
{
  struct line l = { 0 };
  char when[64];

  format_time (when, sizeof when);
  if (log->json)
    {
      /* Keys sorted as logrus' JSON formatter writes them.  */
      line_puts (&l, "{\"level\":\"");
      line_puts (&l, level_names[level]);
      line_puts (&l, "\",\"msg\":");
      line_quote (&l, msg, true);
      line_puts (&l, ",\"time\":\"");
      line_puts (&l, when);
      line_puts (&l, "\"}\n");
    }
  else
    {
      line_puts (&l, "time=\"");
      line_puts (&l, when);
      line_puts (&l, "\" level=");
      line_puts (&l, level_names[level]);
      line_puts (&l, " msg=");
      line_quote (&l, msg, false);
      line_puts (&l, "\n");
    }
  write_line (log->fd, &l);
  free (l.buf);
}

static void
write_stderr_line (enum estiba_log_level level, const char *msg)
{
  struct line l = { 0 };

  line_puts (&l, "estiba: ");
  if (level == ESTIBA_LOG_WARNING)
    line_puts (&l, "warning: ");
  else if (level == ESTIBA_LOG_DEBUG)
    line_puts (&l, "debug: ");
  line_puts (&l, msg);
  line_puts (&l, "\n");
  write_line (STDERR_FILENO, &l);
  free (l.buf);
}

static void
log_string (const struct estiba_log *log, enum estiba_log_level level, const char *msg)
{
  enum estiba_log_level max = log ? log->level : ESTIBA_LOG_WARNING;
  bool to_file = log != NULL && log->fd >= 0;

  if (level > max)
    return;
  if (to_file)
    write_file_line (log, level, msg);
  /* Errors always reach stderr too, as runc prints its fatal error there
   * even with --log; everything else goes to the log file alone.  */
  if (!to_file || level == ESTIBA_LOG_ERROR)
    write_stderr_line (level, msg);
}

void
estiba_log_msg (enum estiba_log_level level, const char *fmt, ...)
{
  int saved_errno = errno;
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg != NULL)
    log_string (current_log, level, msg);
  errno = saved_errno;
}

void
estiba_log_error (const estiba_error_t err)
{
  cleanup_free char *msg = estiba_error_string (err);
  log_string (current_log, ESTIBA_LOG_ERROR, msg ? msg : "out of memory");
}
