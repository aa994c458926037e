/* Dockerfile parser: logical lines from the lexer -> stages of typed
 * instructions, with each instruction's flags checked against the ones
 * BuildKit accepts and its arguments split the way BuildKit splits them
 * (JSON or shell form, name=value lists, whitespace lists).  */
#include <config.h>
#include "dockerfile.h"
#include "dockerfile_sbuf.h"
#include "cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

static const char *const kind_names[] = {
  [DOCKERFILE_FROM] = "FROM",
  [DOCKERFILE_RUN] = "RUN",
  [DOCKERFILE_CMD] = "CMD",
  [DOCKERFILE_LABEL] = "LABEL",
  [DOCKERFILE_EXPOSE] = "EXPOSE",
  [DOCKERFILE_ENV] = "ENV",
  [DOCKERFILE_ADD] = "ADD",
  [DOCKERFILE_COPY] = "COPY",
  [DOCKERFILE_ENTRYPOINT] = "ENTRYPOINT",
  [DOCKERFILE_VOLUME] = "VOLUME",
  [DOCKERFILE_USER] = "USER",
  [DOCKERFILE_WORKDIR] = "WORKDIR",
  [DOCKERFILE_ARG] = "ARG",
  [DOCKERFILE_ONBUILD] = "ONBUILD",
  [DOCKERFILE_STOPSIGNAL] = "STOPSIGNAL",
  [DOCKERFILE_HEALTHCHECK] = "HEALTHCHECK",
  [DOCKERFILE_SHELL] = "SHELL",
  [DOCKERFILE_MAINTAINER] = "MAINTAINER",
};

const char *
dockerfile_kind_name (enum dockerfile_kind kind)
{
  return kind_names[kind];
}

/* ---- small helpers ---- */

void *
dockerfile_grow (void *p, size_t used, size_t need, size_t size)
{
  size_t cap = 8;
  while (cap < used)
    cap *= 2;
  if (p != NULL && need <= cap)
    return p;
  while (cap < need)
    cap *= 2;
  return realloc (p, cap * size);
}

int
dockerfile_strv_push (struct dockerfile_strv *v, const char *s)
{
  char **p = dockerfile_grow (v->v, v->n + 1, v->n + 2, sizeof (char *));
  if (p == NULL)
    return -1;
  v->v = p;
  p[v->n] = strdup (s);
  if (p[v->n] == NULL)
    {
      p[v->n] = NULL;
      return -1;
    }
  p[++v->n] = NULL;
  return 0;
}

void
dockerfile_strv_clear (struct dockerfile_strv *v)
{
  size_t i;
  for (i = 0; i < v->n; i++)
    free (v->v[i]);
  free (v->v);
  v->v = NULL;
  v->n = 0;
}

static int
strv_push_n (struct dockerfile_strv *v, const char *s, size_t n)
{
  cleanup_free char *c = strndup (s, n);
  if (c == NULL)
    return -1;
  return dockerfile_strv_push (v, c);
}

static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

/* Docker's parseWords: blanks separate words; quotes group (and are kept);
   the escape char keeps the next char (both are kept), except inside
   single quotes.  */
int
dockerfile_split_words (const char *s, char escape, struct dockerfile_strv *out)
{
  struct sbuf w = { 0 };
  bool in_word = false, blank_ok = false;
  char quote = 0;
  size_t i, n = strlen (s);
  int ret = 0;

  for (i = 0; i < n && ret == 0; i++)
    {
      char c = s[i];
      if (!in_word && !quote)
        {
          if (is_space (c))
            continue;
          in_word = true;
        }
      if (quote)
        {
          if (c == quote)
            quote = 0;
          else if (c == escape && quote != '\'')
            {
              if (i + 1 == n)
                continue;
              sb_add (&w, c);
              c = s[++i];
            }
          sb_add (&w, c);
          continue;
        }
      if (is_space (c))
        {
          if (blank_ok || w.len > 0)
            ret = dockerfile_strv_push (out, sb_str (&w));
          w.len = 0;
          if (w.s)
            w.s[0] = '\0';
          blank_ok = in_word = false;
          continue;
        }
      if (c == '\'' || c == '"')
        {
          quote = c;
          blank_ok = true;
        }
      else if (c == escape)
        {
          if (i + 1 == n)
            continue;
          sb_add (&w, c);
          c = s[++i];
        }
      sb_add (&w, c);
    }
  if (ret == 0 && (in_word || quote) && (blank_ok || w.len > 0))
    ret = dockerfile_strv_push (out, sb_str (&w));
  if (w.oom)
    ret = -1;
  free (w.s);
  return ret;
}

/* Split on runs of blanks, no quoting (FROM, EXPOSE, COPY shell form).  */
static int
split_blanks (const char *s, struct dockerfile_strv *out)
{
  while (*s)
    {
      const char *start;
      while (*s && is_space (*s))
        s++;
      if (*s == '\0')
        break;
      start = s;
      while (*s && !is_space (*s))
        s++;
      if (strv_push_n (out, start, s - start) < 0)
        return -1;
    }
  return 0;
}

/* ---- the parse context ---- */

struct parse_ctx
{
  const char *filename;
  int line;
  char escape;
};

#define PERR(ctx, err, ...) estiba_error_wrap_line ((ctx), (err), __VA_ARGS__)

__attribute__ ((format (printf, 3, 4))) static int
estiba_error_wrap_line (const struct parse_ctx *ctx, estiba_error_t *err, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r < 0)
    return estiba_error_errno (err, "vasprintf");
  return estiba_error (err, 0, "%s:%d: %s", ctx->filename, ctx->line, msg);
}

/* BuildKit's extractBuilderFlags: leading `--name[=value]` words (quotes
   and backslashes processed); returns the rest of the line.  */
