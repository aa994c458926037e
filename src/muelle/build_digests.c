#include <config.h>
#include "build_digests.h"
#include "cleanup.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CACHE_FILE  "stat-cache"
#define CACHE_MAGIC "muelle-digests-2\n"
/* The magic, NUL-padded: records start 8-byte aligned in the mapping.  */
#define CACHE_HEADER 32

/* One remembered file; written to disk as is (same host, same ABI).  */
struct digest_record
{
  uint64_t dev, ino, size;
  int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
  uint32_t mode, used; /* used: slot occupied */
  unsigned char sha[32];
};

/* The file is kept sorted by (dev, ino) and mapped, so opening the cache
 * costs nothing however many files it knows: a lookup is a binary search
 * touching a few pages.  New and changed entries go to a hash table and
 * are merged into the file when the cache is closed.  */
struct build_digest_cache
{
  char *dir;
  const struct digest_record *disk; /* sorted, mapped from the file */
  size_t n_disk;
  void *map;
  size_t map_len;
  struct digest_record *slots; /* new entries: open addressing, cap a power of two */
  size_t cap, n;
  bool dirty;
  size_t hits, misses;
};

static size_t
slot_of (const struct build_digest_cache *c, uint64_t dev, uint64_t ino)
{
  uint64_t h = (ino * 0x9E3779B97F4A7C15ULL) ^ (dev * 0xC2B2AE3D27D4EB4FULL);
  return (size_t) (h ^ (h >> 29)) & (c->cap - 1);
}

static struct digest_record *
find_slot (struct build_digest_cache *c, uint64_t dev, uint64_t ino)
{
  size_t i = slot_of (c, dev, ino);

  while (c->slots[i].used && (c->slots[i].dev != dev || c->slots[i].ino != ino))
    i = (i + 1) & (c->cap - 1);
  return &c->slots[i];
}

static int
grow (struct build_digest_cache *c, estiba_error_t *err)
{
  struct digest_record *old = c->slots;
  size_t old_cap = c->cap, i;

  c->cap = c->cap ? c->cap * 2 : 1024;
  c->slots = calloc (c->cap, sizeof (*c->slots));
  if (c->slots == NULL)
    {
      c->slots = old;
      c->cap = old_cap;
      return estiba_error (err, ENOMEM, "digest cache");
    }
  for (i = 0; i < old_cap; i++)
    if (old[i].used)
      *find_slot (c, old[i].dev, old[i].ino) = old[i];
  free (old);
  return 0;
}

static int
insert (struct build_digest_cache *c, const struct digest_record *r, estiba_error_t *err)
{
  struct digest_record *slot;

  if ((c->n + 1) * 2 > c->cap && grow (c, err) < 0)
    return -1;
  slot = find_slot (c, r->dev, r->ino);
  if (!slot->used)
    c->n++;
  *slot = *r;
  slot->used = 1;
  return 0;
}

static int
cmp_records (const void *a, const void *b)
{
  const struct digest_record *x = a, *y = b;

  if (x->dev != y->dev)
    return x->dev < y->dev ? -1 : 1;
  return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Map the file; a damaged or foreign one is ignored: it is only a cache.  */
static void
load (struct build_digest_cache *c)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  size_t magic = CACHE_HEADER, i;
  struct stat st;
  const char *data;

  if (asprintf (&path, "%s/%s", c->dir, CACHE_FILE) < 0)
    return;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0 || (size_t) st.st_size < magic
      || ((size_t) st.st_size - magic) % sizeof (struct digest_record) != 0)
    return;
  c->map = mmap (NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (c->map == MAP_FAILED)
    {
      c->map = NULL;
      return;
    }
  c->map_len = st.st_size;
  data = c->map;
  if (memcmp (data, CACHE_MAGIC, strlen (CACHE_MAGIC)) != 0)
    return;
  c->disk = (const struct digest_record *) (data + magic);
  c->n_disk = (st.st_size - magic) / sizeof (struct digest_record);
  /* Only a sorted file can be searched.  */
  for (i = 1; i < c->n_disk; i++)
    if (cmp_records (&c->disk[i - 1], &c->disk[i]) >= 0)
      {
        c->disk = NULL;
        c->n_disk = 0;
        return;
      }
}

int
build_digest_cache_open (struct muelle_store *store, struct build_digest_cache **out, estiba_error_t *err)
{
  struct build_digest_cache *c = calloc (1, sizeof (*c));

  if (c == NULL)
    return estiba_error (err, ENOMEM, "digest cache");
  if (store_subdir (store, "build/digests", &c->dir, err) < 0 || grow (c, err) < 0)
    {
      free (c->dir);
      free (c->slots);
      free (c);
      return -1;
    }
  load (c);
  *out = c;
  return 0;
}

static void
unload (struct build_digest_cache *c)
{
  if (c->map)
    munmap (c->map, c->map_len);
  c->map = NULL;
  c->disk = NULL;
  c->n_disk = 0;
}

/* Merge the current file (re-read under the lock: builds running at the
 * same time, or a build's stage processes, each add their own entries)
 * with the new entries (which win) into a new sorted file.  */
