#include <config.h>
#include "build_layer.h"
#include "cleanup.h"
#include "digest.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* One entry of the layer, kept as metadata until commit.  */
struct layer_entry
{
  struct archive_entry *ae; /* pathname, type, owner, mode, size, mtime, link, rdev, xattrs */
  char *src;                /* regular file contents come from here (add_path) */
  void *data;               /* ... or from memory (add_data) */
  size_t seq;               /* insertion order: a later add of the same path wins */
  dev_t dev;                /* hardlink detection: 0/0 when not a candidate */
  ino_t ino;
  bool dropped; /* replaced by a later add of the same path */
};

struct build_layer_writer
{
  struct muelle_store *store;
  int64_t timestamp;
  struct layer_entry *entries;
  size_t n, cap;
};

int
build_layer_begin (struct muelle_store *store, int64_t timestamp, struct build_layer_writer **w,
                   estiba_error_t *err)
{
  *w = calloc (1, sizeof (**w));
  if (*w == NULL)
    return estiba_error (err, ENOMEM, "layer writer");
  (*w)->store = store;
  (*w)->timestamp = timestamp;
  return 0;
}

void
build_layer_free (struct build_layer_writer *w)
{
  size_t i;

  if (w == NULL)
    return;
  for (i = 0; i < w->n; i++)
    {
      archive_entry_free (w->entries[i].ae);
      free (w->entries[i].src);
      free (w->entries[i].data);
    }
  free (w->entries);
  free (w);
}

/* A layer path must be relative and made of plain components: the layer
 * is applied by other tools, and a name with ".." there is an escape.  */
static int
check_layer_path (const char *path, estiba_error_t *err)
{
  const char *p = path;

  if (path[0] == '\0' || path[0] == '/')
    return estiba_error (err, EINVAL, "layer path `%s`: must be relative and not empty", path);
  while (*p)
    {
      size_t len = strcspn (p, "/");
      if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return estiba_error (err, EINVAL, "layer path `%s`: empty, `.` or `..` component", path);
      p += len;
      if (*p == '/')
        {
          p++;
          if (*p == '\0')
            return estiba_error (err, EINVAL, "layer path `%s`: trailing `/`", path);
        }
    }
  return 0;
}

static struct layer_entry *
new_entry (struct build_layer_writer *w, const char *layer_path, estiba_error_t *err)
{
  struct layer_entry *e;

  if (check_layer_path (layer_path, err) < 0)
    return NULL;
  if (w->n == w->cap)
    {
      size_t cap = w->cap ? w->cap * 2 : 64;
      struct layer_entry *n = realloc (w->entries, cap * sizeof (*n));
      if (n == NULL)
        {
          estiba_error (err, ENOMEM, "layer writer");
          return NULL;
        }
      w->entries = n;
      w->cap = cap;
    }
  e = &w->entries[w->n];
  memset (e, 0, sizeof (*e));
  e->ae = archive_entry_new ();
  if (e->ae == NULL)
    {
      estiba_error (err, ENOMEM, "layer writer");
      return NULL;
    }
  archive_entry_set_pathname (e->ae, layer_path);
  e->seq = w->n++;
  return e;
}

/* The entry's owner, permission bits and mtime; meta overrides owner and
 * bits; a build timestamp (>= 0) replaces every mtime.  */
