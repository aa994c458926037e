/* Dockerfile lexer: physical lines -> logical lines, as BuildKit reads them.
 *
 * - Parser directives (# syntax=, # escape=, # check=) are only looked for
 *   until the first line that is not one (comment, blank or instruction).
 * - A line ending in the escape char (plus trailing blanks) continues on
 *   the next; comment lines and blank lines inside a continuation are
 *   skipped, as BuildKit does.
 * - RUN/COPY/ADD lines holding <<WORD read heredoc bodies from the lines
 *   that follow, one heredoc after the other.  */
#include <config.h>
#include "dockerfile.h"
#include "cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A cursor over the physical lines of the file.  */
struct line_reader
{
  const char *data;
  size_t len, pos;
  int lineno;
};

/* Next physical line without its "\n" (and "\r"); false at end.  */
static bool
next_line (struct line_reader *r, const char **start, size_t *n)
{
  const char *nl;
  size_t avail;

  if (r->pos >= r->len)
    return false;
  *start = r->data + r->pos;
  avail = r->len - r->pos;
  nl = memchr (*start, '\n', avail);
  *n = nl ? (size_t) (nl - *start) : avail;
  r->pos += *n + (nl ? 1 : 0);
  r->lineno++;
  if (r->lineno == 1 && *n >= 3 && memcmp (*start, "\xef\xbb\xbf", 3) == 0)
    {
      *start += 3;
      *n -= 3;
    }
  while (*n > 0 && (*start)[*n - 1] == '\r')
    (*n)--;
  return true;
}

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static size_t
skip_blanks (const char *s, size_t n)
{
  size_t i = 0;
  while (i < n && is_blank (s[i]))
    i++;
  return i;
}

static bool
is_comment (const char *s, size_t n)
{
  size_t i = skip_blanks (s, n);
  return i < n && s[i] == '#';
}

struct directive_state
{
  bool done;
};

static int
add_directive (struct dockerfile_lexed *lx, const char *filename, int line, char *name, char *value,
               estiba_error_t *err)
{
  struct dockerfile_directive *d;
  size_t i;

  for (i = 0; i < lx->n_directives; i++)
    if (strcmp (lx->directives[i].name, name) == 0)
      return estiba_error (err, 0, "%s:%d: only one %s parser directive can be used", filename, line, name);
  if (strcmp (name, "escape") == 0)
    {
      if (strcmp (value, "\\") != 0 && strcmp (value, "`") != 0)
        return estiba_error (err, 0, "%s:%d: invalid escape token '%s' does not match ` or \\", filename,
                             line, value);
      lx->escape = value[0];
    }
  d = realloc (lx->directives, (lx->n_directives + 1) * sizeof (*d));
  if (d == NULL)
    return estiba_error_errno (err, "realloc");
  lx->directives = d;
  d[lx->n_directives].name = name;
  d[lx->n_directives].value = value;
  d[lx->n_directives].line = line;
  lx->n_directives++;
  return 0;
}

/* `#[ \t]*name[ \t]*=[ \t]*value[ \t]*` with a known name is a directive;
   anything else ends the directive block.  */
static int
maybe_directive (struct directive_state *st, struct dockerfile_lexed *lx, const char *s, size_t n,
                 const char *filename, int line, estiba_error_t *err)
{
  size_t i = 0, name_start, name_end, value_start, value_end;
  cleanup_free char *name = NULL;
  cleanup_free char *value = NULL;
  int ret;

  if (st->done)
    return 0;
  st->done = true;
  if (n == 0 || s[0] != '#')
    return 0;
  i = 1;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  name_start = i;
  if (i >= n || !isalpha ((unsigned char) s[i]))
    return 0;
  while (i < n && isalnum ((unsigned char) s[i]))
    i++;
  name_end = i;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  if (i >= n || s[i] != '=')
    return 0;
  i++;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  value_start = i;
  value_end = n;
  while (value_end > value_start && (s[value_end - 1] == ' ' || s[value_end - 1] == '\t'))
    value_end--;
  if (value_end == value_start)
    return 0;
  name = strndup (s + name_start, name_end - name_start);
  value = strndup (s + value_start, value_end - value_start);
  if (name == NULL || value == NULL)
    return estiba_error_errno (err, "strndup");
  for (i = 0; name[i]; i++)
    name[i] = tolower ((unsigned char) name[i]);
  if (strcmp (name, "syntax") != 0 && strcmp (name, "escape") != 0 && strcmp (name, "check") != 0)
    return 0;
  ret = add_directive (lx, filename, line, name, value, err);
  if (ret < 0)
    return ret;
  name = value = NULL;
  st->done = false;
  return 0;
}

/* If s[0..*n) ends with the escape char and optional blanks, drop them and
   return true (the line continues).  */
static bool
trim_continuation (const char *s, size_t *n, char escape)
{
  size_t end = *n;
  while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
    end--;
  if (end > 0 && s[end - 1] == escape)
    {
      *n = end - 1;
      return true;
    }
  return false;
}

struct buf
{
  char *s;
  size_t len, cap;
};

