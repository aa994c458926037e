/* The cgroup2 device filter: an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE generated from the container's device rules
 * (see cgroup_devices.h).  The kernel runs it on every open and mknod of a
 * device node with a struct bpf_cgroup_dev_ctx: access_type holds the
 * device type (BPF_DEVCG_DEV_BLOCK/CHAR) in its low 16 bits and the
 * requested access (BPF_DEVCG_ACC_MKNOD/READ/WRITE) in its high 16 bits,
 * then major and minor; the program returns 1 to allow, 0 to deny.
 *
 * The rules are checked from the last to the first, so for each requested
 * access the last rule that names it for the device decides, as when v1
 * applies them in order (a later "deny c 1:3 w" takes w away from an
 * earlier "allow c 1:3 rwm"; "allow c 1:3 r" and "allow c 1:3 w" add up to
 * rw).  r2 holds the requested accesses no rule has decided yet: a
 * matching deny that names one of them denies, a matching allow removes
 * its accesses and allows once none is left.  */
#include <config.h>
#include "cgroup_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

/* Registers: r1 the context, r2 requested access, r3 device type, r4
 * major, r5 minor, r6 scratch.  */
enum
{
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6
};

struct program
{
  struct bpf_insn *insns;
  size_t len, cap;
};

static int
emit (struct program *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  if (p->len == p->cap)
    {
      size_t cap = p->cap ? p->cap * 2 : 64;
      struct bpf_insn *n = realloc (p->insns, cap * sizeof (*n));
      if (n == NULL)
        return -1;
      p->insns = n;
      p->cap = cap;
    }
  p->insns[p->len] =
    (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
  p->len++;
  return 0;
}

/* Jumps to the next rule's block are emitted with this offset and fixed
 * once the block's end is known.  */
#define TO_NEXT_RULE INT16_MIN

static int
emit_jne (struct program *p, uint8_t reg, int32_t imm)
{
  return emit (p, BPF_JMP | BPF_JNE | BPF_K, reg, 0, TO_NEXT_RULE, imm);
}

static int
emit_return (struct program *p, int32_t verdict)
{
  if (emit (p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, verdict) < 0)
    return -1;
  return emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int32_t
access_bits (const char *access)
{
  int32_t bits = 0;
  if (strchr (access, 'm'))
    bits |= BPF_DEVCG_ACC_MKNOD;
  if (strchr (access, 'r'))
    bits |= BPF_DEVCG_ACC_READ;
  if (strchr (access, 'w'))
    bits |= BPF_DEVCG_ACC_WRITE;
  return bits;
}

static int
emit_prologue (struct program *p)
{
  return emit (p, BPF_LDX | BPF_MEM | BPF_W, R2, R1, offsetof (struct bpf_cgroup_dev_ctx, access_type), 0) < 0
             || emit (p, BPF_ALU64 | BPF_MOV | BPF_X, R3, R2, 0, 0) < 0
             || emit (p, BPF_ALU64 | BPF_AND | BPF_K, R3, 0, 0, 0xffff) < 0
             || emit (p, BPF_ALU64 | BPF_RSH | BPF_K, R2, 0, 0, 16) < 0
             || emit (p, BPF_LDX | BPF_MEM | BPF_W, R4, R1, offsetof (struct bpf_cgroup_dev_ctx, major), 0)
                  < 0
             || emit (p, BPF_LDX | BPF_MEM | BPF_W, R5, R1, offsetof (struct bpf_cgroup_dev_ctx, minor), 0)
                  < 0
           ? -1
           : 0;
}

/* The accesses of a rule that matches the device: a deny naming an
 * undecided access denies; an allow decides its accesses and allows when
 * none is left undecided.  Otherwise fall through to the next rule.  */
static int
emit_rule_access (struct program *p, bool allow, int32_t acc)
{
  const int32_t all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

  if (acc == all)
    return emit_return (p, allow ? 1 : 0);
  if (!allow)
    {
      if (emit (p, BPF_ALU64 | BPF_MOV | BPF_X, R6, R2, 0, 0) < 0
          || emit (p, BPF_ALU64 | BPF_AND | BPF_K, R6, 0, 0, acc) < 0
          || emit (p, BPF_JMP | BPF_JEQ | BPF_K, R6, 0, TO_NEXT_RULE, 0) < 0)
        return -1;
      return emit_return (p, 0);
    }
  if (emit (p, BPF_ALU64 | BPF_AND | BPF_K, R2, 0, 0, ~acc & all) < 0 || emit_jne (p, R2, 0) < 0)
    return -1;
  return emit_return (p, 1);
}

/* One rule: fall through to the next block unless it matches the device,
 * else decide its accesses.  */
static int
emit_rule (struct program *p, const struct cgroup_device_rule *r)
{
  size_t start = p->len, i;

  if (r->type != 'a' && emit_jne (p, R3, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK) < 0)
    return -1;
  if (r->type != 'a' && r->major >= 0 && emit_jne (p, R4, (int32_t) r->major) < 0)
    return -1;
  if (r->type != 'a' && r->minor >= 0 && emit_jne (p, R5, (int32_t) r->minor) < 0)
    return -1;
  if (emit_rule_access (p, r->allow, access_bits (r->access)) < 0)
    return -1;
  for (i = start; i < p->len; i++)
    if (p->insns[i].off == TO_NEXT_RULE)
      p->insns[i].off = (int16_t) (p->len - i - 1);
  return 0;
}

int
cgroup_bpf_devices_program (const struct cgroup_device_rule *rules, size_t n, void **insns, size_t *count,
                            estiba_error_t *err)
{
  struct program p = { 0 };
  bool default_allow = false;
  size_t i, first = 0;

  /* Everything before the last "a" rule is overridden by it: start there,
   * with its verdict as the default.  */
  for (i = 0; i < n; i++)
    if (rules[i].type == 'a' && strcmp (rules[i].access, "rwm") == 0)
      {
        default_allow = rules[i].allow;
        first = i + 1;
      }
  if (emit_prologue (&p) < 0)
    goto oom;
  for (i = n; i > first; i--)
    if (emit_rule (&p, &rules[i - 1]) < 0)
      goto oom;
  if (emit_return (&p, default_allow ? 1 : 0) < 0)
    goto oom;
  if (p.len > 4096)
    {
      free (p.insns);
      return estiba_error (err, 0, "linux.resources.devices: too many rules for the device filter");
    }
  *insns = p.insns;
  *count = p.len;
  return 0;
oom:
  free (p.insns);
  return estiba_error_errno (err, "malloc");
}

static int
bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

static int
load_program (const void *insns, size_t count, char *log, size_t log_size)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) count;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  if (log)
    {
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = (uint32_t) log_size;
      attr.log_level = 1;
    }
  return bpf (BPF_PROG_LOAD, &attr);
}

int
cgroup_bpf_devices_attach (const char *dir, const struct cgroup_device_rule *rules, size_t n,
                           estiba_error_t *err)
{
  cleanup_free void *insns = NULL;
  cleanup_close int prog = -1, dirfd = -1;
  char log[4096] = "";
  union bpf_attr attr;
  size_t count = 0;

  if (cgroup_bpf_devices_program (rules, n, &insns, &count, err) < 0)
    return -1;
  prog = load_program (insns, count, NULL, 0);
  if (prog < 0)
    {
      /* Load again with the verifier's log to say why.  */
      int saved = errno;
      load_program (insns, count, log, sizeof log);
      return estiba_error (err, saved, "linux.resources.devices: load the eBPF device filter%s%s",
                           *log ? ": " : "", log);
    }
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return estiba_error_errno (err, "open '%s'", dir);
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t) dirfd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf (BPF_PROG_ATTACH, &attr) < 0)
    return estiba_error_errno (err, "linux.resources.devices: attach the eBPF device filter to '%s'", dir);
  return 0;
}
