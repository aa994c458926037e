/* .dockerignore parsing and matching (rules in dockerignore.h).  */
#include <config.h>
#include "dockerignore.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ignore_pattern
{
  char *pattern; /* cleaned, without '!' */
  bool exception;
};

struct dockerignore
{
  struct ignore_pattern *patterns;
  size_t n, cap;
};

/* Go's path.Clean: drop empty and "." elements, resolve "..".  */
static char *
clean_path (const char *p)
{
  size_t n = strlen (p), r = 0, w = 0, dotdot = 0;
  bool rooted = n > 0 && p[0] == '/';
  char *out = malloc (n + 2);

  if (out == NULL)
    return NULL;
  if (rooted)
    {
      out[w++] = '/';
      r = dotdot = 1;
    }
  while (r < n)
    {
      if (p[r] == '/')
        r++;
      else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))
        r++;
      else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/'))
        {
          r += 2;
          if (w > dotdot)
            {
              w--;
              while (w > dotdot && out[w] != '/')
                w--;
            }
          else if (!rooted)
            {
              if (w > 0)
                out[w++] = '/';
              out[w++] = '.';
              out[w++] = '.';
              dotdot = w;
            }
        }
      else
        {
          if ((rooted && w != 1) || (!rooted && w != 0))
            out[w++] = '/';
          for (; r < n && p[r] != '/'; r++)
            out[w++] = p[r];
        }
    }
  if (w == 0)
    out[w++] = '.';
  out[w] = '\0';
  return out;
}

/* A "[...]" class at *pp (after '['): does c match?  Returns -1 when the
   class is malformed.  As Docker turns patterns into regular expressions,
   a negated class may match '/'.  */
static int
match_class (const char **pp, char c)
{
  const char *p = *pp;
  bool negate = false, matched = false;
  int first = 1;

  if (*p == '^')
    {
      negate = true;
      p++;
    }
  for (;; first = 0)
    {
      char lo, hi;
      if (*p == '\0')
        return -1;
      if (*p == ']' && !first)
        break;
      if (*p == '\\')
        p++;
      if (*p == '\0')
        return -1;
      lo = hi = *p++;
      if (*p == '-' && p[1] != ']' && p[1] != '\0')
        {
          p++;
          if (*p == '\\')
            p++;
          if (*p == '\0')
            return -1;
          hi = *p++;
          if (hi < lo)
            return -1;
        }
      if ((unsigned char) c >= (unsigned char) lo && (unsigned char) c <= (unsigned char) hi)
        matched = true;
    }
  *pp = p + 1;
  return matched != negate;
}

/* Matching state: results already known for (pattern offset, path
   offset), so that patterns with many '*' stay polynomial.  */
struct matcher
{
  const char *p0, *s0;
  size_t slen;
  unsigned char *memo; /* 0 unknown, else result + 2 */
};

static int match_at (struct matcher *m, const char *p, const char *s);

/* Does pattern p match the whole of s?  -1: malformed pattern.  */
static int
match_here (struct matcher *m, const char *p, const char *s)
{
  size_t key;
  int r;

  if (m->memo == NULL)
    return match_at (m, p, s);
  key = (size_t) (p - m->p0) * (m->slen + 1) + (size_t) (s - m->s0);
  if (m->memo[key])
    return m->memo[key] - 2;
  r = match_at (m, p, s);
  m->memo[key] = r + 2;
  return r;
}

