/* TAP tests for capabilities.c: configs applied in forked children, read
 * back from /proc/self/status.  */
#include <config.h>
#include "capabilities.h"
#include "process_attrs.h"
#include "cleanup.h"
#include "log.h"
#include "leaf-tap.h"

#include <inttypes.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>

struct cap_status
{
  uint64_t inh, prm, eff, bnd, amb;
};

static void
read_status (struct cap_status *s)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];

  memset (s, 0, sizeof (*s));
  while (f && fgets (line, sizeof (line), f))
    {
      sscanf (line, "CapInh: %" SCNx64, &s->inh);
      sscanf (line, "CapPrm: %" SCNx64, &s->prm);
      sscanf (line, "CapEff: %" SCNx64, &s->eff);
      sscanf (line, "CapBnd: %" SCNx64, &s->bnd);
      sscanf (line, "CapAmb: %" SCNx64, &s->amb);
    }
  if (f)
    fclose (f);
}

#define BIT(c) (UINT64_C (1) << (c))

static char *bounding[] = { (char *) "CAP_CHOWN",
                            (char *) "CAP_KILL",
                            (char *) "CAP_SETGID",
                            (char *) "CAP_SETUID",
                            (char *) "CAP_NET_BIND_SERVICE",
                            NULL };
static char *permitted[] = { (char *) "CAP_CHOWN", (char *) "CAP_KILL", (char *) "CAP_NET_BIND_SERVICE",
                             NULL };
static char *effective[] = { (char *) "CAP_KILL", (char *) "CAP_NET_BIND_SERVICE", NULL };
static char *inheritable[] = { (char *) "CAP_CHOWN", (char *) "CAP_NET_BIND_SERVICE", NULL };
static char *ambient[] = { (char *) "CAP_NET_BIND_SERVICE", NULL };

static struct oci_capabilities config = {
  .bounding = bounding,
  .bounding_len = 5,
  .permitted = permitted,
  .permitted_len = 3,
  .effective = effective,
  .effective_len = 2,
  .inheritable = inheritable,
  .inheritable_len = 2,
  .ambient = ambient,
  .ambient_len = 1,
};

static int
expect (uint64_t inh, uint64_t prm, uint64_t eff, uint64_t bnd, uint64_t amb)
{
  struct cap_status s;

  read_status (&s);
  printf ("# Inh %" PRIx64 " Prm %" PRIx64 " Eff %" PRIx64 " Bnd %" PRIx64 " Amb %" PRIx64 " uid %d\n", s.inh,
          s.prm, s.eff, s.bnd, s.amb, (int) getuid ());
  return s.inh == inh && s.prm == prm && s.eff == eff && s.bnd == bnd && s.amb == amb ? 0 : 2;
}

static int
as_root_child (void *arg)
{
  estiba_error_t err = NULL;

  if (capabilities_apply (arg, false, &err) < 0)
    return child_fail (&err, "capabilities_apply");
  return expect (BIT (CAP_CHOWN) | BIT (CAP_NET_BIND_SERVICE),
                 BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE),
                 BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE),
                 BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_SETGID) | BIT (CAP_SETUID)
                   | BIT (CAP_NET_BIND_SERVICE),
                 BIT (CAP_NET_BIND_SERVICE));
}

static int
user_change_child (void *arg)
{
  estiba_error_t err = NULL;
  struct oci_user u = { .uid = 1000, .gid = 1000 };

  if (capabilities_prepare_user_change (arg, &err) < 0)
    return child_fail (&err, "capabilities_prepare_user_change");
  if (apply_user_and_groups (&u, true, &err) < 0)
    return child_fail (&err, "apply_user_and_groups");
  if (capabilities_apply (arg, false, &err) < 0)
    return child_fail (&err, "capabilities_apply");
  if (getuid () != 1000 || prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return 3;
  return expect (BIT (CAP_CHOWN) | BIT (CAP_NET_BIND_SERVICE),
                 BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE),
                 BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE),
                 BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_SETGID) | BIT (CAP_SETUID)
                   | BIT (CAP_NET_BIND_SERVICE),
                 BIT (CAP_NET_BIND_SERVICE));
}

static int
exec_keeps_child (void *arg)
{
  estiba_error_t err = NULL;
  struct oci_user u = { .uid = 1000, .gid = 1000 };

  if (capabilities_prepare_user_change (arg, &err) < 0 || apply_user_and_groups (&u, true, &err) < 0
      || capabilities_apply (arg, false, &err) < 0)
    return child_fail (&err, "apply");
  /* After execve as uid 1000, only the ambient capability (and the
   * inheritable ones) survive, in permitted and effective.  */
  execl ("/bin/sh", "sh", "-c",
         "grep -q '^CapEff:.*0000000000000400$' /proc/self/status && grep -q '^CapPrm:.*0000000000000400$' "
         "/proc/self/status",
         NULL);
  return 4;
}