static int
extract_flags (const char *s, struct dockerfile_strv *words, const char **rest)
{
  size_t i = 0, n = strlen (s);
  *rest = s + n;
  for (;;)
    {
      struct sbuf w = { 0 };
      bool blank_ok = false;
      char quote = 0;
      while (i < n && is_space (s[i]))
        i++;
      if (i >= n)
        return 0;
      if (s[i] != '-' || i + 1 >= n || s[i + 1] != '-')
        {
          *rest = s + i;
          return 0;
        }
      for (; i < n; i++)
        {
          char c = s[i];
          if (quote)
            {
              if (c == quote)
                {
                  quote = 0;
                  continue;
                }
            }
          else if (is_space (c))
            break;
          else if (c == '\'' || c == '"')
            {
              quote = c;
              blank_ok = true;
              continue;
            }
          if (c == '\\')
            {
              if (i + 1 == n)
                continue;
              c = s[++i];
            }
          sb_add (&w, c);
        }
      if (w.len == 2 && strcmp (w.s, "--") == 0)
        {
          free (w.s);
          while (i < n && is_space (s[i]))
            i++;
          *rest = s + i;
          return 0;
        }
      if ((blank_ok || w.len > 0) && (w.oom || dockerfile_strv_push (words, sb_str (&w)) < 0))
        {
          free (w.s);
          return -1;
        }
      free (w.s);
    }
}

enum flag_type
{
  FLAG_STRING,
  FLAG_BOOL,
  FLAG_MULTI
};

struct flag_spec
{
  const char *name;
  enum flag_type type;
};

static const struct flag_spec from_flags[] = { { "platform", FLAG_STRING }, { NULL, 0 } };
static const struct flag_spec run_flags[] = {
  { "mount", FLAG_MULTI }, { "network", FLAG_STRING }, { "security", FLAG_STRING }, { NULL, 0 }
};
static const struct flag_spec add_flags[] = { { "chown", FLAG_STRING },
                                              { "chmod", FLAG_STRING },
                                              { "checksum", FLAG_STRING },
                                              { "keep-git-dir", FLAG_BOOL },
                                              { "link", FLAG_BOOL },
                                              { "exclude", FLAG_MULTI },
                                              { NULL, 0 } };
static const struct flag_spec copy_flags[] = { { "from", FLAG_STRING },
                                               { "chown", FLAG_STRING },
                                               { "chmod", FLAG_STRING },
                                               { "link", FLAG_BOOL },
                                               { "parents", FLAG_BOOL },
                                               { "exclude", FLAG_MULTI },
                                               { NULL, 0 } };
static const struct flag_spec healthcheck_flags[] = {
  { "interval", FLAG_STRING },       { "timeout", FLAG_STRING }, { "start-period", FLAG_STRING },
  { "start-interval", FLAG_STRING }, { "retries", FLAG_STRING }, { NULL, 0 }
};
static const struct flag_spec no_flags[] = { { NULL, 0 } };

static const struct flag_spec *
flags_for (enum dockerfile_kind kind)
{
  switch (kind)
    {
      case DOCKERFILE_FROM:
        return from_flags;
      case DOCKERFILE_RUN:
        return run_flags;
      case DOCKERFILE_ADD:
        return add_flags;
      case DOCKERFILE_COPY:
        return copy_flags;
      case DOCKERFILE_HEALTHCHECK:
        return healthcheck_flags;
      default:
        return no_flags;
    }
}

