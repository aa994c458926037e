/* A RUN step's upper directory (plain overlayfs form) turned into an OCI
 * layer (image-spec layer.md "Changesets"):
 *
 *   upper entry                          layer entry
 *   0/0 character device NAME            DIR/.wh.NAME (whiteout)
 *   directory with trusted.overlay.opaque=y   the directory + DIR/.wh..wh..opq
 *   anything else                        itself (files whole, dirs whose
 *                                        metadata or content changed,
 *                                        symlinks, hardlinks, xattrs)
 *
 * Mount points the runtime had to create for the step (/proc, /dev,
 * /etc/hosts, RUN --mount targets...) are not the step's work: the paths
 * in ignore->created (relative, no leading '/') are left out, and so is a
 * created directory when nothing kept is below it.  Creating them copied
 * their existing parent directories up: those (ignore->parents) are left
 * out too when nothing kept is below them and their owner and mode are
 * still those recorded before the step.  */
#ifndef MUELLE_BUILD_DIFF_H
#define MUELLE_BUILD_DIFF_H

#include <stddef.h>
#include <sys/types.h>
#include "build_layer.h"
#include "error.h"

struct build_diff_parent
{
  char *path; /* relative, "" for the root */
  uid_t uid;
  gid_t gid;
  mode_t mode;
};

struct build_diff_ignore
{
  char **created;
  size_t n_created;
  struct build_diff_parent *parents;
  size_t n_parents;
};

/* ignore may be NULL.  */
int build_diff_upper (const char *upper, const struct build_diff_ignore *ignore, struct build_layer_writer *w,
                      estiba_error_t *err);

#endif
