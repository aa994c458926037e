/* One RUN step of `muelle build`: the command runs in a container
 * (libestiba, no estiba binary) over a writable overlay view of the
 * stage's layers, and what it changed becomes the step's layer.  */
#ifndef MUELLE_BUILD_RUN_H
#define MUELLE_BUILD_RUN_H

#include <stdint.h>
#include "build_rootfs.h"
#include "dockerfile.h"
#include "error.h"
#include "ocispec.h"
#include "store.h"

struct build_run_request
{
  struct muelle_store *store;
  struct build_layers parent; /* the stage's layers so far */
  char *const *argv;          /* final argv (shell form already wrapped in the stage's SHELL by the core) */
  char *const *env;           /* "K=V": image Env + the ARGs the step sees (dockerfile_scope_run_env) */
  const char *user;           /* image User ("" or NULL: root), resolved inside the parent rootfs */
  const char *workdir;        /* NULL: "/"; created if missing */
  const struct dockerfile_run *run; /* expanded --mount list, --network; NULL: none */
  const char *network;              /* build default: "host" (share host netns) or "none" (new empty netns) */
  const char *context_dir;          /* RUN --mount=type=bind without from= binds from here */
  /* RUN --mount from=STAGE|IMAGE: the core resolves the name to layers.  */
  int (*resolve_from) (void *opaque, const char *from, struct build_layers *out, estiba_error_t *err);
  void *opaque;
  char *const *secrets; /* "ID=PATH" from --secret */
  int64_t timestamp;
  int output_fd; /* the step's stdout+stderr are copied here (the progress stream) */
};

/* Run the step in a container (no tty, stdin /dev/null, fixed hostname
 * "buildkitsandbox", /etc/hosts and /etc/resolv.conf bind-mounted
 * read-only from the host and NOT left in the layer) over a writable
 * build_rootfs of parent; the layer is the upper dir turned into OCI form
 * (see build_diff.h).  A non-zero exit is an error
 * "process \"ARGV\" exited with status N"; nothing is left behind.
 * SIGINT/SIGTERM/SIGHUP arriving while the step runs kill the container;
 * the step then fails and the caller's own handling of the signal (the
 * default disposition is restored first) follows.  */
int build_run_step (const struct build_run_request *req, struct oci_image_descriptor *layer, char **diff_id,
                    estiba_error_t *err);

#endif
