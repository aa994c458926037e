/* .dockerignore: which paths of the build context are not sent.
 *
 * Docker's rules: one pattern a line; lines starting with '#' are
 * comments; surrounding blanks are trimmed; a leading '!' makes an
 * exception; every pattern is cleaned like Go's filepath.Clean (so "./a",
 * "a/" and "/a" all mean "a").  A pattern is Go's filepath.Match per path
 * component ('*' and '?' never cross '/', "[...]" classes with '^'
 * negation, '\' escapes) plus "**" for any number of directories.  A path
 * is excluded when the last pattern matching it or one of its parent
 * directories is not an exception.
 *
 * The Dockerfile and .dockerignore are still sent, as the docker CLI does:
 * the caller passes their context-relative paths to dockerignore_keep,
 * which appends an exception for each one the patterns would exclude.  */
#ifndef MUELLE_DOCKERIGNORE_H
#define MUELLE_DOCKERIGNORE_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"

struct dockerignore;

/* Parse .dockerignore text; filename is used in error messages.  */
struct dockerignore *dockerignore_parse (const char *data, size_t len, const char *filename,
                                         estiba_error_t *err);

/* Read <context_dir>/.dockerignore; a missing file gives an empty set.  */
int dockerignore_load (const char *context_dir, struct dockerignore **out, estiba_error_t *err);

/* Make sure path is sent even if a pattern excludes it.  */
int dockerignore_keep (struct dockerignore *ign, const char *path, estiba_error_t *err);

/* true when path (relative to the context, '/'-separated, "./" and a
   leading "/" allowed) is excluded.  */
bool dockerignore_match (const struct dockerignore *ign, const char *path);

/* true when some pattern is an exception: an excluded directory must then
   still be walked, since files below it may be re-included.  */
bool dockerignore_has_exceptions (const struct dockerignore *ign);

size_t dockerignore_count (const struct dockerignore *ign);
void dockerignore_free (struct dockerignore *ign);

#endif
