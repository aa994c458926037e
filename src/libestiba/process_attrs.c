#include <config.h>
#include "process_attrs.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int
read_oom_score_adj (int *value)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/oom_score_adj", "re");

  return f && fscanf (f, "%d", value) == 1 ? 0 : -1;
}

int
apply_oom_score_adj (const struct oci_process *p, estiba_error_t *err)
{
  cleanup_close int fd = -1;
  char buf[16];
  int len, current = 0;

  if (p == NULL || !(p->has_oom_score_adj || p->oom_score_adj != 0))
    return 0;
  if (p->oom_score_adj < -1000 || p->oom_score_adj > 1000)
    return estiba_error (err, 0, "process.oomScoreAdj %d: must be between -1000 and 1000", p->oom_score_adj);
  fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return estiba_error_errno (err, "process.oomScoreAdj: open /proc/self/oom_score_adj");
  len = snprintf (buf, sizeof (buf), "%d", p->oom_score_adj);
  if (write (fd, buf, (size_t) len) == len)
    return 0;
  if (errno == EACCES && read_oom_score_adj (&current) == 0 && p->oom_score_adj < current)
    return estiba_error (err, 0,
                         "process.oomScoreAdj %d: lowering it below the current %d needs CAP_SYS_RESOURCE",
                         p->oom_score_adj, current);
  return estiba_error_errno (err, "process.oomScoreAdj %d: write /proc/self/oom_score_adj", p->oom_score_adj);
}

int
apply_personality (const struct oci_linux *l, estiba_error_t *err)
{
  const struct oci_linux_personality *pers = l ? l->personality : NULL;
  unsigned long domain;

  if (pers == NULL)
    return 0;
  if (pers->domain && strcmp (pers->domain, "LINUX") == 0)
    domain = PER_LINUX;
  else if (pers->domain && strcmp (pers->domain, "LINUX32") == 0)
    domain = PER_LINUX32;
  else
    return estiba_error (err, 0, "linux.personality.domain \"%s\": must be LINUX or LINUX32",
                         pers->domain ? pers->domain : "");
  if (pers->flags_len > 0)
    return estiba_error (err, 0, "linux.personality.flags \"%s\": no flags are supported", pers->flags[0]);
  if (personality (domain) < 0)
    return estiba_error_errno (err, "linux.personality: set %s", pers->domain);
  return 0;
}

int
apply_no_new_privs (const struct oci_process *p, estiba_error_t *err)
{
  if (p == NULL || !p->no_new_privileges)
    return 0;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return estiba_error_errno (err, "process.noNewPrivileges: prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

static int
set_groups (const struct oci_user *u, bool setgroups_allowed, estiba_error_t *err)
{
  gid_t *gids = (gid_t *) u->additional_gids;

  _Static_assert(sizeof (gid_t) == sizeof (uint32_t), "gid_t is 32 bits");
  if (!setgroups_allowed)
    {
      if (u->additional_gids_len > 0)
        return estiba_error (err, 0,
                             "process.user.additionalGids: cannot set additional groups when setgroups "
                             "is denied in the user namespace (rootless)");
      return 0;
    }
  /* Even with no additionalGids: the container must not keep the groups
   * of whoever started the runtime.  */
  if (setgroups (u->additional_gids_len, u->additional_gids_len ? gids : NULL) < 0)
    return estiba_error_errno (err, "process.user.additionalGids: setgroups");
  return 0;
}

int
apply_user_and_groups (const struct oci_user *u, bool setgroups_allowed, estiba_error_t *err)
{
  static const struct oci_user root = { 0 };

  if (u == NULL)
    u = &root;
  if (set_groups (u, setgroups_allowed, err) < 0)
    return -1;
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return estiba_error_errno (err, "process.user.gid %u: setresgid", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return estiba_error_errno (err, "process.user.uid %u: setresuid", u->uid);
  /* Unset: the spec says to keep the caller's umask.  */
  if (u->has_umask || u->umask != 0)
    umask ((mode_t) (u->umask & 0777));
  return 0;
}
