/* muelle build: the driver.  Parses the Dockerfile, builds the stages the
 * target needs in order (independent stages two at a time, each in a child
 * process), runs every instruction through the step cache, and writes and
 * tags the final image only at the very end.  */
#ifndef MUELLE_BUILD_H
#define MUELLE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "store.h"

/* A build's timestamp when --timestamp-now is given: use the clock.  */
#define BUILD_TIMESTAMP_NOW ((int64_t) -1)

struct build_options
{
  const char *context_dir; /* CONTEXT */
  const char *dockerfile;  /* -f; NULL: CONTEXT/Dockerfile */
  char *const *tags;       /* normalised names, NULL-terminated, may be NULL */
  char *const *build_args; /* "K=V" (or "K": from the environment), NULL-terminated or NULL */
  char *const *labels;     /* "K=V", NULL-terminated or NULL */
  char *const *secrets;    /* "ID=PATH", NULL-terminated or NULL */
  const char *target;      /* --target stage name or index, NULL: last stage */
  const char *platform;    /* --platform os/arch[/variant], NULL: the host's */
  const char *network;     /* "host" (default) or "none" */
  bool no_cache, pull, squash;
  bool quiet;        /* -q: only the image id on stdout */
  int64_t timestamp; /* >= 0 fixed (SOURCE_DATE_EPOCH or 0), BUILD_TIMESTAMP_NOW */
};

/* Build; on success *image_id is the config digest ("sha256:HEX").  */
int build_image (struct muelle_store *store, const struct build_options *opts, char **image_id,
                 estiba_error_t *err);

#endif
