/* Small file-system helpers muelle's store, extraction and archives share:
 * atomic file replacement, locks, recursive create/remove.  */
#ifndef MUELLE_FSUTIL_H
#define MUELLE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>
#include "error.h"

/* mkdir -p with mode for the directories it creates.  */
int fs_mkdir_p (const char *path, mode_t mode, estiba_error_t *err);

/* Open (creating) dirfd/name and flock it with op (LOCK_SH or LOCK_EX);
 * returns the fd holding the lock.  */
int fs_lock (int dirfd, const char *name, int op, estiba_error_t *err);

/* Replace dirfd/name with data: temp file in the same directory, fsync,
 * rename, fsync of the directory.  Readers see the old or the new file.  */
int fs_write_file_atomic (int dirfd, const char *name, const void *data, size_t len, estiba_error_t *err);

/* write() until done; -1 with errno on failure.  */
int fs_write_all (int fd, const void *data, size_t len);

void fs_fsync_dir (int dirfd, const char *name);

/* rm -rf dirfd/name without following symlinks; ENOENT is success.  */
int fs_remove_tree_at (int dirfd, const char *name, estiba_error_t *err);
int fs_remove_tree (const char *path, estiba_error_t *err);

/* Read a whole (small) file; *data is NUL-terminated.  */
int fs_read_file (const char *path, size_t max, char **data, size_t *len, estiba_error_t *err);

/* Open path below dirfd with symlinks resolved inside it (openat2
 * RESOLVE_IN_ROOT): a hostile tree cannot point it at the host's files.  */
int fs_open_in_root (int dirfd, const char *path, int flags);

#endif
