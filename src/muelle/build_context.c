#include <config.h>
#include "build_context.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SYMLINKS 40

int
build_context_open (int rootfd, const char *rel, int flags)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };

  return (int) syscall (SYS_openat2, rootfd, strcmp (rel, "") == 0 ? "." : rel, &how, sizeof (how));
}

bool
build_context_is_glob (const char *pattern)
{
  return strpbrk (pattern, "*?[\\") != NULL;
}

/* A growing '/'-separated path; "" is the root.  */
struct pathbuf
{
  char *s;
  size_t len, cap;
};

static int
path_push (struct pathbuf *p, const char *comp, size_t len)
{
  size_t need = p->len + len + 2;

  if (need > p->cap)
    {
      size_t cap = need * 2;
      char *n = realloc (p->s, cap);
      if (n == NULL)
        return -1;
      p->s = n;
      p->cap = cap;
    }
  if (p->len)
    p->s[p->len++] = '/';
  memcpy (p->s + p->len, comp, len);
  p->len += len;
  p->s[p->len] = '\0';
  return 0;
}

static void
path_pop (struct pathbuf *p)
{
  char *slash;

  p->s[p->len] = '\0';
  slash = strrchr (p->s, '/');
  p->len = slash ? (size_t) (slash - p->s) : 0;
  p->s[p->len] = '\0';
}

/* todo = target + "/" + rest: the symlink's target is resolved next.  */
static char *
join_todo (const char *target, const char *rest)
{
  char *s = NULL;

  if (asprintf (&s, "%s%s%s", target, *rest ? "/" : "", rest) < 0)
    return NULL;
  return s;
}

int
build_context_resolve (int rootfd, const char *rel, bool follow_final, bool image_root, char **out,
                       bool *exists, bool *clamped, estiba_error_t *err)
{
  struct pathbuf cur = { NULL, 0, 0 };
  cleanup_free char *todo = strdup (rel);
  const char *p;
  int links = 0;
  bool missing = false;

  if (clamped)
    *clamped = false;
  if (todo == NULL || path_push (&cur, "", 0) < 0)
    goto nomem;
  p = todo;
  while (*p)
    {
      size_t len = strcspn (p, "/");
      const char *rest = p + len + (p[len] == '/');
      char comp[NAME_MAX + 1];
      char target[PATH_MAX];
      struct stat st;
      ssize_t n;

      if (len == 0 || (len == 1 && p[0] == '.'))
        {
          p = rest;
          continue;
        }
      if (len > NAME_MAX)
        {
          free (cur.s);
          return estiba_error (err, ENAMETOOLONG, "`%s`", rel);
        }
      memcpy (comp, p, len);
      comp[len] = '\0';
      if (missing)
        {
          if (strcmp (comp, "..") == 0)
            path_pop (&cur);
          else if (path_push (&cur, comp, len) < 0)
            goto nomem;
          p = rest;
          continue;
        }
      if (strcmp (comp, "..") == 0)
        {
          if (cur.len == 0 && clamped)
            *clamped = true;
          if (cur.len)
            path_pop (&cur);
          p = rest;
          continue;
        }
      if (path_push (&cur, comp, len) < 0)
        goto nomem;
      if (fstatat (rootfd, cur.s, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno != ENOENT && errno != ENOTDIR)
            {
              estiba_error_errno (err, "`%s`", rel);
              free (cur.s);
              return -1;
            }
          missing = true;
          p = rest;
          continue;
        }
      if (!S_ISLNK (st.st_mode) || (*rest == '\0' && !follow_final))
        {
          if (*rest && !S_ISDIR (st.st_mode) && !S_ISLNK (st.st_mode))
            missing = true;
          p = rest;
          continue;
        }
      if (++links > MAX_SYMLINKS)
        {
          free (cur.s);
          return estiba_error (err, ELOOP, "`%s`", rel);
        }
      n = readlinkat (rootfd, cur.s, target, sizeof (target) - 1);
      if (n < 0)
        {
          estiba_error_errno (err, "`%s`: readlink", rel);
          free (cur.s);
          return -1;
        }
      target[n] = '\0';
      path_pop (&cur);
      if (target[0] == '/')
        {
          cur.len = 0;
          cur.s[0] = '\0';
          if (!image_root && clamped)
            *clamped = true;
        }
      {
        char *next = join_todo (target, rest);
        if (next == NULL)
          goto nomem;
        free (todo);
        todo = next;
        p = todo;
      }
    }
  *exists = !missing;
  if (cur.len == 0)
    {
      free (cur.s);
      cur.s = strdup (".");
      if (cur.s == NULL)
        return estiba_error (err, ENOMEM, "`%s`", rel);
    }
  *out = cur.s;
  return 0;
nomem:
  free (cur.s);
  return estiba_error (err, ENOMEM, "`%s`", rel);
}

