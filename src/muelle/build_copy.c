#include <config.h>
#include "build_copy.h"
#include "build_context.h"
#include "build_digests.h"
#include "build_fetch.h"
#include "build_layer.h"
#include "cleanup.h"
#include "fsutil.h"
#include "image_user.h"
#include "layer_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* One filesystem object (or heredoc) the step copies.  */
struct copy_entry
{
  char *host;       /* where it is read from (absolute), NULL for data */
  const char *data; /* heredoc contents */
  size_t len;
  char *sub;  /* path below the destination directory, "" for the destination itself */
  char *name; /* a top-level non-directory: its name inside a destination directory */
  struct stat st;
  bool root_owned; /* context files, heredocs, downloads: 0:0 unless --chown */
  bool cacheable;  /* context file: its digest may come from the stat-keyed cache */
  char *url;       /* ADD URL (digest-only entries have no host) */
  const char *checksum;
};

struct copy_plan
{
  const struct build_copy_request *req;
  bool for_digest; /* only the cache key: no extraction, no download with --checksum */
  const char *what;
  struct copy_entry *v;
  size_t n, cap;
  size_t n_top; /* top-level objects selected */
  char *tmpdir; /* downloads and extracted archives, removed at the end */
  struct dockerignore *excludes;
  int rootfd;
  const char *root;
  bool in_context;
};

static void
plan_clear (struct copy_plan *p)
{
  size_t i;
  cleanup_error estiba_error_t ignored = NULL;

  for (i = 0; i < p->n; i++)
    {
      free (p->v[i].host);
      free (p->v[i].sub);
      free (p->v[i].name);
      free (p->v[i].url);
    }
  free (p->v);
  if (p->tmpdir)
    fs_remove_tree (p->tmpdir, &ignored);
  free (p->tmpdir);
  dockerignore_free (p->excludes);
  if (p->rootfd >= 0)
    close (p->rootfd);
}

static struct copy_entry *
plan_add (struct copy_plan *p, estiba_error_t *err)
{
  if (p->n == p->cap)
    {
      size_t cap = p->cap ? p->cap * 2 : 64;
      struct copy_entry *v = realloc (p->v, cap * sizeof (*v));
      if (v == NULL)
        {
          estiba_error (err, ENOMEM, "%s", p->what);
          return NULL;
        }
      p->v = v;
      p->cap = cap;
    }
  memset (&p->v[p->n], 0, sizeof (p->v[p->n]));
  return &p->v[p->n++];
}

static char *
join3 (const char *a, const char *b, const char *c)
{
  char *s = NULL;
  bool ab = *a && *b, bc = (*a || *b) && *c;

  if (asprintf (&s, "%s%s%s%s%s", a, ab ? "/" : "", b, bc ? "/" : "", c) < 0)
    return NULL;
  return s;
}

static const char *
rel_or_empty (const char *rel)
{
  return strcmp (rel, ".") == 0 ? "" : rel;
}

static int
ensure_tmpdir (struct copy_plan *p, estiba_error_t *err)
{
  cleanup_free char *base = NULL;

  if (p->tmpdir)
    return 0;
  if (store_subdir (p->req->store, "build/tmp", &base, err) < 0)
    return -1;
  if (asprintf (&p->tmpdir, "%s/copy-XXXXXX", base) < 0)
    {
      p->tmpdir = NULL;
      return estiba_error (err, ENOMEM, "%s", p->what);
    }
  if (mkdtemp (p->tmpdir) == NULL)
    {
      estiba_error_errno (err, "%s: temporary directory `%s`", p->what, p->tmpdir);
      free (p->tmpdir);
      p->tmpdir = NULL;
      return -1;
    }
  return 0;
}

/* ---- walking a directory source ---- */

struct walk_ctx
{
  struct copy_plan *p;
  const char *host_base; /* host path of the walked directory */
  const char *sub_base;  /* where its contents go below dest */
  bool root_owned, cacheable;
};

