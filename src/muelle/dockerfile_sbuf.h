/* A growable string for the Dockerfile lexer, parser and expander.
 * Allocation failure is sticky (oom) so callers check once at the end
 * instead of after every character.  */
#ifndef MUELLE_DOCKERFILE_SBUF_H
#define MUELLE_DOCKERFILE_SBUF_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sbuf
{
  char *s;
  size_t len, cap;
  bool oom;
};

static inline void
sb_addn (struct sbuf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = (b->len + n + 1) * 2;
      char *p = realloc (b->s, cap);
      if (p == NULL)
        {
          b->oom = true;
          return;
        }
      b->s = p;
      b->cap = cap;
    }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static inline void
sb_add (struct sbuf *b, char c)
{
  sb_addn (b, &c, 1);
}

/* The text so far ("" when nothing was added); still owned by b.  */
static inline const char *
sb_str (const struct sbuf *b)
{
  return b->s ? b->s : "";
}

/* The text, handed to the caller (never NULL unless out of memory).  */
static inline char *
sb_take (struct sbuf *b)
{
  char *s = b->s ? b->s : strdup ("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

#endif
