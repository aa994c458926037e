/* Dockerfile variable substitution and ARG/ENV scoping, as BuildKit's
 * shell lexer does it: quotes and escapes removed, $v and ${v...}
 * substituted, in the instructions Docker expands (ADD COPY ENV EXPOSE
 * LABEL STOPSIGNAL USER VOLUME WORKDIR ARG, RUN --mount values; FROM is
 * done at parse time).  RUN/CMD/ENTRYPOINT are left to the shell.  */
#include <config.h>
#include "dockerfile.h"
#include "dockerfile_sbuf.h"
#include "cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- word processing ---- */

struct lexer
{
  const char *s;
  size_t pos, len;
  char escape;
  bool raw; /* heredoc bodies: quotes are literal, only \$ and \\ escape */
  dockerfile_lookup_fn lookup;
  void *opaque;
  estiba_error_t *err;
  int depth;
};

static int process_until (struct lexer *lx, char stop, struct sbuf *out);

static int
peek (const struct lexer *lx)
{
  return lx->pos < lx->len ? (unsigned char) lx->s[lx->pos] : -1;
}

static int
next (struct lexer *lx)
{
  return lx->pos < lx->len ? (unsigned char) lx->s[lx->pos++] : -1;
}

/* $name: letters, digits, '_'; a leading digit takes the digits only; a
   special parameter is one char.  */
static char *
process_name (struct lexer *lx)
{
  struct sbuf name = { 0 };
  int c = peek (lx);

  if (c >= 0 && isdigit (c))
    while (peek (lx) >= 0 && isdigit (peek (lx)))
      sb_add (&name, next (lx));
  else if (c >= 0 && strchr ("*#@?-$!", c))
    sb_add (&name, next (lx));
  else
    while ((c = peek (lx)) >= 0 && (isalnum (c) || c == '_'))
      sb_add (&name, next (lx));
  if (name.oom)
    {
      free (name.s);
      return NULL;
    }
  return sb_take (&name);
}

/* Glob pattern operations are quadratic (or worse) in the value's length;
   Dockerfile values are short, so refuse absurd ones rather than hang.  */
#define PATTERN_VALUE_MAX 16384

/* fnmatch backtracks on every '*': keep the number small.  */
static bool
pattern_too_complex (const char *pattern)
{
  size_t stars = 0;
  for (; pattern && *pattern; pattern++)
    stars += *pattern == '*';
  return stars > 8;
}

/* Remove the shortest/longest prefix (#) or suffix (%) matching pattern.  */
static void
trim_pattern (const char *value, const char *pattern, bool suffix, bool longest, struct sbuf *out)
{
  size_t n = strlen (value), i;
  cleanup_free char *tmp = strdup (value);

  if (tmp == NULL)
    {
      out->oom = true;
      return;
    }
  for (i = 0; i <= n; i++)
    {
      size_t k = suffix ? (longest ? i : n - i) : (longest ? n - i : i);
      if (!suffix)
        {
          char saved = tmp[k];
          tmp[k] = '\0';
          bool m = fnmatch (pattern, tmp, 0) == 0;
          tmp[k] = saved;
          if (m)
            {
              sb_addn (out, value + k, n - k);
              return;
            }
        }
      else if (fnmatch (pattern, value + k, 0) == 0)
        {
          sb_addn (out, value, k);
          return;
        }
    }
  sb_addn (out, value, n);
}

/* ${v/pat/repl} with a pattern without wildcards: plain search.  */
static void
replace_literal (const char *value, const char *pattern, const char *repl, bool all, struct sbuf *out)
{
  size_t plen = strlen (pattern);
  const char *hit;

  while (plen && (hit = strstr (value, pattern)))
    {
      sb_addn (out, value, hit - value);
      sb_addn (out, repl, strlen (repl));
      value = hit + plen;
      if (!all)
        break;
    }
  sb_addn (out, value, strlen (value));
}

