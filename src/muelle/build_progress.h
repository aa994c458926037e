/* What a build prints while it runs, as `docker build` / `buildah bud`:
 *   STEP 2/5: RUN make
 *   --> Using cache sha256:...        (CACHED step)
 *   ...the step's output...
 *   COMMIT docker.io/library/app:latest
 *   --> sha256:IMAGEID
 * With -q only the image id is printed (by the command).  Progress goes to
 * stderr so stdout stays script-friendly; RUN output streams to it.  */
#ifndef MUELLE_BUILD_PROGRESS_H
#define MUELLE_BUILD_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include "dockerfile.h"

struct build_progress
{
  int fd;       /* where lines go; -1 when quiet */
  size_t step;  /* last step number printed */
  size_t steps; /* steps in the whole build */
};

/* fd -1: print nothing (quiet).  steps: the total for "n/m".  */
void build_progress_init (struct build_progress *p, int fd, size_t steps);
/* "STEP n/m: FROM busybox AS base" (the instruction as written).  */
void build_progress_step (struct build_progress *p, const struct dockerfile_instruction *inst);
/* "--> Using cache sha256:..." after a cache hit.  */
void build_progress_cached (struct build_progress *p, const char *layer_digest);
/* A free-form line ("COMMIT name", "--> sha256:...").  */
void build_progress_line (struct build_progress *p, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* The fd RUN output is copied to (-1 while quiet: discarded by the caller).  */
int build_progress_output_fd (const struct build_progress *p);

#endif