void
build_matches_free (struct build_match *m, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (m[i].rel);
      free (m[i].keep);
    }
  free (m);
}

/* One pattern component being expanded: where it is, as resolved and as
 * written.  */
struct candidate
{
  char *resolved;
  char *literal;
};

struct cand_list
{
  struct candidate *v;
  size_t n, cap;
};

static void
cand_list_clear (struct cand_list *l)
{
  size_t i;

  for (i = 0; i < l->n; i++)
    {
      free (l->v[i].resolved);
      free (l->v[i].literal);
    }
  free (l->v);
  memset (l, 0, sizeof (*l));
}

static int
cand_add (struct cand_list *l, char *resolved, char *literal)
{
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 8;
      struct candidate *v = realloc (l->v, cap * sizeof (*v));
      if (v == NULL)
        {
          free (resolved);
          free (literal);
          return -1;
        }
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n].resolved = resolved;
  l->v[l->n].literal = literal;
  l->n++;
  return 0;
}

static char *
path_join (const char *a, const char *b)
{
  char *s = NULL;

  if (strcmp (a, ".") == 0 || *a == '\0')
    return strdup (b);
  if (asprintf (&s, "%s/%s", a, b) < 0)
    return NULL;
  return s;
}

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The sorted names in directory rel below rootfd.  */
static int
list_dir (int rootfd, const char *rel, char ***names, size_t *n, estiba_error_t *err)
{
  int fd = build_context_open (rootfd, rel, O_RDONLY | O_DIRECTORY);
  DIR *d;
  struct dirent *de;
  size_t cap = 0;

  *names = NULL;
  *n = 0;
  if (fd < 0)
    return (errno == ENOTDIR || errno == ENOENT) ? 0 : estiba_error_errno (err, "open `%s`", rel);
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return estiba_error_errno (err, "open `%s`", rel);
    }
  errno = 0;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (*n == cap)
        {
          char **v = realloc (*names, (cap = cap ? cap * 2 : 64) * sizeof (char *));
          if (v == NULL)
            break;
          *names = v;
        }
      if (((*names)[*n] = strdup (de->d_name)) == NULL)
        break;
      (*n)++;
    }
  closedir (d);
  if (de != NULL)
    return estiba_error (err, ENOMEM, "list `%s`", rel);
  if (*n)
    qsort (*names, *n, sizeof (char *), cmp_strp);
  return 0;
}

static void
free_names (char **names, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free (names[i]);
  free (names);
}

/* An ignored path does not exist, except a directory when some pattern
 * re-includes things (the walk then sorts out its entries).  */
static bool
is_ignored (int rootfd, const struct dockerignore *ignore, const char *literal, const char *resolved)
{
  struct stat st;

  if (ignore == NULL || (!dockerignore_match (ignore, literal) && !dockerignore_match (ignore, resolved)))
    return false;
  return !(dockerignore_has_exceptions (ignore) && fstatat (rootfd, resolved, &st, AT_SYMLINK_NOFOLLOW) == 0
           && S_ISDIR (st.st_mode));
}

/* Add the candidate literal/name if it exists; the last component keeps a
 * symlink as is unless its target stays inside the root.  */
static int
try_candidate (int rootfd, const struct candidate *c, const char *name, bool last,
               const struct build_glob_options *opts, struct cand_list *next, estiba_error_t *err)
{
  cleanup_free char *rel = path_join (c->resolved, name);
  char *literal = path_join (c->literal, name), *resolved = NULL;
  bool exists, clamped;

  if (rel == NULL || literal == NULL)
    {
      free (literal);
      return estiba_error (err, ENOMEM, "%s", name);
    }
  if (build_context_resolve (rootfd, rel, !last, opts->image_root, &resolved, &exists, &clamped, err) < 0)
    {
      free (literal);
      return -1;
    }
  if (last && exists)
    {
      char *followed = NULL;
      bool fexists;
      if (build_context_resolve (rootfd, rel, true, opts->image_root, &followed, &fexists, &clamped, err) < 0)
        {
          free (literal);
          free (resolved);
          return -1;
        }
      if (fexists && !clamped)
        {
          free (resolved);
          resolved = followed;
        }
      else
        free (followed);
    }
  if (!exists || is_ignored (rootfd, opts->ignore, literal, resolved))
    {
      free (literal);
      free (resolved);
      return 0;
    }
  if (cand_add (next, resolved, literal) < 0)
    return estiba_error (err, ENOMEM, "%s", name);
  return 0;
}