static int
on_walk_entry (void *opaque, int dirfd, const char *name, const char *sub, const struct stat *st,
               estiba_error_t *err)
{
  struct walk_ctx *w = opaque;
  struct copy_entry *e = plan_add (w->p, err);

  (void) dirfd;
  (void) name;
  if (e == NULL)
    return -1;
  e->st = *st;
  e->root_owned = w->root_owned;
  e->cacheable = w->cacheable;
  e->host = join3 (w->host_base, sub, "");
  e->sub = join3 (w->sub_base, sub, "");
  if (e->host == NULL || e->sub == NULL)
    return estiba_error (err, ENOMEM, "%s", w->p->what);
  return 0;
}

static int
add_tree (struct copy_plan *p, const char *host_dir, int rootfd, const char *rel, const char *sub_base,
          const struct dockerignore *ignore, bool root_owned, bool cacheable, estiba_error_t *err)
{
  struct walk_ctx w = { p, host_dir, sub_base, root_owned, cacheable };

  return build_context_walk (rootfd, rel, ignore, p->excludes, on_walk_entry, &w, err);
}

/* ---- ADD: archives ---- */

/* A local tar (plain or compressed) that ADD unpacks.  */
static bool
is_archive (const char *path)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  bool yes;

  archive_read_support_filter_gzip (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_format_tar (a);
  yes = archive_read_open_filename (a, path, 65536) == ARCHIVE_OK
        && archive_read_next_header (a, &e) == ARCHIVE_OK;
  archive_read_free (a);
  return yes;
}

/* Unpack with the layer extraction rules (nothing lands outside the
 * directory, whatever the names, links or symlinks say), then copy the
 * tree: owners and modes as the archive has them.  */
static int
add_archive (struct copy_plan *p, const char *host, const char *source, const char *sub_base,
             estiba_error_t *err)
{
  struct layer_extract_options opts = { .layer_name = source };
  cleanup_free char *dir = NULL;
  cleanup_close int fd = -1, dirfd = -1;
  static unsigned counter;

  if (ensure_tmpdir (p, err) < 0)
    return -1;
  if (asprintf (&dir, "%s/unpack-%u", p->tmpdir, counter++) < 0)
    return estiba_error (err, ENOMEM, "%s", p->what);
  if (mkdir (dir, 0755) < 0)
    return estiba_error_errno (err, "%s: `%s`", p->what, dir);
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fd = open (host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0 || fd < 0)
    return estiba_error_errno (err, "%s: %s: open", p->what, source);
  if (layer_extract_fd (dirfd, fd, &opts, err) < 0)
    return estiba_error_wrap (err, "%s: %s", p->what, source);
  return add_tree (p, dir, dirfd, ".", sub_base, NULL, false, false, err);
}

/* ---- ADD: URLs ---- */

static int
add_url (struct copy_plan *p, const char *url, estiba_error_t *err)
{
  const char *checksum = p->req->inst->copy.checksum;
  struct copy_entry *e;
  struct build_fetch f;
  char *name = build_fetch_file_name (url, err);

  if (name == NULL)
    return -1;
  e = plan_add (p, err);
  if (e == NULL)
    {
      free (name);
      return -1;
    }
  e->name = name;
  e->root_owned = true;
  e->url = strdup (url);
  if (e->url == NULL)
    return estiba_error (err, ENOMEM, "%s", p->what);
  p->n_top++;
  if (p->for_digest && checksum)
    {
      e->checksum = checksum;
      return 0;
    }
  if (ensure_tmpdir (p, err) < 0 || build_fetch_url (url, p->tmpdir, checksum, &f, err) < 0)
    return -1;
  e->host = f.path;
  if (f.last_modified >= 0)
    {
      struct timespec times[2] = { { f.last_modified, 0 }, { f.last_modified, 0 } };
      utimensat (AT_FDCWD, f.path, times, AT_SYMLINK_NOFOLLOW);
    }
  /* Docker gives downloads mode 0600.  */
  if (chmod (f.path, 0600) < 0 || lstat (f.path, &e->st) < 0)
    return estiba_error_errno (err, "%s: %s", p->what, url);
  return 0;
}

/* ---- sources from a root (context or --from) ---- */

static bool
excluded (const struct copy_plan *p, const char *keep)
{
  return p->excludes && dockerignore_match (p->excludes, keep);
}

static const char *
base_name (const char *path)
{
  const char *slash = strrchr (path, '/');
  return slash ? slash + 1 : path;
}