static void
set_meta (struct build_layer_writer *w, struct archive_entry *ae, const struct stat *st,
          const struct build_layer_meta *meta, mode_t default_mode)
{
  mode_t perm = st ? st->st_mode & 07777 : default_mode;
  int64_t uid = st ? st->st_uid : 0, gid = st ? st->st_gid : 0;

  if (meta)
    {
      uid = meta->uid;
      gid = meta->gid;
      perm = meta->mode & 07777;
    }
  archive_entry_set_uid (ae, uid);
  archive_entry_set_gid (ae, gid);
  archive_entry_set_perm (ae, perm);
  if (w->timestamp >= 0)
    archive_entry_set_mtime (ae, w->timestamp, 0);
  else if (st)
    archive_entry_set_mtime (ae, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  else
    archive_entry_set_mtime (ae, time (NULL), 0);
}

/* Extended attributes worth keeping: overlay's own and SELinux labels
 * describe the build host, not the image.  */
static bool
keep_xattr (const char *name)
{
  return strncmp (name, "trusted.overlay.", 16) != 0 && strcmp (name, "security.selinux") != 0;
}

static int
copy_xattrs (const char *path, struct archive_entry *ae, estiba_error_t *err)
{
  cleanup_free char *names = NULL;
  ssize_t len = llistxattr (path, NULL, 0);
  const char *name;

  if (len < 0 && (errno == ENOTSUP || errno == ENOSYS))
    return 0;
  if (len < 0)
    return estiba_error_errno (err, "list xattrs of `%s`", path);
  if (len == 0)
    return 0;
  names = malloc (len);
  if (names == NULL)
    return estiba_error (err, ENOMEM, "xattrs of `%s`", path);
  len = llistxattr (path, names, len);
  if (len < 0)
    return estiba_error_errno (err, "list xattrs of `%s`", path);
  for (name = names; name < names + len; name += strlen (name) + 1)
    {
      cleanup_free char *value = NULL;
      ssize_t vlen;

      if (!keep_xattr (name))
        continue;
      vlen = lgetxattr (path, name, NULL, 0);
      if (vlen < 0 && errno == ENODATA)
        continue;
      if (vlen < 0)
        return estiba_error_errno (err, "read xattr `%s` of `%s`", name, path);
      value = malloc (vlen + 1);
      if (value == NULL)
        return estiba_error (err, ENOMEM, "xattrs of `%s`", path);
      vlen = lgetxattr (path, name, value, vlen);
      if (vlen < 0)
        return estiba_error_errno (err, "read xattr `%s` of `%s`", name, path);
      archive_entry_xattr_add_entry (ae, name, value, vlen);
    }
  return 0;
}

static int
set_type_from_stat (struct archive_entry *ae, const char *src_path, const struct stat *st,
                    estiba_error_t *err)
{
  switch (st->st_mode & S_IFMT)
    {
      case S_IFREG:
        archive_entry_set_filetype (ae, AE_IFREG);
        archive_entry_set_size (ae, st->st_size);
        return 0;
      case S_IFDIR:
        archive_entry_set_filetype (ae, AE_IFDIR);
        return 0;
      case S_IFLNK:
        {
          cleanup_free char *target = malloc (st->st_size + 1);
          ssize_t n;

          if (target == NULL)
            return estiba_error (err, ENOMEM, "readlink `%s`", src_path);
          n = readlink (src_path, target, st->st_size + 1);
          if (n < 0)
            return estiba_error_errno (err, "readlink `%s`", src_path);
          if (n > st->st_size)
            return estiba_error (err, EAGAIN, "readlink `%s`: target changed while reading", src_path);
          target[n] = '\0';
          archive_entry_set_filetype (ae, AE_IFLNK);
          archive_entry_set_symlink (ae, target);
          return 0;
        }
      case S_IFIFO:
        archive_entry_set_filetype (ae, AE_IFIFO);
        return 0;
      case S_IFCHR:
      case S_IFBLK:
        archive_entry_set_filetype (ae, S_ISCHR (st->st_mode) ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdevmajor (ae, major (st->st_rdev));
        archive_entry_set_rdevminor (ae, minor (st->st_rdev));
        return 0;
      default:
        return estiba_error (err, ENOTSUP, "`%s`: a socket cannot be stored in a layer", src_path);
    }
}

int
build_layer_add_path (struct build_layer_writer *w, const char *src_path, const char *layer_path,
                      const struct build_layer_meta *meta, estiba_error_t *err)
{
  struct layer_entry *e;
  struct stat st;

  if (lstat (src_path, &st) < 0)
    return estiba_error_errno (err, "stat `%s`", src_path);
  e = new_entry (w, layer_path, err);
  if (e == NULL)
    return -1;
  if (set_type_from_stat (e->ae, src_path, &st, err) < 0 || copy_xattrs (src_path, e->ae, err) < 0)
    return -1;
  set_meta (w, e->ae, &st, meta, 0);
  if (S_ISREG (st.st_mode))
    {
      e->src = strdup (src_path);
      if (e->src == NULL)
        return estiba_error (err, ENOMEM, "layer writer");
      if (st.st_nlink > 1)
        {
          e->dev = st.st_dev;
          e->ino = st.st_ino;
        }
    }
  return 0;
}

int
build_layer_add_data (struct build_layer_writer *w, const char *layer_path, const void *data, size_t len,
                      const struct build_layer_meta *meta, estiba_error_t *err)
{
  struct layer_entry *e = new_entry (w, layer_path, err);

  if (e == NULL)
    return -1;
  archive_entry_set_filetype (e->ae, AE_IFREG);
  archive_entry_set_size (e->ae, len);
  set_meta (w, e->ae, NULL, meta, 0644);
  e->data = malloc (len ? len : 1);
  if (e->data == NULL)
    return estiba_error (err, ENOMEM, "layer writer");
  if (len)
    memcpy (e->data, data, len);
  return 0;
}

int
build_layer_add_dir (struct build_layer_writer *w, const char *layer_path,
                     const struct build_layer_meta *meta, estiba_error_t *err)
{
  struct layer_entry *e = new_entry (w, layer_path, err);

  if (e == NULL)
    return -1;
  archive_entry_set_filetype (e->ae, AE_IFDIR);
  set_meta (w, e->ae, NULL, meta, 0755);
  return 0;
}

/* Whiteout markers are empty regular files, mode 0, owned by root, as
 * containerd and BuildKit write them.  */
static int
add_marker (struct build_layer_writer *w, const char *dir, const char *name, estiba_error_t *err)
{
  static const struct build_layer_meta marker_meta = { 0, 0, 0 };
  cleanup_free char *path = NULL;

  if (asprintf (&path, "%s%s%s", dir ? dir : "", dir ? "/" : "", name) < 0)
    return estiba_error (err, ENOMEM, "layer writer");
  return build_layer_add_data (w, path, "", 0, &marker_meta, err);
}

int
build_layer_add_whiteout (struct build_layer_writer *w, const char *layer_path, estiba_error_t *err)
{
  cleanup_free char *dir = NULL, *name = NULL;
  const char *slash;

  if (check_layer_path (layer_path, err) < 0)
    return -1;
  slash = strrchr (layer_path, '/');
  if (slash)
    dir = strndup (layer_path, slash - layer_path);
  if (asprintf (&name, ".wh.%s", slash ? slash + 1 : layer_path) < 0)
    return estiba_error (err, ENOMEM, "layer writer");
  if (slash && dir == NULL)
    return estiba_error (err, ENOMEM, "layer writer");
  return add_marker (w, dir, name, err);
}

int
build_layer_add_opaque (struct build_layer_writer *w, const char *dir_layer_path, estiba_error_t *err)
{
  if (check_layer_path (dir_layer_path, err) < 0)
    return -1;
  return add_marker (w, dir_layer_path, ".wh..wh..opq", err);
}

/* Bytewise path order; for the same path the later add comes last.  */
static int
cmp_entries (const void *a, const void *b)
{
  const struct layer_entry *x = a, *y = b;
  int c = strcmp (archive_entry_pathname (x->ae), archive_entry_pathname (y->ae));

  if (c)
    return c;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hardlink groups: by (dev, ino), then by position in the sorted layer,
 * so the first path in layer order holds the data.  */
static int
cmp_inodes (const void *a, const void *b)
{
  const struct layer_entry *x = *(struct layer_entry *const *) a, *y = *(struct layer_entry *const *) b;

  if (x->dev != y->dev)
    return x->dev < y->dev ? -1 : 1;
  if (x->ino != y->ino)
    return x->ino < y->ino ? -1 : 1;
  return x < y ? -1 : x > y;
}

static int
link_hardlinks (struct build_layer_writer *w, estiba_error_t *err)
{
  cleanup_free struct layer_entry **cands = NULL;
  size_t i, n = 0;

  for (i = 0; i < w->n; i++)
    if (!w->entries[i].dropped && w->entries[i].src && w->entries[i].ino)
      n++;
  if (n < 2)
    return 0;
  cands = malloc (n * sizeof (*cands));
  if (cands == NULL)
    return estiba_error (err, ENOMEM, "layer writer");
  n = 0;
  for (i = 0; i < w->n; i++)
    if (!w->entries[i].dropped && w->entries[i].src && w->entries[i].ino)
      cands[n++] = &w->entries[i];
  qsort (cands, n, sizeof (*cands), cmp_inodes);
  for (i = 1; i < n; i++)
    {
      struct layer_entry *leader = cands[i - 1];

      if (cands[i]->dev != leader->dev || cands[i]->ino != leader->ino)
        continue;
      /* Every member points at the group's first path in layer order.  */
      if (archive_entry_hardlink (leader->ae))
        archive_entry_set_hardlink (cands[i]->ae, archive_entry_hardlink (leader->ae));
      else
        archive_entry_set_hardlink (cands[i]->ae, archive_entry_pathname (leader->ae));
      archive_entry_set_size (cands[i]->ae, 0);
    }
  return 0;
}

struct layer_sink
{
  struct sha256_ctx sha;    /* of the uncompressed tar: the diff_id */
  struct archive *gz;       /* raw gzip writer feeding the blob */
  struct blob_writer *blob; /* NULL once committed or aborted */
  estiba_error_t *err;
  bool failed;
};

static la_ssize_t
blob_sink_write (struct archive *a, void *data, const void *buf, size_t len)
{
  struct layer_sink *sink = data;

  (void) a;
  if (blob_writer_write (sink->blob, buf, len, sink->err) < 0)
    {
      sink->failed = true;
      return -1;
    }
  return (la_ssize_t) len;
}

static la_ssize_t
tar_sink_write (struct archive *a, void *data, const void *buf, size_t len)
{
  struct layer_sink *sink = data;

  (void) a;
  digest_update (&sink->sha, buf, len);
  if (archive_write_data (sink->gz, buf, len) != (la_ssize_t) len)
    {
      if (!sink->failed)
        estiba_error (sink->err, 0, "layer: gzip: %s",
                      archive_error_string (sink->gz) ? archive_error_string (sink->gz) : "write");
      sink->failed = true;
      return -1;
    }
  return (la_ssize_t) len;
}

/* The gzip stream: no name and no time in its header, so the same tar
 * always gives the same blob.  */
static int
open_gzip (struct layer_sink *sink, estiba_error_t *err)
{
  struct archive_entry *e;
  int ret = 0;

  sink->gz = archive_write_new ();
  if (sink->gz == NULL)
    return estiba_error (err, ENOMEM, "layer: gzip");
  archive_write_add_filter_gzip (sink->gz);
  archive_write_set_filter_option (sink->gz, "gzip", "timestamp", NULL);
  archive_write_set_format_raw (sink->gz);
  archive_write_set_bytes_in_last_block (sink->gz, 1);
  if (archive_write_open2 (sink->gz, sink, NULL, blob_sink_write, NULL, NULL) != ARCHIVE_OK)
    return estiba_error (err, 0, "layer: gzip: %s", archive_error_string (sink->gz));
  e = archive_entry_new ();
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_pathname (e, "layer.tar");
  if (archive_write_header (sink->gz, e) != ARCHIVE_OK)
    ret = estiba_error (err, 0, "layer: gzip: %s", archive_error_string (sink->gz));
  archive_entry_free (e);
  return ret;
}

static int
tar_error (struct archive *tar, struct layer_sink *sink, const char *path, estiba_error_t *err)
{
  if (sink->failed)
    return -1;
  return estiba_error (err, 0, "layer: `%s`: %s", path,
                       archive_error_string (tar) ? archive_error_string (tar) : "write error");
}

/* Stream a regular file's contents; it must still have the size it had
 * when it was added.  */
static int
write_file_data (struct archive *tar, struct layer_sink *sink, const struct layer_entry *e,
                 estiba_error_t *err)
{
  cleanup_close int fd = open (e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  int64_t left = archive_entry_size (e->ae);
  char buf[65536];

  if (fd < 0)
    return estiba_error_errno (err, "open `%s`", e->src);
  while (left > 0)
    {
      ssize_t n = read (fd, buf, left < (int64_t) sizeof (buf) ? (size_t) left : sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return estiba_error_errno (err, "read `%s`", e->src);
      if (n == 0)
        return estiba_error (err, EIO, "`%s`: file shrank while the layer was written", e->src);
      if (archive_write_data (tar, buf, n) != n)
        return tar_error (tar, sink, archive_entry_pathname (e->ae), err);
      left -= n;
    }
  return 0;
}

static int
write_entries (struct build_layer_writer *w, struct archive *tar, struct layer_sink *sink,
               estiba_error_t *err)
{
  size_t i;

  for (i = 0; i < w->n; i++)
    {
      struct layer_entry *e = &w->entries[i];
      const char *path = archive_entry_pathname (e->ae);

      if (e->dropped)
        continue;
      if (archive_write_header (tar, e->ae) != ARCHIVE_OK)
        return tar_error (tar, sink, path, err);
      if (archive_entry_hardlink (e->ae))
        continue;
      if (e->src && write_file_data (tar, sink, e, err) < 0)
        return -1;
      if (e->data && archive_entry_size (e->ae) > 0
          && archive_write_data (tar, e->data, archive_entry_size (e->ae)) != archive_entry_size (e->ae))
        return tar_error (tar, sink, path, err);
    }
  return 0;
}

/* Sort, then drop every entry a later add of the same path replaced.  */
static void
sort_entries (struct build_layer_writer *w)
{
  size_t i;

  if (w->n == 0)
    return;
  qsort (w->entries, w->n, sizeof (*w->entries), cmp_entries);
  for (i = 0; i + 1 < w->n; i++)
    if (strcmp (archive_entry_pathname (w->entries[i].ae), archive_entry_pathname (w->entries[i + 1].ae))
        == 0)
      w->entries[i].dropped = true;
}

static struct archive *
open_tar (struct layer_sink *sink, estiba_error_t *err)
{
  struct archive *tar = archive_write_new ();

  if (tar == NULL)
    {
      estiba_error (err, ENOMEM, "layer: tar");
      return NULL;
    }
  /* pax: ustar headers plus extended records only where needed (long
   * names, xattrs, sub-second times); SCHILY.xattr as Docker writes.  */
  archive_write_set_format_pax_restricted (tar);
  archive_write_set_format_option (tar, "pax", "xattrheader", "SCHILY");
  archive_write_set_bytes_per_block (tar, 512);
  archive_write_set_bytes_in_last_block (tar, 1);
  if (archive_write_open2 (tar, sink, NULL, tar_sink_write, NULL, NULL) != ARCHIVE_OK)
    {
      estiba_error (err, 0, "layer: tar: %s", archive_error_string (tar));
      archive_write_free (tar);
      return NULL;
    }
  return tar;
}

int
build_layer_commit (struct build_layer_writer *w, struct oci_image_descriptor *layer, char **diff_id,
                    estiba_error_t *err)
{
  struct layer_sink sink = { .err = err };
  struct archive *tar = NULL;
  char tar_digest[DIGEST_SHA256_STRLEN];
  char *blob_digest = NULL;
  int64_t size;
  int ret = -1;

  sort_entries (w);
  if (link_hardlinks (w, err) < 0)
    return -1;
  if (digest_init (&sink.sha, err) < 0)
    return -1;
  if (store_blob_writer_begin (w->store, &sink.blob, err) < 0)
    goto out;
  if (open_gzip (&sink, err) < 0)
    goto out;
  tar = open_tar (&sink, err);
  if (tar == NULL || write_entries (w, tar, &sink, err) < 0)
    goto out;
  if (archive_write_close (tar) != ARCHIVE_OK)
    {
      tar_error (tar, &sink, "end of archive", err);
      goto out;
    }
  if (archive_write_close (sink.gz) != ARCHIVE_OK)
    {
      if (!sink.failed)
        estiba_error (err, 0, "layer: gzip: %s", archive_error_string (sink.gz));
      goto out;
    }
  size = blob_writer_size (sink.blob);
  ret = blob_writer_commit (sink.blob, NULL, -1, &blob_digest, err);
  sink.blob = NULL;
  if (ret < 0)
    goto out;
  digest_final (&sink.sha, tar_digest);
  sink.sha.md = NULL;
  *diff_id = strdup (tar_digest);
  memset (layer, 0, sizeof (*layer));
  layer->media_type = oci_strdup (OCI_MEDIA_TYPE_LAYER_GZIP);
  layer->digest = blob_digest;
  layer->size = size;
  layer->has_size = true;
  if (*diff_id == NULL || layer->media_type == NULL)
    ret = estiba_error (err, ENOMEM, "layer writer");
out:
  if (tar)
    archive_write_free (tar);
  if (sink.gz)
    archive_write_free (sink.gz);
  if (sink.blob)
    blob_writer_abort (sink.blob);
  if (sink.sha.md)
    digest_abort (&sink.sha);
  return ret;
}
