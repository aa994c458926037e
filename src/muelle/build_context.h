/* Reading COPY/ADD sources in place, from the build context or from a
 * read-only view of another stage or image, as Docker does: a source is a
 * path relative to that root with glob components ('*', '?', '[...]',
 * Go's filepath.Match per component); directories are copied by content.
 *
 * Nothing escapes the root: a ".." that would leave it is an error, and
 * symlinks are resolved as a chroot would, inside the root.  A source
 * whose last component is a symlink is followed when its target stays
 * inside the root, else the symlink itself is copied.  In the build
 * context .dockerignore'd paths do not exist.  */
#ifndef MUELLE_BUILD_CONTEXT_H
#define MUELLE_BUILD_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include "dockerignore.h"
#include "error.h"

/* Resolve rel inside rootfd as a chroot would ("." and ".." clamped at
 * the root, symlinks followed inside it; absolute symlink targets start
 * at the root).  The last component is followed only with follow_final.
 * *out: the resolved relative path ("." for the root) with the missing
 * tail appended as written; *exists: whether it exists; *clamped (may be
 * NULL): a ".." tried to leave the root, or (unless image_root) a
 * symlink target was absolute.  */
int build_context_resolve (int rootfd, const char *rel, bool follow_final, bool image_root, char **out,
                           bool *exists, bool *clamped, estiba_error_t *err);

struct build_match
{
  char *rel;  /* resolved path of the source inside the root ("." for the root) */
  char *keep; /* --parents: the path kept below dest (the source's path after a "/./" pivot) */
  struct stat st;
};

struct build_glob_options
{
  const struct dockerignore *ignore; /* the context's .dockerignore, NULL: none */
  bool image_root;                   /* a stage/image view: absolute symlinks are normal, not escapes */
  const char *what;                  /* "COPY" or "ADD", for errors */
  const char *where;                 /* "in the build context" or "in stage X", for errors */
};

/* The sources one pattern selects, in order.  A pattern matching nothing
 * is an error naming it.  */
int build_context_glob (int rootfd, const char *pattern, const struct build_glob_options *opts,
                        struct build_match **out, size_t *n, estiba_error_t *err);
void build_matches_free (struct build_match *m, size_t n);

/* True when the pattern has glob characters.  */
bool build_context_is_glob (const char *pattern);

/* Called for every entry below a directory, parents before children, in
 * bytewise order of the names.  dirfd/name is the entry; sub its path
 * relative to the walked directory.  */
typedef int (*build_walk_fn) (void *opaque, int dirfd, const char *name, const char *sub,
                              const struct stat *st, estiba_error_t *err);

/* Walk the directory rel (resolved, below rootfd).  ignore (context
 * paths: rel + "/" + sub) and excludes (--exclude, paths relative to the
 * walked directory) hide entries; an excluded directory is still walked
 * when a pattern re-includes something, and reported before the first
 * entry kept in it.  */
int build_context_walk (int rootfd, const char *rel, const struct dockerignore *ignore,
                        const struct dockerignore *excludes, build_walk_fn fn, void *opaque,
                        estiba_error_t *err);

/* Open rel below rootfd with no symlink anywhere in it (a resolved path).  */
int build_context_open (int rootfd, const char *rel, int flags);

#endif
