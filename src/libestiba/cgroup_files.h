/* Finding and reading/writing a control file among the container's cgroup
 * directories.  The container has one directory per mounted hierarchy
 * (see cgroup.h); a controller's files exist only in the directory of the
 * hierarchy that holds it, so "the directory that has memory.max" is
 * where the memory controller lives, whatever the layout (v1, v2 or
 * hybrid).  */
#ifndef ESTIBA_CGROUP_FILES_H
#define ESTIBA_CGROUP_FILES_H

#include <stdbool.h>
#include "error.h"

/* Absolute path of name in the first directory that has it (malloc'd), or
 * NULL.  The directory of the v1 hierarchy named after the file's
 * controller is tried first (a controller lives in one hierarchy only).  */
char *cgroup_file_find (char *const *dirs, const char *name);

/* Whether some directory has name.  */
bool cgroup_file_exists (char *const *dirs, const char *name);

/* Write value to the file name in the directory that has it; field is the
 * config field asking for it, named in errors.  */
int cgroup_file_write (char *const *dirs, const char *field, const char *name, const char *value,
                       estiba_error_t *err);

/* Read the whole file name (malloc'd, trailing newline removed); NULL when
 * no directory has it or it cannot be read.  */
char *cgroup_file_read (char *const *dirs, const char *name);

/* Read a file holding one number ("max" reads as -1).  */
int cgroup_file_read_i64 (char *const *dirs, const char *name, long long *value);

/* The v2 directory (the one with cgroup.controllers), or NULL.  */
const char *cgroup_v2_dir (char *const *dirs);

#endif
