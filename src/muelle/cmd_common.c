#include <config.h>
#include "cmd_common.h"
#include "cleanup.h"
#include "digest.h"
#include "reference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

int
muelle_normalise_name (const char *text, char **out, estiba_error_t *err)
{
  struct image_ref *ref = NULL;
  cleanup_free char *domain = NULL;

  if (reference_default_domain (NULL, &domain, err) < 0)
    return -1;
  if (reference_parse (text, domain, &ref, err) < 0)
    return -1;
  *out = reference_store_name (ref);
  reference_free (ref);
  if (*out == NULL)
    return estiba_error (err, ENOMEM, "reference `%s`", text);
  return 0;
}

int
muelle_resolve_image (struct muelle_store *store, const char *what, struct oci_image_descriptor **desc,
                      estiba_error_t *err)
{
  cleanup_free char *name = NULL;
  estiba_error_t first = NULL;

  if (store_resolve (store, what, desc, &first) == 0)
    return 0;
  /* Not an exact name, digest or id: try it as a short name.  */
  if (muelle_normalise_name (what, &name, NULL) == 0 && strcmp (name, what) != 0
      && store_resolve (store, name, desc, NULL) == 0)
    {
      estiba_error_release (&first);
      return 0;
    }
  *err = first;
  return -1;
}

int
muelle_option_error (const char *command, int c, char **argv, estiba_error_t *err)
{
  extern int optind, optopt;
  const char *arg = argv[optind - 1];

  if (c == ':')
    return estiba_error (err, 0, "%s: option `%s` needs a value", command, arg);
  if (optopt && optopt < 256 && strncmp (arg, "--", 2) != 0)
    return estiba_error (err, 0, "%s: unknown option `-%c` (see muelle %s --help)", command, optopt, command);
  return estiba_error (err, 0, "%s: unknown option `%s` (see muelle %s --help)", command, arg, command);
}

int
muelle_usage_error (const char *command, const char *usage, estiba_error_t *err)
{
  return estiba_error (err, 0, "%s: usage: muelle %s %s", command, command, usage);
}

char *
muelle_now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64], *out = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (asprintf (&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
    return NULL;
  return out;
}

const char *
muelle_host_architecture (const char **variant)
{
  static const struct
  {
    const char *machine, *arch, *variant;
  } table[] = {
    { "x86_64", "amd64", NULL },    { "aarch64", "arm64", NULL }, { "armv7l", "arm", "v7" },
    { "armv6l", "arm", "v6" },      { "i686", "386", NULL },      { "i386", "386", NULL },
    { "ppc64le", "ppc64le", NULL }, { "s390x", "s390x", NULL },   { "riscv64", "riscv64", NULL },
  };
  struct utsname u;
  size_t i;

  *variant = NULL;
  if (uname (&u) == 0)
    for (i = 0; i < sizeof (table) / sizeof (table[0]); i++)
      if (strcmp (u.machine, table[i].machine) == 0)
        {
          *variant = table[i].variant;
          return table[i].arch;
        }
  return "amd64";
}

void
muelle_format_size (int64_t bytes, char *buf, size_t len)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
  double v = (double) bytes;
  size_t u = 0;

  while (v >= 1000 && u < 4)
    {
      v /= 1000;
      u++;
    }
  if (u == 0)
    snprintf (buf, len, "%lldB", (long long) bytes);
  else
    snprintf (buf, len, "%.3g%s", v, units[u]);
}

void
muelle_format_age (const char *rfc3339, char *buf, size_t len)
{
  struct tm tm = { 0 };
  time_t then, now = time (NULL);
  long d;

  if (rfc3339 == NULL || strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    {
      snprintf (buf, len, "%s", "");
      return;
    }
  then = timegm (&tm);
  d = (long) (now - then);
  if (d < 60)
    snprintf (buf, len, "%s", d < 2 ? "Less than a second ago" : "Seconds ago");
  else if (d < 3600)
    snprintf (buf, len, "%ld minute%s ago", d / 60, d / 60 == 1 ? "" : "s");
  else if (d < 86400)
    snprintf (buf, len, "%ld hour%s ago", d / 3600, d / 3600 == 1 ? "" : "s");
  else
    snprintf (buf, len, "%ld day%s ago", d / 86400, d / 86400 == 1 ? "" : "s");
}
