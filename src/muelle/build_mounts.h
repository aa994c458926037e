/* RUN --mount for `muelle build`, as BuildKit has them:
 *
 *   type=bind    a file or directory of the build context (or of the stage
 *                or image named by from=) at target; read-only unless rw,
 *                and then writes go to a throw-away overlay.
 *   type=cache   a directory kept between builds under
 *                ROOT/build/run-cache/<sha256 of id>/ (id defaults to the
 *                target); sharing=shared lets concurrent builds use it at
 *                once, locked makes them wait (flock), private gives a
 *                busy cache's second user a fresh temporary directory.
 *   type=tmpfs   an empty tmpfs (size= bytes).
 *   type=secret  the file given by --secret id=ID,src=PATH at
 *                /run/secrets/ID (or target=), mode 0400 unless mode=,
 *                from a private tmpfs so it never reaches the layer; env=
 *                also puts its content in that environment variable.
 *
 * Targets that do not exist in the rootfs are created by the runtime as
 * mount points; build_run drops those from the layer.  */
#ifndef MUELLE_BUILD_MOUNTS_H
#define MUELLE_BUILD_MOUNTS_H

#include <stddef.h>
#include "build_rootfs.h"
#include "dockerfile.h"
#include "error.h"
#include "ocispec.h"
#include "store.h"

struct build_mounts_request
{
  struct muelle_store *store;
  const struct dockerfile_run *run; /* NULL: no mounts */
  const char *context_dir;
  int (*resolve_from) (void *opaque, const char *from, struct build_layers *out, estiba_error_t *err);
  void *opaque;
  char *const *secrets; /* "ID=PATH" */
  const char *workdir;  /* relative targets are below it */
  const char *scratch;  /* the step's private scratch directory */
  int signal_fd;        /* readable when the build is interrupted: stop waiting for a lock; -1: none */
};

/* What the step's mounts hold while it runs: views, locks, tmpfs.  */
struct build_mounts;

int build_mounts_prepare (const struct build_mounts_request *req, struct build_mounts **out,
                          estiba_error_t *err);
/* Append the mounts to config->mounts and the env= secrets to
 * config->process->env.  */
void build_mounts_add_to_config (const struct build_mounts *m, struct oci_config *config);
/* A tmpfs only this process sees when the step has secrets (NULL
 * otherwise): the runtime config and state, which can hold secret env=
 * values, belong there rather than on disk.  */
const char *build_mounts_private_dir (const struct build_mounts *m);
/* Unmount and unlock everything; NULL ok.  */
void build_mounts_release (struct build_mounts *m);

#endif