static int
match_at (struct matcher *m, const char *p, const char *s)
{
  for (;;)
    {
      int r;
      switch (*p)
        {
          case '\0':
            return *s == '\0';
          case '*':
            if (p[1] == '*')
              {
                p += 2;
                if (*p == '/')
                  p++;
                if (*p == '\0')
                  return 1;
                /* Like the regexp (.*SLASH)?: nothing, or any prefix ending in a slash.  */
                r = match_here (m, p, s);
                for (; r == 0 && *s; s++)
                  if (*s == '/')
                    r = match_here (m, p, s + 1);
                return r;
              }
            p++;
            for (;;)
              {
                r = match_here (m, p, s);
                if (r != 0 || *s == '\0' || *s == '/')
                  return r;
                s++;
              }
          case '?':
            if (*s == '\0' || *s == '/')
              return 0;
            p++, s++;
            break;
          case '[':
            p++;
            if (*s == '\0')
              return 0;
            r = match_class (&p, *s);
            if (r <= 0)
              return r;
            s++;
            break;
          case '\\':
            p++;
            if (*p == '\0')
              return -1;
            /* fallthrough */
          default:
            if (*p != *s)
              return 0;
            p++, s++;
        }
    }
}

/* Docker compiles every pattern up front: a bad class or a trailing '\\'
   is an error even where no path reaches it.  */
static bool
pattern_valid (const char *p)
{
  while (*p)
    {
      if (*p == '\\')
        {
          if (p[1] == '\0')
            return false;
          p += 2;
        }
      else if (*p == '[')
        {
          p++;
          if (match_class (&p, 'x') < 0)
            return false;
        }
      else
        p++;
    }
  return true;
}

/* Whole-string match of pattern against s.  */
static int
glob_match (const char *pattern, const char *s)
{
  struct matcher m = { pattern, s, strlen (s), NULL };
  size_t cells = (strlen (pattern) + 1) * (m.slen + 1);
  int r;

  /* Paths and patterns are short; a huge pair just goes without memo.  */
  if (cells <= (64u << 20))
    m.memo = calloc (cells, 1);
  r = match_here (&m, pattern, s);
  free (m.memo);
  return r;
}

