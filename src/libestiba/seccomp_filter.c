#include <config.h>
#include "seccomp_filter.h"
#include "cleanup.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define FIELD "linux.seccomp"

/* seccomp_arg_cmp has room for the six syscall arguments.  */
#define MAX_ARGS 6

struct estiba_seccomp
{
  struct sock_filter *insns;
  size_t len;
  unsigned int flags; /* for seccomp(2), NEW_LISTENER included */
  bool notify;
  bool cached;
};

/* What the profile says once checked, and the text that identifies it in
 * the cache: everything the BPF program depends on.  */
struct profile
{
  uint32_t default_action;
  unsigned int flags;
  bool notify;
  char *key;
  size_t key_len;
};

/* ---------------------------------------------------------- names -- */

struct name_value
{
  const char *name;
  uint64_t value;
};

static const struct name_value operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The spec's architectures this libseccomp knows; the others
 * (SCMP_ARCH_LOONGARCH64, M68K, SH, SHEB before libseccomp 2.6) are
 * refused rather than silently left out of the filter.  */
static const struct name_value architectures[] = {
  { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
  { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
  { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
  { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
  { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
  { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
  { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
  { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
  { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
  { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
  { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
  { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
  { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
  { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
  { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
  { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
  { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
  { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
  { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#ifdef SCMP_ARCH_LOONGARCH64
  { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
#ifdef SCMP_ARCH_M68K
  { "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#endif
#ifdef SCMP_ARCH_SH
  { "SCMP_ARCH_SH", SCMP_ARCH_SH },
  { "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#endif
};

static const struct name_value filter_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* The syscalls the child makes between loading the filter and the agent
 * receiving the listener fd (the sync socket's sendmsg/recvmsg, and write
 * for error reports, which runc refuses too): notifying them would hang
 * the container start.  */
static const char *const notify_forbidden[] = { "write", "sendmsg", "recvmsg" };

static bool
lookup (const struct name_value *table, size_t n, const char *name, uint64_t *value)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      {
        *value = table[i].value;
        return true;
      }
  return false;
}
#define LOOKUP(table, name, value) lookup ((table), sizeof (table) / sizeof ((table)[0]), (name), (value))

/* seccomp(2) refuses unknown flags with EINVAL before it reads the
 * program, and a known flag with a NULL program fails with EFAULT.  */
static bool
kernel_accepts_flag (unsigned long flag)
{
  /* The kernel only takes WAIT_KILLABLE_RECV along with NEW_LISTENER.  */
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

bool
seccomp_kernel_supports_flag (const char *name)
{
  uint64_t flag;

  return LOOKUP (filter_flags, name, &flag) && kernel_accepts_flag (flag);
}

/* action (+ errnoRet) -> libseccomp action value.  field names the
 * action's member ("linux.seccomp.syscalls[3]"), errno_field the errno's
 * member name.  */
static int
resolve_action (const char *name, bool has_errno, unsigned int errno_ret, const char *field,
                const char *action_member, const char *errno_member, uint32_t *out, estiba_error_t *err)
{
  bool takes_errno = false;
  unsigned int ret = has_errno ? errno_ret : EPERM;

  if (name == NULL)
    return estiba_error (err, 0, "%s.%s: missing", field, action_member);
  if (strcmp (name, "SCMP_ACT_ERRNO") == 0 || strcmp (name, "SCMP_ACT_TRACE") == 0)
    {
      takes_errno = true;
      /* SECCOMP_RET_DATA is 16 bits.  */
      if (ret > 0xffff)
        return estiba_error (err, 0, "%s.%s: %u does not fit seccomp's 16-bit return value", field,
                             errno_member, ret);
    }

  if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO (ret);
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE (ret);
  else if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else
    return estiba_error (err, 0, "%s.%s: unknown action \"%s\"", field, action_member, name);

  /* The spec: an errno for an action without one MUST fail.  */
  if (has_errno && !takes_errno)
    return estiba_error (err, 0, "%s.%s: action %s does not take an errno", field, errno_member, name);
  return 0;
}

static int
resolve_condition (const struct oci_seccomp_arg *a, const char *field, struct scmp_arg_cmp *out,
                   estiba_error_t *err)
{
  uint64_t op;

  if (a->index >= MAX_ARGS)
    return estiba_error (err, 0, "%s.index: %u is not a syscall argument (0-%d)", field, a->index,
                         MAX_ARGS - 1);
  if (a->op == NULL || !LOOKUP (operators, a->op, &op))
    return estiba_error (err, 0, "%s.op: unknown operator \"%s\"", field, a->op ? a->op : "");
  /* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the datum.  */
  *out = (struct scmp_arg_cmp){
    .arg = a->index, .op = (enum scmp_compare) op, .datum_a = a->value, .datum_b = a->value_two
  };
  return 0;
}

/* ------------------------------------------------- checking the profile -- */

static int
check_flags (const struct oci_seccomp *s, unsigned int *flags, estiba_error_t *err)
{
  *flags = 0;
  for (size_t i = 0; i < s->flags_len; i++)
    {
      uint64_t flag;

      if (!LOOKUP (filter_flags, s->flags[i], &flag))
        return estiba_error (err, 0, FIELD ".flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
      if (!kernel_accepts_flag (flag))
        return estiba_error (err, 0, FIELD ".flags[%zu]: %s is not supported by this kernel", i, s->flags[i]);
      *flags |= (unsigned int) flag;
    }
  return 0;
}

static int
check_syscall (const struct oci_seccomp_syscall *sc, size_t i, FILE *key, bool *notify, estiba_error_t *err)
{
  char field[64];
  uint32_t action;

  snprintf (field, sizeof field, FIELD ".syscalls[%zu]", i);
  if (sc->names_len == 0)
    return estiba_error (err, 0, "%s.names: must contain at least one entry", field);
  if (resolve_action (sc->action, sc->has_errno_ret, sc->errno_ret, field, "action", "errnoRet", &action, err)
      < 0)
    return -1;
  if (sc->args_len > MAX_ARGS * 8)
    return estiba_error (err, 0, "%s.args: %zu conditions are too many", field, sc->args_len);
  fprintf (key, "syscall %" PRIu32 "\n", action);
  for (size_t j = 0; j < sc->args_len; j++)
    {
      char argfield[96];
      struct scmp_arg_cmp c;

      snprintf (argfield, sizeof argfield, "%s.args[%zu]", field, j);
      if (resolve_condition (&sc->args[j], argfield, &c, err) < 0)
        return -1;
      fprintf (key, "arg %u %d %" PRIu64 " %" PRIu64 "\n", c.arg, (int) c.op, (uint64_t) c.datum_a,
               (uint64_t) c.datum_b);
    }
  for (size_t j = 0; j < sc->names_len; j++)
    {
      if (action == SCMP_ACT_NOTIFY)
        for (size_t k = 0; k < sizeof notify_forbidden / sizeof notify_forbidden[0]; k++)
          if (strcmp (sc->names[j], notify_forbidden[k]) == 0)
            return estiba_error (err, 0, "%s: SCMP_ACT_NOTIFY cannot be used for \"%s\"", field,
                                 sc->names[j]);
      /* Length-prefixed: no name can fake another line of the key.  */
      fprintf (key, "name %zu:%s\n", strlen (sc->names[j]), sc->names[j]);
    }
  *notify = *notify || action == SCMP_ACT_NOTIFY;
  return 0;
}

static void
key_header (FILE *key)
{
  const struct scmp_version *v = seccomp_version ();
  struct utsname u;

  /* The program also depends on what libseccomp knows, the native
   * architecture and what the kernel supports.  */
  if (uname (&u) < 0)
    strcpy (u.release, "?");
  fprintf (key, "estiba-seccomp 1\nlibseccomp %u.%u.%u\nnative %" PRIu32 "\nkernel %s\n", v->major, v->minor,
           v->micro, seccomp_arch_native (), u.release);
}

static int
check_profile (const struct oci_seccomp *s, struct profile *p, estiba_error_t *err)
{
  cleanup_fclose FILE *key = open_memstream (&p->key, &p->key_len);
  int ret = -1;

  if (key == NULL)
    return estiba_error_errno (err, FIELD ": open_memstream");
  key_header (key);
  if (resolve_action (s->default_action, s->has_default_errno_ret, s->default_errno_ret, FIELD,
                      "defaultAction", "defaultErrnoRet", &p->default_action, err)
      < 0)
    goto out;
  if (p->default_action == SCMP_ACT_NOTIFY)
    {
      estiba_error (err, 0, FIELD ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
      goto out;
    }
  fprintf (key, "default %" PRIu32 "\n", p->default_action);
  for (size_t i = 0; i < s->architectures_len; i++)
    {
      uint64_t arch;

      if (!LOOKUP (architectures, s->architectures[i], &arch))
        {
          estiba_error (err, 0, FIELD ".architectures[%zu]: unknown or unsupported architecture \"%s\"", i,
                        s->architectures[i]);
          goto out;
        }
      fprintf (key, "arch %" PRIu64 "\n", arch);
    }
  if (check_flags (s, &p->flags, err) < 0)
    goto out;
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (check_syscall (&s->syscalls[i], i, key, &p->notify, err) < 0)
      goto out;
  if (s->listener_metadata && s->listener_path == NULL)
    {
      estiba_error (err, 0, FIELD ".listenerMetadata: set without listenerPath");
      goto out;
    }
  if (p->notify && (s->listener_path == NULL || s->listener_path[0] == '\0'))
    {
      estiba_error (err, 0, FIELD ".listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
      goto out;
    }
  ret = 0;
out:
  if (fclose (steal_pointer (&key)) != 0 && ret == 0)
    ret = estiba_error_errno (err, FIELD ": building the cache key");
  return ret;
}

/* ------------------------------------------------------- compiling -- */

static bool
same_index_twice (const struct oci_seccomp_syscall *sc)
{
  unsigned int seen = 0;

  for (size_t j = 0; j < sc->args_len; j++)
    {
      if (seen & (1u << sc->args[j].index))
        return true;
      seen |= 1u << sc->args[j].index;
    }
  return false;
}

static int
add_rule (scmp_filter_ctx ctx, uint32_t action, int nr, const struct scmp_arg_cmp *conds, unsigned int n,
          const char *field, const char *name, estiba_error_t *err)
{
  int rc = seccomp_rule_add_array (ctx, action, nr, n, conds);

  if (rc < 0)
    return estiba_error (err, -rc, "%s: adding the rule for \"%s\"", field, name);
  return 0;
}

/* The rules of one syscalls[] entry.  Conditions on distinct arguments
 * all have to match (one rule); libseccomp cannot AND two conditions on
 * the same argument, so then every condition becomes a rule of its own
 * (matching any of them), as runc does.  */
static int
add_syscall_rules (scmp_filter_ctx ctx, const struct oci_seccomp_syscall *sc, size_t i,
                   uint32_t default_action, estiba_error_t *err)
{
  struct scmp_arg_cmp conds[MAX_ARGS * 8];
  char field[64];
  uint32_t action;
  bool split = same_index_twice (sc);

  snprintf (field, sizeof field, FIELD ".syscalls[%zu]", i);
  if (resolve_action (sc->action, sc->has_errno_ret, sc->errno_ret, field, "action", "errnoRet", &action, err)
      < 0)
    return -1;
  for (size_t j = 0; j < sc->args_len; j++)
    if (resolve_condition (&sc->args[j], field, &conds[j], err) < 0)
      return -1;
  /* libseccomp refuses rules that do what the default does.  */
  if (action == default_action)
    {
      estiba_debug ("%s: same action as defaultAction, skipped", field);
      return 0;
    }
  for (size_t j = 0; j < sc->names_len; j++)
    {
      int nr = seccomp_syscall_resolve_name (sc->names[j]);

      if (nr == __NR_SCMP_ERROR)
        {
          estiba_debug ("%s: syscall \"%s\" unknown to libseccomp on this architecture, skipped", field,
                        sc->names[j]);
          continue;
        }
      if (!split && add_rule (ctx, action, nr, conds, sc->args_len, field, sc->names[j], err) < 0)
        return -1;
      for (size_t k = 0; split && k < sc->args_len; k++)
        if (add_rule (ctx, action, nr, &conds[k], 1, field, sc->names[j], err) < 0)
          return -1;
    }
  return 0;
}

static int
export_program (scmp_filter_ctx ctx, struct estiba_seccomp *out, estiba_error_t *err)
{
  cleanup_close int fd = memfd_create ("estiba-seccomp-bpf", MFD_CLOEXEC);
  struct stat st;
  int rc;

  if (fd < 0)
    return estiba_error_errno (err, FIELD ": memfd_create");
  rc = seccomp_export_bpf (ctx, fd);
  if (rc < 0)
    return estiba_error (err, -rc, FIELD ": exporting the BPF program");
  if (fstat (fd, &st) < 0)
    return estiba_error_errno (err, FIELD ": fstat");
  if (st.st_size <= 0 || st.st_size % sizeof (struct sock_filter) != 0)
    return estiba_error (err, 0, FIELD ": libseccomp exported a program of %jd bytes", (intmax_t) st.st_size);
  out->len = st.st_size / sizeof (struct sock_filter);
  if (out->len > BPF_MAXINSNS)
    return estiba_error (err, 0, FIELD ": the filter has %zu instructions, the kernel takes at most %d",
                         out->len, BPF_MAXINSNS);
  out->insns = malloc (st.st_size);
  if (out->insns == NULL)
    return estiba_error_errno (err, FIELD ": malloc");
  if (pread (fd, out->insns, st.st_size, 0) != st.st_size)
    return estiba_error (err, errno, FIELD ": reading the exported BPF program");
  return 0;
}

static int
build_program (const struct oci_seccomp *s, const struct profile *p, struct estiba_seccomp *out,
               estiba_error_t *err)
{
  scmp_filter_ctx ctx = seccomp_init (p->default_action);
  int ret = -1;

  if (ctx == NULL)
    return estiba_error (err, 0, FIELD ".defaultAction: libseccomp refused \"%s\"", s->default_action);
  for (size_t i = 0; i < s->architectures_len; i++)
    {
      uint64_t arch = 0;
      int rc;

      LOOKUP (architectures, s->architectures[i], &arch);
      rc = seccomp_arch_add (ctx, (uint32_t) arch);
      /* The native architecture is always there.  */
      if (rc < 0 && rc != -EEXIST)
        {
          estiba_error (err, -rc, FIELD ".architectures[%zu]: adding \"%s\"", i, s->architectures[i]);
          goto out;
        }
    }
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (add_syscall_rules (ctx, &s->syscalls[i], i, p->default_action, err) < 0)
      goto out;
  ret = export_program (ctx, out, err);
out:
  seccomp_release (ctx);
  return ret;
}

/* ----------------------------------------------------------- cache -- *
 * <cache_dir>/<FNV-1a 64 of the key>.bpf holds a header, the whole key
 * and the program.  The key is compared in full on load, so a hash
 * collision is a cache miss, never somebody else's filter.  */

#define CACHE_MAGIC     "ESTIBA-SECCOMP-BPF 1\n"
#define CACHE_MAX_BYTES (16 * 1024 * 1024)

static uint64_t
fnv1a64 (const char *data, size_t len)
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (size_t i = 0; i < len; i++)
    {
      h ^= (unsigned char) data[i];
      h *= 0x100000001b3ULL;
    }
  return h;
}

static char *
cache_path (const char *cache_dir, const struct profile *p)
{
  char *path = NULL;

  if (asprintf (&path, "%s/%016" PRIx64 ".bpf", cache_dir, fnv1a64 (p->key, p->key_len)) < 0)
    return NULL;
  return path;
}

static bool
read_all (int fd, char *buf, size_t len)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t n = read (fd, buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      done += n;
    }
  return true;
}

/* Fill out from the cache; false on any miss (absent, foreign, corrupt).  */
static bool
cache_load (const char *path, const struct profile *p, struct estiba_seccomp *out)
{
  cleanup_close int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  const size_t head = sizeof CACHE_MAGIC - 1;
  uint64_t key_len, n;
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return false;
  /* Only a file we wrote ourselves may become a filter.  */
  if (!S_ISREG (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 022) || st.st_size > CACHE_MAX_BYTES)
    return false;
  buf = malloc (st.st_size + 1);
  if (buf == NULL || !read_all (fd, buf, st.st_size))
    return false;
  if ((size_t) st.st_size < head + 16 || memcmp (buf, CACHE_MAGIC, head) != 0)
    return false;
  memcpy (&key_len, buf + head, 8);
  if (key_len != p->key_len || (size_t) st.st_size < head + 16 + key_len
      || memcmp (buf + head + 8, p->key, key_len) != 0)
    return false;
  memcpy (&n, buf + head + 8 + key_len, 8);
  if (n == 0 || n > BPF_MAXINSNS
      || (size_t) st.st_size != head + 16 + key_len + n * sizeof (struct sock_filter))
    return false;
  out->insns = malloc (n * sizeof (struct sock_filter));
  if (out->insns == NULL)
    return false;
  memcpy (out->insns, buf + head + 16 + key_len, n * sizeof (struct sock_filter));
  out->len = n;
  return true;
}

static bool
write_all (int fd, const void *data, size_t len)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      p += n;
      len -= n;
    }
  return true;
}

/* Write to a temporary file and rename it into place, so a concurrent
 * start never reads half a program.  */
static int
cache_store (const char *cache_dir, const char *path, const struct profile *p,
             const struct estiba_seccomp *sc, estiba_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  uint64_t key_len = p->key_len, n = sc->len;
  bool ok;

  if (mkdir (cache_dir, 0700) < 0 && errno != EEXIST)
    return estiba_error_errno (err, "seccomp cache: mkdir '%s'", cache_dir);
  if (asprintf (&tmp, "%s.XXXXXX", path) < 0)
    return estiba_error_errno (err, "seccomp cache: asprintf");
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "seccomp cache: creating '%s'", tmp);
  ok = write_all (fd, CACHE_MAGIC, sizeof CACHE_MAGIC - 1) && write_all (fd, &key_len, 8)
       && write_all (fd, p->key, p->key_len) && write_all (fd, &n, 8)
       && write_all (fd, sc->insns, sc->len * sizeof (struct sock_filter));
  if (!ok || rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return estiba_error (err, saved, "seccomp cache: writing '%s'", path);
    }
  return 0;
}

/* -------------------------------------------------------------- API -- */

int
seccomp_compile (const struct oci_seccomp *s, const char *cache_dir, struct estiba_seccomp **out,
                 estiba_error_t *err)
{
  struct profile p = { 0 };
  cleanup_free char *path = NULL;
  struct estiba_seccomp *sc = NULL;
  int ret = -1;

  if (check_profile (s, &p, err) < 0)
    goto out;
  sc = calloc (1, sizeof *sc);
  if (sc == NULL)
    {
      estiba_error_errno (err, FIELD ": calloc");
      goto out;
    }
  sc->notify = p.notify;
  sc->flags = p.flags;
  if (p.notify)
    {
      sc->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      /* The kernel takes TSYNC with NEW_LISTENER only this way.  */
      if (sc->flags & SECCOMP_FILTER_FLAG_TSYNC)
        sc->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }
  else if (sc->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    {
      /* It only changes how a listener waits; without one the kernel
       * refuses it.  */
      estiba_debug (FIELD ".flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored, no SCMP_ACT_NOTIFY rule");
      sc->flags &= ~(unsigned int) SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }

  if (cache_dir)
    {
      path = cache_path (cache_dir, &p);
      if (path == NULL)
        {
          estiba_error_errno (err, "seccomp cache: asprintf");
          goto out;
        }
      sc->cached = cache_load (path, &p, sc);
    }
  if (!sc->cached)
    {
      if (build_program (s, &p, sc, err) < 0)
        goto out;
      if (path)
        {
          cleanup_error estiba_error_t cache_err = NULL;
          /* A cache we cannot write only costs time.  */
          if (cache_store (cache_dir, path, &p, sc, &cache_err) < 0)
            {
              cleanup_free char *msg = estiba_error_string (cache_err);
              estiba_warn ("%s", msg);
            }
        }
    }
  *out = steal_pointer (&sc);
  ret = 0;
out:
  seccomp_free (sc);
  free (p.key);
  return ret;
}

void
seccomp_free (struct estiba_seccomp *sc)
{
  if (sc == NULL)
    return;
  free (sc->insns);
  free (sc);
}

bool
seccomp_uses_notify (const struct estiba_seccomp *sc)
{
  return sc->notify;
}

bool
seccomp_from_cache (const struct estiba_seccomp *sc)
{
  return sc->cached;
}

size_t
seccomp_program_length (const struct estiba_seccomp *sc)
{
  return sc->len;
}

int
seccomp_install (const struct estiba_seccomp *sc, int *notify_fd, estiba_error_t *err)
{
  struct sock_fprog prog = { .len = (unsigned short) sc->len, .filter = sc->insns };
  long ret;

  *notify_fd = -1;
  ret = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog);
  if (ret < 0 && errno == EACCES)
    return estiba_error (err, EACCES,
                         "seccomp: loading the filter needs process.noNewPrivileges or CAP_SYS_ADMIN");
  if (ret < 0)
    return estiba_error_errno (err, "seccomp: loading the filter");
  if (sc->notify)
    *notify_fd = (int) ret;
  else if (ret > 0)
    /* TSYNC names the thread it could not synchronize.  */
    return estiba_error (err, 0, "seccomp: SECCOMP_FILTER_FLAG_TSYNC failed for thread %ld", ret);
  return 0;
}
