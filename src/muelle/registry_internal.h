/* estiba - what registry.c (the registry client: ping, authentication,
 * manifests, uploads) and registry_blobs.c (parallel blob downloads)
 * share: the client's state and its HTTP helpers over libcurl.  Not part
 * of registry.h's API.  */
#ifndef MUELLE_REGISTRY_INTERNAL_H
#define MUELLE_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "auth.h"
#include "certs.h"
#include "error.h"
#include "registry.h"

/* Blobs downloaded at once by default: six, as skopeo and podman
 * (containers/image).  */
#define DEFAULT_PARALLEL 6
/* How much of an error body is kept for the message.  */
#define MAX_ERROR_BODY 4096

struct registry
{
  char *domain;
  char *path;     /* repository, NULL for a bare registry */
  char *base_url; /* scheme://api-host */
  char *scope;    /* space-separated token scopes */
  struct registry_options opts;
  char *user;
  char *password;
  struct auth_challenge challenge; /* from the last 401 */
  char *bearer;                    /* token for scope */
  struct registry_certs certs;
};

struct http_response
{
  long status;
  char *body;
  size_t len;
  size_t max;
  bool truncated;
  char *content_type;
  char *content_digest;
  char *location;
  char *www_authenticate;
  char *retry_after;
};

/* Detects a transfer that made no progress for `timeout` seconds (curl's
 * low-speed limit averages over the whole window, so a trickle that stops
 * would go unnoticed for long).  */
struct stall_guard
{
  int timeout;
  double last_change;
  curl_off_t last_bytes;
  bool stalled;
};

void registry_http_response_clear (struct http_response *r);
double registry_now_seconds (void);

/* Retries.  The wait before attempt+1: a server's Retry-After (in seconds,
 * as 429 and 503 answers may carry; bounded) or exponential backoff.  */
long registry_retry_delay_ms (int attempt, const char *retry_after);
int registry_max_retries (const struct registry *reg);
/* Failures worth another attempt: the network, not the request.  */
bool registry_curl_code_transient (CURLcode code);
bool registry_status_transient (long status);

/* libcurl header callback (userdata: a struct http_response): keeps the
 * headers we use; a new status line (redirect, 100 Continue) starts a new
 * set.  */
size_t registry_header_cb (char *data, size_t size, size_t nmemb, void *userdata);
/* Settings every handle shares: TLS, timeouts, protocols, identity, and
 * the stall guard.  */
void registry_setup_easy (struct registry *reg, CURL *c, const char *url, char *errbuf,
                          struct stall_guard *guard);
/* A stall abort is a timeout, which is worth a retry.  */
CURLcode registry_stall_code (CURLcode code, const struct stall_guard *g, char *errbuf);
/* Authorization header for the registry (not for the token server).  */
int registry_add_auth_header (struct registry *reg, struct curl_slist **headers);
/* React to a 401: returns 1 when new credentials are in place (retry),
 * 0 when there is nothing more to try, < 0 on error.  */
int registry_refresh_auth (struct registry *reg, const char *www_authenticate, estiba_error_t *err);
/* base_url followed by the formatted path (malloc'd; NULL: no memory).  */
char *registry_url_for (struct registry *reg, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* The first error of a registry error body ({"errors":[{"code","message"}]}),
 * or "HTTP STATUS" (malloc'd).  */
char *registry_error_text (long status, const char *body, size_t len);
/* Judge a final status: 401/403/404/other -> one-line error naming what.  */
int registry_status_error (struct registry *reg, const struct http_response *resp, const char *what,
                           estiba_error_t *err);

#endif