static int
buf_add (struct buf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = (b->len + n + 1) * 2;
      char *p = realloc (b->s, cap);
      if (p == NULL)
        return -1;
      b->s = p;
      b->cap = cap;
    }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

void
dockerfile_heredoc_clear (struct dockerfile_heredoc *h)
{
  free (h->name);
  free (h->content);
  memset (h, 0, sizeof (*h));
}

static void
line_clear (struct dockerfile_line *l)
{
  size_t i;
  free (l->text);
  for (i = 0; i < l->n_heredocs; i++)
    dockerfile_heredoc_clear (&l->heredocs[i]);
  free (l->heredocs);
}

void
dockerfile_lexed_free (struct dockerfile_lexed *lx)
{
  size_t i;
  for (i = 0; i < lx->n_directives; i++)
    {
      free (lx->directives[i].name);
      free (lx->directives[i].value);
    }
  free (lx->directives);
  for (i = 0; i < lx->n_lines; i++)
    line_clear (&lx->lines[i]);
  free (lx->lines);
  memset (lx, 0, sizeof (*lx));
}

/* Only RUN, COPY and ADD take heredocs.  */
static bool
can_contain_heredoc (const char *line)
{
  static const char *const names[] = { "run", "copy", "add" };
  size_t i, n = 0;

  while (line[n] && !isspace ((unsigned char) line[n]))
    n++;
  for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    if (n == strlen (names[i]) && strncasecmp (line, names[i], n) == 0)
      return strstr (line, "<<") != NULL;
  return false;
}

/* <<-: strip leading tabs of every body line.  */
static bool
heredoc_line_is_end (const struct dockerfile_heredoc *h, const char *s, size_t n)
{
  if (h->chomp)
    while (n > 0 && *s == '\t')
      s++, n--;
  return n == strlen (h->name) && memcmp (s, h->name, n) == 0;
}

static int
read_heredoc_bodies (struct line_reader *r, struct dockerfile_line *l, const char *filename,
                     estiba_error_t *err)
{
  size_t i;

  for (i = 0; i < l->n_heredocs; i++)
    {
      struct dockerfile_heredoc *h = &l->heredocs[i];
      struct buf body = { 0 };
      const char *s;
      size_t n;
      bool terminated = false;

      while (next_line (r, &s, &n))
        {
          if (memchr (s, '\0', n))
            {
              free (body.s);
              return estiba_error (err, 0, "%s:%d: invalid NUL byte", filename, r->lineno);
            }
          if (heredoc_line_is_end (h, s, n))
            {
              terminated = true;
              break;
            }
          if (h->chomp)
            while (n > 0 && *s == '\t')
              s++, n--;
          if (buf_add (&body, s, n) < 0 || buf_add (&body, "\n", 1) < 0)
            {
              free (body.s);
              return estiba_error_errno (err, "realloc");
            }
        }
      if (!terminated)
        {
          free (body.s);
          return estiba_error (err, 0, "%s:%d: unterminated heredoc %s", filename, l->line, h->name);
        }
      h->content = body.s ? body.s : strdup ("");
      if (h->content == NULL)
        return estiba_error_errno (err, "strdup");
      l->end_line = r->lineno;
    }
  return 0;
}

static int
push_line (struct dockerfile_lexed *lx, struct dockerfile_line *l, estiba_error_t *err)
{
  struct dockerfile_line *p = dockerfile_grow (lx->lines, lx->n_lines, lx->n_lines + 1, sizeof (*p));
  if (p == NULL)
    return estiba_error_errno (err, "realloc");
  lx->lines = p;
  p[lx->n_lines++] = *l;
  memset (l, 0, sizeof (*l));
  return 0;
}

/* Join a logical line starting with the physical line s[0..n).  */
static int
read_logical_line (struct line_reader *r, struct directive_state *st, struct dockerfile_lexed *lx,
                   const char *s, size_t n, const char *filename, struct buf *out, estiba_error_t *err)
{
  bool more = trim_continuation (s, &n, lx->escape);

  if (buf_add (out, s, n) < 0)
    return estiba_error_errno (err, "realloc");
  while (more && next_line (r, &s, &n))
    {
      int ret = maybe_directive (st, lx, s, n, filename, r->lineno, err);
      if (ret < 0)
        return ret;
      if (is_comment (s, n) || skip_blanks (s, n) == n)
        continue;
      more = trim_continuation (s, &n, lx->escape);
      if (buf_add (out, s, n) < 0)
        return estiba_error_errno (err, "realloc");
    }
  return 0;
}