static int
expand_component (int rootfd, const struct cand_list *cur, const char *comp, bool last,
                  const struct build_glob_options *opts, struct cand_list *next, estiba_error_t *err)
{
  size_t i, j;

  for (i = 0; i < cur->n; i++)
    {
      char **names;
      size_t n;

      if (!build_context_is_glob (comp))
        {
          if (try_candidate (rootfd, &cur->v[i], comp, last, opts, next, err) < 0)
            return -1;
          continue;
        }
      if (list_dir (rootfd, cur->v[i].resolved, &names, &n, err) < 0)
        return -1;
      for (j = 0; j < n; j++)
        if (fnmatch (comp, names[j], 0) == 0
            && try_candidate (rootfd, &cur->v[i], names[j], last, opts, next, err) < 0)
          {
            free_names (names, n);
            return -1;
          }
      free_names (names, n);
    }
  return 0;
}

/* The literal path below the "/./" pivot of --parents (all of it when
 * the pattern has none).  */
static char *
keep_path (const char *literal, size_t pivot_depth)
{
  const char *p = literal;

  while (pivot_depth-- > 0 && p)
    {
      p = strchr (p, '/');
      if (p)
        p++;
    }
  return strdup (p && *p ? p : ".");
}

int
build_context_glob (int rootfd, const char *pattern, const struct build_glob_options *opts,
                    struct build_match **out, size_t *n, estiba_error_t *err)
{
  struct cand_list cur = { 0 }, next = { 0 };
  cleanup_free char *copy = strdup (pattern);
  char *comps[PATH_MAX / 2];
  size_t ncomp = 0, i, pivot = 0;
  int depth = 0, ret = -1;
  char *save = NULL, *tok;

  *out = NULL;
  *n = 0;
  if (copy == NULL)
    return estiba_error (err, ENOMEM, "%s", pattern);
  /* Lexical checks first: nothing may climb out of the root.  */
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0)
        {
          if (ncomp > 0)
            pivot = ncomp;
          continue;
        }
      if (strcmp (tok, "..") == 0 && --depth < 0)
        return estiba_error (err, 0, "%s: %s: outside the %s", opts->what, pattern,
                             opts->image_root ? "source root" : "build context");
      if (strcmp (tok, "..") != 0)
        depth++;
      comps[ncomp++] = tok;
    }
  if (cand_add (&cur, strdup ("."), strdup ("")) < 0 || cur.v[0].resolved == NULL || cur.v[0].literal == NULL)
    goto nomem;
  for (i = 0; i < ncomp; i++)
    {
      if (expand_component (rootfd, &cur, comps[i], i + 1 == ncomp, opts, &next, err) < 0)
        goto out;
      cand_list_clear (&cur);
      cur = next;
      memset (&next, 0, sizeof (next));
    }
  if (cur.n == 0)
    {
      ret = estiba_error (err, 0, "%s: %s: no such file or directory %s", opts->what, pattern, opts->where);
      goto out;
    }
  *out = calloc (cur.n, sizeof (**out));
  if (*out == NULL)
    goto nomem;
  for (i = 0; i < cur.n; i++)
    {
      struct build_match *m = &(*out)[i];
      m->rel = cur.v[i].resolved;
      cur.v[i].resolved = NULL;
      m->keep = keep_path (cur.v[i].literal, pivot);
      if (m->keep == NULL)
        goto nomem;
      if (fstatat (rootfd, m->rel, &m->st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          ret = estiba_error_errno (err, "%s: %s", opts->what, pattern);
          goto out;
        }
      (*n)++;
    }
  ret = 0;
  goto out;
nomem:
  ret = estiba_error (err, ENOMEM, "%s", pattern);
out:
  cand_list_clear (&cur);
  cand_list_clear (&next);
  if (ret < 0 && *out)
    {
      build_matches_free (*out, cur.n);
      *out = NULL;
      *n = 0;
    }
  return ret;
}