static int
parse_bool (const char *v, bool *out)
{
  if (v == NULL || strcasecmp (v, "true") == 0 || strcmp (v, "1") == 0)
    *out = true;
  else if (strcasecmp (v, "false") == 0 || strcmp (v, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

/* Check the flag words against the instruction's flags and store them.  */
static int
store_flags (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, struct dockerfile_strv *words,
             estiba_error_t *err)
{
  const struct flag_spec *specs = flags_for (inst->kind);
  size_t i, j;

  inst->flags = calloc (words->n + 1, sizeof (*inst->flags));
  if (inst->flags == NULL)
    return estiba_error_errno (err, "calloc");
  for (i = 0; i < words->n; i++)
    {
      const char *w = words->v[i] + 2, *eq = strchr (w, '=');
      size_t name_len = eq ? (size_t) (eq - w) : strlen (w);
      const struct flag_spec *spec = NULL;
      struct dockerfile_flag *f = &inst->flags[inst->n_flags];
      bool b;

      if (strncmp (words->v[i], "--", 2) != 0)
        return PERR (ctx, err, "arg should start with -- : %s", words->v[i]);
      for (j = 0; specs[j].name; j++)
        if (strlen (specs[j].name) == name_len && strncmp (specs[j].name, w, name_len) == 0)
          spec = &specs[j];
      if (spec == NULL)
        return PERR (ctx, err, "unknown flag: --%.*s", (int) name_len, w);
      for (j = 0; j < inst->n_flags && spec->type != FLAG_MULTI; j++)
        if (strcmp (inst->flags[j].name, spec->name) == 0)
          return PERR (ctx, err, "Duplicate flag specified: --%s", spec->name);
      if (spec->type != FLAG_BOOL && eq == NULL)
        return PERR (ctx, err, "Missing a value on flag: --%s", spec->name);
      if (spec->type == FLAG_BOOL && parse_bool (eq ? eq + 1 : NULL, &b) < 0)
        return PERR (ctx, err, "expecting boolean value for flag --%s, not: %s", spec->name, eq + 1);
      f->name = strdup (spec->name);
      f->value = eq ? strdup (eq + 1) : NULL;
      inst->n_flags++;
      if (f->name == NULL || (eq && f->value == NULL))
        return estiba_error_errno (err, "strdup");
    }
  return 0;
}

/* Last value of a flag, or NULL.  For bool flags "true" when set bare.  */
static const char *
flag_value (const struct dockerfile_instruction *inst, const char *name, bool *present)
{
  const char *v = NULL;
  size_t i;
  *present = false;
  for (i = 0; i < inst->n_flags; i++)
    if (strcmp (inst->flags[i].name, name) == 0)
      {
        *present = true;
        v = inst->flags[i].value ? inst->flags[i].value : "true";
      }
  return v;
}

static bool
flag_bool (const struct dockerfile_instruction *inst, const char *name)
{
  bool present, b = false;
  const char *v = flag_value (inst, name, &present);
  if (present)
    parse_bool (v, &b);
  return b;
}

static char *
flag_dup (const struct dockerfile_instruction *inst, const char *name, bool *oom)
{
  bool present;
  const char *v = flag_value (inst, name, &present);
  char *r = v ? strdup (v) : NULL;
  if (v && r == NULL)
    *oom = true;
  return r;
}

static int
flag_collect (const struct dockerfile_instruction *inst, const char *name, struct dockerfile_strv *out)
{
  size_t i;
  for (i = 0; i < inst->n_flags; i++)
    if (strcmp (inst->flags[i].name, name) == 0 && dockerfile_strv_push (out, inst->flags[i].value) < 0)
      return -1;
  return 0;
}

/* ---- argument forms ---- */

/* RUN CMD ENTRYPOINT SHELL and HEALTHCHECK CMD: JSON array or one string. */
static int
parse_maybe_json (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, const char *rest,
                  estiba_error_t *err)
{
  const char *p = rest;
  while (is_space (*p))
    p++;
  if (*p == '[')
    {
      enum dockerfile_json_result r = dockerfile_parse_json_array (p, &inst->args);
      if (r == DOCKERFILE_JSON_OK)
        {
          inst->json = true;
          return 0;
        }
      if (r == DOCKERFILE_JSON_NOT_STRINGS)
        return PERR (ctx, err, "when using JSON array syntax, arrays must be comprised of strings only");
      if (r == DOCKERFILE_JSON_NOMEM)
        return estiba_error_errno (err, "json");
    }
  if (*rest == '\0')
    return 0;
  if (dockerfile_strv_push (&inst->args, rest) < 0)
    return estiba_error_errno (err, "strdup");
  return 0;
}

/* ADD COPY VOLUME: JSON array or blank-separated list.  */
static int
parse_maybe_json_list (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, const char *rest,
                       estiba_error_t *err)
{
  enum dockerfile_json_result r = dockerfile_parse_json_array (rest, &inst->args);
  if (r == DOCKERFILE_JSON_OK)
    {
      inst->json = true;
      return 0;
    }
  if (r == DOCKERFILE_JSON_NOT_STRINGS)
    return PERR (ctx, err, "when using JSON array syntax, arrays must be comprised of strings only");
  if (r == DOCKERFILE_JSON_NOMEM || split_blanks (rest, &inst->args) < 0)
    return estiba_error_errno (err, "split");
  return 0;
}

static int
push_kv (struct dockerfile_instruction *inst, const char *key, size_t key_len, const char *value)
{
  struct dockerfile_kv *p = dockerfile_grow (inst->kvs, inst->n_kvs, inst->n_kvs + 1, sizeof (*p));
  if (p == NULL)
    return -1;
  inst->kvs = p;
  p[inst->n_kvs].key = strndup (key, key_len);
  p[inst->n_kvs].value = value ? strdup (value) : NULL;
  inst->n_kvs++;
  if (p[inst->n_kvs - 1].key == NULL || (value && p[inst->n_kvs - 1].value == NULL))
    return -1;
  return 0;
}

/* ENV and LABEL: `name=value ...` or the legacy `name value with blanks`. */
static int
parse_name_value (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, const char *rest,
                  estiba_error_t *err)
{
  struct dockerfile_strv words = { 0 };
  const char *name = kind_names[inst->kind];
  size_t i;
  int ret = 0;

  if (dockerfile_split_words (rest, ctx->escape, &words) < 0)
    return estiba_error_errno (err, "split");
  if (words.n == 0)
    ret = PERR (ctx, err, "%s requires at least one argument", name);
  else if (strchr (words.v[0], '=') == NULL)
    {
      size_t key_len = strcspn (rest, " \t\v\f\r\n");
      const char *value = rest + key_len;
      while (is_space (*value))
        value++;
      if (*value == '\0')
        ret = PERR (ctx, err, "%s must have two arguments", name);
      else if (push_kv (inst, rest, key_len, value) < 0)
        ret = estiba_error_errno (err, "strdup");
    }
  else
    for (i = 0; i < words.n && ret == 0; i++)
      {
        const char *eq = strchr (words.v[i], '=');
        if (eq == NULL)
          ret = PERR (ctx, err, "Syntax error - can't find = in \"%s\". Must be of the form: name=value",
                      words.v[i]);
        else if (push_kv (inst, words.v[i], eq - words.v[i], eq + 1) < 0)
          ret = estiba_error_errno (err, "strdup");
      }
  dockerfile_strv_clear (&words);
  return ret;
}

/* ARG name[=default] ...  */
static int
parse_args_decl (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, const char *rest,
                 estiba_error_t *err)
{
  struct dockerfile_strv words = { 0 };
  size_t i;
  int ret = 0;

  if (dockerfile_split_words (rest, ctx->escape, &words) < 0)
    return estiba_error_errno (err, "split");
  if (words.n == 0)
    ret = PERR (ctx, err, "ARG requires at least one argument");
  for (i = 0; i < words.n && ret == 0; i++)
    {
      const char *eq = strchr (words.v[i], '=');
      size_t len = eq ? (size_t) (eq - words.v[i]) : strlen (words.v[i]);
      if (len == 0)
        ret = PERR (ctx, err, "ARG names can not be blank");
      else if (push_kv (inst, words.v[i], len, eq ? eq + 1 : NULL) < 0)
        ret = estiba_error_errno (err, "strdup");
    }
  dockerfile_strv_clear (&words);
  return ret;
}

/* Go's time.ParseDuration, in nanoseconds (no negative values here).  */
static int
parse_duration (const char *s, int64_t *out)
{
  static const struct
  {
    const char *unit;
    double ns;
  } units[] = { { "ns", 1 },  { "us", 1e3 }, { "µs", 1e3 },  { "ms", 1e6 },
                { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
  double total = 0;

  if (strcmp (s, "0") == 0)
    {
      *out = 0;
      return 0;
    }
  if (*s == '\0')
    return -1;
  while (*s)
    {
      char *end;
      double v;
      size_t i, best = 0, best_len = 0;
      if (!isdigit ((unsigned char) *s) && *s != '.')
        return -1;
      v = strtod (s, &end);
      if (end == s)
        return -1;
      s = end;
      for (i = 0; i < sizeof (units) / sizeof (units[0]); i++)
        {
          size_t l = strlen (units[i].unit);
          if (strncmp (s, units[i].unit, l) == 0 && l > best_len)
            best = i, best_len = l;
        }
      if (best_len == 0)
        return -1;
      s += best_len;
      total += v * units[best].ns;
      if (total > 9.2e18)
        return -1;
    }
  *out = (int64_t) total;
  return 0;
}

static int
healthcheck_duration (const struct parse_ctx *ctx, const struct dockerfile_instruction *inst,
                      const char *name, int64_t *out, estiba_error_t *err)
{
  bool present;
  const char *v = flag_value (inst, name, &present);
  *out = 0;
  if (!present)
    return 0;
  if (parse_duration (v, out) < 0)
    return PERR (ctx, err, "HEALTHCHECK --%s: invalid duration \"%s\"", name, v);
  if (*out != 0 && *out < 1000000)
    return PERR (ctx, err, "HEALTHCHECK --%s: %s cannot be less than 1ms", name, v);
  return 0;
}

static int
parse_healthcheck (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, const char *rest,
                   estiba_error_t *err)
{
  struct dockerfile_healthcheck *hc = &inst->healthcheck;
  size_t word_len = strcspn (rest, " \t\v\f\r\n");
  const char *after = rest + word_len;
  bool present;
  const char *retries;
  int ret;

  while (is_space (*after))
    after++;
  if (word_len == 4 && strncasecmp (rest, "NONE", 4) == 0)
    {
      if (*after || inst->n_flags)
        return PERR (ctx, err, "HEALTHCHECK NONE takes no arguments");
      hc->none = true;
      return 0;
    }
  if (word_len != 3 || strncasecmp (rest, "CMD", 3) != 0)
    return PERR (ctx, err, "Unknown type \"%.*s\" in HEALTHCHECK (try CMD)", (int) word_len, rest);
  ret = parse_maybe_json (ctx, inst, after, err);
  if (ret < 0)
    return ret;
  if (inst->args.n == 0)
    return PERR (ctx, err, "Missing command after HEALTHCHECK CMD");
  if (dockerfile_strv_push (&hc->test, inst->json ? "CMD" : "CMD-SHELL") < 0)
    return estiba_error_errno (err, "strdup");
  for (size_t i = 0; i < inst->args.n; i++)
    if (dockerfile_strv_push (&hc->test, inst->args.v[i]) < 0)
      return estiba_error_errno (err, "strdup");
  if (healthcheck_duration (ctx, inst, "interval", &hc->interval, err) < 0
      || healthcheck_duration (ctx, inst, "timeout", &hc->timeout, err) < 0
      || healthcheck_duration (ctx, inst, "start-period", &hc->start_period, err) < 0
      || healthcheck_duration (ctx, inst, "start-interval", &hc->start_interval, err) < 0)
    return -1;
  retries = flag_value (inst, "retries", &present);
  if (present)
    {
      char *end;
      errno = 0;
      hc->retries = strtol (retries, &end, 10);
      if (*retries == '\0' || *end || errno)
        return PERR (ctx, err, "HEALTHCHECK --retries: invalid value \"%s\"", retries);
      if (hc->retries < 0)
        return PERR (ctx, err, "--retries cannot be negative (%ld)", hc->retries);
    }
  return 0;
}

/* ---- per-instruction argument checks ---- */

static enum dockerfile_kind
kind_from_name (const char *name, size_t len, bool *found)
{
  size_t i;
  *found = false;
  for (i = 0; i < sizeof (kind_names) / sizeof (kind_names[0]); i++)
    if (strlen (kind_names[i]) == len && strncasecmp (kind_names[i], name, len) == 0)
      {
        *found = true;
        return i;
      }
  return 0;
}

static int parse_instruction_args (const struct parse_ctx *ctx, struct dockerfile_instruction *inst,
                                   const char *rest, estiba_error_t *err);

static int
parse_onbuild (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, const char *rest,
               estiba_error_t *err)
{
  size_t len = strcspn (rest, " \t\v\f\r\n");
  bool found;
  enum dockerfile_kind k = kind_from_name (rest, len, &found);

  if (*rest == '\0')
    return PERR (ctx, err, "ONBUILD requires at least one argument");
  if (found && k == DOCKERFILE_ONBUILD)
    return PERR (ctx, err, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (found && (k == DOCKERFILE_FROM || k == DOCKERFILE_MAINTAINER))
    return PERR (ctx, err, "%s isn't allowed as an ONBUILD trigger", kind_names[k]);
  inst->trigger_text = strdup (rest);
  if (inst->trigger_text == NULL)
    return estiba_error_errno (err, "strdup");
  inst->trigger = dockerfile_parse_instruction (rest, ctx->filename, ctx->line, ctx->escape, err);
  return inst->trigger ? 0 : -1;
}

static int
require_args (const struct parse_ctx *ctx, const struct dockerfile_instruction *inst, size_t min,
              estiba_error_t *err)
{
  const char *name = kind_names[inst->kind];
  if (inst->args.n >= min)
    return 0;
  if (min == 2 && inst->args.n == 1)
    return PERR (ctx, err,
                 "%s requires at least two arguments, but only one was provided. Destination could not "
                 "be determined",
                 name);
  if (min == 2)
    return PERR (ctx, err, "%s requires at least two arguments", name);
  return PERR (ctx, err, "%s requires at least one argument", name);
}

static int
parse_from (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  struct dockerfile_from *f = &inst->from;
  bool oom = false;
  size_t i;

  if (inst->args.n != 1 && !(inst->args.n == 3 && strcasecmp (inst->args.v[1], "as") == 0))
    return PERR (ctx, err, "FROM requires either one or three arguments");
  f->image_raw = strdup (inst->args.v[0]);
  f->platform = flag_dup (inst, "platform", &oom);
  f->base_stage = -1;
  if (f->image_raw == NULL || oom)
    return estiba_error_errno (err, "strdup");
  if (inst->args.n == 3)
    {
      char *name = f->name = strdup (inst->args.v[2]);
      if (name == NULL)
        return estiba_error_errno (err, "strdup");
      for (i = 0; name[i]; i++)
        name[i] = tolower ((unsigned char) name[i]);
      if (!isalpha ((unsigned char) name[0]) || strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != i)
        return PERR (
          ctx, err, "invalid name for build stage: \"%s\", name can't start with a number or contain symbols",
          inst->args.v[2]);
      if (strcmp (name, "scratch") == 0 || strcmp (name, "context") == 0)
        return PERR (ctx, err, "'%s' is reserved and should not be used as a stage name", name);
    }
  return 0;
}

static int
parse_copy (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  struct dockerfile_copy *c = &inst->copy;
  bool oom = false;
  size_t i;
  int ret = require_args (ctx, inst, 2, err);

  if (ret < 0)
    return ret;
  for (i = 0; i + 1 < inst->args.n; i++)
    if (dockerfile_strv_push (&c->sources, inst->args.v[i]) < 0)
      return estiba_error_errno (err, "strdup");
  c->dest = strdup (inst->args.v[inst->args.n - 1]);
  c->from_stage = -1;
  c->chmod_octal = -1;
  c->from = flag_dup (inst, "from", &oom);
  c->chown = flag_dup (inst, "chown", &oom);
  c->chmod = flag_dup (inst, "chmod", &oom);
  c->checksum = flag_dup (inst, "checksum", &oom);
  c->keep_git_dir = flag_bool (inst, "keep-git-dir");
  c->link = flag_bool (inst, "link");
  c->parents = flag_bool (inst, "parents");
  if (c->dest == NULL || oom || flag_collect (inst, "exclude", &c->excludes) < 0)
    return estiba_error_errno (err, "strdup");
  if (c->checksum && c->sources.n != 1)
    return PERR (ctx, err, "ADD --checksum: only one source can be specified");
  return dockerfile_validate_expanded (inst, ctx->filename, err);
}

static int
parse_run (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, estiba_error_t *err)
{
  if (flag_collect (inst, "mount", &inst->run.mounts_raw) < 0)
    return estiba_error_errno (err, "strdup");
  return dockerfile_validate_expanded (inst, ctx->filename, err);
}

/* Split `rest` into the instruction's typed fields.  */
static int
parse_instruction_args (const struct parse_ctx *ctx, struct dockerfile_instruction *inst, const char *rest,
                        estiba_error_t *err)
{
  const char *name = kind_names[inst->kind];
  int ret;

  switch (inst->kind)
    {
      case DOCKERFILE_FROM:
      case DOCKERFILE_EXPOSE:
        if (split_blanks (rest, &inst->args) < 0)
          return estiba_error_errno (err, "split");
        if (inst->kind == DOCKERFILE_FROM)
          return parse_from (ctx, inst, err);
        ret = require_args (ctx, inst, 1, err);
        if (ret < 0)
          return ret;
        return dockerfile_validate_expanded (inst, ctx->filename, err);
      case DOCKERFILE_RUN:
      case DOCKERFILE_CMD:
      case DOCKERFILE_ENTRYPOINT:
        ret = parse_maybe_json (ctx, inst, rest, err);
        if (ret < 0)
          return ret;
        if (!inst->json && inst->args.n == 0)
          return PERR (ctx, err, "%s requires at least one argument", name);
        return inst->kind == DOCKERFILE_RUN ? parse_run (ctx, inst, err) : 0;
      case DOCKERFILE_SHELL:
        ret = parse_maybe_json (ctx, inst, rest, err);
        if (ret < 0)
          return ret;
        if (!inst->json)
          return PERR (ctx, err, "SHELL requires the arguments to be in JSON form");
        return require_args (ctx, inst, 1, err);
      case DOCKERFILE_LABEL:
      case DOCKERFILE_ENV:
        return parse_name_value (ctx, inst, rest, err);
      case DOCKERFILE_ARG:
        return parse_args_decl (ctx, inst, rest, err);
      case DOCKERFILE_ADD:
      case DOCKERFILE_COPY:
        ret = parse_maybe_json_list (ctx, inst, rest, err);
        return ret < 0 ? ret : parse_copy (ctx, inst, err);
      case DOCKERFILE_VOLUME:
        ret = parse_maybe_json_list (ctx, inst, rest, err);
        if (ret < 0)
          return ret;
        return inst->json ? 0 : require_args (ctx, inst, 1, err);
      case DOCKERFILE_USER:
      case DOCKERFILE_WORKDIR:
      case DOCKERFILE_STOPSIGNAL:
      case DOCKERFILE_MAINTAINER:
        if (*rest == '\0')
          return PERR (ctx, err, "%s requires exactly one argument", name);
        if (dockerfile_strv_push (&inst->args, rest) < 0 || (inst->value = strdup (rest)) == NULL)
          return estiba_error_errno (err, "strdup");
        return dockerfile_validate_expanded (inst, ctx->filename, err);
      case DOCKERFILE_ONBUILD:
        return parse_onbuild (ctx, inst, rest, err);
      case DOCKERFILE_HEALTHCHECK:
        if (*rest == '\0')
          return PERR (ctx, err, "HEALTHCHECK requires at least one argument");
        return parse_healthcheck (ctx, inst, rest, err);
    }
  return 0;
}

/* One logical line -> instruction (flags, arguments, typed fields).  */
static int
parse_line (const struct parse_ctx *ctx, const char *text, struct dockerfile_instruction *inst,
            estiba_error_t *err)
{
  struct dockerfile_strv flag_words = { 0 };
  size_t len;
  const char *rest;
  bool found;
  int ret;

  while (is_space (*text))
    text++;
  len = strcspn (text, " \t\v\f\r\n");
  inst->kind = kind_from_name (text, len, &found);
  inst->line = inst->end_line = ctx->line;
  if (!found)
    return PERR (ctx, err, "unknown instruction: %.*s", (int) len, text);
  inst->original = strdup (text);
  if (inst->original == NULL)
    return estiba_error_errno (err, "strdup");
  rest = text + len;
  if (inst->kind == DOCKERFILE_ONBUILD)
    {
      /* The trigger's own flags belong to the trigger.  */
      while (is_space (*rest))
        rest++;
      return parse_instruction_args (ctx, inst, rest, err);
    }
  if (extract_flags (rest, &flag_words, &rest) < 0)
    return estiba_error_errno (err, "flags");
  ret = store_flags (ctx, inst, &flag_words, err);
  dockerfile_strv_clear (&flag_words);
  if (ret < 0)
    return ret;
  return parse_instruction_args (ctx, inst, rest, err);
}

void
dockerfile_instruction_clear (struct dockerfile_instruction *inst)
{
  size_t i;

  free (inst->original);
  for (i = 0; i < inst->n_flags; i++)
    {
      free (inst->flags[i].name);
      free (inst->flags[i].value);
    }
  free (inst->flags);
  dockerfile_strv_clear (&inst->args);
  for (i = 0; i < inst->n_heredocs; i++)
    dockerfile_heredoc_clear (&inst->heredocs[i]);
  free (inst->heredocs);
  free (inst->from.image);
  free (inst->from.image_raw);
  free (inst->from.name);
  free (inst->from.platform);
  dockerfile_strv_clear (&inst->run.mounts_raw);
  for (i = 0; i < inst->run.n_mounts; i++)
    {
      free (inst->run.mounts[i].target);
      free (inst->run.mounts[i].source);
      free (inst->run.mounts[i].from);
      free (inst->run.mounts[i].id);
      free (inst->run.mounts[i].env);
    }
  free (inst->run.mounts);
  dockerfile_strv_clear (&inst->copy.sources);
  free (inst->copy.dest);
  free (inst->copy.from);
  free (inst->copy.chown);
  free (inst->copy.chmod);
  free (inst->copy.checksum);
  dockerfile_strv_clear (&inst->copy.excludes);
  for (i = 0; i < inst->n_kvs; i++)
    {
      free (inst->kvs[i].key);
      free (inst->kvs[i].value);
    }
  free (inst->kvs);
  for (i = 0; i < inst->n_ports; i++)
    free (inst->ports[i].proto);
  free (inst->ports);
  free (inst->value);
  free (inst->user);
  free (inst->group);
  dockerfile_strv_clear (&inst->healthcheck.test);
  dockerfile_instruction_free (inst->trigger);
  free (inst->trigger_text);
  memset (inst, 0, sizeof (*inst));
}

void
dockerfile_instruction_free (struct dockerfile_instruction *inst)
{
  if (inst == NULL)
    return;
  dockerfile_instruction_clear (inst);
  free (inst);
}

struct dockerfile_instruction *
dockerfile_parse_instruction (const char *text, const char *filename, int line, char escape,
                              estiba_error_t *err)
{
  struct parse_ctx ctx = { filename, line, escape };
  struct dockerfile_instruction *inst = calloc (1, sizeof (*inst));

  if (inst == NULL)
    {
      estiba_error_errno (err, "calloc");
      return NULL;
    }
  if (parse_line (&ctx, text, inst, err) < 0)
    {
      dockerfile_one_line_error (err, -1);
      dockerfile_instruction_free (inst);
      return NULL;
    }
  return inst;
}

int
dockerfile_one_line_error (estiba_error_t *err, int ret)
{
  char *p;
  if (ret < 0 && err && *err && (*err)->msg)
    for (p = (*err)->msg; *p; p++)
      if ((unsigned char) *p < 0x20 || *p == 0x7f)
        *p = '?';
  return ret;
}

/* ---- stages and the whole file ---- */

void
dockerfile_free (struct dockerfile *df)
{
  size_t i, j;
  cleanup_strv char **meta = NULL;
  cleanup_strv char **build = NULL;
  cleanup_strv char **plat = NULL;

  if (df == NULL)
    return;
  meta = df->meta_env;
  build = df->build_args;
  plat = df->platform_args;
  free (df->filename);
  for (i = 0; i < df->n_directives; i++)
    {
      free (df->directives[i].name);
      free (df->directives[i].value);
    }
  free (df->directives);
  for (i = 0; i < df->n_global_args; i++)
    dockerfile_instruction_clear (&df->global_args[i]);
  free (df->global_args);
  for (i = 0; i < df->n_stages; i++)
    {
      for (j = 0; j < df->stages[i].n_instructions; j++)
        dockerfile_instruction_clear (&df->stages[i].instructions[j]);
      free (df->stages[i].instructions);
    }
  free (df->stages);
  free (df);
}

const struct dockerfile_stage *
dockerfile_find_stage (const struct dockerfile *df, const char *name_or_index)
{
  size_t i;
  char *end;
  unsigned long idx;

  for (i = 0; i < df->n_stages; i++)
    if (df->stages[i].name && strcasecmp (df->stages[i].name, name_or_index) == 0)
      return &df->stages[i];
  if (!isdigit ((unsigned char) *name_or_index))
    return NULL;
  errno = 0;
  idx = strtoul (name_or_index, &end, 10);
  if (*end || errno || idx >= df->n_stages)
    return NULL;
  return &df->stages[idx];
}

static int
append_instruction (struct dockerfile_instruction **v, size_t *n, struct dockerfile_instruction *inst)
{
  struct dockerfile_instruction *p = dockerfile_grow (*v, *n, *n + 1, sizeof (*p));
  if (p == NULL)
    return -1;
  *v = p;
  p[(*n)++] = *inst;
  memset (inst, 0, sizeof (*inst));
  return 0;
}

static int
strv_add_kv (char ***v, const char *key, const char *value)
{
  size_t n = 0;
  char **p, *s;
  while (*v && (*v)[n])
    n++;
  if (asprintf (&s, "%s=%s", key, value) < 0)
    return -1;
  p = dockerfile_grow (*v, n + 1, n + 2, sizeof (char *));
  if (p == NULL)
    {
      free (s);
      return -1;
    }
  p[n] = s;
  p[n + 1] = NULL;
  *v = p;
  return 0;
}

/* Value of name in a "K=V" list (last wins), or NULL.  */
static const char *
kv_lookup (char *const *v, const char *name)
{
  size_t len = strlen (name);
  const char *found = NULL;
  for (; v && *v; v++)
    if (strncmp (*v, name, len) == 0 && (*v)[len] == '=')
      found = *v + len + 1;
  return found;
}

/* Go's GOARCH of this machine.  */
static const char *
host_arch (char *variant, size_t vlen)
{
  static const struct
  {
    const char *machine, *arch, *variant;
  } map[] = { { "x86_64", "amd64", "" },    { "aarch64", "arm64", "" }, { "armv7l", "arm", "v7" },
              { "armv6l", "arm", "v6" },    { "i686", "386", "" },      { "i386", "386", "" },
              { "ppc64le", "ppc64le", "" }, { "s390x", "s390x", "" },   { "riscv64", "riscv64", "" } };
  static struct utsname u;
  size_t i;

  variant[0] = '\0';
  if (uname (&u) < 0)
    return "amd64";
  for (i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if (strcmp (u.machine, map[i].machine) == 0)
      {
        snprintf (variant, vlen, "%s", map[i].variant);
        return map[i].arch;
      }
  return u.machine;
}

/* PREFIXPLATFORM, PREFIXOS, PREFIXARCH, PREFIXVARIANT from "os/arch[/variant]". */
static int
add_platform_args (char ***v, const char *prefix, const char *platform)
{
  char key[32], os[64] = "", arch[64] = "", variant[64] = "", full[200];
  const char *p = platform, *slash;

  slash = strchr (p, '/');
  snprintf (os, sizeof (os), "%.*s", (int) (slash ? slash - p : (long) strlen (p)), p);
  if (slash)
    {
      p = slash + 1;
      slash = strchr (p, '/');
      snprintf (arch, sizeof (arch), "%.*s", (int) (slash ? slash - p : (long) strlen (p)), p);
      if (slash)
        snprintf (variant, sizeof (variant), "%s", slash + 1);
    }
  snprintf (full, sizeof (full), "%s/%s%s%s", os, arch, variant[0] ? "/" : "", variant);
  snprintf (key, sizeof (key), "%sPLATFORM", prefix);
  if (strv_add_kv (v, key, full) < 0)
    return -1;
  snprintf (key, sizeof (key), "%sOS", prefix);
  if (strv_add_kv (v, key, os) < 0)
    return -1;
  snprintf (key, sizeof (key), "%sARCH", prefix);
  if (strv_add_kv (v, key, arch) < 0)
    return -1;
  snprintf (key, sizeof (key), "%sVARIANT", prefix);
  return strv_add_kv (v, key, variant);
}

static int
setup_args (struct dockerfile *df, const struct dockerfile_build_args *args, estiba_error_t *err)
{
  char host[200], variant[32];
  const char *arch = host_arch (variant, sizeof (variant));
  const char *build_platform = args && args->build_platform ? args->build_platform : host;
  char *const *a;

  snprintf (host, sizeof (host), "linux/%s%s%s", arch, variant[0] ? "/" : "", variant);
  if (add_platform_args (&df->platform_args, "BUILD", build_platform) < 0
      || add_platform_args (&df->platform_args, "TARGET",
                            args && args->target_platform ? args->target_platform : build_platform)
           < 0)
    return estiba_error_errno (err, "platform args");
  for (a = args ? args->args : NULL; a && *a; a++)
    {
      const char *eq = strchr (*a, '=');
      cleanup_free char *key = NULL;
      if (eq == NULL || eq == *a)
        return estiba_error (err, 0, "invalid build arg \"%s\": expected NAME=VALUE", *a);
      key = strndup (*a, eq - *a);
      if (key == NULL || strv_add_kv (&df->build_args, key, eq + 1) < 0)
        return estiba_error_errno (err, "build args");
    }
  return 0;
}

static const char *
meta_lookup (void *opaque, const char *name)
{
  const struct dockerfile *df = opaque;
  const char *v = kv_lookup (df->meta_env, name);
  return v ? v : kv_lookup (df->platform_args, name);
}

/* A global ARG: its value is the build arg, else its expanded default.  */
static int
apply_global_arg (struct dockerfile *df, const struct parse_ctx *ctx,
                  const struct dockerfile_instruction *inst, estiba_error_t *err)
{
  size_t i;
  for (i = 0; i < inst->n_kvs; i++)
    {
      cleanup_free char *name = NULL;
      cleanup_free char *value = NULL;
      const char *given;
      if (dockerfile_expand_word (inst->kvs[i].key, ctx->escape, meta_lookup, df, &name, err) < 0
          || (inst->kvs[i].value
              && dockerfile_expand_word (inst->kvs[i].value, ctx->escape, meta_lookup, df, &value, err) < 0))
        return estiba_error_wrap (err, "%s:%d", ctx->filename, ctx->line);
      given = kv_lookup (df->build_args, name);
      if (given == NULL)
        given = value;
      if (given == NULL)
        given = kv_lookup (df->platform_args, name);
      if (given && strv_add_kv (&df->meta_env, name, given) < 0)
        return estiba_error_errno (err, "strdup");
    }
  return 0;
}

static int
expand_from (struct dockerfile *df, const struct parse_ctx *ctx, struct dockerfile_instruction *inst,
             estiba_error_t *err)
{
  struct dockerfile_from *f = &inst->from;
  size_t i;

  if (dockerfile_expand_word (f->image_raw, ctx->escape, meta_lookup, df, &f->image, err) < 0)
    return estiba_error_wrap (err, "%s:%d", ctx->filename, ctx->line);
  if (f->platform)
    {
      char *p = NULL;
      if (dockerfile_expand_word (f->platform, ctx->escape, meta_lookup, df, &p, err) < 0)
        return estiba_error_wrap (err, "%s:%d", ctx->filename, ctx->line);
      free (f->platform);
      f->platform = p;
    }
  if (f->image[0] == '\0')
    return PERR (ctx, err, "base name (%s) should not be blank", f->image_raw);
  for (i = 0; i < df->n_stages; i++)
    if (df->stages[i].name && strcasecmp (df->stages[i].name, f->image) == 0)
      f->base_stage = i;
  inst->expanded = true;
  return 0;
}

static int
start_stage (struct dockerfile *df, const struct parse_ctx *ctx, struct dockerfile_instruction *inst,
             estiba_error_t *err)
{
  struct dockerfile_stage *p;
  size_t i;
  int ret = expand_from (df, ctx, inst, err);

  if (ret < 0)
    return ret;
  for (i = 0; inst->from.name && i < df->n_stages; i++)
    if (df->stages[i].name && strcmp (df->stages[i].name, inst->from.name) == 0)
      return PERR (ctx, err, "duplicate stage name \"%s\"", inst->from.name);
  p = dockerfile_grow (df->stages, df->n_stages, df->n_stages + 1, sizeof (*p));
  if (p == NULL)
    return estiba_error_errno (err, "realloc");
  df->stages = p;
  p = &df->stages[df->n_stages++];
  memset (p, 0, sizeof (*p));
  p->index = df->n_stages - 1;
  p->name = inst->from.name;
  if (append_instruction (&p->instructions, &p->n_instructions, inst) < 0)
    return estiba_error_errno (err, "realloc");
  return 0;
}

/* COPY --from / RUN --mount from=: an earlier stage by name or index, the
   current or a later one is an error, anything else is an image.  */
static int
resolve_copy_from (struct dockerfile *df, const struct parse_ctx *ctx, struct dockerfile_instruction *inst,
                   estiba_error_t *err)
{
  const char *from = inst->copy.from;
  size_t cur = df->n_stages - 1, i;

  if (from == NULL || strpbrk (from, "$'\"") || strchr (from, ctx->escape))
    return 0;
  for (i = 0; i < df->n_stages; i++)
    if (df->stages[i].name && strcasecmp (df->stages[i].name, from) == 0)
      {
        if (i == cur)
          return PERR (ctx, err, "COPY --from=%s: cannot copy from the current build stage", from);
        inst->copy.from_stage = i;
        return 0;
      }
  if (isdigit ((unsigned char) from[0]) && strspn (from, "0123456789") == strlen (from))
    {
      unsigned long idx = strtoul (from, NULL, 10);
      if (strlen (from) > 9 || idx >= cur)
        return PERR (ctx, err, "COPY --from=%s: index does not refer to an earlier build stage", from);
      inst->copy.from_stage = idx;
    }
  return 0;
}

static int
attach_heredocs (struct dockerfile_instruction *inst, struct dockerfile_line *l)
{
  if (inst->kind != DOCKERFILE_RUN && inst->kind != DOCKERFILE_COPY && inst->kind != DOCKERFILE_ADD)
    return 0;
  inst->heredocs = l->heredocs;
  inst->n_heredocs = l->n_heredocs;
  l->heredocs = NULL;
  l->n_heredocs = 0;
  inst->end_line = l->end_line;
  return 0;
}

static int
add_instruction (struct dockerfile *df, const struct parse_ctx *ctx, struct dockerfile_instruction *inst,
                 estiba_error_t *err)
{
  struct dockerfile_stage *st;

  if (inst->kind == DOCKERFILE_FROM)
    return start_stage (df, ctx, inst, err);
  if (df->n_stages == 0)
    {
      if (inst->kind != DOCKERFILE_ARG)
        return PERR (ctx, err, "no FROM before %s", kind_names[inst->kind]);
      if (apply_global_arg (df, ctx, inst, err) < 0)
        return -1;
      return append_instruction (&df->global_args, &df->n_global_args, inst) < 0
               ? estiba_error_errno (err, "realloc")
               : 0;
    }
  if (inst->kind == DOCKERFILE_COPY && resolve_copy_from (df, ctx, inst, err) < 0)
    return -1;
  st = &df->stages[df->n_stages - 1];
  if (append_instruction (&st->instructions, &st->n_instructions, inst) < 0)
    return estiba_error_errno (err, "realloc");
  return 0;
}

static int
parse_lines (struct dockerfile *df, struct dockerfile_lexed *lx, estiba_error_t *err)
{
  size_t i;

  for (i = 0; i < lx->n_lines; i++)
    {
      struct parse_ctx ctx = { df->filename, lx->lines[i].line, lx->escape };
      struct dockerfile_instruction inst;
      int ret;

      memset (&inst, 0, sizeof (inst));
      ret = parse_line (&ctx, lx->lines[i].text, &inst, err);
      inst.end_line = lx->lines[i].end_line;
      if (ret >= 0)
        {
          attach_heredocs (&inst, &lx->lines[i]);
          ret = add_instruction (df, &ctx, &inst, err);
        }
      dockerfile_instruction_clear (&inst);
      if (ret < 0)
        return ret;
    }
  if (df->n_stages == 0)
    return estiba_error (err, 0, "%s: file with no instructions", df->filename);
  return 0;
}

struct dockerfile *
dockerfile_parse (const char *data, size_t len, const char *filename,
                  const struct dockerfile_build_args *args, estiba_error_t *err)
{
  struct dockerfile_lexed lx;
  struct dockerfile *df = calloc (1, sizeof (*df));
  int ret;

  if (df == NULL || (df->filename = strdup (filename ? filename : "Dockerfile")) == NULL)
    {
      free (df);
      estiba_error_errno (err, "calloc");
      return NULL;
    }
  if (setup_args (df, args, err) < 0 || dockerfile_lex (data, len, df->filename, &lx, err) < 0)
    {
      dockerfile_one_line_error (err, -1);
      dockerfile_free (df);
      return NULL;
    }
  df->escape = lx.escape;
  df->directives = lx.directives;
  df->n_directives = lx.n_directives;
  lx.directives = NULL;
  lx.n_directives = 0;
  ret = parse_lines (df, &lx, err);
  dockerfile_lexed_free (&lx);
  if (ret < 0)
    {
      dockerfile_one_line_error (err, ret);
      dockerfile_free (df);
      return NULL;
    }
  for (size_t i = 0; i < df->n_stages; i++)
    df->stages[i].from = &df->stages[i].instructions[0];
  return df;
}
