/* The exec (JSON) form of RUN/CMD/ENTRYPOINT/SHELL/COPY/ADD/VOLUME: a JSON
 * array of strings, as Go's encoding/json reads it.  Valid JSON that is
 * not all strings is an error; anything else is "not JSON", which the
 * parser then treats as shell form, as Docker does.  */
#include <config.h>
#include "dockerfile.h"
#include "dockerfile_sbuf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void
sb_utf8 (struct sbuf *b, unsigned long cp)
{
  if (cp < 0x80)
    sb_add (b, cp);
  else if (cp < 0x800)
    {
      sb_add (b, 0xc0 | (cp >> 6));
      sb_add (b, 0x80 | (cp & 0x3f));
    }
  else if (cp < 0x10000)
    {
      sb_add (b, 0xe0 | (cp >> 12));
      sb_add (b, 0x80 | ((cp >> 6) & 0x3f));
      sb_add (b, 0x80 | (cp & 0x3f));
    }
  else
    {
      sb_add (b, 0xf0 | (cp >> 18));
      sb_add (b, 0x80 | ((cp >> 12) & 0x3f));
      sb_add (b, 0x80 | ((cp >> 6) & 0x3f));
      sb_add (b, 0x80 | (cp & 0x3f));
    }
}

static int
hex4 (const char *p, unsigned long *v)
{
  int i;
  *v = 0;
  for (i = 0; i < 4; i++)
    {
      char c = p[i];
      int d = isdigit ((unsigned char) c) ? c - '0'
              : (c >= 'a' && c <= 'f')    ? c - 'a' + 10
              : (c >= 'A' && c <= 'F')    ? c - 'A' + 10
                                          : -1;
      if (d < 0)
        return -1;
      *v = *v * 16 + d;
    }
  return 0;
}

/* One JSON string at *pp (just after the opening quote).  */
static int
json_string (const char **pp, struct sbuf *b)
{
  const char *p = *pp;
  for (;;)
    {
      unsigned char c = *p++;
      unsigned long cp, lo;
      if (c == '\0' || c < 0x20)
        return -1;
      if (c == '"')
        break;
      if (c != '\\')
        {
          sb_add (b, c);
          continue;
        }
      c = *p++;
      switch (c)
        {
          case '"':
          case '\\':
          case '/':
            sb_add (b, c);
            break;
          case 'b':
            sb_add (b, '\b');
            break;
          case 'f':
            sb_add (b, '\f');
            break;
          case 'n':
            sb_add (b, '\n');
            break;
          case 'r':
            sb_add (b, '\r');
            break;
          case 't':
            sb_add (b, '\t');
            break;
          case 'u':
            if (hex4 (p, &cp) < 0)
              return -1;
            p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u' && hex4 (p + 2, &lo) == 0
                && lo >= 0xdc00 && lo < 0xe000)
              {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
              }
            else if (cp >= 0xd800 && cp < 0xe000)
              cp = 0xfffd;
            if (cp == 0)
              return -1; /* would truncate the C string */
            sb_utf8 (b, cp);
            break;
          default:
            return -1;
        }
    }
  *pp = p;
  return 0;
}

/* Skip one JSON scalar/array/object without keeping it; used only to tell
   "valid JSON but not all strings" from "not JSON".  */
static int json_skip_value (const char **pp, int depth);

static const char *
json_ws (const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

static int
json_skip_value (const char **pp, int depth)
{
  const char *p = json_ws (*pp);
  struct sbuf tmp = { 0 };
  if (depth > 64)
    return -1;
  if (*p == '"')
    {
      p++;
      int r = json_string (&p, &tmp);
      free (tmp.s);
      if (r < 0)
        return -1;
    }
  else if (*p == '[' || *p == '{')
    {
      char close = *p == '[' ? ']' : '}';
      bool obj = *p == '{';
      p = json_ws (p + 1);
      if (*p == close)
        p++;
      else
        for (;;)
          {
            if (obj)
              {
                if (*p != '"')
                  return -1;
                if (json_skip_value (&p, depth + 1) < 0)
                  return -1;
                p = json_ws (p);
                if (*p++ != ':')
                  return -1;
              }
            if (json_skip_value (&p, depth + 1) < 0)
              return -1;
            p = json_ws (p);
            if (*p == ',')
              {
                p = json_ws (p + 1);
                continue;
              }
            if (*p++ != close)
              return -1;
            break;
          }
    }
  else if (strncmp (p, "true", 4) == 0 || strncmp (p, "null", 4) == 0)
    p += 4;
  else if (strncmp (p, "false", 5) == 0)
    p += 5;
  else if (*p == '-' || isdigit ((unsigned char) *p))
    {
      char *end;
      strtod (p, &end);
      if (end == p)
        return -1;
      p = end;
    }
  else
    return -1;
  *pp = p;
  return 0;
}

enum dockerfile_json_result
dockerfile_parse_json_array (const char *s, struct dockerfile_strv *out)
{
  const char *p = json_ws (s), *q;
  if (*p != '[')
    return DOCKERFILE_JSON_NOT_JSON;
  q = p;
  if (json_skip_value (&q, 0) < 0 || *json_ws (q) != '\0')
    return DOCKERFILE_JSON_NOT_JSON;
  p = json_ws (p + 1);
  if (*p == ']')
    return DOCKERFILE_JSON_OK;
  for (;;)
    {
      struct sbuf b = { 0 };
      if (*p != '"')
        {
          dockerfile_strv_clear (out);
          return DOCKERFILE_JSON_NOT_STRINGS;
        }
      p++;
      if (json_string (&p, &b) < 0 || b.oom || dockerfile_strv_push (out, sb_str (&b)) < 0)
        {
          free (b.s);
          dockerfile_strv_clear (out);
          return DOCKERFILE_JSON_NOMEM;
        }
      free (b.s);
      p = json_ws (p);
      if (*p == ']')
        return DOCKERFILE_JSON_OK;
      p = json_ws (p + 1); /* ',' (validated by json_skip_value) */
    }
}