/* A directory hidden by a pattern, reported only once something below it
 * is kept.  */
struct pending_dir
{
  int dirfd;
  const char *name;
  const char *sub;
  struct stat st;
  struct pending_dir *up;
  bool reported;
};

struct walk
{
  int rootfd;
  const char *rel;
  const struct dockerignore *ignore, *excludes;
  build_walk_fn fn;
  void *opaque;
};

static int
report_pending (struct walk *w, struct pending_dir *p, estiba_error_t *err)
{
  if (p == NULL || p->reported)
    return 0;
  if (report_pending (w, p->up, err) < 0)
    return -1;
  p->reported = true;
  return w->fn (w->opaque, p->dirfd, p->name, p->sub, &p->st, err);
}

static bool
hidden (const struct walk *w, const char *sub, bool *walk_anyway, bool is_dir)
{
  bool ign = false, exc = false;

  if (w->ignore)
    {
      cleanup_free char *ctx = path_join (w->rel, sub);
      ign = ctx == NULL || dockerignore_match (w->ignore, ctx);
    }
  if (w->excludes)
    exc = dockerignore_match (w->excludes, sub);
  *walk_anyway = is_dir && (ign || exc) && (!ign || dockerignore_has_exceptions (w->ignore))
                 && (!exc || dockerignore_has_exceptions (w->excludes));
  return ign || exc;
}

static int
walk_dir (struct walk *w, int dirfd, const char *prefix, struct pending_dir *up, estiba_error_t *err)
{
  char **names = NULL;
  size_t n = 0, i;
  int ret = 0, dupfd;
  DIR *d;
  struct dirent *de;
  size_t cap = 0;

  dupfd = dup (dirfd);
  if (dupfd < 0 || (d = fdopendir (dupfd)) == NULL)
    {
      if (dupfd >= 0)
        close (dupfd);
      return estiba_error_errno (err, "open `%s/%s`", w->rel, prefix);
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (n == cap)
        {
          char **v = realloc (names, (cap = cap ? cap * 2 : 64) * sizeof (char *));
          if (v == NULL)
            break;
          names = v;
        }
      if ((names[n] = strdup (de->d_name)) == NULL)
        break;
      n++;
    }
  closedir (d);
  if (de != NULL)
    {
      free_names (names, n);
      return estiba_error (err, ENOMEM, "list `%s/%s`", w->rel, prefix);
    }
  if (n)
    qsort (names, n, sizeof (char *), cmp_strp);
  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *sub = path_join (prefix, names[i]);
      struct stat st;
      bool walk_anyway;

      if (sub == NULL)
        {
          ret = estiba_error (err, ENOMEM, "walk");
          break;
        }
      if (fstatat (dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          ret = estiba_error_errno (err, "stat `%s/%s`", w->rel, sub);
          break;
        }
      if (hidden (w, sub, &walk_anyway, S_ISDIR (st.st_mode)))
        {
          if (walk_anyway)
            {
              struct pending_dir p = { dirfd, names[i], sub, st, up, false };
              cleanup_close int fd =
                openat (dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
              if (fd < 0)
                ret = estiba_error_errno (err, "open `%s/%s`", w->rel, sub);
              else
                ret = walk_dir (w, fd, sub, &p, err);
            }
          continue;
        }
      ret = report_pending (w, up, err);
      if (ret == 0)
        ret = w->fn (w->opaque, dirfd, names[i], sub, &st, err);
      if (ret == 0 && S_ISDIR (st.st_mode))
        {
          cleanup_close int fd = openat (dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd < 0)
            ret = estiba_error_errno (err, "open `%s/%s`", w->rel, sub);
          else
            ret = walk_dir (w, fd, sub, NULL, err);
        }
    }
  free_names (names, n);
  return ret;
}

int
build_context_walk (int rootfd, const char *rel, const struct dockerignore *ignore,
                    const struct dockerignore *excludes, build_walk_fn fn, void *opaque, estiba_error_t *err)
{
  struct walk w = { rootfd, rel, ignore, excludes, fn, opaque };
  cleanup_close int fd = build_context_open (rootfd, rel, O_RDONLY | O_DIRECTORY);

  if (fd < 0)
    return estiba_error_errno (err, "open `%s`", rel);
  return walk_dir (&w, fd, "", NULL, err);
}
