/* The cgroup2 eBPF device filter (cgroup_bpf_devices.c): programs generated
 * for typical rule lists are run on sample requests by a small eBPF
 * interpreter below (so a wrong program fails here, whatever the kernel),
 * each is offered to the kernel's verifier, and one is attached to a real
 * cgroup2 directory where a child opens device nodes under it.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "cgroup_devices.h"
#include "cleanup.h"
#include "leaf-tap.h"

/* ---- the interpreter ---- */

#define CTX_ADDRESS 0x1000 /* where r1 points: the context's fake address */

/* Run the program on ctx: 0 with *verdict set, or -1 with why filled when
 * the program does something a cgroup device program may not (or this
 * interpreter does not know: then it is not what the generator should
 * emit either).  */
static int
run_program (const struct bpf_insn *insns, size_t count, const struct bpf_cgroup_dev_ctx *ctx,
             uint64_t *verdict, char *why, size_t whylen)
{
  uint64_t r[MAX_BPF_REG] = { 0 };
  bool set[MAX_BPF_REG] = { false };
  size_t pc = 0, steps = 0;

  r[BPF_REG_1] = CTX_ADDRESS;
  set[BPF_REG_1] = true;
  while (pc < count)
    {
      const struct bpf_insn *i = &insns[pc];
      uint8_t cls = BPF_CLASS (i->code), op = BPF_OP (i->code);
      bool is_x = BPF_SRC (i->code) == BPF_X;
      uint64_t src, dst;

      if (++steps > 100000)
        return snprintf (why, whylen, "does not terminate"), -1;
      if (i->dst_reg >= MAX_BPF_REG || i->src_reg >= MAX_BPF_REG)
        return snprintf (why, whylen, "bad register at %zu", pc), -1;
      if (cls != BPF_LDX && is_x && !set[i->src_reg])
        return snprintf (why, whylen, "reads unset r%d at %zu", i->src_reg, pc), -1;
      src = is_x ? r[i->src_reg] : (uint64_t) (int64_t) i->imm;
      dst = r[i->dst_reg];
      switch (cls)
        {
          case BPF_LDX:
            {
              int64_t off = (int64_t) r[i->src_reg] - CTX_ADDRESS + i->off;
              uint32_t v;
              if (BPF_MODE (i->code) != BPF_MEM || BPF_SIZE (i->code) != BPF_W || i->src_reg != BPF_REG_1
                  || r[BPF_REG_1] != CTX_ADDRESS || off < 0 || off % 4 != 0
                  || off + 4 > (int64_t) sizeof (*ctx))
                return snprintf (why, whylen, "bad load at %zu", pc), -1;
              memcpy (&v, (const char *) ctx + off, 4);
              r[i->dst_reg] = v;
              set[i->dst_reg] = true;
              pc++;
              continue;
            }
          case BPF_ALU:
          case BPF_ALU64:
            {
              uint64_t v;
              if (i->dst_reg == BPF_REG_10 || (op != BPF_MOV && !set[i->dst_reg]))
                return snprintf (why, whylen, "ALU on unset or frame register at %zu", pc), -1;
              if (cls == BPF_ALU)
                {
                  src = (uint32_t) src;
                  dst = (uint32_t) dst;
                }
              switch (op)
                {
                  case BPF_MOV:
                    v = src;
                    break;
                  case BPF_ADD:
                    v = dst + src;
                    break;
                  case BPF_SUB:
                    v = dst - src;
                    break;
                  case BPF_AND:
                    v = dst & src;
                    break;
                  case BPF_OR:
                    v = dst | src;
                    break;
                  case BPF_XOR:
                    v = dst ^ src;
                    break;
                  case BPF_LSH:
                    v = dst << (src & (cls == BPF_ALU ? 31 : 63));
                    break;
                  case BPF_RSH:
                    v = dst >> (src & (cls == BPF_ALU ? 31 : 63));
                    break;
                  default:
                    return snprintf (why, whylen, "unknown ALU op %#x at %zu", i->code, pc), -1;
                }
              r[i->dst_reg] = cls == BPF_ALU ? (uint32_t) v : v;
              set[i->dst_reg] = true;
              pc++;
              continue;
            }
          case BPF_JMP:
            {
              bool taken;
              if (op == BPF_EXIT)
                {
                  if (!set[BPF_REG_0])
                    return snprintf (why, whylen, "exits with r0 unset at %zu", pc), -1;
                  *verdict = r[BPF_REG_0];
                  return 0;
                }
              if (op != BPF_JA && !set[i->dst_reg])
                return snprintf (why, whylen, "compares unset r%d at %zu", i->dst_reg, pc), -1;
              switch (op)
                {
                  case BPF_JA:
                    taken = true;
                    break;
                  case BPF_JEQ:
                    taken = dst == src;
                    break;
                  case BPF_JNE:
                    taken = dst != src;
                    break;
                  case BPF_JGT:
                    taken = dst > src;
                    break;
                  case BPF_JGE:
                    taken = dst >= src;
                    break;
                  case BPF_JLT:
                    taken = dst < src;
                    break;
                  case BPF_JLE:
                    taken = dst <= src;
                    break;
                  case BPF_JSET:
                    taken = (dst & src) != 0;
                    break;
                  default:
                    return snprintf (why, whylen, "unknown jump op %#x at %zu", i->code, pc), -1;
                }
              /* Forward only: the filter has no loops.  */
              if (i->off < 0)
                return snprintf (why, whylen, "backward jump at %zu", pc), -1;
              pc += 1 + (taken ? (size_t) i->off : 0);
              continue;
            }
          default:
            return snprintf (why, whylen, "unknown instruction class %#x at %zu", i->code, pc), -1;
        }
    }
  return snprintf (why, whylen, "runs off the end"), -1;
}

