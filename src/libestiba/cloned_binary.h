/* Run estiba from a sealed in-memory copy of itself (CVE-2019-5736).
 *
 * A process that joins a container can be reached from inside it through
 * /proc/<pid>/exe; if that were the estiba binary on disk, a malicious
 * container could open it and overwrite the host's runtime.  So every
 * invocation that will start or join a container process first copies
 * /proc/self/exe into a memfd and seals it against any change.  Then it
 * moves itself onto that copy in place (cloned_binary_rehome: its
 * mappings and /proc/self/exe switched to the copy, no exec), or, where
 * the kernel does not allow that, re-executes itself from the copy.  The
 * container can then at most see an immutable anonymous file.  */
#ifndef ESTIBA_CLONED_BINARY_H
#define ESTIBA_CLONED_BINARY_H

#include <stdbool.h>
#include "error.h"

/* Set, only across the re-exec, to detect a re-exec that did not take. */
#define CLONED_BINARY_ENV "_ESTIBA_CLONED_BINARY"

/* The seals a safe copy carries.  */
#define CLONED_BINARY_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Call before anything of ours can be reached from a container (argv and
 * envp as main received them).  Returns 0 when running from a sealed copy,
 * already or after cloned_binary_rehome (and removes the re-exec marker
 * from the environment); otherwise re-executes and does not return, or
 * returns < 0 on failure.  */
int cloned_binary_ensure (int argc, char **argv, char **envp, estiba_error_t *err);

/* Whether fd is a file carrying all of CLONED_BINARY_SEALS.  */
bool cloned_binary_is_sealed (int fd);

/* Make this process run from protected_fd (a sealed copy of the binary
 * open at self) without exec'ing it: the binary's mappings are replaced by
 * the copy's (or by anonymous copies where they were written) and
 * /proc/self/exe points to protected_fd.  Needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE.  Returns < 0 when the kernel or the process
 * layout does not allow it; the process may then have some mappings
 * already replaced but runs on unchanged, and should re-exec.  */
int cloned_binary_rehome (int self, int protected_fd);

/* A sealed memfd holding a copy of the file open at fd (exposed for tests
 * and for callers that want to keep one copy around).  */
int cloned_binary_make_copy (int fd, estiba_error_t *err);

#endif