/* The pattern matches path or one of its parent directories.  */
static bool
pattern_matches (const char *pattern, const char *path)
{
  cleanup_free char *copy = strdup (path);
  char *slash;

  if (copy == NULL)
    return false;
  if (glob_match (pattern, copy) > 0)
    return true;
  for (slash = strchr (copy, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      *slash = '\0';
      bool m = glob_match (pattern, copy) > 0;
      *slash = '/';
      if (m)
        return true;
    }
  return false;
}

static int
add_pattern (struct dockerignore *ign, const char *text, bool exception, const char *filename, int line,
             estiba_error_t *err)
{
  struct ignore_pattern *p;
  char *clean = clean_path (text);

  if (clean == NULL)
    return estiba_error_errno (err, "malloc");
  if (strlen (clean) > 1 && clean[0] == '/')
    memmove (clean, clean + 1, strlen (clean));
  /* Bounded: the matcher recurses once per '*'.  */
  size_t stars = 0;
  for (const char *q = clean; *q; q++)
    stars += *q == '*';
  if (stars > 100)
    {
      int ret = estiba_error (err, 0, "%s:%d: too many wildcards in pattern", filename, line);
      free (clean);
      return ret;
    }
  if (!pattern_valid (clean))
    {
      int ret = estiba_error (err, 0, "%s:%d: syntax error in pattern \"%s\"", filename, line, text);
      free (clean);
      return ret;
    }
  if (ign->n == ign->cap)
    {
      size_t cap = ign->cap ? ign->cap * 2 : 16;
      p = realloc (ign->patterns, cap * sizeof (*p));
      if (p == NULL)
        {
          free (clean);
          return estiba_error_errno (err, "realloc");
        }
      ign->patterns = p;
      ign->cap = cap;
    }
  p = ign->patterns;
  p[ign->n].pattern = clean;
  p[ign->n].exception = exception;
  ign->n++;
  return 0;
}

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

static int
parse_line (struct dockerignore *ign, const char *s, size_t n, const char *filename, int line,
            estiba_error_t *err)
{
  cleanup_free char *text = NULL;
  bool exception = false;

  if (n > 0 && s[0] == '#')
    return 0;
  while (n > 0 && is_blank (*s))
    s++, n--;
  while (n > 0 && is_blank (s[n - 1]))
    n--;
  if (n == 0)
    return 0;
  if (*s == '!')
    {
      exception = true;
      s++, n--;
      while (n > 0 && is_blank (*s))
        s++, n--;
    }
  text = strndup (s, n);
  if (text == NULL)
    return estiba_error_errno (err, "strndup");
  if (memchr (s, '\0', n))
    return estiba_error (err, 0, "%s:%d: invalid NUL byte", filename, line);
  return add_pattern (ign, text, exception, filename, line, err);
}

struct dockerignore *
dockerignore_parse (const char *data, size_t len, const char *filename, estiba_error_t *err)
{
  struct dockerignore *ign = calloc (1, sizeof (*ign));
  size_t pos = 0;
  int line = 0;

  if (ign == NULL)
    {
      estiba_error_errno (err, "calloc");
      return NULL;
    }
  if (len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    pos = 3;
  while (pos < len)
    {
      const char *s = data + pos, *nl = memchr (s, '\n', len - pos);
      size_t n = nl ? (size_t) (nl - s) : len - pos;
      pos += n + 1;
      if (parse_line (ign, s, n, filename, ++line, err) < 0)
        {
          for (char *q = err && *err ? (*err)->msg : NULL; q && *q; q++)
            if ((unsigned char) *q < 0x20)
              *q = '?';
          dockerignore_free (ign);
          return NULL;
        }
    }
  return ign;
}

int
dockerignore_load (const char *context_dir, struct dockerignore **out, estiba_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *data = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  size_t got = 0;

  *out = NULL;
  if (asprintf (&path, "%s/.dockerignore", context_dir) < 0)
    return estiba_error_errno (err, "asprintf");
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT)
    {
      *out = calloc (1, sizeof (**out));
      return *out ? 0 : estiba_error_errno (err, "calloc");
    }
  if (fd < 0 || fstat (fd, &st) < 0)
    return estiba_error_errno (err, "open `%s`", path);
  if (!S_ISREG (st.st_mode))
    return estiba_error (err, 0, "`%s` is not a regular file", path);
  data = malloc (st.st_size + 1);
  if (data == NULL)
    return estiba_error_errno (err, "malloc");
  while (got < (size_t) st.st_size)
    {
      ssize_t r = read (fd, data + got, st.st_size - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return estiba_error_errno (err, "read `%s`", path);
      if (r == 0)
        break;
      got += r;
    }
  *out = dockerignore_parse (data, got, path, err);
  return *out ? 0 : -1;
}

bool
dockerignore_match (const struct dockerignore *ign, const char *path)
{
  cleanup_free char *clean = clean_path (path);
  const char *p;
  bool matched = false;
  size_t i;

  if (ign == NULL || clean == NULL)
    return false;
  p = clean;
  while (*p == '/')
    p++;
  if (*p == '\0' || strcmp (p, ".") == 0)
    return false;
  for (i = 0; i < ign->n; i++)
    {
      /* Only a pattern that could change the answer is worth testing.  */
      if (ign->patterns[i].exception != matched)
        continue;
      if (pattern_matches (ign->patterns[i].pattern, p))
        matched = !ign->patterns[i].exception;
    }
  return matched;
}

int
dockerignore_keep (struct dockerignore *ign, const char *path, estiba_error_t *err)
{
  if (!dockerignore_match (ign, path))
    return 0;
  return add_pattern (ign, path, true, "dockerignore_keep", 0, err);
}

bool
dockerignore_has_exceptions (const struct dockerignore *ign)
{
  size_t i;
  for (i = 0; ign && i < ign->n; i++)
    if (ign->patterns[i].exception)
      return true;
  return false;
}

size_t
dockerignore_count (const struct dockerignore *ign)
{
  return ign ? ign->n : 0;
}

void
dockerignore_free (struct dockerignore *ign)
{
  size_t i;
  if (ign == NULL)
    return;
  for (i = 0; i < ign->n; i++)
    free (ign->patterns[i].pattern);
  free (ign->patterns);
  free (ign);
}