static int
empty_child (void *arg)
{
  estiba_error_t err = NULL;

  if (capabilities_apply (arg, false, &err) < 0)
    return child_fail (&err, "capabilities_apply");
  return expect (0, 0, 0, 0, 0);
}

static int
unknown_child (void *arg)
{
  estiba_error_t err = NULL;
  struct estiba_log log;
  const char *path = arg;
  char *names[] = { (char *) "CAP_KILL", (char *) "CAP_NOT_A_THING", (char *) "chown", NULL };
  struct oci_capabilities c = { .bounding = names,
                                .bounding_len = 3,
                                .permitted = names,
                                .permitted_len = 3,
                                .effective = names,
                                .effective_len = 3 };

  if (estiba_log_open (&log, path, "text", "warning", &err) < 0)
    return child_fail (&err, "log");
  estiba_log_use (&log);
  if (capabilities_apply (&c, false, &err) < 0)
    return child_fail (&err, "capabilities_apply");
  return expect (0, BIT (CAP_KILL), BIT (CAP_KILL), BIT (CAP_KILL), 0);
}

/* Ambient capabilities that are not inheritable cannot be raised: one
 * warning naming them, the rest applied.  */
static int
ambient_refused_child (void *arg)
{
  estiba_error_t err = NULL;
  struct estiba_log log;
  char *names[] = { (char *) "CAP_KILL", (char *) "CAP_CHOWN", NULL };
  struct oci_capabilities c = { .bounding = names,
                                .bounding_len = 2,
                                .permitted = names,
                                .permitted_len = 2,
                                .effective = names,
                                .effective_len = 2,
                                .ambient = names,
                                .ambient_len = 2 };

  if (estiba_log_open (&log, arg, "text", "debug", &err) < 0)
    return child_fail (&err, "log");
  estiba_log_use (&log);
  if (capabilities_apply (&c, false, &err) < 0)
    return child_fail (&err, "capabilities_apply");
  return expect (0, BIT (CAP_KILL) | BIT (CAP_CHOWN), BIT (CAP_KILL) | BIT (CAP_CHOWN),
                 BIT (CAP_KILL) | BIT (CAP_CHOWN), 0);
}

static void
read_log (const char *path, char *buf, size_t len)
{
  FILE *f = fopen (path, "r");
  size_t n = 0;

  if (f)
    {
      n = fread (buf, 1, len - 1, f);
      fclose (f);
    }
  buf[n] = '\0';
}

int
main (void)
{
  char logpath[] = "/tmp/estiba-test-caps.XXXXXX";
  char buf[1024] = "";
  cleanup_free char *unknown = NULL;
  char *bad[] = { (char *) "CAP_SYS_ADMIN", (char *) "CAP_BOGUS", (char *) "CAP_CHOWN", (char *) "CAP_FROB",
                  NULL };
  struct oci_capabilities c = { .effective = bad, .effective_len = 4 };
  int fd;

  ok (capabilities_parse_name ("CAP_SYS_ADMIN") == CAP_SYS_ADMIN
        && capabilities_parse_name ("CAP_CHOWN") == 0,
      "capability names parse");
  ok (capabilities_parse_name ("cap_chown") < 0 && capabilities_parse_name ("CHOWN") < 0
        && capabilities_parse_name ("12") < 0 && capabilities_parse_name ("CAP_BOGUS") < 0,
      "lowercase, unprefixed, numeric and unknown names are not capability names");
  unknown = capabilities_unknown_names (&c);
  ok (unknown && strcmp (unknown, "CAP_BOGUS, CAP_FROB") == 0, "unknown names are listed: %s", unknown);
  ok (in_child (as_root_child, &config) == 0, "as root: Inh/Prm/Eff/Bnd/Amb are exactly the config's");
  ok (in_child (user_change_child, &config) == 0, "across setuid 1000: the same sets, KEEPCAPS cleared");
  ok (in_child (exec_keeps_child, &config) == 0,
      "after execve as uid 1000 the ambient capability is effective");
  ok (in_child (empty_child, NULL) == 0, "no capabilities object: every set is empty");

  fd = mkstemp (logpath);
  close (fd);
  ok (in_child (unknown_child, logpath) == 0, "unknown names are skipped, the known ones applied");
  read_log (logpath, buf, sizeof (buf));
  ok (strstr (buf, "ignoring capabilities this kernel does not have: CAP_NOT_A_THING, chown") != NULL,
      "and logged as a warning (invalid names are refused earlier, by capabilities_validate): %.*s",
      (int) strcspn (buf, "\n"), buf);
  ok (in_child (ambient_refused_child, logpath) == 0,
      "ambient capabilities that are not inheritable are skipped");
  read_log (logpath, buf, sizeof (buf));
  ok (strstr (
        buf, "cannot raise CAP_KILL, CAP_CHOWN: an ambient capability must also be permitted and inheritable")
        != NULL,
      "with one debug line naming them (runc's default config asks for this, so no warning)");
  unlink (logpath);
  return tap_done ();
}