static int
save (struct build_digest_cache *c, estiba_error_t *err)
{
  size_t magic = CACHE_HEADER, i, j = 0, k = 0, n_new = 0, off = magic;
  cleanup_free struct digest_record *fresh = malloc ((c->n ? c->n : 1) * sizeof (*fresh));
  cleanup_free char *buf = NULL;
  cleanup_close int dirfd = open (c->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int lock = -1;

  if (dirfd < 0)
    return estiba_error_errno (err, "open `%s`", c->dir);
  lock = fs_lock (dirfd, "lock", LOCK_EX, err);
  if (lock < 0)
    return -1;
  unload (c);
  load (c);
  buf = malloc (magic + (c->n_disk + c->n) * sizeof (struct digest_record));
  if (buf == NULL || fresh == NULL)
    return estiba_error (err, ENOMEM, "digest cache");
  for (i = 0; i < c->cap; i++)
    if (c->slots[i].used)
      fresh[n_new++] = c->slots[i];
  qsort (fresh, n_new, sizeof (*fresh), cmp_records);
  memset (buf, 0, magic);
  memcpy (buf, CACHE_MAGIC, strlen (CACHE_MAGIC));
  while (j < c->n_disk || k < n_new)
    {
      const struct digest_record *r;
      int cmp = j == c->n_disk ? 1 : k == n_new ? -1 : cmp_records (&c->disk[j], &fresh[k]);

      if (cmp < 0)
        r = &c->disk[j++];
      else
        {
          r = &fresh[k++];
          if (cmp == 0)
            j++;
        }
      memcpy (buf + off, r, sizeof (*r));
      off += sizeof (*r);
    }
  return fs_write_file_atomic (dirfd, CACHE_FILE, buf, off, err);
}

int
build_digest_cache_close (struct build_digest_cache *c, estiba_error_t *err)
{
  int ret = 0;

  if (c == NULL)
    return 0;
  if (c->dirty)
    ret = save (c, err);
  unload (c);
  free (c->dir);
  free (c->slots);
  free (c);
  return ret;
}

void
build_digest_cache_stats (const struct build_digest_cache *c, size_t *hits, size_t *misses)
{
  *hits = c ? c->hits : 0;
  *misses = c ? c->misses : 0;
}

static void
record_of (const struct stat *st, struct digest_record *r)
{
  memset (r, 0, sizeof (*r));
  r->dev = st->st_dev;
  r->ino = st->st_ino;
  r->size = st->st_size;
  r->mtime_sec = st->st_mtim.tv_sec;
  r->mtime_nsec = st->st_mtim.tv_nsec;
  r->ctime_sec = st->st_ctim.tv_sec;
  r->ctime_nsec = st->st_ctim.tv_nsec;
  r->mode = st->st_mode;
}

static bool
same_stat (const struct digest_record *a, const struct digest_record *b)
{
  return a->size == b->size && a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec
         && a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec && a->mode == b->mode;
}

static const char hexdigits[] = "0123456789abcdef";

static void
format_digest (const unsigned char sha[32], char out[DIGEST_SHA256_STRLEN])
{
  size_t i, p = strlen (DIGEST_SHA256_PREFIX);

  memcpy (out, DIGEST_SHA256_PREFIX, p);
  for (i = 0; i < 32; i++)
    {
      out[p++] = hexdigits[sha[i] >> 4];
      out[p++] = hexdigits[sha[i] & 15];
    }
  out[p] = '\0';
}

static void
parse_digest (const char *digest, unsigned char sha[32])
{
  const char *hex = digest_hex (digest);
  size_t i;

  for (i = 0; i < 32; i++)
    sha[i] = (unsigned char) ((strchr (hexdigits, hex[2 * i]) - hexdigits) << 4
                              | (strchr (hexdigits, hex[2 * i + 1]) - hexdigits));
}

static int
hash_file (int dirfd, const char *name, const struct stat *st, const char *what,
           char out[DIGEST_SHA256_STRLEN], estiba_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct sha256_ctx sha;
  struct stat now;
  char buf[65536];
  ssize_t n;

  if (fd < 0)
    return estiba_error_errno (err, "%s: open", what);
  if (fstat (fd, &now) < 0)
    return estiba_error_errno (err, "%s: stat", what);
  if (now.st_ino != st->st_ino || now.st_dev != st->st_dev)
    return estiba_error (err, EAGAIN, "%s: replaced while being read", what);
  if (digest_init (&sha, err) < 0)
    return -1;
  while ((n = read (fd, buf, sizeof (buf))) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          digest_abort (&sha);
          return estiba_error_errno (err, "%s: read", what);
        }
      digest_update (&sha, buf, n);
    }
  digest_final (&sha, out);
  return 0;
}

int
build_digest_file (struct build_digest_cache *c, int dirfd, const char *name, const struct stat *st,
                   const char *what, char out[DIGEST_SHA256_STRLEN], estiba_error_t *err)
{
  struct digest_record key, *slot;

  if (c == NULL)
    return hash_file (dirfd, name, st, what, out, err);
  record_of (st, &key);
  slot = find_slot (c, key.dev, key.ino);
  if (!slot->used && c->n_disk)
    {
      const struct digest_record *known = bsearch (&key, c->disk, c->n_disk, sizeof (key), cmp_records);
      if (known && same_stat (known, &key))
        {
          c->hits++;
          format_digest (known->sha, out);
          return 0;
        }
    }
  if (slot->used && same_stat (slot, &key))
    {
      c->hits++;
      format_digest (slot->sha, out);
      return 0;
    }
  c->misses++;
  if (hash_file (dirfd, name, st, what, out, err) < 0)
    return -1;
  if (st->st_ctim.tv_sec + 2 > time (NULL))
    return 0;
  parse_digest (out, key.sha);
  c->dirty = true;
  return insert (c, &key, err);
}