/* ${v/pat/repl}: replace the first (or every) longest match.  */
static void
replace_pattern (const char *value, const char *pattern, const char *repl, bool all, struct sbuf *out)
{
  size_t n = strlen (value), i = 0, j;
  cleanup_free char *tmp = NULL;
  bool done = false;

  if (strpbrk (pattern, "*?[\\") == NULL)
    {
      replace_literal (value, pattern, repl, all, out);
      return;
    }
  tmp = strdup (value);
  if (tmp == NULL)
    {
      out->oom = true;
      return;
    }
  while (i < n)
    {
      bool matched = false;
      for (j = n; !done && j > i; j--)
        {
          char saved = tmp[j];
          tmp[j] = '\0';
          matched = fnmatch (pattern, tmp + i, 0) == 0;
          tmp[j] = saved;
          if (matched)
            break;
        }
      if (matched)
        {
          sb_addn (out, repl, strlen (repl));
          i = j;
          done = !all;
          continue;
        }
      sb_add (out, value[i++]);
    }
}

static int
lex_error (struct lexer *lx, const char *msg, const char *arg)
{
  return estiba_error (lx->err, 0, msg, arg);
}

/* After "${name": the modifier and its word, up to '}'.  */
static int
process_modifier (struct lexer *lx, const char *name, const char *value, struct sbuf *out)
{
  struct sbuf word = { 0 }, word2 = { 0 };
  int c = next (lx), ret = 0;
  bool colon = false;

  if (c == '}')
    {
      if (value)
        sb_addn (out, value, strlen (value));
      return 0;
    }
  if (c == ':')
    {
      colon = true;
      c = next (lx);
    }
  if (c == '/' && !colon)
    {
      bool all = peek (lx) == '/';
      if (all)
        next (lx);
      ret = process_until (lx, '/', &word);
      if (ret == 1)
        ret = process_until (lx, '}', &word2);
      else if (ret == 0)
        ret = lex_error (lx, "%s: missing '}'", name);
      if (ret >= 0 && pattern_too_complex (word.s))
        ret = estiba_error (lx->err, 0, "%s: pattern too complex", name);
      else if (ret >= 0 && value && word.s && strpbrk (word.s, "*?[\\")
               && strlen (value) > PATTERN_VALUE_MAX / 64)
        ret = estiba_error (lx->err, 0, "%s: value too long for pattern replacement", name);
      else if (ret >= 0 && value)
        replace_pattern (value, word.s ? word.s : "", word2.s ? word2.s : "", all, out);
      goto done;
    }
  if (c < 0 || !strchr ("-+?#%", c) || (colon && (c == '#' || c == '%')))
    {
      char m[3] = { colon ? ':' : (char) c, colon ? (char) c : '\0', '\0' };
      ret = c < 0 ? lex_error (lx, "%s: missing '}'", name)
                  : estiba_error (lx->err, 0, "unsupported modifier (%s) in substitution", m);
      goto done;
    }
  bool longest = false;
  if (value && (c == '#' || c == '%') && strlen (value) > PATTERN_VALUE_MAX)
    {
      ret = estiba_error (lx->err, 0, "%s: value too long for pattern removal", name);
      goto done;
    }
  if ((c == '#' || c == '%') && peek (lx) == c)
    {
      longest = true;
      next (lx);
    }
  ret = process_until (lx, '}', &word);
  if (ret == 0)
    ret = lex_error (lx, "%s: missing '}'", name);
  if (ret < 0)
    goto done;
  if ((c == '#' || c == '%') && pattern_too_complex (word.s))
    {
      ret = estiba_error (lx->err, 0, "%s: pattern too complex", name);
      goto done;
    }
  const char *w = word.s ? word.s : "";
  bool set = value != NULL, nonempty = value && *value;
  switch (c)
    {
      case '-':
        sb_addn (out, (colon ? nonempty : set) ? value : w, strlen ((colon ? nonempty : set) ? value : w));
        break;
      case '+':
        if (colon ? nonempty : set)
          sb_addn (out, w, strlen (w));
        break;
      case '?':
        if (!set || (colon && !nonempty))
          ret = estiba_error (lx->err, 0, "%s: %s", name,
                              *w     ? w
                              : !set ? "is not allowed to be unset"
                                     : "is not allowed to be empty");
        else
          sb_addn (out, value, strlen (value));
        break;
      default:
        if (value)
          trim_pattern (value, w, c == '%', longest, out);
    }
done:
  free (word.s);
  free (word2.s);
  return ret < 0 ? ret : 0;
}

