/* FROM: the starting point of a stage.  An image of the store (pulled
 * when missing or with --pull), `scratch`, or an earlier stage (the
 * driver handles that one: it passes the stage's result).  */
#ifndef MUELLE_BUILD_FROM_H
#define MUELLE_BUILD_FROM_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "ocispec.h"
#include "store.h"

/* A stage's image so far: config (with rootfs.diff_ids and history) and
 * the layer descriptors, in order.  */
struct build_image_state
{
  struct oci_image_config *config;
  struct oci_image_descriptor *layers; /* n_layers, each owned */
  size_t n_layers;
};

/* Deep copy of a state (for a stage based on another).  */
int build_image_state_copy (struct build_image_state *dst, const struct build_image_state *src,
                            estiba_error_t *err);
void build_image_state_clear (struct build_image_state *s);
/* Append a layer descriptor (copied).  */
void build_image_state_add_layer (struct build_image_state *s, const struct oci_image_descriptor *layer);

/* The empty image `scratch` for platform ("os/arch[/variant]", NULL: the host).  */
int build_from_scratch (const char *platform, struct build_image_state *out, estiba_error_t *err);

/* Image `name` from the store; pulled when missing, or always with pull.
 * platform selects from a multi-platform index (NULL: the host's).  */
int build_from_image (struct muelle_store *store, const char *name, const char *platform, bool pull,
                      struct build_image_state *out, estiba_error_t *err);

#endif
