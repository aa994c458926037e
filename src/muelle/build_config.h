/* Image config and history for a build, as docker and buildah write them:
 * every instruction gets a history entry ("created_by" as BuildKit writes
 * it, `empty_layer: true` for metadata-only steps); metadata instructions
 * (CMD LABEL EXPOSE ENV ENTRYPOINT VOLUME USER WORKDIR ARG ONBUILD
 * STOPSIGNAL HEALTHCHECK SHELL MAINTAINER) change the config.  */
#ifndef MUELLE_BUILD_CONFIG_H
#define MUELLE_BUILD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "dockerfile.h"
#include "error.h"
#include "ocispec.h"

/* RFC 3339 time of a build timestamp (BUILD_TIMESTAMP_NOW: the clock).  */
char *build_config_time (int64_t timestamp);

/* Apply a metadata instruction (expanded) to config.  env: the stage's
 * ENV after the instruction (for ENV).  *cmd_set: whether this stage set
 * CMD already (false at FROM), so ENTRYPOINT resets only an inherited one.  */
int build_config_apply (struct oci_image_config *config, const struct dockerfile_instruction *inst,
                        char *const *env, bool *cmd_set, estiba_error_t *err);

/* The "created_by" text of a step, as BuildKit writes it:
 *   RUN /bin/sh -c make # buildkit
 *   COPY file /dst # buildkit
 *   ENV A=b
 * config: the stage's config before the step (its SHELL).  */
char *build_config_created_by (const struct oci_image_config *config,
                               const struct dockerfile_instruction *inst);

/* Append a history entry; empty_layer false also appends diff_id to
 * rootfs.diff_ids (diff_id must then be set).  */
void build_config_add_history (struct oci_image_config *config, const char *created_by, const char *created,
                               bool empty_layer, const char *diff_id);

/* A VOLUME's directory as a clean absolute path (a relative one is taken
 * from "/", as buildah does), malloc'd.  */
char *build_config_volume_path (const char *volume);

/* Sort Labels, ExposedPorts and Volumes by key, as docker writes them
 * (after --label).  */
void build_config_sort_maps (struct oci_image_config *config);

/* The stage's shell: config Shell or the default ["/bin/sh", "-c"].  */
char *const *build_config_shell (const struct oci_image_config *config);

/* The command a RUN/CMD/ENTRYPOINT in shell form runs: SHELL + [text].  */
char **build_config_shell_argv (const struct oci_image_config *config, const char *text);

#endif
