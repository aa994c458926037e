/* Freezer, v1 and v2: see cgroup_freezer.h.  */
#include <config.h>
#include "cgroup_freezer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup_files.h"
#include "cleanup.h"

/* How long a freeze may take before we give up (the kernel may need to
 * wait for tasks in uninterruptible sleep).  */
#define FREEZE_TIMEOUT_MS 10000

static bool
v2_frozen (char *const *dirs)
{
  cleanup_free char *events = cgroup_file_read (dirs, "cgroup.events");
  const char *p = events ? strstr (events, "frozen ") : NULL;
  return p && p[7] == '1';
}

static bool
reached (char *const *dirs, bool v1, bool freeze)
{
  if (v1)
    {
      cleanup_free char *state = cgroup_file_read (dirs, "freezer.state");
      return state && strcmp (state, freeze ? "FROZEN" : "THAWED") == 0;
    }
  return v2_frozen (dirs) == freeze;
}

int
cgroup_freeze (char *const *dirs, bool freeze, estiba_error_t *err)
{
  bool v1 = cgroup_file_exists (dirs, "freezer.state");
  const char *v2 = cgroup_v2_dir (dirs);
  char *only_v2[2] = { (char *) v2, NULL };
  int waited;

  if (v1)
    {
      if (cgroup_file_write (dirs, "freezer", "freezer.state", freeze ? "FROZEN" : "THAWED", err) < 0)
        return -1;
    }
  else if (v2 == NULL)
    return estiba_error (err, 0, "freezer: no v1 freezer controller and no cgroup2 hierarchy");
  else if (cgroup_file_write (only_v2, "freezer", "cgroup.freeze", freeze ? "1" : "0", err) < 0)
    return -1;
  for (waited = 0; waited < FREEZE_TIMEOUT_MS; waited++)
    {
      struct timespec ts = { 0, 1000 * 1000 };
      if (reached (v1 ? dirs : only_v2, v1, freeze))
        return 0;
      /* v1 may stay FREEZING while a task is busy: asking again retries.  */
      if (v1 && freeze && waited % 100 == 99)
        cgroup_file_write (dirs, "freezer", "freezer.state", "FROZEN", NULL);
      nanosleep (&ts, NULL);
    }
  return estiba_error (err, 0, "freezer: the cgroup did not become %s within %d ms",
                       freeze ? "frozen" : "thawed", FREEZE_TIMEOUT_MS);
}

bool
cgroup_is_frozen (char *const *dirs)
{
  cleanup_free char *state = cgroup_file_read (dirs, "freezer.state");
  const char *v2 = cgroup_v2_dir (dirs);
  char *only_v2[2] = { (char *) v2, NULL };

  if (state)
    return strcmp (state, "THAWED") != 0;
  return v2 && v2_frozen (only_v2);
}
