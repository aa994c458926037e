/* estiba events: runc's event stream (stats, oom) for a container.  */
#include <config.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

/* A Go duration as runc takes it: a number and a unit (ns, us, ms, s, m,
 * h), or several ("1m30s").  Rounded to milliseconds.  */
static int
parse_duration_ms (const char *s, long *out, estiba_error_t *err)
{
  static const struct
  {
    const char *unit;
    double ms;
  } units[] = {
    { "ns", 1e-6 }, { "us", 1e-3 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }
  };
  const char *p = s;
  double total = 0;

  if (*p == '\0')
    return estiba_error (err, 0, "events: --interval: empty duration");
  while (*p)
    {
      char *end;
      double v;
      size_t i, best = 0, best_len = 0;

      errno = 0;
      v = strtod (p, &end);
      if (errno || end == p || v < 0)
        return estiba_error (err, 0, "events: --interval: invalid duration '%s'", s);
      for (i = 0; i < sizeof units / sizeof units[0]; i++)
        {
          size_t l = strlen (units[i].unit);
          if (strncmp (end, units[i].unit, l) == 0 && l > best_len)
            best = i, best_len = l;
        }
      if (best_len == 0)
        return estiba_error (err, 0, "events: --interval: missing or unknown unit in '%s'", s);
      total += v * units[best].ms;
      p = end + best_len;
    }
  if (total < 1)
    return estiba_error (err, 0, "events: --interval: '%s' must be at least 1ms", s);
  *out = (long) total;
  return 0;
}

int
command_events (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  const char *interval = "5s";
  bool stats = false;
  long interval_ms = 0;
  size_t nargs;
  int ret;
  const struct cli_option options[] = {
    { "interval", 0, CLI_STRING, &interval, "DURATION", "set the stats collection interval (default: 5s)" },
    { "stats", 0, CLI_BOOL, &stats, NULL, "display the container's stats then exit" },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    .description = "By default the information is displayed once every 5 seconds.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (parse_duration_ms (interval, &interval_ms, err) < 0)
    return -1;
  ret = estiba_container_events (ctx, args[0], stats, interval_ms, stdout, err);
  return ret < 0 ? ret : 0;
}