/* ---- requests and rule lists ---- */

struct request
{
  char type; /* 'c' or 'b' */
  uint32_t major, minor;
  const char *access; /* some of "rwm" */
  bool allowed;
};

static uint32_t
access_bits (const char *access)
{
  return (strchr (access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) | (strchr (access, 'r') ? BPF_DEVCG_ACC_READ : 0)
         | (strchr (access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

static int
bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

/* The kernel's verifier accepts the program (skipped without bpf()).  */
static void
check_verifier (const char *name, const struct bpf_insn *insns, size_t count)
{
  static char log[65536];
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) count;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  log[0] = '\0';
  fd = bpf (BPF_PROG_LOAD, &attr);
  if (fd < 0 && (errno == EPERM || errno == ENOSYS))
    {
      printf ("ok %d - # SKIP %s: bpf() unavailable (%s)\n", ++tap_count, name, strerror (errno));
      return;
    }
  if (!ok (fd >= 0, "%s: the kernel's verifier accepts the program (%zu instructions)", name, count))
    printf ("# %s\n# %s\n", strerror (errno), log);
  if (fd >= 0)
    close (fd);
}

static void
check_rules (const char *name, const struct cgroup_device_rule *rules, size_t n, const struct request *reqs,
             size_t nreqs)
{
  cleanup_free void *insns = NULL;
  estiba_error_t err = NULL;
  size_t count = 0, i;
  int ret;

  ret = cgroup_bpf_devices_program (rules, n, &insns, &count, &err);
  ok_call (ret, &err, "%s: the program is generated", name);
  if (ret < 0)
    return;
  check_verifier (name, insns, count);
  for (i = 0; i < nreqs; i++)
    {
      const struct request *q = &reqs[i];
      struct bpf_cgroup_dev_ctx ctx = {
        .access_type =
          (access_bits (q->access) << 16) | (q->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
        .major = q->major,
        .minor = q->minor,
      };
      uint64_t verdict = 2;
      char why[128] = "";
      int r = run_program (insns, count, &ctx, &verdict, why, sizeof why);

      if (!ok (r == 0 && verdict == (q->allowed ? 1 : 0), "%s: %c %u:%u %s is %s", name, q->type, q->major,
               q->minor, q->access, q->allowed ? "allowed" : "denied"))
        printf ("# %s%s verdict %llu\n", r < 0 ? "program error: " : "", why, (unsigned long long) verdict);
    }
}

#define ANY                      -1
#define RULES(...)               ((const struct cgroup_device_rule[]){ __VA_ARGS__ })
#define REQS(...)                ((const struct request[]){ __VA_ARGS__ })
#define N(a)                     (sizeof (a) / sizeof ((a)[0]))
#define CHECK(name, rules, reqs) check_rules (name, rules, N (rules), reqs, N (reqs))

static void
test_programs (void)
{
  /* runc's default set after "deny a": mknod of any node, the usual
   * character devices, the ptys.  */
  CHECK ("default deny",
         RULES ({ false, 'a', ANY, ANY, "rwm" }, { true, 'c', ANY, ANY, "m" }, { true, 'b', ANY, ANY, "m" },
                { true, 'c', 1, 3, "rwm" }, { true, 'c', 1, 5, "rwm" }, { true, 'c', 136, ANY, "rwm" }),
         REQS ({ 'c', 1, 3, "r", true }, { 'c', 1, 3, "w", true }, { 'c', 1, 3, "rw", true },
               { 'c', 1, 3, "m", true }, { 'c', 1, 5, "rw", true }, { 'c', 1, 4, "r", false },
               { 'b', 1, 3, "r", false }, { 'b', 8, 0, "m", true }, { 'c', 9, 9, "m", true },
               { 'c', 9, 9, "r", false }, { 'c', 9, 9, "rm", false }, { 'c', 136, 0, "rw", true },
               { 'c', 136, 4242, "w", true }, { 'c', 137, 0, "r", false }, { 'b', 136, 0, "r", false }));

  CHECK ("access subsets",
         RULES ({ false, 'a', ANY, ANY, "rwm" }, { true, 'c', 1, 5, "r" }, { true, 'c', 10, 200, "rw" }),
         REQS ({ 'c', 1, 5, "r", true }, { 'c', 1, 5, "w", false }, { 'c', 1, 5, "rw", false },
               { 'c', 1, 5, "m", false }, { 'c', 10, 200, "rw", true }, { 'c', 10, 200, "w", true },
               { 'c', 10, 200, "m", false }, { 'c', 10, 200, "rwm", false }));

  CHECK ("wildcard major and minor",
         RULES ({ false, 'a', ANY, ANY, "rwm" }, { true, 'c', ANY, 7, "rwm" }, { true, 'b', 8, ANY, "r" }),
         REQS ({ 'c', 4, 7, "r", true }, { 'c', 250, 7, "rwm", true }, { 'c', 4, 8, "r", false },
               { 'b', 4, 7, "r", false }, { 'b', 8, 0, "r", true }, { 'b', 8, 16, "r", true },
               { 'b', 8, 0, "w", false }, { 'c', 8, 0, "r", false }));

  CHECK ("trailing allow-all",
         RULES ({ false, 'a', ANY, ANY, "rwm" }, { true, 'c', 1, 3, "rwm" }, { true, 'a', ANY, ANY, "rwm" }),
         REQS ({ 'b', 8, 0, "rwm", true }, { 'c', 1, 3, "r", true }, { 'c', 99, 99, "w", true }));

  CHECK ("trailing deny-all", RULES ({ true, 'c', 1, 3, "rwm" }, { false, 'a', ANY, ANY, "rwm" }),
         REQS ({ 'c', 1, 3, "r", false }, { 'b', 8, 0, "m", false }));

  CHECK ("default allow with denies",
         RULES ({ true, 'a', ANY, ANY, "rwm" }, { false, 'c', 1, 3, "rwm" }, { false, 'b', ANY, ANY, "w" }),
         REQS ({ 'c', 1, 3, "r", false }, { 'c', 1, 3, "m", false }, { 'c', 1, 4, "r", true },
               { 'b', 8, 0, "r", true }, { 'b', 8, 0, "m", true }, { 'b', 8, 0, "w", false },
               { 'b', 8, 0, "rw", false }, { 'c', 5, 0, "rwm", true }));

  /* A later rule overrides the earlier ones for the accesses it names, as
   * in v1's lists: denying w of an allowed device leaves r and m.  */
  CHECK ("later partial deny",
         RULES ({ false, 'a', ANY, ANY, "rwm" }, { true, 'c', 1, 3, "rwm" }, { false, 'c', 1, 3, "w" }),
         REQS ({ 'c', 1, 3, "r", true }, { 'c', 1, 3, "m", true }, { 'c', 1, 3, "w", false },
               { 'c', 1, 3, "rw", false }, { 'c', 1, 3, "rwm", false }));

  CHECK ("later partial allow",
         RULES ({ false, 'a', ANY, ANY, "rwm" }, { false, 'c', 1, 3, "rwm" }, { true, 'c', 1, 3, "r" }),
         REQS ({ 'c', 1, 3, "r", true }, { 'c', 1, 3, "w", false }, { 'c', 1, 3, "rw", false }));

  /* v1 merges the accesses of two allows of the same device.  */
  CHECK ("allows that add up",
         RULES ({ false, 'a', ANY, ANY, "rwm" }, { true, 'c', 1, 3, "r" }, { true, 'c', 1, 3, "w" }),
         REQS ({ 'c', 1, 3, "r", true }, { 'c', 1, 3, "w", true }, { 'c', 1, 3, "rw", true },
               { 'c', 1, 3, "rwm", false }));

  CHECK ("a wildcard deny of one access under a default allow",
         RULES ({ true, 'a', ANY, ANY, "rwm" }, { false, 'c', ANY, ANY, "m" }),
         REQS ({ 'c', 1, 3, "rw", true }, { 'c', 1, 3, "m", false }, { 'c', 1, 3, "rm", false },
               { 'b', 8, 0, "m", true }));

  check_rules ("no rules", NULL, 0,
               REQS ({ 'c', 1, 3, "r", false }, { 'b', 8, 0, "m", false }, { 'c', 0, 0, "w", false }), 3);
  CHECK ("allow-all alone", RULES ({ true, 'a', ANY, ANY, "rwm" }),
         REQS ({ 'c', 1, 3, "rwm", true }, { 'b', 259, 1, "r", true }));
  /* The largest numbers the kernel passes: 12-bit major, 20-bit minor.  */
  CHECK ("large numbers", RULES ({ false, 'a', ANY, ANY, "rwm" }, { true, 'c', 4095, 1048575, "rw" }),
         REQS ({ 'c', 4095, 1048575, "rw", true }, { 'c', 4095, 1048574, "r", false },
               { 'c', 4094, 1048575, "r", false }));
}

static void
test_too_many_rules (void)
{
  struct cgroup_device_rule rules[2000];
  cleanup_free void *insns = NULL;
  estiba_error_t err = NULL;
  size_t count = 0, i;
  int ret;

  for (i = 0; i < N (rules); i++)
    rules[i] = (struct cgroup_device_rule){ true, 'c', (int64_t) i, (int64_t) i, "rw" };
  ret = cgroup_bpf_devices_program (rules, N (rules), &insns, &count, &err);
  ok_fails_with (ret, &err, "linux.resources.devices: too many rules",
                 "2000 rules are refused with an error naming linux.resources.devices");
}

/* ---- the program attached to a real cgroup2 directory ---- */

static const char *
cgroup2_mount (void)
{
  static const char *const candidates[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
  struct statfs st;
  size_t i;

  for (i = 0; i < N (candidates); i++)
    if (statfs (candidates[i], &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
      return candidates[i];
  return NULL;
}

static const char *cgroup_dir;

static int
try_open (const char *path, int flags)
{
  int fd = open (path, flags | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  close (fd);
  return 0;
}

/* In the child: join the cgroup, then open nodes the rules allow and
 * deny.  */
static int
opens_in_cgroup (void *arg)
{
  cleanup_free char *procs = NULL;
  char pid[32];
  int fd, failed = 0;

  (void) arg;
  if (asprintf (&procs, "%s/cgroup.procs", cgroup_dir) < 0 || (fd = open (procs, O_WRONLY | O_CLOEXEC)) < 0)
    return printf ("# open cgroup.procs: %s\n", strerror (errno)), 1;
  snprintf (pid, sizeof pid, "%d", getpid ());
  if (write (fd, pid, strlen (pid)) < 0)
    return printf ("# join the cgroup: %s\n", strerror (errno)), 1;
  close (fd);
#define EXPECT(path, flags, want)                                                                            \
  do                                                                                                         \
    {                                                                                                        \
      int got_ = try_open (path, flags);                                                                     \
      if (got_ != (want))                                                                                    \
        {                                                                                                    \
          printf ("# open %s %s: got %s, expected %s\n", path, #flags, got_ ? strerror (-got_) : "success",  \
                  (want) ? strerror (-(want)) : "success");                                                  \
          failed = 1;                                                                                        \
        }                                                                                                    \
    }                                                                                                        \
  while (0)
  EXPECT ("/dev/null", O_RDWR, 0);
  EXPECT ("/dev/zero", O_RDONLY, 0);
  EXPECT ("/dev/zero", O_WRONLY, -EPERM);
  EXPECT ("/dev/zero", O_RDWR, -EPERM);
  EXPECT ("/dev/full", O_RDONLY, -EPERM);
  EXPECT ("/dev/random", O_RDONLY, -EPERM);
  return failed;
}

static void
test_attached (void)
{
  static const struct cgroup_device_rule rules[] = {
    { false, 'a', ANY, ANY, "rwm" },
    { true, 'c', 1, 3, "rwm" }, /* null */
    { true, 'c', 1, 5, "rwm" }, /* zero */
    { false, 'c', 1, 5, "w" },  /* ... but read-only */
  };
  const char *mnt = cgroup2_mount ();
  cleanup_free char *dir = NULL;
  estiba_error_t err = NULL;
  int ret;

  if (mnt == NULL || getuid () != 0)
    {
      printf ("ok %d - # SKIP no cgroup2 mount or not root\n", ++tap_count);
      return;
    }
  if (asprintf (&dir, "%s/test-bpf-devices.%d", mnt, getpid ()) < 0 || mkdir (dir, 0755) < 0)
    {
      ok (false, "create the cgroup %s: %s", dir ? dir : "", strerror (errno));
      return;
    }
  cgroup_dir = dir;
  ret = cgroup_bpf_devices_attach (dir, rules, N (rules), &err);
  ok_call (ret, &err, "the filter attaches to %s", dir);
  if (ret == 0)
    ok (
      in_child (opens_in_cgroup, NULL) == 0,
      "in the cgroup: /dev/null opens read-write, /dev/zero read-only, /dev/full and /dev/random not at all");
  /* The child has exited: the cgroup is empty and goes, with the program.  */
  if (rmdir (dir) < 0)
    ok (false, "remove the cgroup %s: %s", dir, strerror (errno));
}

int
main (void)
{
  test_programs ();
  test_too_many_rules ();
  test_attached ();
  return tap_done ();
}