static int
process_dollar (struct lexer *lx, struct sbuf *out)
{
  cleanup_free char *name = NULL;
  const char *value;

  next (lx); /* '$' */
  if (peek (lx) != '{')
    {
      name = process_name (lx);
      if (name == NULL)
        return estiba_error_errno (lx->err, "malloc");
      if (*name == '\0')
        sb_add (out, '$');
      else if ((value = lx->lookup (lx->opaque, name)))
        sb_addn (out, value, strlen (value));
      return 0;
    }
  next (lx); /* '{' */
  name = process_name (lx);
  if (name == NULL)
    return estiba_error_errno (lx->err, "malloc");
  if (*name == '\0')
    return estiba_error (lx->err, 0, "bad substitution");
  return process_modifier (lx, name, lx->lookup (lx->opaque, name), out);
}

static int
process_single_quote (struct lexer *lx, struct sbuf *out)
{
  int c;
  next (lx);
  while ((c = next (lx)) != '\'')
    {
      if (c < 0)
        return estiba_error (lx->err, 0,
                             "unexpected end of statement while looking for matching single-quote");
      sb_add (out, c);
    }
  return 0;
}

static int
process_double_quote (struct lexer *lx, struct sbuf *out)
{
  int c;
  next (lx);
  for (;;)
    {
      c = peek (lx);
      if (c < 0)
        return estiba_error (lx->err, 0,
                             "unexpected end of statement while looking for matching double-quote");
      if (c == '"')
        {
          next (lx);
          return 0;
        }
      if (c == '$')
        {
          if (process_dollar (lx, out) < 0)
            return -1;
          continue;
        }
      c = next (lx);
      if (c == lx->escape)
        {
          int p = peek (lx);
          if (p < 0)
            continue;
          if (p == '"' || p == '$' || p == lx->escape)
            c = next (lx);
        }
      sb_add (out, c);
    }
}

/* Process up to `stop` (consumed; returns 1) or the end (returns 0).  */
static int
process_until (struct lexer *lx, char stop, struct sbuf *out)
{
  int c;

  if (++lx->depth > 100)
    return estiba_error (lx->err, 0, "substitution nested too deeply");
  while ((c = peek (lx)) >= 0)
    {
      int ret = 0;
      if (stop && c == stop)
        {
          next (lx);
          lx->depth--;
          return 1;
        }
      if (c == '\'' && !lx->raw)
        ret = process_single_quote (lx, out);
      else if (c == '"' && !lx->raw)
        ret = process_double_quote (lx, out);
      else if (c == '$')
        ret = process_dollar (lx, out);
      else
        {
          next (lx);
          if (c == lx->escape)
            {
              int p = peek (lx);
              if (p < 0)
                break;
              if (!lx->raw || p == '$' || p == lx->escape)
                c = next (lx);
            }
          sb_add (out, c);
        }
      if (ret < 0)
        return ret;
    }
  lx->depth--;
  if (out->oom)
    return estiba_error (lx->err, ENOMEM, "expand");
  return 0;
}

static int
expand (const char *word, char escape, bool raw, dockerfile_lookup_fn lookup, void *opaque, char **out,
        estiba_error_t *err)
{
  struct lexer lx = { word, 0, strlen (word), escape, raw, lookup, opaque, err, 0 };
  struct sbuf b = { 0 };
  int ret = process_until (&lx, 0, &b);

  if (ret < 0 || b.oom)
    {
      free (b.s);
      return ret < 0 ? ret : estiba_error (err, ENOMEM, "expand");
    }
  *out = sb_take (&b);
  if (*out == NULL)
    return estiba_error (err, ENOMEM, "expand");
  return 0;
}

int
dockerfile_expand_word (const char *word, char escape, dockerfile_lookup_fn lookup, void *opaque, char **out,
                        estiba_error_t *err)
{
  return dockerfile_one_line_error (err, expand (word, escape, false, lookup, opaque, out, err));
}

