/* linux.seccomp (config-linux.md "Seccomp").  (Not "seccomp.h": that is
 * libseccomp's, and this directory is on the include path.)
 *
 * The filter is compiled with libseccomp in the runtime, before the
 * container's processes are cloned (they inherit the program with the
 * memory), and the child only loads the ready BPF program, last thing
 * before execve: no libseccomp work and no allocation in the child.
 *
 *   runtime:  seccomp_compile (cfg->linux_->seccomp, cache_dir, &sc, err);
 *   child:    seccomp_install (sc, &notify_fd, err);     // then execve
 *   runtime:  seccomp_send_listener (listenerPath, notify_fd, ...);  // seccomp_notify.h
 *
 * Without process.noNewPrivileges, loading a filter needs CAP_SYS_ADMIN,
 * so the child must install it before it drops its capabilities (as runc
 * does); with noNewPrivileges, after prctl(PR_SET_NO_NEW_PRIVS).
 *
 * What is refused, naming the field: unknown actions, operators,
 * architectures (and the spec's ones this libseccomp lacks) and flags, a
 * flag the kernel does not take, errnoRet/defaultErrnoRet on an action
 * other than SCMP_ACT_ERRNO/TRACE (spec MUST) or above 16 bits, argument
 * indexes above 5, empty names, SCMP_ACT_NOTIFY as the default action or
 * on write/sendmsg/recvmsg (the child needs them to hand the listener fd
 * over), NOTIFY without listenerPath, listenerMetadata without it.
 * A rule with the default's action is skipped, as libseccomp refuses it;
 * WAIT_KILLABLE_RECV without a NOTIFY rule is dropped (the kernel refuses
 * it without a listener).
 *
 * Compiled programs are cached in cache_dir as <hash>.bpf, keyed by the
 * profile's content, the libseccomp version, the native architecture and
 * the kernel release (the whole key is stored and compared, so a hash
 * collision is only a miss), so a repeated start skips libseccomp.  */
#ifndef ESTIBA_SECCOMP_FILTER_H
#define ESTIBA_SECCOMP_FILTER_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

/* A compiled filter: the BPF program and the seccomp(2) flags.  */
struct estiba_seccomp;

/* Translate and compile s.  cache_dir (created 0700 when missing) may be
 * NULL for no cache.  Errors name the field at fault, e.g.
 * `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
 * Syscall names this libseccomp does not know on the native architecture
 * are skipped with a debug message, as runc does.  */
int seccomp_compile (const struct oci_seccomp *s, const char *cache_dir, struct estiba_seccomp **out,
                     estiba_error_t *err);

void seccomp_free (struct estiba_seccomp *sc);
static inline void
seccomp_free_fn (struct estiba_seccomp **sc)
{
  seccomp_free (*sc);
}
#define cleanup_seccomp __attribute__ ((cleanup (seccomp_free_fn)))

/* Whether a rule uses SCMP_ACT_NOTIFY: seccomp_install then returns a
 * listener fd that must reach linux.seccomp.listenerPath.  */
bool seccomp_uses_notify (const struct estiba_seccomp *sc);

/* Whether the program came from the cache (for tests and debug logs).  */
bool seccomp_from_cache (const struct estiba_seccomp *sc);

/* Number of BPF instructions of the program.  */
size_t seccomp_program_length (const struct estiba_seccomp *sc);

/* Load the filter into the calling process with seccomp(2).  *notify_fd
 * gets the (close-on-exec) listener fd when seccomp_uses_notify, else -1.
 * Async-signal-safe apart from building the error message.  */
int seccomp_install (const struct estiba_seccomp *sc, int *notify_fd, estiba_error_t *err);

/* Whether the running kernel accepts the linux.seccomp.flags name
 * ("SECCOMP_FILTER_FLAG_LOG"); false for unknown names.  For features.  */
bool seccomp_kernel_supports_flag (const char *name);

#endif