static int
add_match (struct copy_plan *p, const char *source, const struct build_match *m, estiba_error_t *err)
{
  const struct build_copy_request *req = p->req;
  bool parents = req->inst->copy.parents;
  const char *keep = strcmp (m->keep, ".") == 0 ? "" : m->keep;
  cleanup_free char *host = join3 (p->root, rel_or_empty (m->rel), "");
  struct copy_entry *e;

  if (host == NULL)
    return estiba_error (err, ENOMEM, "%s", p->what);
  if (*keep && excluded (p, keep))
    return 0;
  p->n_top++;
  if (S_ISDIR (m->st.st_mode))
    {
      const char *sub = parents ? keep : "";
      e = plan_add (p, err);
      if (e == NULL)
        return -1;
      e->st = m->st;
      e->root_owned = p->in_context;
      if ((e->host = strdup (host)) == NULL || (e->sub = strdup (sub)) == NULL)
        return estiba_error (err, ENOMEM, "%s", p->what);
      return add_tree (p, host, p->rootfd, m->rel, sub, p->in_context ? req->ignore : NULL, p->in_context,
                       p->in_context, err);
    }
  if (req->inst->kind == DOCKERFILE_ADD && p->in_context && S_ISREG (m->st.st_mode) && !p->for_digest
      && is_archive (host))
    return add_archive (p, host, source, parents ? keep : "", err);
  e = plan_add (p, err);
  if (e == NULL)
    return -1;
  e->st = m->st;
  e->root_owned = p->in_context;
  e->cacheable = p->in_context;
  e->host = strdup (host);
  e->name = strdup (parents ? keep : base_name (*keep ? keep : m->rel));
  if (e->host == NULL || e->name == NULL)
    return estiba_error (err, ENOMEM, "%s", p->what);
  return 0;
}

static int
add_source (struct copy_plan *p, const char *source, estiba_error_t *err)
{
  const struct build_copy_request *req = p->req;
  const struct dockerfile_heredoc *h = dockerfile_source_heredoc (req->inst, source);
  struct build_glob_options opts = {
    .ignore = p->in_context ? req->ignore : NULL,
    .image_root = !p->in_context,
    .what = p->what,
    .where = p->in_context ? "in the build context" : "in the --from source",
  };
  struct build_match *m = NULL;
  size_t n = 0, i;
  int ret = 0;

  if (h)
    {
      struct copy_entry *e = plan_add (p, err);
      if (e == NULL)
        return -1;
      e->data = h->content;
      e->len = strlen (h->content);
      e->st.st_mode = S_IFREG | 0644;
      e->st.st_size = e->len;
      e->root_owned = true;
      e->name = strdup (h->name);
      p->n_top++;
      return e->name ? 0 : estiba_error (err, ENOMEM, "%s", p->what);
    }
  if (req->inst->kind == DOCKERFILE_ADD && build_fetch_is_url (source))
    return add_url (p, source, err);
  if (req->inst->copy.checksum)
    return estiba_error (err, 0, "%s: %s: --checksum is only for http(s) sources", p->what, source);
  if (build_context_glob (p->rootfd, source, &opts, &m, &n, err) < 0)
    return -1;
  for (i = 0; i < n && ret == 0; i++)
    ret = add_match (p, source, &m[i], err);
  build_matches_free (m, n);
  return ret;
}

/* A destination ending in '/' (or naming "." or "..") is a directory.  */
static bool
dest_says_dir (const char *dest)
{
  size_t len = strlen (dest);
  const char *b = base_name (dest);

  return (len && dest[len - 1] == '/') || strcmp (b, ".") == 0 || strcmp (b, "..") == 0;
}

/* --exclude patterns, matched like .dockerignore lines.  */
static int
load_excludes (struct copy_plan *p, estiba_error_t *err)
{
  const struct dockerfile_strv *x = &p->req->inst->copy.excludes;
  cleanup_free char *text = NULL;
  size_t len = 0, i;

  if (x->n == 0)
    return 0;
  for (i = 0; i < x->n; i++)
    len += strlen (x->v[i]) + 1;
  text = calloc (1, len + 1);
  if (text == NULL)
    return estiba_error (err, ENOMEM, "%s", p->what);
  for (i = 0; i < x->n; i++)
    {
      strcat (text, x->v[i]);
      strcat (text, "\n");
    }
  p->excludes = dockerignore_parse (text, strlen (text), "--exclude", err);
  return p->excludes ? 0 : -1;
}

