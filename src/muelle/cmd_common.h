/* Helpers the local image commands share: name normalisation, image
 * lookup, option errors, timestamps.  */
#ifndef MUELLE_CMD_COMMON_H
#define MUELLE_CMD_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include "commands.h"
#include "store.h"

/* "busybox" -> "docker.io/library/busybox:latest": the name images are
 * tagged with in the store.  Errors name the reference.  */
int muelle_normalise_name (const char *text, char **out, estiba_error_t *err);

/* Find an image the way a user names it: exact tag, normalised short name,
 * manifest digest or image id prefix.  */
int muelle_resolve_image (struct muelle_store *store, const char *what, struct oci_image_descriptor **desc,
                          estiba_error_t *err);

/* The getopt result for an unknown option or missing value, as an error
 * naming the command and the option.  */
int muelle_option_error (const char *command, int c, char **argv, estiba_error_t *err);

/* Wrong number of operands: "CMD: USAGE".  */
int muelle_usage_error (const char *command, const char *usage, estiba_error_t *err);

/* Current time as RFC 3339 UTC with nanoseconds, malloc'd.  */
char *muelle_now_rfc3339 (void);

/* Image-spec architecture and variant of this machine ("amd64", NULL).  */
const char *muelle_host_architecture (const char **variant);

/* "12.3MB"-style size as docker prints it.  */
void muelle_format_size (int64_t bytes, char *buf, size_t len);

/* "2 hours ago"-style age of an RFC 3339 time ("" when unknown).  */
void muelle_format_age (const char *rfc3339, char *buf, size_t len);

#endif
