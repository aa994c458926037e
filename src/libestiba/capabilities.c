#include <config.h>
#include "capabilities.h"
#include "cleanup.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int
capabilities_parse_name (const char *name)
{
  char lower[64];
  cap_value_t value;
  size_t i;

  /* libcap also takes numbers and lowercase names; the spec's are
   * "CAP_" followed by the capabilities(7) name.  */
  if (name == NULL || strncmp (name, "CAP_", 4) != 0 || strlen (name) >= sizeof (lower))
    return -1;
  for (i = 0; name[i]; i++)
    {
      if (!isupper ((unsigned char) name[i]) && name[i] != '_')
        return -1;
      lower[i] = (char) tolower ((unsigned char) name[i]);
    }
  lower[i] = '\0';
  if (cap_from_name (lower, &value) < 0)
    return -1;
  return value;
}

int
capabilities_last_cap (void)
{
  return (int) cap_max_bits () - 1;
}

static bool
append (char **list, const char *name)
{
  char *joined = NULL;

  size_t len = strlen (name);
  const char *p;

  for (p = *list; p && (p = strstr (p, name)) != NULL; p += len)
    if ((p == *list || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
      return true;
  if (asprintf (&joined, "%s%s%s", *list ? *list : "", *list ? ", " : "", name) < 0)
    return false;
  free (*list);
  *list = joined;
  return true;
}

/* Whether name is a capability this kernel has.  */
static bool
available (const char *name)
{
  int v = capabilities_parse_name (name);
  return v >= 0 && v <= capabilities_last_cap ();
}

char *
capabilities_unknown_names (const struct oci_capabilities *c)
{
  char *unknown = NULL;
  char **sets[5];
  size_t i;
  char **name;

  if (c == NULL)
    return NULL;
  sets[0] = c->bounding;
  sets[1] = c->effective;
  sets[2] = c->inheritable;
  sets[3] = c->permitted;
  sets[4] = c->ambient;
  for (i = 0; i < 5; i++)
    for (name = sets[i]; name && *name; name++)
      if (!available (*name) && !append (&unknown, *name))
        break;
  return unknown;
}

int
capabilities_validate (const struct oci_capabilities *c, estiba_error_t *err)
{
  static const char *const set_names[5] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
  char **sets[5];
  size_t i;
  char **name;

  if (c == NULL)
    return 0;
  sets[0] = c->bounding;
  sets[1] = c->effective;
  sets[2] = c->inheritable;
  sets[3] = c->permitted;
  sets[4] = c->ambient;
  for (i = 0; i < 5; i++)
    for (name = sets[i]; name && *name; name++)
      if (capabilities_parse_name (*name) < 0)
        return estiba_error (err, EINVAL, "process.capabilities.%s: unknown capability '%s'", set_names[i],
                             *name);
  return 0;
}

/* Whether `set` lists capability `cap`.  */
static bool
lists (char **set, int cap)
{
  for (; set && *set; set++)
    if (capabilities_parse_name (*set) == cap)
      return true;
  return false;
}

static void
warn_unknown (const struct oci_capabilities *c)
{
  cleanup_free char *unknown = capabilities_unknown_names (c);

  if (unknown)
    estiba_warn ("process.capabilities: ignoring capabilities this kernel does not have: %s", unknown);
}

/* One PR_CAPBSET_DROP per capability c does not list, without reading
 * the set first: dropping one that is already gone is a no-op.  Only
 * when a drop is refused (no CAP_SETPCAP) does it matter whether the
 * capability was there at all.  */
static int
drop_bounding (const struct oci_capabilities *c, estiba_error_t *err)
{
  int cap, last = capabilities_last_cap ();

  for (cap = 0; cap <= last; cap++)
    {
      if (lists (c ? c->bounding : NULL, cap) || prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
        continue;
      if (errno == EPERM && prctl (PR_CAPBSET_READ, cap, 0, 0, 0) == 0)
        continue;
      {
        cleanup_free char *name = cap_to_name (cap);
        return estiba_error_errno (err, "process.capabilities.bounding: drop %s", name ? name : "?");
      }
    }
  return 0;
}

int
capabilities_prepare_user_change (const struct oci_capabilities *c, estiba_error_t *err)
{
  if (drop_bounding (c, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return estiba_error_errno (err, "prctl PR_SET_KEEPCAPS");
  return 0;
}

static int
fill_set (cap_t caps, cap_flag_t flag, char **names)
{
  for (; names && *names; names++)
    {
      cap_value_t v = capabilities_parse_name (*names);
      if (v >= 0 && v <= capabilities_last_cap () && cap_set_flag (caps, flag, 1, &v, CAP_SET) < 0)
        return -1;
    }
  return 0;
}

static int
set_main_sets (const struct oci_capabilities *c, estiba_error_t *err)
{
  cap_t caps = cap_init ();
  int ret = 0;

  if (caps == NULL)
    return estiba_error_errno (err, "process.capabilities: allocate");
  if (c
      && (fill_set (caps, CAP_INHERITABLE, c->inheritable) < 0
          || fill_set (caps, CAP_PERMITTED, c->permitted) < 0
          || fill_set (caps, CAP_EFFECTIVE, c->effective) < 0))
    ret = estiba_error_errno (err, "process.capabilities: build the sets");
  else if (cap_set_proc (caps) < 0)
    ret = estiba_error_errno (err, "process.capabilities: set the inheritable, permitted and effective sets "
                                   "(effective must be within permitted)");
  cap_free (caps);
  return ret;
}

/* The kernel only lets a capability be ambient when it is both permitted
 * and inheritable; one that is not is a capability that "cannot be
 * granted": a warning, not an error.  */
static int
set_ambient (const struct oci_capabilities *c, estiba_error_t *err)
{
  cleanup_free char *refused = NULL;
  char **name;

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return estiba_error_errno (err, "process.capabilities.ambient: clear");
  for (name = c ? c->ambient : NULL; name && *name; name++)
    {
      int v = capabilities_parse_name (*name);
      if (v < 0 || v > capabilities_last_cap ())
        continue;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) < 0 && !append (&refused, *name))
        break;
    }
  /* One line for all of them.  runc's default config lists ambient
   * capabilities without inheritable ones, so this is the common case and
   * runc and crun stay silent about it: log it at debug level only, never
   * on the container's terminal.  */
  if (refused)
    estiba_debug (
      "process.capabilities.ambient: cannot raise %s: an ambient capability must also be permitted and "
      "inheritable",
      refused);
  return 0;
}

static int
apply_sets (const struct oci_capabilities *c, bool keep_for_user_change, estiba_error_t *err)
{
  if (!keep_for_user_change && prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return estiba_error_errno (err, "prctl PR_SET_KEEPCAPS");
  if (set_main_sets (c, err) < 0)
    return -1;
  return set_ambient (c, err);
}

int
capabilities_apply (const struct oci_capabilities *c, bool keep_for_user_change, estiba_error_t *err)
{
  warn_unknown (c);
  if (drop_bounding (c, err) < 0)
    return -1;
  return apply_sets (c, keep_for_user_change, err);
}

int
capabilities_apply_after_user_change (const struct oci_capabilities *c, estiba_error_t *err)
{
  warn_unknown (c);
  return apply_sets (c, false, err);
}