static int
make_plan (const struct build_copy_request *req, bool for_digest, struct copy_plan *p, estiba_error_t *err)
{
  size_t i;

  memset (p, 0, sizeof (*p));
  p->rootfd = -1;
  p->req = req;
  p->for_digest = for_digest;
  p->what = req->inst->kind == DOCKERFILE_ADD ? "ADD" : "COPY";
  p->in_context = req->from_root == NULL;
  p->root = req->from_root ? req->from_root : req->context_dir;
  if (load_excludes (p, err) < 0)
    return -1;
  p->rootfd = open (p->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (p->rootfd < 0)
    return estiba_error_errno (err, "%s: open `%s`", p->what, p->root);
  for (i = 0; i < req->inst->copy.sources.n; i++)
    if (add_source (p, req->inst->copy.sources.v[i], err) < 0)
      return -1;
  if (req->inst->copy.sources.n > 1 && !dest_says_dir (req->inst->copy.dest))
    return estiba_error (err, 0,
                         "%s: destination %s: with more than one source it must be a directory ending in /",
                         p->what, req->inst->copy.dest);
  return 0;
}

/* ---- owners and modes ---- */

struct copy_owner
{
  bool set;
  uid_t uid;
  gid_t gid;
};

static bool
all_digits (const char *s, size_t len)
{
  return len > 0 && strspn (s, "0123456789") >= len;
}

/* --chown=user[:group]: numeric ids as they are, names through the
 * stage's /etc/passwd and /etc/group.  Without a group the gid is the
 * uid, as Docker documents.  */
static int
resolve_chown (const struct build_copy_request *req, const char *what, struct copy_owner *o,
               estiba_error_t *err)
{
  const char *spec = req->inst->copy.chown, *colon;
  size_t ulen;
  struct image_user u = { 0 };
  cleanup_close int rootfd = -1;

  memset (o, 0, sizeof (*o));
  if (spec == NULL || *spec == '\0')
    return 0;
  o->set = true;
  colon = strchr (spec, ':');
  ulen = colon ? (size_t) (colon - spec) : strlen (spec);
  if (all_digits (spec, ulen) && (colon == NULL || all_digits (colon + 1, strlen (colon + 1))))
    {
      o->uid = strtoul (spec, NULL, 10);
      o->gid = colon ? strtoul (colon + 1, NULL, 10) : o->uid;
      return 0;
    }
  if (req->stage_root == NULL)
    return estiba_error (
      err, 0, "%s --chown=%s: names need the stage's /etc/passwd (internal: no stage root)", what, spec);
  rootfd = open (req->stage_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return estiba_error_errno (err, "%s --chown: open `%s`", what, req->stage_root);
  if (image_user_resolve (rootfd, spec, &u, err) < 0)
    return estiba_error_wrap (err, "%s --chown=%s", what, spec);
  free (u.additional_gids);
  o->uid = u.uid;
  o->gid = colon ? u.gid : u.uid;
  return 0;
}

/* Symbolic --chmod ([ugoa]*[+-=][rwxXst]*, comma list), as chmod(1)
 * without a umask: no "who" means all.  */
static mode_t
chmod_symbolic (const char *spec, mode_t perm, bool is_dir)
{
  const char *p = spec;

  while (*p)
    {
      mode_t who = 0, all = 0;

      for (; *p && strchr ("ugoa", *p); p++)
        who |= *p == 'u' ? 04700 : *p == 'g' ? 02070 : *p == 'o' ? 01007 : 07777;
      if (who == 0)
        who = 07777;
      all = who;
      while (*p == '+' || *p == '-' || *p == '=')
        {
          char op = *p++;
          mode_t bits = 0;

          for (; *p && strchr ("rwxXst", *p); p++)
            switch (*p)
              {
                case 'r':
                  bits |= 0444;
                  break;
                case 'w':
                  bits |= 0222;
                  break;
                case 'x':
                  bits |= 0111;
                  break;
                case 'X':
                  bits |= (is_dir || (perm & 0111)) ? 0111 : 0;
                  break;
                case 's':
                  bits |= 06000;
                  break;
                case 't':
                  bits |= 01000;
                  break;
              }
          bits &= all;
          if (op == '+')
            perm |= bits;
          else if (op == '-')
            perm &= ~bits;
          else
            perm = (perm & ~all) | bits;
        }
      if (*p == ',')
        p++;
      else if (*p)
        break;
    }
  return perm & 07777;
}

static void
entry_meta (const struct copy_plan *p, const struct copy_owner *o, const struct copy_entry *e,
            struct build_layer_meta *m)
{
  const struct dockerfile_copy *c = &p->req->inst->copy;
  mode_t perm = e->st.st_mode & 07777;

  m->uid = o->set ? o->uid : e->root_owned ? 0 : e->st.st_uid;
  m->gid = o->set ? o->gid : e->root_owned ? 0 : e->st.st_gid;
  if (c->chmod_octal >= 0)
    perm = (mode_t) c->chmod_octal;
  else if (c->chmod && *c->chmod)
    perm = chmod_symbolic (c->chmod, perm, S_ISDIR (e->st.st_mode));
  m->mode = S_ISLNK (e->st.st_mode) ? 0777 : perm;
}

/* ---- the cache key ---- */

static void
hash_str (struct sha256_ctx *sha, const char *s)
{
  s = s ? s : "";
  digest_update (sha, s, strlen (s) + 1);
}

static void
hash_num (struct sha256_ctx *sha, unsigned long long v)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%llu", v);
  hash_str (sha, buf);
}

static int
entry_content (const struct copy_plan *p, const struct copy_entry *e, char out[DIGEST_SHA256_STRLEN],
               estiba_error_t *err)
{
  out[0] = '\0';
  if (e->data)
    {
      cleanup_free char *d = digest_buffer (e->data, e->len);
      if (d == NULL)
        return estiba_error (err, ENOMEM, "%s", p->what);
      snprintf (out, DIGEST_SHA256_STRLEN, "%s", d);
      return 0;
    }
  if (e->host == NULL)
    {
      snprintf (out, DIGEST_SHA256_STRLEN, "%s", e->checksum ? e->checksum : "");
      return 0;
    }
  if (S_ISREG (e->st.st_mode))
    return build_digest_file (e->cacheable ? p->req->digests : NULL, AT_FDCWD, e->host, &e->st, e->host, out,
                              err);
  if (S_ISLNK (e->st.st_mode))
    {
      ssize_t n = readlink (e->host, out, DIGEST_SHA256_STRLEN - 1);
      if (n < 0)
        return estiba_error_errno (err, "%s: readlink `%s`", p->what, e->host);
      out[n] = '\0';
      /* A longer target is hashed in full below.  */
      if ((size_t) n == DIGEST_SHA256_STRLEN - 1)
        {
          char target[4096];
          cleanup_free char *d = NULL;
          n = readlink (e->host, target, sizeof (target));
          d = n > 0 ? digest_buffer (target, n) : NULL;
          if (d == NULL)
            return estiba_error_errno (err, "%s: readlink `%s`", p->what, e->host);
          snprintf (out, DIGEST_SHA256_STRLEN, "%s", d);
        }
      return 0;
    }
  if (S_ISCHR (e->st.st_mode) || S_ISBLK (e->st.st_mode))
    snprintf (out, DIGEST_SHA256_STRLEN, "%u:%u", major (e->st.st_rdev), minor (e->st.st_rdev));
  return 0;
}

static void
hash_request (struct sha256_ctx *sha, const struct build_copy_request *req)
{
  const struct dockerfile_copy *c = &req->inst->copy;
  size_t i;

  hash_str (sha, req->inst->kind == DOCKERFILE_ADD ? "ADD" : "COPY");
  hash_str (sha, c->dest);
  hash_str (sha, req->workdir ? req->workdir : "/");
  hash_str (sha, c->chown);
  hash_str (sha, c->chmod);
  hash_str (sha, c->checksum);
  hash_num (sha, c->link);
  hash_num (sha, c->parents);
  hash_num (sha, req->from_root != NULL);
  /* The same files at another build time make another layer.  */
  hash_num (sha, req->timestamp < 0 ? 0 : 1 + (unsigned long long) req->timestamp);
  for (i = 0; i < c->excludes.n; i++)
    hash_str (sha, c->excludes.v[i]);
  hash_num (sha, c->sources.n);
  for (i = 0; i < c->sources.n; i++)
    hash_str (sha, c->sources.v[i]);
}

int
build_copy_sources_digest (const struct build_copy_request *req, char **digest, estiba_error_t *err)
{
  struct copy_plan p;
  struct copy_owner o;
  struct sha256_ctx sha = { NULL };
  char out[DIGEST_SHA256_STRLEN];
  size_t i;
  int ret = -1;

  if (make_plan (req, true, &p, err) < 0 || resolve_chown (req, p.what, &o, err) < 0
      || digest_init (&sha, err) < 0)
    goto out;
  hash_request (&sha, req);
  for (i = 0; i < p.n; i++)
    {
      const struct copy_entry *e = &p.v[i];
      struct build_layer_meta m;
      char content[DIGEST_SHA256_STRLEN];

      entry_meta (&p, &o, e, &m);
      if (entry_content (&p, e, content, err) < 0)
        goto out;
      hash_str (&sha, e->url ? e->url : e->sub);
      hash_str (&sha, e->name);
      hash_num (&sha, e->st.st_mode & S_IFMT);
      hash_num (&sha, m.mode);
      hash_num (&sha, m.uid);
      hash_num (&sha, m.gid);
      hash_str (&sha, content);
    }
  digest_final (&sha, out);
  sha.md = NULL;
  *digest = strdup (out);
  ret = *digest ? 0 : estiba_error (err, ENOMEM, "%s", p.what);
out:
  if (sha.md)
    digest_abort (&sha);
  plan_clear (&p);
  return ret;
}

/* ---- the layer ---- */

/* dest made absolute against WORKDIR, then cleaned lexically ("" is the
 * root; ".." stops at the root).  */
static char *
dest_lexical (const char *workdir, const char *dest)
{
  cleanup_free char *abs = NULL;
  char *out, *tok, *save = NULL;
  size_t len = 0;

  if (asprintf (&abs, "%s/%s", dest[0] == '/' ? "" : (workdir ? workdir : "/"), dest) < 0)
    return NULL;
  out = calloc (1, strlen (abs) + 1);
  if (out == NULL)
    return NULL;
  for (tok = strtok_r (abs, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0)
        continue;
      if (strcmp (tok, "..") == 0)
        {
          char *slash = strrchr (out, '/');
          len = slash ? (size_t) (slash - out) : 0;
          out[len] = '\0';
          continue;
        }
      len += sprintf (out + len, "%s%s", len ? "/" : "", tok);
    }
  return out;
}

struct dest
{
  char *rel;   /* the destination in the layer, "" for the root */
  bool is_dir; /* entries with a name go below it */
  int stagefd; /* the stage rootfs (-1: none, or --link) */
};

static int
resolve_dest (const struct copy_plan *p, struct dest *d, estiba_error_t *err)
{
  const struct build_copy_request *req = p->req;
  cleanup_free char *lex = dest_lexical (req->workdir, req->inst->copy.dest);
  bool exists = false, says_dir = dest_says_dir (req->inst->copy.dest);
  struct stat st;

  d->stagefd = -1;
  if (lex == NULL)
    return estiba_error (err, ENOMEM, "%s", p->what);
  if (req->stage_root && !req->inst->copy.link)
    {
      d->stagefd = open (req->stage_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (d->stagefd < 0)
        return estiba_error_errno (err, "%s: open `%s`", p->what, req->stage_root);
      /* An existing destination is what the stage says it is: a symlink
       * to a directory is that directory.  */
      if (build_context_resolve (d->stagefd, *lex ? lex : ".", true, true, &d->rel, &exists, NULL, err) < 0)
        return -1;
      if (strcmp (d->rel, ".") == 0)
        d->rel[0] = '\0';
    }
  else if ((d->rel = strdup (lex)) == NULL)
    return estiba_error (err, ENOMEM, "%s", p->what);
  if (exists && fstatat (d->stagefd, *d->rel ? d->rel : ".", &st, AT_SYMLINK_NOFOLLOW) == 0
      && S_ISDIR (st.st_mode))
    d->is_dir = true;
  else if (exists && (says_dir || p->n_top > 1))
    return estiba_error (err, ENOTDIR, "%s: destination %s exists and is not a directory", p->what,
                         req->inst->copy.dest);
  if (says_dir || p->n_top > 1 || *d->rel == '\0')
    d->is_dir = true;
  return 0;
}

static char *
layer_path_of (const struct dest *d, const struct copy_entry *e)
{
  if (e->name && !d->is_dir)
    return strdup (d->rel);
  return join3 (d->rel, e->name ? e->name : e->sub, "");
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Parents of the copied paths that are neither copied nor in the stage
 * are created 0755 root.  paths is sorted.  */
static int
add_parents (struct build_layer_writer *w, const struct dest *d, char **paths, size_t n, estiba_error_t *err)
{
  static const struct build_layer_meta dir_meta = { 0, 0, 0755 };
  char **made = NULL;
  size_t n_made = 0, i, j;
  int ret = 0;

  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *parent = strdup (paths[i]);
      char *slash;

      if (parent == NULL)
        {
          ret = estiba_error (err, ENOMEM, "layer parents");
          break;
        }
      while (ret == 0 && (slash = strrchr (parent, '/')) != NULL)
        {
          struct stat st;
          char *key = parent, *copy;
          bool known = false;

          *slash = '\0';
          if (bsearch (&key, paths, n, sizeof (char *), cmp_str))
            break;
          for (j = 0; j < n_made && !known; j++)
            known = strcmp (made[j], parent) == 0;
          if (known || (d->stagefd >= 0 && fstatat (d->stagefd, parent, &st, AT_SYMLINK_NOFOLLOW) == 0))
            break;
          copy = strdup (parent);
          char **v = copy ? realloc (made, (n_made + 1) * sizeof (char *)) : NULL;
          if (v == NULL)
            {
              free (copy);
              ret = estiba_error (err, ENOMEM, "layer parents");
              break;
            }
          made = v;
          made[n_made++] = copy;
          ret = build_layer_add_dir (w, parent, &dir_meta, err);
        }
    }
  for (j = 0; j < n_made; j++)
    free (made[j]);
  free (made);
  return ret;
}

static int
write_entries (const struct copy_plan *p, const struct copy_owner *o, const struct dest *d,
               struct build_layer_writer *w, estiba_error_t *err)
{
  char **paths = calloc (p->n + 1, sizeof (char *));
  size_t n = 0, i;
  int ret = 0;

  if (paths == NULL)
    return estiba_error (err, ENOMEM, "%s", p->what);
  for (i = 0; i < p->n && ret == 0; i++)
    {
      const struct copy_entry *e = &p->v[i];
      struct build_layer_meta m;
      char *lp = layer_path_of (d, e);

      if (lp == NULL)
        {
          ret = estiba_error (err, ENOMEM, "%s", p->what);
          break;
        }
      if (*lp == '\0')
        {
          /* The root directory itself is never an entry.  */
          free (lp);
          continue;
        }
      paths[n++] = lp;
      entry_meta (p, o, e, &m);
      if (e->data)
        ret = build_layer_add_data (w, lp, e->data, e->len, &m, err);
      else
        ret = build_layer_add_path (w, e->host, lp, &m, err);
    }
  if (ret == 0)
    {
      qsort (paths, n, sizeof (char *), cmp_str);
      ret = add_parents (w, d, paths, n, err);
    }
  for (i = 0; i < n; i++)
    free (paths[i]);
  free (paths);
  return ret;
}

int
build_copy_step (const struct build_copy_request *req, struct oci_image_descriptor *layer, char **diff_id,
                 estiba_error_t *err)
{
  struct copy_plan p;
  struct copy_owner o;
  struct dest d = { NULL, false, -1 };
  struct build_layer_writer *w = NULL;
  int ret = -1;

  if (make_plan (req, false, &p, err) < 0 || resolve_chown (req, p.what, &o, err) < 0
      || resolve_dest (&p, &d, err) < 0)
    goto out;
  if (build_layer_begin (req->store, req->timestamp, &w, err) < 0 || write_entries (&p, &o, &d, w, err) < 0)
    goto out;
  ret = build_layer_commit (w, layer, diff_id, err);
out:
  build_layer_free (w);
  if (d.stagefd >= 0)
    close (d.stagefd);
  free (d.rel);
  plan_clear (&p);
  return ret;
}