static int
lex_lines (struct line_reader *r, struct dockerfile_lexed *lx, const char *filename, estiba_error_t *err)
{
  struct directive_state st = { false };
  const char *s;
  size_t n;

  while (next_line (r, &s, &n))
    {
      struct dockerfile_line l = { 0 };
      struct buf text = { 0 };
      size_t lead = skip_blanks (s, n);
      int ret;

      if (memchr (s, '\0', n))
        return estiba_error (err, 0, "%s:%d: invalid NUL byte", filename, r->lineno);
      s += lead;
      n -= lead;
      ret = maybe_directive (&st, lx, s, n, filename, r->lineno, err);
      if (ret < 0)
        return ret;
      if (n > 0 && s[0] == '#')
        continue;
      l.line = r->lineno;
      ret = read_logical_line (r, &st, lx, s, n, filename, &text, err);
      if (ret < 0)
        {
          free (text.s);
          return ret;
        }
      while (text.len > 0 && isspace ((unsigned char) text.s[text.len - 1]))
        text.s[--text.len] = '\0';
      if (text.len == 0)
        {
          free (text.s);
          continue;
        }
      if (memchr (text.s, '\0', text.len))
        {
          free (text.s);
          return estiba_error (err, 0, "%s:%d: invalid NUL byte", filename, l.line);
        }
      l.text = text.s;
      l.end_line = r->lineno;
      if (can_contain_heredoc (l.text))
        {
          if (dockerfile_find_heredocs (l.text, lx->escape, &l.heredocs, &l.n_heredocs) < 0)
            ret = estiba_error_errno (err, "heredoc");
          else
            ret = read_heredoc_bodies (r, &l, filename, err);
        }
      if (ret >= 0)
        ret = push_line (lx, &l, err);
      if (ret < 0)
        {
          line_clear (&l);
          return ret;
        }
    }
  return 0;
}

int
dockerfile_lex (const char *data, size_t len, const char *filename, struct dockerfile_lexed *out,
                estiba_error_t *err)
{
  struct line_reader r = { data, len, 0, 0 };
  int ret;

  memset (out, 0, sizeof (*out));
  out->escape = '\\';
  ret = lex_lines (&r, out, filename, err);
  if (ret < 0)
    dockerfile_lexed_free (out);
  return ret;
}

/* A word like `<<EOF`, `<<-'EOF'`, `3<<"END"` (quotes kept by the word
   splitter) names a heredoc; a quoted delimiter disables expansion.  */
static int
parse_heredoc_word (const char *w, struct dockerfile_heredoc *h)
{
  const char *p = w, *q;
  struct buf name = { 0 };
  char quote = 0;

  memset (h, 0, sizeof (*h));
  while (isdigit ((unsigned char) *p))
    h->fd = h->fd < 100000 ? h->fd * 10 + (*p++ - '0') : (p++, h->fd);
  if (strncmp (p, "<<", 2) != 0)
    return 0;
  p += 2;
  if (*p == '-')
    {
      h->chomp = true;
      p++;
    }
  if (*p == '\0' || strchr (p, '<'))
    return 0;
  h->expand = strpbrk (p, "'\"") == NULL;
  for (q = p; *q; q++)
    {
      if (quote)
        {
          if (*q == quote)
            quote = 0;
          else if (buf_add (&name, q, 1) < 0)
            goto nomem;
          continue;
        }
      if (*q == '\'' || *q == '"')
        quote = *q;
      else if (*q == '\\' && q[1])
        {
          if (buf_add (&name, ++q, 1) < 0)
            goto nomem;
        }
      else if (buf_add (&name, q, 1) < 0)
        goto nomem;
    }
  if (quote || name.len == 0 || strpbrk (name.s, " \t"))
    {
      free (name.s);
      return 0;
    }
  h->name = name.s;
  return 1;
nomem:
  free (name.s);
  return -1;
}

int
dockerfile_find_heredocs (const char *line, char escape, struct dockerfile_heredoc **out, size_t *n)
{
  struct dockerfile_strv words = { 0 };
  size_t i;
  int ret = 0;

  *out = NULL;
  *n = 0;
  if (dockerfile_split_words (line, escape, &words) < 0)
    return -1;
  for (i = 0; i < words.n && ret >= 0; i++)
    {
      struct dockerfile_heredoc h;
      ret = parse_heredoc_word (words.v[i], &h);
      if (ret > 0)
        {
          struct dockerfile_heredoc *p = dockerfile_grow (*out, *n, *n + 1, sizeof (*p));
          if (p == NULL)
            {
              dockerfile_heredoc_clear (&h);
              ret = -1;
              break;
            }
          *out = p;
          p[(*n)++] = h;
        }
    }
  dockerfile_strv_clear (&words);
  if (ret < 0)
    {
      for (i = 0; i < *n; i++)
        dockerfile_heredoc_clear (&(*out)[i]);
      free (*out);
      *out = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

const struct dockerfile_heredoc *
dockerfile_source_heredoc (const struct dockerfile_instruction *inst, const char *source)
{
  struct dockerfile_heredoc h;
  const struct dockerfile_heredoc *found = NULL;
  size_t i;

  if (inst->n_heredocs == 0 || parse_heredoc_word (source, &h) <= 0)
    return NULL;
  for (i = 0; i < inst->n_heredocs && found == NULL; i++)
    if (strcmp (inst->heredocs[i].name, h.name) == 0)
      found = &inst->heredocs[i];
  dockerfile_heredoc_clear (&h);
  return found;
}
