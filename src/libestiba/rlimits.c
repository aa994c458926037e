#include <config.h>
#include "rlimits.h"
#include "cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

struct rlimit_name
{
  const char *name;
  int resource;
};

static const struct rlimit_name rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
rlimits_parse_type (const char *type)
{
  size_t i;

  for (i = 0; type && i < sizeof (rlimit_names) / sizeof (rlimit_names[0]); i++)
    if (strcmp (type, rlimit_names[i].name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

int
rlimits_validate (const struct oci_process *p, estiba_error_t *err)
{
  size_t i, j;

  for (i = 0; p && i < p->rlimits_len; i++)
    {
      const struct oci_rlimit *r = &p->rlimits[i];

      if (rlimits_parse_type (r->type) < 0)
        return estiba_error (err, 0, "process.rlimits[%zu]: unknown type \"%s\"", i, r->type ? r->type : "");
      if (r->soft > r->hard)
        return estiba_error (err, 0, "process.rlimits[%zu]: %s soft %" PRIu64 " is above hard %" PRIu64, i,
                             r->type, r->soft, r->hard);
      for (j = 0; j < i; j++)
        if (strcmp (p->rlimits[j].type, r->type) == 0)
          return estiba_error (err, 0, "process.rlimits[%zu]: %s is already set by process.rlimits[%zu]", i,
                               r->type, j);
    }
  return 0;
}

static bool
have_sys_resource (void)
{
  cap_t caps = cap_get_proc ();
  cap_flag_value_t v = CAP_CLEAR;

  if (caps)
    {
      cap_get_flag (caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
      cap_free (caps);
    }
  return v == CAP_SET;
}

/* fs.nr_open caps RLIMIT_NOFILE even for privileged processes.  */
static uint64_t
nr_open (void)
{
  cleanup_fclose FILE *f = fopen ("/proc/sys/fs/nr_open", "re");
  uint64_t v = UINT64_MAX;

  if (f == NULL || fscanf (f, "%" SCNu64, &v) != 1)
    return UINT64_MAX;
  return v;
}

/* Explain an EPERM from setrlimit.  */
static int
refused (size_t i, const struct oci_rlimit *r, int resource, const struct rlimit *current,
         estiba_error_t *err)
{
  if (resource == RLIMIT_NOFILE && r->hard > nr_open ())
    return estiba_error (err, 0, "process.rlimits[%zu]: %s hard %" PRIu64 " exceeds fs.nr_open %" PRIu64, i,
                         r->type, r->hard, nr_open ());
  /* Inside a user namespace the capability shows as held, but raising a
   * hard limit needs it in the host's user namespace.  */
  if (r->hard > (uint64_t) current->rlim_max)
    return estiba_error (
      err, 0, "process.rlimits[%zu]: %s hard %" PRIu64 " exceeds the host hard limit %" PRIu64 " (%s)", i,
      r->type, r->hard, (uint64_t) current->rlim_max,
      have_sys_resource () ? "raising it needs CAP_SYS_RESOURCE in the host's user namespace"
                           : "no CAP_SYS_RESOURCE");
  return estiba_error (err, EPERM, "process.rlimits[%zu]: set %s to soft %" PRIu64 ", hard %" PRIu64, i,
                       r->type, r->soft, r->hard);
}

int
apply_rlimits (const struct oci_process *p, estiba_error_t *err)
{
  size_t i;

  if (rlimits_validate (p, err) < 0)
    return -1;
  for (i = 0; p && i < p->rlimits_len; i++)
    {
      const struct oci_rlimit *r = &p->rlimits[i];
      int resource = rlimits_parse_type (r->type);
      struct rlimit current, wanted = { .rlim_cur = r->soft, .rlim_max = r->hard };

      if (getrlimit (resource, &current) < 0)
        return estiba_error_errno (err, "process.rlimits[%zu]: get %s", i, r->type);
      if (setrlimit (resource, &wanted) == 0)
        continue;
      if (errno == EPERM)
        return refused (i, r, resource, &current, err);
      return estiba_error_errno (err, "process.rlimits[%zu]: set %s to soft %" PRIu64 ", hard %" PRIu64, i,
                                 r->type, r->soft, r->hard);
    }
  return 0;
}
