/* A client for one repository of a registry speaking the OCI
 * distribution-spec / Docker registry HTTP API v2, over libcurl.
 *
 * registry_open pings GET /v2/ to learn the scheme (https; plain http is
 * tried only with tls_verify off) and the authentication challenge.  Every
 * request then carries the right Authorization (bearer token for the
 * repository scope, or basic), re-authenticates once on 401, and is
 * retried with exponential backoff on connection errors, timeouts, 429
 * and 5xx.  Blobs are downloaded in parallel (curl multi) straight into
 * the store's blob writer, so every byte is digest-checked before it
 * enters the store.  */
#ifndef MUELLE_REGISTRY_H
#define MUELLE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "error.h"

struct muelle_store;
struct blob_writer;

struct registry_options
{
  bool tls_verify;      /* false: no certificate checks, plain HTTP allowed */
  const char *authfile; /* NULL: default lookup (see auth.h) */
  const char *cert_dir; /* NULL: default certs.d lookup (see certs.h) */
  const char *user;     /* --creds USER[:PASSWORD]: overrides the auth file */
  const char *password;
  int retries;       /* extra attempts after a transient failure; < 0: default (3) */
  int timeout;       /* seconds without progress before a transfer is abandoned; 0: default (60) */
  int parallel;      /* simultaneous blob downloads; 0: default (6) */
  FILE *progress;    /* NULL: silent */
  bool progress_tty; /* progress is a terminal: one live status line */
};

struct registry;

/* Connect to repository `path` (e.g. "library/busybox", NULL for a bare
 * registry as login uses) of `domain` (as in the reference: docker.io is
 * mapped to its API host), asking for `actions` ("pull" or "pull,push").  */
int registry_open (const char *domain, const char *path, const char *actions,
                   const struct registry_options *opts, struct registry **out, estiba_error_t *err);
void registry_close (struct registry *reg);

/* Also ask for pull access to another repository of the same registry
 * (cross-repository blob mounts need it).  */
int registry_add_pull_scope (struct registry *reg, const char *other_path, estiba_error_t *err);

/* Whether the registry required (and we passed) authentication.  */
bool registry_authenticated (const struct registry *reg);

/* GET /v2/NAME/manifests/KEY accepting OCI and Docker manifests and
 * indexes.  *body is the exact bytes (NUL-terminated), *media_type the
 * Content-Type, *content_digest the Docker-Content-Digest header (NULL if
 * absent).  404 → error "manifest unknown".  */
int registry_get_manifest (struct registry *reg, const char *key, char **body, size_t *len, char **media_type,
                           char **content_digest, estiba_error_t *err);

/* PUT /v2/NAME/manifests/KEY.  *digest_out (may be NULL) gets the
 * registry's Docker-Content-Digest.  */
int registry_put_manifest (struct registry *reg, const char *key, const char *media_type, const char *body,
                           size_t len, char **digest_out, estiba_error_t *err);

/* 1 when the repository has the blob (HEAD), 0 when not.  */
int registry_blob_exists (struct registry *reg, const char *digest, estiba_error_t *err);

struct registry_blob
{
  const char *digest;
  int64_t size;
  const char *kind; /* "blob" or "config", for messages */
};

/* The check run on blobs[0..n_first) once they arrived (their size and
 * digest already checked), before any blob enters the store: `firsts` are
 * their writers (read them with blob_writer_read).  */
typedef int (*registry_gate_fn) (void *arg, struct blob_writer *const *firsts, size_t n_first,
                                 estiba_error_t *err);

/* Download blobs into the store, in parallel (at most opts.parallel at
 * once).  Each blob's size and digest are checked the moment its last byte
 * is written, and its fsync starts then on a thread of its own, while the
 * others still download.  Nothing enters the store before every blob
 * arrived and gate(gate_arg, ...) returned 0 on blobs[0..n_first) (e.g. the
 * image config checked before its layers are committed; gate may be NULL);
 * then all are committed, in order.  A failed download or gate commits
 * none; no temporary file is left in any case.  */
int registry_fetch_blobs_gated (struct registry *reg, struct muelle_store *store,
                                const struct registry_blob *blobs, size_t n, size_t n_first,
                                registry_gate_fn gate, void *gate_arg, estiba_error_t *err);

/* Upload the file at path as blob digest (size bytes): a cross-repository
 * mount from `mount_from` (a repository path of the same registry, may be
 * NULL) when the registry accepts it, else POST then a monolithic PUT.
 * Returns 1 when mounted, 0 when uploaded.  */
int registry_upload_blob (struct registry *reg, const char *path, const char *digest, int64_t size,
                          const char *mount_from, estiba_error_t *err);

/* Check credentials against the registry (login): GET /v2/ or the token
 * server must accept them.  */
int registry_check_login (struct registry *reg, estiba_error_t *err);

/* "https://host" or "http://host" as chosen by the ping.  */
const char *registry_base_url (const struct registry *reg);

#endif
