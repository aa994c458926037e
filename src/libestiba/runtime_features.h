/* The runtime-spec features document (features.md) of `estiba features`.
 * (Not "features.h": that name is glibc's, and this directory is on the
 * include path.)  */
#ifndef ESTIBA_RUNTIME_FEATURES_H
#define ESTIBA_RUNTIME_FEATURES_H

#include "error.h"
#include "ocispec.h"

/* The oldest and newest config.json ociVersion the runtime accepts.  */
#define ESTIBA_OCI_VERSION_MIN "1.0.0"
#define ESTIBA_OCI_VERSION_MAX OCI_RUNTIME_SPEC_VERSION

/* What estiba implements, from the table in features.c.  Free with
 * oci_features_free().  */
struct oci_features *estiba_features (estiba_error_t *err);

#endif
