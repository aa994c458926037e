/* Pull an image from a registry into the store (OCI distribution-spec
 * "pull"): resolve the reference to a manifest (choosing the platform
 * from an index or manifest list), download config and layers
 * digest-checked, store the manifest's exact bytes and tag it.  */
#ifndef MUELLE_PULL_H
#define MUELLE_PULL_H

#include <stdbool.h>
#include "error.h"
#include "ocispec.h"
#include "reference.h"
#include "registry.h"

struct muelle_store;

struct image_platform
{
  char *os;
  char *arch;
  char *variant; /* NULL: any */
};

/* Parse "os/arch[/variant]"; errors name the text.  */
int platform_parse (const char *text, struct image_platform *out, estiba_error_t *err);
/* The platform this host runs (linux/amd64, linux/arm64/v8, ...).  */
int platform_host (struct image_platform *out, estiba_error_t *err);
void platform_clear (struct image_platform *p);
#define cleanup_platform __attribute__ ((cleanup (platform_clear)))
/* The entry of an index (or manifest list) for platform `want`, or an
 * error "WHAT: no image for platform ... (available: ...)".  */
int platform_choose (const struct oci_image_index *index, const struct image_platform *want, const char *what,
                     const struct oci_image_descriptor **out, estiba_error_t *err);

struct pull_options
{
  struct registry_options registry;
  const struct image_platform *platform; /* NULL: the host's */
};

struct pull_result
{
  char *manifest_digest;
  char *image_id; /* config digest */
  char *name;     /* name it is tagged with in the store */
};
void pull_result_clear (struct pull_result *r);

int pull_image (struct muelle_store *store, const struct image_ref *ref, const struct pull_options *opts,
                struct pull_result *result, estiba_error_t *err);

/* Media types a pull and a push understand.  */
bool pull_is_index_media_type (const char *media_type);
bool pull_is_manifest_media_type (const char *media_type);

#endif
