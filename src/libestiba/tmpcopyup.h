/* mounts[].options "tmpcopyup" (config.md, MAY): a tmpfs mounted over a
 * directory of the image starts with a copy of that directory's content
 * (files, directories, symlinks, device nodes and fifos with their mode
 * and owner), as runc and crun do.  */
#ifndef ESTIBA_TMPCOPYUP_H
#define ESTIBA_TMPCOPYUP_H

#include "error.h"

/* Copy everything in the directory `from` (an fd opened before the tmpfs
 * covered it) into the directory `to` (the new tmpfs's root), and give
 * `to` the mode and owner of `from`.  Never follows a symlink.  */
int tmpcopyup (int from, int to, estiba_error_t *err);

#endif
