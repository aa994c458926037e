/* Image references: "NAME[:TAG][@DIGEST]" as the distribution reference
 * grammar (distribution/reference, docs/spec of the Docker CLI) defines
 * them, normalised the way Docker does for short names:
 *
 *   busybox               -> docker.io/library/busybox:latest
 *   user/app:1            -> docker.io/user/app:1
 *   localhost:5000/a/b    -> localhost:5000/a/b:latest
 *   quay.io/x/y@sha256:.. -> quay.io/x/y@sha256:..
 *
 * The first path component is a registry host when it contains '.' or
 * ':', is "localhost", or has an upper-case letter (repository names are
 * lower case only); otherwise the default registry is prepended.  */
#ifndef MUELLE_REFERENCE_H
#define MUELLE_REFERENCE_H

#include <stdbool.h>
#include "error.h"

#define REFERENCE_DOCKER_HUB     "docker.io"
#define REFERENCE_DOCKER_HUB_API "registry-1.docker.io"
#define REFERENCE_DEFAULT_TAG    "latest"
/* Name length limit of the distribution grammar (domain + path).  */
#define REFERENCE_NAME_MAX 255

struct image_ref
{
  char *domain; /* "docker.io", "127.0.0.1:5000", "[::1]:5000" */
  char *path;   /* "library/busybox" */
  char *tag;    /* "latest"; NULL only when a digest was given without tag */
  char *digest; /* "sha256:..." or NULL */
};

/* Parse and normalise text.  default_domain is used for names without a
 * registry host (NULL: docker.io).  The "library/" prefix is only added
 * for Docker Hub.  A missing tag becomes "latest" unless a digest is
 * given.  Errors name the reference and the reason.  */
int reference_parse (const char *text, const char *default_domain, struct image_ref **out,
                     estiba_error_t *err);

void reference_free (struct image_ref *ref);
#define cleanup_image_ref __attribute__ ((cleanup (reference_freep)))
void reference_freep (struct image_ref **ref);

/* "domain/path" (the repository, without tag or digest).  */
char *reference_repository (const struct image_ref *ref);

/* The full normalised name: "domain/path:tag", "domain/path@digest" or
 * "domain/path:tag@digest".  */
char *reference_string (const struct image_ref *ref);

/* The name an image is tagged with in the store: the tag when there is
 * one (a pull by tag@digest records the tag), else the digest form.  */
char *reference_store_name (const struct image_ref *ref);

/* What to ask the registry's manifest endpoint for: the digest when one
 * was given (it is what the user pinned), else the tag.  */
const char *reference_manifest_key (const struct image_ref *ref);

/* Host[:port] the registry API is served from: docker.io is served from
 * registry-1.docker.io.  */
const char *reference_api_host (const char *domain);

/* True when domain is a loopback host (localhost, 127.0.0.0/8, [::1]).  */
bool reference_domain_is_loopback (const char *domain);

/* The registry for short names: `cli_value` (--registry) when set, else
 * $MUELLE_DEFAULT_REGISTRY, else the first entry of
 * "unqualified-search-registries" in the registries conf file
 * ($MUELLE_REGISTRIES_CONF, default /etc/muelle/registries.conf, containers
 * registries.conf v2 syntax), else docker.io.  Returns a malloc'd
 * string.  */
int reference_default_domain (const char *cli_value, char **out, estiba_error_t *err);

/* Validity checks of single parts, exposed for option parsing and tests.  */
bool reference_tag_valid (const char *tag);
bool reference_domain_valid (const char *domain);
/* A digest in the general grammar: algorithm ":" encoded.  */
bool reference_digest_valid (const char *digest);

#endif