/* ---- scope ---- */

struct dockerfile_scope
{
  const struct dockerfile *df;
  size_t stage;
  char **env;  /* ENV, "K=V", unique keys in order */
  char **args; /* declared ARGs with a value, "K=V" */
};

static size_t
strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

static const char *
kv_get (char *const *v, const char *name)
{
  size_t len = strlen (name);
  const char *found = NULL;
  for (; v && *v; v++)
    if (strncmp (*v, name, len) == 0 && (*v)[len] == '=')
      found = *v + len + 1;
  return found;
}

/* Set (replace in place or append) key=value in a "K=V" list.  */
static int
kv_set (char ***v, const char *key, const char *value)
{
  size_t n = strv_len (*v), i, len = strlen (key);
  char *s, **p;

  if (asprintf (&s, "%s=%s", key, value) < 0)
    return -1;
  for (i = 0; i < n; i++)
    if (strncmp ((*v)[i], key, len) == 0 && (*v)[i][len] == '=')
      {
        free ((*v)[i]);
        (*v)[i] = s;
        return 0;
      }
  p = realloc (*v, (n + 2) * sizeof (char *));
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

static void
kv_unset (char **v, const char *key)
{
  size_t len = strlen (key), i, j;
  for (i = j = 0; v && v[i]; i++)
    {
      if (strncmp (v[i], key, len) == 0 && v[i][len] == '=')
        free (v[i]);
      else
        v[j++] = v[i];
    }
  if (v)
    v[j] = NULL;
}

struct dockerfile_scope *
dockerfile_scope_new (const struct dockerfile *df, size_t stage, char *const *image_env)
{
  struct dockerfile_scope *s = calloc (1, sizeof (*s));
  if (s == NULL)
    return NULL;
  s->df = df;
  s->stage = stage;
  for (; image_env && *image_env; image_env++)
    {
      const char *eq = strchr (*image_env, '=');
      cleanup_free char *key = eq ? strndup (*image_env, eq - *image_env) : NULL;
      if (eq && (key == NULL || kv_set (&s->env, key, eq + 1) < 0))
        {
          dockerfile_scope_free (s);
          return NULL;
        }
    }
  return s;
}

void
dockerfile_scope_free (struct dockerfile_scope *scope)
{
  cleanup_strv char **env = NULL;
  cleanup_strv char **args = NULL;
  if (scope == NULL)
    return;
  env = scope->env;
  args = scope->args;
  free (scope);
}

int
dockerfile_scope_inherit_args (struct dockerfile_scope *scope, const struct dockerfile_scope *parent)
{
  size_t i;
  for (i = 0; parent->args && parent->args[i]; i++)
    {
      const char *eq = strchr (parent->args[i], '=');
      cleanup_free char *key = strndup (parent->args[i], eq - parent->args[i]);
      if (key == NULL || kv_set (&scope->args, key, eq + 1) < 0)
        return -1;
    }
  return 0;
}

const char *
dockerfile_scope_get (const struct dockerfile_scope *scope, const char *name)
{
  const char *v = kv_get (scope->env, name);
  return v ? v : kv_get (scope->args, name);
}

static const char *
scope_lookup (void *opaque, const char *name)
{
  return dockerfile_scope_get (opaque, name);
}

static char **
strv_copy (char *const *v, size_t extra)
{
  size_t n = strv_len (v), i;
  char **c = calloc (n + extra + 1, sizeof (char *));
  if (c == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    if ((c[i] = strdup (v[i])) == NULL)
      {
        cleanup_strv_fn (&c);
        return NULL;
      }
  return c;
}

char **
dockerfile_scope_env (const struct dockerfile_scope *scope)
{
  return strv_copy (scope->env, 0);
}

static const char *const proxy_args[] = { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                          "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                          "ALL_PROXY",  "all_proxy" };

char **
dockerfile_scope_run_env (const struct dockerfile_scope *scope)
{
  char **env = strv_copy (scope->env, 0);
  size_t i;

  for (i = 0; env && scope->args && scope->args[i]; i++)
    {
      const char *eq = strchr (scope->args[i], '=');
      cleanup_free char *key = strndup (scope->args[i], eq - scope->args[i]);
      if (key == NULL || (kv_get (env, key) == NULL && kv_set (&env, key, eq + 1) < 0))
        goto fail;
    }
  for (i = 0; env && i < sizeof (proxy_args) / sizeof (proxy_args[0]); i++)
    {
      const char *v = kv_get (scope->df->build_args, proxy_args[i]);
      if (v && kv_get (env, proxy_args[i]) == NULL && kv_set (&env, proxy_args[i], v) < 0)
        goto fail;
    }
  return env;
fail:
  cleanup_strv_fn (&env);
  return NULL;
}

/* ---- expanding instructions ---- */

struct xctx
{
  struct dockerfile_scope *scope;
  const struct dockerfile_instruction *inst;
  const char *filename;
  char escape;
  estiba_error_t *err;
};

/* Replace *s (if set) by its expansion.  */
static int
xword (struct xctx *x, char **s)
{
  char *out = NULL;
  if (*s == NULL)
    return 0;
  if (dockerfile_expand_word (*s, x->escape, scope_lookup, x->scope, &out, x->err) < 0)
    return estiba_error_wrap (x->err, "%s:%d: %s", x->filename, x->inst->line,
                              dockerfile_kind_name (x->inst->kind));
  free (*s);
  *s = out;
  return 0;
}

static int
xstrv (struct xctx *x, struct dockerfile_strv *v)
{
  size_t i;
  for (i = 0; i < v->n; i++)
    if (xword (x, &v->v[i]) < 0)
      return -1;
  return 0;
}

static int
expand_env (struct xctx *x, struct dockerfile_instruction *inst)
{
  size_t i;
  /* All values see the environment from before this instruction.  */
  for (i = 0; i < inst->n_kvs; i++)
    if (xword (x, &inst->kvs[i].key) < 0 || xword (x, &inst->kvs[i].value) < 0)
      return -1;
  for (i = 0; i < inst->n_kvs; i++)
    {
      if (inst->kvs[i].key[0] == '\0')
        return estiba_error (x->err, 0, "%s:%d: %s names can not be blank", x->filename, inst->line,
                             dockerfile_kind_name (inst->kind));
      if (inst->kind == DOCKERFILE_ENV && kv_set (&x->scope->env, inst->kvs[i].key, inst->kvs[i].value) < 0)
        return estiba_error_errno (x->err, "setenv");
    }
  return 0;
}

/* ARG: build arg, else default, else the global ARG of that name, else
   the automatic platform arg.  Declared but valueless: unset.  */
static int
expand_arg (struct xctx *x, struct dockerfile_instruction *inst)
{
  const struct dockerfile *df = x->scope->df;
  size_t i;

  for (i = 0; i < inst->n_kvs; i++)
    {
      const char *v;
      if (xword (x, &inst->kvs[i].key) < 0 || xword (x, &inst->kvs[i].value) < 0)
        return -1;
      v = kv_get (df->build_args, inst->kvs[i].key);
      if (v == NULL)
        v = inst->kvs[i].value;
      if (v == NULL)
        v = kv_get (df->meta_env, inst->kvs[i].key);
      if (v == NULL)
        v = kv_get (df->platform_args, inst->kvs[i].key);
      if (v == NULL)
        kv_unset (x->scope->args, inst->kvs[i].key);
      else if (kv_set (&x->scope->args, inst->kvs[i].key, v) < 0)
        return estiba_error_errno (x->err, "setarg");
    }
  return 0;
}

static int
expand_heredocs (struct xctx *x, struct dockerfile_instruction *inst)
{
  size_t i;
  for (i = 0; i < inst->n_heredocs; i++)
    {
      char *out = NULL;
      if (!inst->heredocs[i].expand)
        continue;
      if (expand (inst->heredocs[i].content, x->escape, true, scope_lookup, x->scope, &out, x->err) < 0)
        return estiba_error_wrap (x->err, "%s:%d: heredoc %s", x->filename, inst->line,
                                  inst->heredocs[i].name);
      free (inst->heredocs[i].content);
      inst->heredocs[i].content = out;
    }
  return 0;
}

static int
expand_copy (struct xctx *x, struct dockerfile_instruction *inst)
{
  struct dockerfile_copy *c = &inst->copy;
  const struct dockerfile *df = x->scope->df;
  size_t i;

  /* Heredoc sources name their heredoc and are not paths: leave them.  */
  for (i = 0; i < c->sources.n; i++)
    if (dockerfile_source_heredoc (inst, c->sources.v[i]) == NULL && xword (x, &c->sources.v[i]) < 0)
      return -1;
  if (xword (x, &c->dest) < 0 || xword (x, &c->from) < 0 || xword (x, &c->chown) < 0
      || xword (x, &c->chmod) < 0 || xword (x, &c->checksum) < 0 || xstrv (x, &c->excludes) < 0)
    return -1;
  if (expand_heredocs (x, inst) < 0)
    return -1;
  c->from_stage = -1;
  if (c->from == NULL)
    return 0;
  for (i = 0; i < x->scope->stage && i < df->n_stages; i++)
    if ((df->stages[i].name && strcasecmp (df->stages[i].name, c->from) == 0))
      c->from_stage = i;
  if (c->from_stage < 0 && c->from[0] && strspn (c->from, "0123456789") == strlen (c->from))
    {
      if (strlen (c->from) > 9 || strtoul (c->from, NULL, 10) >= x->scope->stage)
        return estiba_error (x->err, 0,
                             "%s:%d: COPY --from=%s: index does not refer to an earlier build stage",
                             x->filename, inst->line, c->from);
      c->from_stage = strtoul (c->from, NULL, 10);
    }
  return 0;
}

int
dockerfile_expand_instruction (struct dockerfile_instruction *inst, struct dockerfile_scope *scope,
                               const char *filename, estiba_error_t *err)
{
  struct xctx x = { scope, inst, filename, scope->df->escape, err };
  int ret = 0;

  if (inst->expanded)
    return 0;
  switch (inst->kind)
    {
      case DOCKERFILE_ENV:
      case DOCKERFILE_LABEL:
        ret = expand_env (&x, inst);
        break;
      case DOCKERFILE_ARG:
        ret = expand_arg (&x, inst);
        break;
      case DOCKERFILE_ADD:
      case DOCKERFILE_COPY:
        ret = expand_copy (&x, inst);
        break;
      case DOCKERFILE_EXPOSE:
      case DOCKERFILE_VOLUME:
        ret = xstrv (&x, &inst->args);
        break;
      case DOCKERFILE_USER:
      case DOCKERFILE_WORKDIR:
      case DOCKERFILE_STOPSIGNAL:
        ret = xword (&x, &inst->value);
        break;
      case DOCKERFILE_RUN:
        ret = xstrv (&x, &inst->run.mounts_raw);
        break;
      default:
        break;
    }
  if (ret < 0)
    return dockerfile_one_line_error (err, ret);
  inst->expanded = true;
  return dockerfile_one_line_error (err, dockerfile_validate_expanded (inst, filename, err));
}

char *
dockerfile_run_script (const struct dockerfile_instruction *inst)
{
  struct sbuf b = { 0 };
  size_t i;
  const char *cmd = inst->args.n ? inst->args.v[0] : "";

  if (inst->n_heredocs == 1 && !inst->json)
    {
      const char *p = cmd;
      while (isspace ((unsigned char) *p))
        p++;
      if (strncmp (p, "<<", 2) == 0 && strcspn (p, " \t") == strlen (p))
        return strdup (inst->heredocs[0].content);
    }
  sb_addn (&b, cmd, strlen (cmd));
  for (i = 0; i < inst->n_heredocs && !inst->json; i++)
    {
      sb_add (&b, '\n');
      sb_addn (&b, inst->heredocs[i].content, strlen (inst->heredocs[i].content));
      sb_addn (&b, inst->heredocs[i].name, strlen (inst->heredocs[i].name));
    }
  if (b.oom)
    {
      free (b.s);
      return NULL;
    }
  return sb_take (&b);
}
