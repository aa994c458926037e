/* events: runc's event stream for a container.  --stats prints one
 * "stats" event; otherwise a "stats" event every interval and an "oom"
 * event each time the kernel OOM-kills one of its processes (the cgroup's
 * oom_kill counter grows), until the container stops or is deleted.  */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup_stats.h"
#include "cleanup.h"
#include "container.h"
#include "estiba.h"

/* How often the OOM counter and the container's status are checked.  */
#define POLL_MS 100

static int
emit_stats (struct container *c, FILE *out, estiba_error_t *err)
{
  cleanup_free char *json = NULL;

  if (cgroup_stats_event (c->st.cgroup_paths, c->st.id, &json, err) < 0)
    return -1;
  fprintf (out, "%s\n", json);
  fflush (out);
  return 0;
}

int
estiba_container_events (struct estiba_context *ctx, const char *id, bool stats_only, long interval_ms,
                         FILE *out, estiba_error_t *err)
{
  long long ooms = -1;
  long since_stats = 0;

  if (interval_ms <= 0)
    return estiba_error (err, 0, "events: the interval must be positive");
  for (;;)
    {
      struct container c;
      struct timespec ts = { 0, POLL_MS * 1000L * 1000L };
      long long now;
      int ret = 0;

      if (container_open (ctx, id, false, &c, err) < 0)
        return ooms < 0 ? -1 : (estiba_error_release (err), 0); /* deleted while we watched */
      if (c.status == CONTAINER_STOPPED)
        {
          ret = ooms < 0 ? estiba_error (err, 0, "container '%s' is not running: stopped", id) : 0;
          container_close (&c);
          return ret;
        }
      now = cgroup_oom_kills (c.st.cgroup_paths);
      if (stats_only)
        {
          ret = emit_stats (&c, out, err);
          container_close (&c);
          return ret;
        }
      if (ooms >= 0 && now > ooms)
        {
          fprintf (out, "{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
          fflush (out);
        }
      ooms = now < 0 ? 0 : now;
      if (since_stats <= 0)
        {
          ret = emit_stats (&c, out, err);
          since_stats = interval_ms;
        }
      container_close (&c);
      if (ret < 0)
        return -1;
      nanosleep (&ts, NULL);
      since_stats -= POLL_MS;
    }
}
