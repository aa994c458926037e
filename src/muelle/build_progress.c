/* Build progress lines (see build_progress.h).  */
#include <config.h>
#include "build_progress.h"
#include "fsutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
build_progress_init (struct build_progress *p, int fd, size_t steps)
{
  p->fd = fd;
  p->step = 0;
  p->steps = steps;
}

static void
progress_vprint (struct build_progress *p, const char *fmt, va_list ap)
{
  char *line = NULL;
  int len;

  if (p->fd < 0)
    return;
  len = vasprintf (&line, fmt, ap);
  if (len < 0)
    return;
  /* Progress is best effort: a closed stderr must not fail the build.  */
  (void) fs_write_all (p->fd, line, len);
  free (line);
}

void
build_progress_line (struct build_progress *p, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  progress_vprint (p, fmt, ap);
  va_end (ap);
  if (p->fd >= 0)
    (void) fs_write_all (p->fd, "\n", 1);
}

void
build_progress_step (struct build_progress *p, const struct dockerfile_instruction *inst)
{
  p->step++;
  build_progress_line (p, "STEP %zu/%zu: %s", p->step, p->steps, inst->original);
}

void
build_progress_cached (struct build_progress *p, const char *layer_digest)
{
  if (layer_digest != NULL)
    build_progress_line (p, "--> Using cache %s (CACHED)", layer_digest);
  else
    build_progress_line (p, "--> Using cache (CACHED)");
}

int
build_progress_output_fd (const struct build_progress *p)
{
  return p->fd;
}
