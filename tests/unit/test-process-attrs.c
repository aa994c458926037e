/* TAP tests for rlimits.c and process_attrs.c: each applies a config in a
 * forked child and reads the result back from the kernel.  */
#include <config.h>
#include "process_attrs.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <grp.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/capability.h>

static struct oci_rlimit
rl (const char *type, uint64_t soft, uint64_t hard)
{
  struct oci_rlimit r = {
    .type = (char *) type, .soft = soft, .hard = hard, .has_soft = true, .has_hard = true
  };
  return r;
}

/* Apply p's rlimits in a child; 0 when they read back as configured.  */
static int
rlimits_child (void *arg)
{
  const struct oci_process *p = arg;
  estiba_error_t err = NULL;
  size_t i;

  if (apply_rlimits (p, &err) < 0)
    return child_fail (&err, "apply_rlimits");
  for (i = 0; i < p->rlimits_len; i++)
    {
      struct rlimit got;
      getrlimit (rlimits_parse_type (p->rlimits[i].type), &got);
      if (got.rlim_cur != p->rlimits[i].soft || got.rlim_max != p->rlimits[i].hard)
        {
          printf ("# %s: got %llu/%llu\n", p->rlimits[i].type, (unsigned long long) got.rlim_cur,
                  (unsigned long long) got.rlim_max);
          return 2;
        }
    }
  return 0;
}

static void
test_rlimits (void)
{
  estiba_error_t err = NULL;
  struct oci_rlimit limits[4];
  struct oci_process p = { .rlimits = limits };
  struct rlimit host;
  int ret;

  limits[0] = rl ("RLIMIT_NOFILE", 1000, 2000);
  limits[1] = rl ("RLIMIT_CORE", 0, RLIM_INFINITY);
  limits[2] = rl ("RLIMIT_NPROC", 500, 600);
  limits[3] = rl ("RLIMIT_MSGQUEUE", 4096, 8192);
  p.rlimits_len = 4;
  ok (in_child (rlimits_child, &p) == 0,
      "four rlimits set and read back (NOFILE, CORE unlimited, NPROC, MSGQUEUE)");

  getrlimit (RLIMIT_NOFILE, &host);
  limits[0] = rl ("RLIMIT_NOFILE", 1024, (uint64_t) host.rlim_max + 1000);
  p.rlimits_len = 1;
  ret = in_child (rlimits_child, &p);
  ok (ret == 1, "RLIMIT_NOFILE hard above the host's hard limit fails");
  if (prctl (PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) == 0)
    {
      char want[160];
      snprintf (
        want, sizeof (want),
        "process.rlimits[0]: RLIMIT_NOFILE hard %llu exceeds the host hard limit %llu (no CAP_SYS_RESOURCE)",
        (unsigned long long) host.rlim_max + 1000, (unsigned long long) host.rlim_max);
      ret = apply_rlimits (&p, &err);
      ok_fails_with (ret, &err, want, "... saying the host hard limit and the missing CAP_SYS_RESOURCE");
    }
  else
    ok (true, "# SKIP host has CAP_SYS_RESOURCE: hard-limit message not testable");

  limits[0] = rl ("RLIMIT_FOO", 1, 1);
  ret = rlimits_validate (&p, &err);
  ok_fails_with (ret, &err, "process.rlimits[0]: unknown type \"RLIMIT_FOO\"", "an unknown type is refused");
  limits[0] = rl ("RLIMIT_NOFILE", 10, 5);
  ret = rlimits_validate (&p, &err);
  ok_fails_with (ret, &err, "process.rlimits[0]: RLIMIT_NOFILE soft 10 is above hard 5",
                 "soft above hard is refused");
  limits[0] = rl ("RLIMIT_CORE", 0, 0);
  limits[1] = rl ("RLIMIT_CORE", 1, 1);
  p.rlimits_len = 2;
  ret = rlimits_validate (&p, &err);
  ok_fails_with (ret, &err, "process.rlimits[1]: RLIMIT_CORE is already set by process.rlimits[0]",
                 "a duplicated type is refused");
}

static int
oom_child (void *arg)
{
  const struct oci_process *p = arg;
  estiba_error_t err = NULL;
  char buf[16] = "";
  FILE *f;

  if (apply_oom_score_adj (p, &err) < 0)
    return child_fail (&err, "apply_oom_score_adj");
  f = fopen ("/proc/self/oom_score_adj", "r");
  if (f == NULL || fgets (buf, sizeof (buf), f) == NULL)
    return 2;
  fclose (f);
  return atoi (buf) == p->oom_score_adj ? 0 : 3;
}

