/* The stat-keyed content digest cache of `muelle build` (declared in
 * build_copy.h: build_digest_cache_open/close).  A regular file's sha256
 * is reused while its (dev, ino, size, mtime ns, ctime ns, mode) is
 * unchanged, so a cached rebuild of a large context stats every file but
 * reads none.  Persisted in ROOT/build/digests/stat-cache, rewritten
 * atomically when a build added entries; concurrent builds may overwrite
 * each other's additions (it is only a cache: every hit is re-validated
 * against the file's current stat).
 *
 * A file whose ctime is less than two seconds old is hashed but not
 * remembered: it may still change within the same timestamp tick (git's
 * "racy clean" problem).  */
#ifndef MUELLE_BUILD_DIGESTS_H
#define MUELLE_BUILD_DIGESTS_H

#include <sys/stat.h>
#include "build_copy.h"
#include "digest.h"

/* sha256 of the regular file dirfd/name whose lstat is st; c may be NULL
 * (always hashes).  what names the file in errors.  */
int build_digest_file (struct build_digest_cache *c, int dirfd, const char *name, const struct stat *st,
                       const char *what, char out[DIGEST_SHA256_STRLEN], estiba_error_t *err);

/* Hits and misses so far (tests, benchmarks).  */
void build_digest_cache_stats (const struct build_digest_cache *c, size_t *hits, size_t *misses);

#endif