static void
test_oom (void)
{
  estiba_error_t err = NULL;
  struct oci_process p = { 0 };
  int ret;

  OCI_SET (&p, oom_score_adj, 423);
  ok (in_child (oom_child, &p) == 0, "oomScoreAdj 423 is written and reads back");
  OCI_SET (&p, oom_score_adj, 1001);
  ret = apply_oom_score_adj (&p, &err);
  ok_fails_with (ret, &err, "process.oomScoreAdj 1001: must be between -1000 and 1000",
                 "out of range is refused");
  p.has_oom_score_adj = false;
  p.oom_score_adj = 0;
  ok (apply_oom_score_adj (&p, &err) == 0, "absent: nothing is changed");
}

static int
personality_child (void *arg)
{
  struct oci_linux *l = arg;
  estiba_error_t err = NULL;
  struct utsname u;

  if (apply_personality (l, &err) < 0)
    return child_fail (&err, "apply_personality");
  uname (&u);
  printf ("# uname -m: %s\n", u.machine);
  return (personality (0xffffffff) & PER_MASK) == PER_LINUX32 && strcmp (u.machine, "i686") == 0 ? 0 : 2;
}

static void
test_personality (void)
{
  estiba_error_t err = NULL;
  char *flags[] = { (char *) "ADDR_NO_RANDOMIZE", NULL };
  struct oci_linux_personality pers = { .domain = (char *) "LINUX32" };
  struct oci_linux l = { .personality = &pers };
  int ret;

  ok (in_child (personality_child, &l) == 0, "personality LINUX32: uname reports i686");
  pers.domain = (char *) "BSD";
  ret = apply_personality (&l, &err);
  ok_fails_with (ret, &err, "linux.personality.domain \"BSD\": must be LINUX or LINUX32",
                 "unknown domain refused");
  pers.domain = (char *) "LINUX";
  pers.flags = flags;
  pers.flags_len = 1;
  ret = apply_personality (&l, &err);
  ok_fails_with (ret, &err, "no flags are supported", "flags are refused");
}

static int
nnp_child (void *arg)
{
  estiba_error_t err = NULL;

  if (apply_no_new_privs (arg, &err) < 0)
    return child_fail (&err, "apply_no_new_privs");
  return prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 2;
}

static int
user_child (void *arg)
{
  const struct oci_user *u = arg;
  estiba_error_t err = NULL;
  gid_t groups[8];
  uid_t r, e, s;
  gid_t gr, ge, gs;
  int n;

  umask (0);
  if (apply_user_and_groups (u, true, &err) < 0)
    return child_fail (&err, "apply_user_and_groups");
  getresuid (&r, &e, &s);
  getresgid (&gr, &ge, &gs);
  n = getgroups (8, groups);
  printf ("# uid %u/%u/%u gid %u/%u/%u groups %d umask %03o\n", r, e, s, gr, ge, gs, n, umask (0));
  if (r != 1000 || e != 1000 || s != 1000 || gr != 1001 || ge != 1001 || gs != 1001)
    return 2;
  if (n != 2 || groups[0] != 5 || groups[1] != 6)
    return 3;
  umask (u->umask);
  return umask (0) == 027 ? 0 : 4;
}

static int
no_groups_child (void *arg)
{
  struct oci_user u = { .uid = 0, .gid = 0 };
  estiba_error_t err = NULL;
  gid_t g = 4;

  (void) arg;
  setgroups (1, &g);
  umask (022);
  if (apply_user_and_groups (&u, true, &err) < 0)
    return child_fail (&err, "apply_user_and_groups");
  if (getgroups (0, NULL) != 0)
    return 2;
  return umask (0) == 022 ? 0 : 3;
}

static void
test_user (void)
{
  estiba_error_t err = NULL;
  uint32_t gids[] = { 5, 6 };
  struct oci_user u = { .uid = 1000, .gid = 1001, .additional_gids = gids, .additional_gids_len = 2 };
  struct oci_process p = { .no_new_privileges = true };
  int ret;

  ok (in_child (nnp_child, &p) == 0, "noNewPrivileges sets no_new_privs");
  OCI_SET (&u, umask, 027);
  ok (in_child (user_child, &u) == 0, "uid 1000, gid 1001, groups 5 6, umask 027 (real, effective, saved)");
  ok (in_child (no_groups_child, NULL) == 0,
      "without additionalGids the runtime's groups are dropped, umask kept");
  ret = apply_user_and_groups (&u, false, &err);
  ok_fails_with (ret, &err, "cannot set additional groups when setgroups is denied",
                 "additionalGids with setgroups denied is refused");
}

int
main (void)
{
  test_rlimits ();
  test_oom ();
  test_personality ();
  test_user ();
  return tap_done ();
}
