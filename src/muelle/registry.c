/* Registry HTTP API v2 client over libcurl: ping, authentication,
 * retries, manifests, parallel blob downloads and blob uploads.  */
#include <config.h>
#include "registry.h"
#include "auth.h"
#include "certs.h"
#include "cleanup.h"
#include "reference.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <yajl/yajl_tree.h>

/* DEFAULT_PARALLEL: six blobs at a time, as skopeo and podman (containers/image).  */
#define DEFAULT_RETRIES  3
#define DEFAULT_TIMEOUT  60
#define DEFAULT_PARALLEL 6
#define FIRST_BACKOFF_MS 250
#define MAX_BACKOFF_MS   4000
#define MAX_RETRY_AFTER  30 /* seconds */
/* distribution refuses manifests over 4 MiB; other bodies are smaller.  */
#define MAX_RESPONSE_BODY (4 * 1024 * 1024)
#define MAX_ERROR_BODY    4096

#define MANIFEST_ACCEPT                                                                                      \
  "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "            \
  "application/vnd.docker.distribution.manifest.list.v2+json, "                                              \
  "application/vnd.docker.distribution.manifest.v2+json"

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

static void
http_response_clear (struct http_response *r)
{
  free (r->body);
  free (r->content_type);
  free (r->content_digest);
  free (r->location);
  free (r->www_authenticate);
  free (r->retry_after);
  memset (r, 0, sizeof (*r));
}
#define cleanup_response __attribute__ ((cleanup (http_response_clear)))

static void
slist_freep (struct curl_slist **l)
{
  curl_slist_free_all (*l);
}
#define cleanup_slist __attribute__ ((cleanup (slist_freep)))

static void
curl_easy_freep (CURL **c)
{
  if (*c)
    curl_easy_cleanup (*c);
}
#define cleanup_curl __attribute__ ((cleanup (curl_easy_freep)))

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static long
backoff_ms (int attempt)
{
  long ms = FIRST_BACKOFF_MS << (attempt < 5 ? attempt : 5);
  return ms > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : ms;
}

/* The wait before attempt+1: a server's Retry-After (in seconds, as 429
 * and 503 answers may carry; bounded) or exponential backoff.  */
static long
retry_delay_ms (int attempt, const char *retry_after)
{
  char *end = NULL;
  long seconds;

  if (retry_after)
    {
      seconds = strtol (retry_after, &end, 10);
      if (end != retry_after && *end == '\0' && seconds >= 0)
        return (seconds > MAX_RETRY_AFTER ? MAX_RETRY_AFTER : seconds) * 1000;
    }
  return backoff_ms (attempt);
}

static int
max_retries (const struct registry *reg)
{
  return reg->opts.retries < 0 ? DEFAULT_RETRIES : reg->opts.retries;
}

/* Failures worth another attempt: the network, not the request.  */
static bool
curl_code_transient (CURLcode code)
{
  switch (code)
    {
      case CURLE_COULDNT_CONNECT:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_PARTIAL_FILE:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
        return true;
      default:
        return false;
    }
}

static bool
status_transient (long status)
{
  return status == 429 || status == 408 || (status >= 500 && status <= 599);
}

static size_t
body_cb (char *data, size_t size, size_t nmemb, void *userdata)
{
  struct http_response *r = userdata;
  size_t n = size * nmemb;
  char *grown;

  if (r->len + n > r->max)
    {
      r->truncated = true;
      return 0;
    }
  grown = realloc (r->body, r->len + n + 1);
  if (grown == NULL)
    return 0;
  r->body = grown;
  memcpy (r->body + r->len, data, n);
  r->len += n;
  r->body[r->len] = '\0';
  return n;
}

/* Keep the headers we use; a new status line (redirect, 100 Continue)
 * starts a new set.  */
static size_t
header_cb (char *data, size_t size, size_t nmemb, void *userdata)
{
  struct http_response *r = userdata;
  size_t n = size * nmemb, name_len, vlen;
  const char *colon, *value;
  char **slot = NULL;

  if (n >= 5 && strncmp (data, "HTTP/", 5) == 0)
    {
      free (r->content_type);
      free (r->content_digest);
      free (r->location);
      free (r->www_authenticate);
      free (r->retry_after);
      r->content_type = r->content_digest = r->location = r->www_authenticate = r->retry_after = NULL;
      return n;
    }
  colon = memchr (data, ':', n);
  if (colon == NULL)
    return n;
  name_len = colon - data;
#define IS_HEADER(h) (name_len == strlen (h) && strncasecmp (data, h, name_len) == 0)
  if (IS_HEADER ("Content-Type"))
    slot = &r->content_type;
  else if (IS_HEADER ("Docker-Content-Digest"))
    slot = &r->content_digest;
  else if (IS_HEADER ("Location"))
    slot = &r->location;
  else if (IS_HEADER ("WWW-Authenticate"))
    slot = &r->www_authenticate;
  else if (IS_HEADER ("Retry-After"))
    slot = &r->retry_after;
#undef IS_HEADER
  if (slot == NULL || *slot != NULL)
    return n;
  value = colon + 1;
  vlen = n - (value - data);
  while (vlen > 0 && (*value == ' ' || *value == '\t'))
    value++, vlen--;
  while (vlen > 0 && (value[vlen - 1] == '\r' || value[vlen - 1] == '\n' || value[vlen - 1] == ' '))
    vlen--;
  *slot = strndup (value, vlen);
  return n;
}

/* The first error of a registry error body ({"errors":[{"code","message"}]}),
 * or "HTTP STATUS".  */
static char *
error_text (long status, const char *body, size_t len)
{
  cleanup_free char *copy = body ? strndup (body, len) : NULL;
  yajl_val tree = copy ? yajl_tree_parse (copy, NULL, 0) : NULL;
  const char *errors_path[] = { "errors", NULL };
  yajl_val errors = tree ? yajl_tree_get (tree, errors_path, yajl_t_array) : NULL;
  char *s = NULL;

  if (errors && errors->u.array.len > 0)
    {
      const char *code_path[] = { "code", NULL };
      const char *msg_path[] = { "message", NULL };
      yajl_val code = yajl_tree_get (errors->u.array.values[0], code_path, yajl_t_string);
      yajl_val msg = yajl_tree_get (errors->u.array.values[0], msg_path, yajl_t_string);
      if (asprintf (&s, "HTTP %ld: %s%s%s", status, code ? YAJL_GET_STRING (code) : "",
                    code && msg ? ": " : "", msg ? YAJL_GET_STRING (msg) : "")
          < 0)
        s = NULL;
    }
  if (tree)
    yajl_tree_free (tree);
  if (s == NULL && asprintf (&s, "HTTP %ld", status) < 0)
    s = NULL;
  return s;
}

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

static int
stall_cb (void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  struct stall_guard *g = userdata;
  double now = now_seconds ();

  if (g->last_change == 0 || dlnow + ulnow != g->last_bytes)
    {
      g->last_bytes = dlnow + ulnow;
      g->last_change = now;
      return 0;
    }
  if (now - g->last_change < g->timeout)
    return 0;
  g->stalled = true;
  return 1; /* abort: CURLE_ABORTED_BY_CALLBACK */
}

/* A stall abort is a timeout, which is worth a retry.  */
static CURLcode
stall_code (CURLcode code, const struct stall_guard *g, char *errbuf)
{
  if (code != CURLE_ABORTED_BY_CALLBACK || !g->stalled)
    return code;
  snprintf (errbuf, CURL_ERROR_SIZE, "no data received for %d seconds", g->timeout);
  return CURLE_OPERATION_TIMEDOUT;
}

/* Settings every handle shares: TLS, timeouts, protocols, identity.  */
static void
setup_easy (struct registry *reg, CURL *c, const char *url, char *errbuf, struct stall_guard *guard)
{
  int timeout = reg->opts.timeout > 0 ? reg->opts.timeout : DEFAULT_TIMEOUT;

  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_USERAGENT, "muelle/" PACKAGE_VERSION);
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  /* A redirect never downgrades a verified https connection.  */
  curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, reg->opts.tls_verify ? "https" : "http,https");
  curl_easy_setopt (c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYPEER, reg->opts.tls_verify ? 1L : 0L);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYHOST, reg->opts.tls_verify ? 2L : 0L);
  if (reg->certs.ca_bundle)
    {
      struct curl_blob ca = { .data = reg->certs.ca_bundle,
                              .len = reg->certs.ca_len,
                              .flags = CURL_BLOB_NOCOPY };
      curl_easy_setopt (c, CURLOPT_CAINFO_BLOB, &ca);
    }
  if (reg->certs.client_cert)
    {
      curl_easy_setopt (c, CURLOPT_SSLCERT, reg->certs.client_cert);
      curl_easy_setopt (c, CURLOPT_SSLKEY, reg->certs.client_key);
    }
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, (long) timeout);
  memset (guard, 0, sizeof (*guard));
  guard->timeout = timeout;
  curl_easy_setopt (c, CURLOPT_XFERINFOFUNCTION, stall_cb);
  curl_easy_setopt (c, CURLOPT_XFERINFODATA, guard);
  curl_easy_setopt (c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
  errbuf[0] = '\0';
}

/* Authorization header for the registry (not for the token server).  */
static int
add_auth_header (struct registry *reg, struct curl_slist **headers)
{
  cleanup_free char *h = NULL;
  struct curl_slist *l;

  if (reg->bearer)
    {
      if (asprintf (&h, "Authorization: Bearer %s", reg->bearer) < 0)
        return -1;
    }
  else if (reg->challenge.scheme && strcmp (reg->challenge.scheme, "basic") == 0 && reg->user)
    {
      cleanup_free char *b64 = auth_basic_token (reg->user, reg->password);
      if (b64 == NULL || asprintf (&h, "Authorization: Basic %s", b64) < 0)
        return -1;
    }
  else
    return 0;
  l = curl_slist_append (*headers, h);
  if (l == NULL)
    return -1;
  *headers = l;
  return 0;
}

struct http_request
{
  const char *method; /* GET, HEAD, POST, PUT */
  const char *url;
  const char *const *headers; /* NULL-terminated extra headers */
  const char *body;           /* request body (PUT/POST) */
  size_t body_len;
  FILE *upload; /* or: stream this file as the body */
  int64_t upload_len;
  bool use_auth; /* send the registry's Authorization */
  bool follow_redirects;
  const char *what; /* "manifest ...": prefix of error messages */
};

static size_t
read_file_cb (char *buf, size_t size, size_t nitems, void *userdata)
{
  size_t n = fread (buf, 1, size * nitems, userdata);
  if (n == 0 && ferror ((FILE *) userdata))
    return CURL_READFUNC_ABORT;
  return n;
}

/* One attempt.  Returns the CURLcode; *resp is filled.  */
static CURLcode
perform_once (struct registry *reg, const struct http_request *req, struct http_response *resp, char *errbuf)
{
  cleanup_curl CURL *c = curl_easy_init ();
  cleanup_slist struct curl_slist *headers = NULL;
  struct stall_guard guard;
  const char *const *h;
  CURLcode code;

  http_response_clear (resp);
  resp->max = MAX_RESPONSE_BODY;
  if (c == NULL)
    return CURLE_OUT_OF_MEMORY;
  setup_easy (reg, c, req->url, errbuf, &guard);
  for (h = req->headers; h && *h; h++)
    {
      struct curl_slist *l = curl_slist_append (headers, *h);
      if (l == NULL)
        return CURLE_OUT_OF_MEMORY;
      headers = l;
    }
  if (req->use_auth && add_auth_header (reg, &headers) < 0)
    return CURLE_OUT_OF_MEMORY;
  if (strcmp (req->method, "HEAD") == 0)
    curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
  else if (req->upload)
    {
      if (fseeko (req->upload, 0, SEEK_SET) < 0)
        return CURLE_READ_ERROR;
      curl_easy_setopt (c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (c, CURLOPT_READFUNCTION, read_file_cb);
      curl_easy_setopt (c, CURLOPT_READDATA, req->upload);
      curl_easy_setopt (c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) req->upload_len);
      curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, req->method);
    }
  else if (strcmp (req->method, "POST") == 0 || strcmp (req->method, "PUT") == 0)
    {
      curl_easy_setopt (c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
      curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) (req->body ? req->body_len : 0));
      curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, req->method);
    }
  if (req->body || req->upload || strcmp (req->method, "POST") == 0)
    {
      /* No "Expect: 100-continue" round trip; curl adds its own
         Content-Type for POSTFIELDS otherwise.  */
      struct curl_slist *l = curl_slist_append (headers, "Expect:");
      if (l == NULL)
        return CURLE_OUT_OF_MEMORY;
      headers = l;
    }
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, resp);
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (c, CURLOPT_HEADERDATA, resp);
  code = stall_code (curl_easy_perform (c), &guard, errbuf);
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &resp->status);
  return code;
}

static int refresh_auth (struct registry *reg, const char *www_authenticate, estiba_error_t *err);

/* Perform with retries on transient failures and one re-authentication
 * on 401.  Returns 0 with *resp filled for any final HTTP status (the
 * caller judges it), < 0 when no response could be had.  */
static int
http_perform (struct registry *reg, const struct http_request *req, struct http_response *resp,
              estiba_error_t *err)
{
  char errbuf[CURL_ERROR_SIZE];
  bool reauthenticated = false;
  int attempt = 0;

  for (;;)
    {
      CURLcode code = perform_once (reg, req, resp, errbuf);

      if (code == CURLE_OK && resp->status == 401 && req->use_auth && !reauthenticated
          && resp->www_authenticate)
        {
          int ret = refresh_auth (reg, resp->www_authenticate, err);
          if (ret < 0)
            return estiba_error_wrap (err, "%s", req->what);
          if (ret > 0)
            {
              reauthenticated = true;
              continue;
            }
          return 0;
        }
      if (code == CURLE_WRITE_ERROR && resp->truncated)
        return estiba_error (err, 0, "%s: response larger than %d bytes", req->what, MAX_RESPONSE_BODY);
      if (code == CURLE_OK && !status_transient (resp->status))
        return 0;
      if ((code != CURLE_OK && !curl_code_transient (code)) || attempt >= max_retries (reg))
        {
          if (code != CURLE_OK)
            return estiba_error (err, 0, "%s: %s", req->what, errbuf[0] ? errbuf : curl_easy_strerror (code));
          return 0; /* the caller reports the final 5xx */
        }
      if (reg->opts.progress)
        fprintf (reg->opts.progress, "Retrying %s (%s)\n", req->what,
                 code != CURLE_OK ? curl_easy_strerror (code) : "server error");
      sleep_ms (retry_delay_ms (attempt++, code == CURLE_OK ? resp->retry_after : NULL));
    }
}

static char *
escape (const char *s)
{
  char *e = curl_easy_escape (NULL, s, 0);
  char *copy = e ? strdup (e) : NULL;
  curl_free (e);
  return copy;
}

/* Ask the token server of a Bearer challenge for a token for our scope.  */
static int
fetch_token (struct registry *reg, estiba_error_t *err)
{
  cleanup_free char *url = NULL;
  cleanup_free char *service = reg->challenge.service ? escape (reg->challenge.service) : NULL;
  cleanup_free char *basic = NULL;
  cleanup_free char *what = NULL;
  cleanup_response struct http_response resp = { 0 };
  const char *headers[2] = { NULL, NULL };
  struct http_request req = { .method = "GET", .follow_redirects = true };
  size_t len;
  FILE *f;
  char *scopes, *save = NULL, *s;
  int ret;

  f = open_memstream (&url, &len);
  if (f == NULL)
    return estiba_error_errno (err, "token request");
  fputs (reg->challenge.realm, f);
  fputc (strchr (reg->challenge.realm, '?') ? '&' : '?', f);
  if (service)
    fprintf (f, "service=%s", service);
  scopes = reg->scope ? strdup (reg->scope) : NULL;
  for (s = scopes ? strtok_r (scopes, " ", &save) : NULL; s; s = strtok_r (NULL, " ", &save))
    {
      cleanup_free char *e = escape (s);
      fprintf (f, "&scope=%s", e ? e : "");
    }
  free (scopes);
  if (fclose (f) != 0)
    return estiba_error (err, ENOMEM, "token request");

  /* Never hand credentials to a token server over plain HTTP unless the
     user turned TLS checks off.  */
  if (reg->user && reg->opts.tls_verify && strncasecmp (reg->challenge.realm, "https://", 8) != 0)
    return estiba_error (err, 0, "%s: refusing to send credentials to the plain-HTTP token realm %s",
                         reg->domain, reg->challenge.realm);
  if (reg->user)
    {
      cleanup_free char *b64 = auth_basic_token (reg->user, reg->password);
      if (b64 == NULL || asprintf (&basic, "Authorization: Basic %s", b64) < 0)
        return estiba_error (err, ENOMEM, "token request");
      headers[0] = basic;
    }
  if (asprintf (&what, "get a token for %s from %s", reg->domain, reg->challenge.realm) < 0)
    return estiba_error (err, ENOMEM, "token request");
  req.url = url;
  req.headers = headers;
  req.what = what;
  ret = http_perform (reg, &req, &resp, err);
  if (ret < 0)
    return ret;
  if (resp.status == 401 || resp.status == 403)
    return estiba_error (err, 0, "authentication to %s failed: %s%s", reg->domain,
                         reg->user ? "the token server rejected the credentials for user "
                                   : "anonymous access denied (log in first)",
                         reg->user ? reg->user : "");
  if (resp.status != 200)
    {
      cleanup_free char *t = error_text (resp.status, resp.body, resp.len);
      return estiba_error (err, 0, "%s: %s", what, t);
    }
  free (reg->bearer);
  reg->bearer = NULL;
  return auth_parse_token_response (resp.body ? resp.body : "", resp.len, what, &reg->bearer, err);
}

/* Whether the space-separated list has scope.  */
static bool
scope_listed (const char *list, const char *scope)
{
  size_t len = strlen (scope);
  const char *p;

  for (p = strstr (list, scope); p; p = strstr (p + 1, scope))
    if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
      return true;
  return false;
}

/* React to a 401: returns 1 when new credentials are in place (retry),
 * 0 when there is nothing more to try.  */
static int
refresh_auth (struct registry *reg, const char *www_authenticate, estiba_error_t *err)
{
  struct auth_challenge c;
  int ret = auth_parse_challenge (www_authenticate, &c, err);

  if (ret < 0)
    return ret;
  if (c.scheme == NULL)
    return 0;
  auth_challenge_clear (&reg->challenge);
  reg->challenge = c;
  if (strcmp (c.scheme, "bearer") == 0)
    {
      /* The registry may need a scope we did not ask for (a mount source).  */
      if (c.scope && (reg->scope == NULL || !scope_listed (reg->scope, c.scope)))
        {
          char *joined = NULL;
          if (asprintf (&joined, "%s%s%s", reg->scope ? reg->scope : "", reg->scope ? " " : "", c.scope) < 0)
            return estiba_error (err, ENOMEM, "token scope");
          free (reg->scope);
          reg->scope = joined;
        }
      ret = fetch_token (reg, err);
      return ret < 0 ? ret : 1;
    }
  /* Basic: worth one retry when we have credentials to send.  */
  free (reg->bearer);
  reg->bearer = NULL;
  return reg->user != NULL ? 1 : 0;
}

static char *url_for (struct registry *reg, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static char *
url_for (struct registry *reg, const char *fmt, ...)
{
  cleanup_free char *tail = NULL;
  char *url = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&tail, fmt, ap);
  va_end (ap);
  if (r < 0 || asprintf (&url, "%s%s", reg->base_url, tail) < 0)
    return NULL;
  return url;
}

/* GET /v2/ without credentials: which scheme works and what auth.  */
static int
ping (struct registry *reg, estiba_error_t *err)
{
  const char *schemes[] = { "https", "http" };
  size_t i, n = reg->opts.tls_verify ? 1 : 2;
  cleanup_free char *what = NULL;

  if (asprintf (&what, "connect to registry %s", reg->domain) < 0)
    return estiba_error (err, ENOMEM, "ping");
  for (i = 0; i < n; i++)
    {
      cleanup_response struct http_response resp = { 0 };
      cleanup_free char *url = NULL;
      char errbuf[CURL_ERROR_SIZE];
      struct http_request req = { .method = "GET", .what = what };
      CURLcode code;

      free (reg->base_url);
      if (asprintf (&reg->base_url, "%s://%s", schemes[i], reference_api_host (reg->domain)) < 0
          || (url = url_for (reg, "/v2/")) == NULL)
        return estiba_error (err, ENOMEM, "ping");
      req.url = url;
      code = perform_once (reg, &req, &resp, errbuf);
      if (code != CURLE_OK && !curl_code_transient (code))
        {
          if (i + 1 < n)
            continue; /* TLS failed: try plain HTTP (tls_verify is off) */
          return estiba_error (err, 0, "%s: %s%s", what, errbuf[0] ? errbuf : curl_easy_strerror (code),
                               reg->opts.tls_verify && code == CURLE_SSL_CONNECT_ERROR
                                 ? " (a plain-HTTP registry needs --tls-verify=false)"
                                 : "");
        }
      if (code != CURLE_OK)
        {
          /* Connection refused, timeout...: the retrying path decides.  */
          int ret = http_perform (reg, &req, &resp, err);
          if (ret < 0)
            return ret;
        }
      if (resp.status == 401 && resp.www_authenticate)
        {
          int ret = auth_parse_challenge (resp.www_authenticate, &reg->challenge, err);
          if (ret < 0)
            return estiba_error_wrap (err, "%s", what);
          return 0;
        }
      if (resp.status == 200)
        return 0;
      if (resp.status == 404)
        return estiba_error (err, 0, "%s: %s does not serve the registry API v2 (GET /v2/ answered 404)",
                             what, reg->base_url);
      {
        cleanup_free char *t = error_text (resp.status, resp.body, resp.len);
        return estiba_error (err, 0, "%s: GET %s: %s", what, url, t);
      }
    }
  return estiba_error (err, 0, "%s: no scheme worked", what);
}

/* Credentials: --creds first, then the auth files.  */
static int
load_credentials (struct registry *reg, estiba_error_t *err)
{
  cleanup_free char *repo = NULL;

  if (reg->opts.user)
    {
      reg->user = strdup (reg->opts.user);
      reg->password = strdup (reg->opts.password ? reg->opts.password : "");
      return reg->user && reg->password ? 0 : estiba_error (err, ENOMEM, "credentials");
    }
  if (reg->path && asprintf (&repo, "%s/%s", reg->domain, reg->path) < 0)
    return estiba_error (err, ENOMEM, "credentials");
  return auth_lookup (reg->opts.authfile, repo ? repo : reg->domain, &reg->user, &reg->password, err) < 0 ? -1
                                                                                                          : 0;
}

int
registry_open (const char *domain, const char *path, const char *actions, const struct registry_options *opts,
               struct registry **out, estiba_error_t *err)
{
  struct registry *reg;
  int ret;

  if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return estiba_error (err, 0, "cannot initialise libcurl");
  reg = calloc (1, sizeof (*reg));
  if (reg == NULL)
    return estiba_error (err, ENOMEM, "registry client");
  reg->opts = *opts;
  reg->domain = strdup (domain);
  reg->path = path ? strdup (path) : NULL;
  if (path && asprintf (&reg->scope, "repository:%s:%s", path, actions) < 0)
    reg->scope = NULL;
  if (reg->domain == NULL || (path && (reg->path == NULL || reg->scope == NULL)))
    {
      registry_close (reg);
      return estiba_error (err, ENOMEM, "registry client");
    }
  ret = load_credentials (reg, err);
  if (ret == 0)
    ret = certs_load (reg->opts.cert_dir, reg->domain, &reg->certs, err);
  if (ret == 0)
    ret = ping (reg, err);
  /* Get the token up front: every request of a pull or push needs it.  */
  if (ret == 0 && reg->challenge.scheme && strcmp (reg->challenge.scheme, "bearer") == 0 && reg->path)
    ret = fetch_token (reg, err);
  if (ret < 0)
    {
      registry_close (reg);
      return ret;
    }
  *out = reg;
  return 0;
}

void
registry_close (struct registry *reg)
{
  if (reg == NULL)
    return;
  free (reg->domain);
  free (reg->path);
  free (reg->base_url);
  free (reg->scope);
  free (reg->user);
  if (reg->password)
    explicit_bzero (reg->password, strlen (reg->password));
  free (reg->password);
  auth_challenge_clear (&reg->challenge);
  free (reg->bearer);
  certs_clear (&reg->certs);
  free (reg);
}

int
registry_add_pull_scope (struct registry *reg, const char *other_path, estiba_error_t *err)
{
  char *scope = NULL;

  if (asprintf (&scope, "%s repository:%s:pull", reg->scope ? reg->scope : "", other_path) < 0)
    return estiba_error (err, ENOMEM, "registry scope");
  free (reg->scope);
  reg->scope = scope;
  if (reg->challenge.scheme && strcmp (reg->challenge.scheme, "bearer") == 0)
    return fetch_token (reg, err);
  return 0;
}

bool
registry_authenticated (const struct registry *reg)
{
  return reg->bearer != NULL || (reg->challenge.scheme != NULL && reg->user != NULL);
}

const char *
registry_base_url (const struct registry *reg)
{
  return reg->base_url;
}

/* Judge a final status: 401/403/404/other → one-line error naming what.  */
static int
status_error (struct registry *reg, const struct http_response *resp, const char *what, estiba_error_t *err)
{
  cleanup_free char *t = error_text (resp->status, resp->body, resp->len);

  if (resp->status == 401)
    return estiba_error (err, 0, "%s: unauthorized (%s)%s", what, t,
                         reg->user ? "" : "; log in with `muelle login` or pass --creds");
  if (resp->status == 403)
    return estiba_error (err, 0, "%s: access denied (%s)", what, t);
  if (status_transient (resp->status))
    return estiba_error (err, 0, "%s: server error after %d attempts (%s)", what, max_retries (reg) + 1, t);
  return estiba_error (err, 0, "%s: %s", what, t);
}

int
registry_get_manifest (struct registry *reg, const char *key, char **body, size_t *len, char **media_type,
                       char **content_digest, estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *url = url_for (reg, "/v2/%s/manifests/%s", reg->path, key);
  cleanup_free char *what = NULL;
  const char *headers[] = { MANIFEST_ACCEPT, NULL };
  struct http_request req = {
    .method = "GET", .headers = headers, .use_auth = true, .follow_redirects = true
  };
  int ret;

  if (url == NULL || asprintf (&what, "manifest %s/%s:%s", reg->domain, reg->path, key) < 0)
    return estiba_error (err, ENOMEM, "manifest request");
  if (strchr (key, ':'))
    what[strlen (what) - strlen (key) - 1] = '@';
  req.url = url;
  req.what = what;
  ret = http_perform (reg, &req, &resp, err);
  if (ret < 0)
    return ret;
  if (resp.status == 404)
    {
      cleanup_free char *t = error_text (resp.status, resp.body, resp.len);
      return estiba_error (err, 0, "%s: not found in the registry (%s)", what, t);
    }
  if (resp.status != 200)
    return status_error (reg, &resp, what, err);
  if (resp.body == NULL)
    return estiba_error (err, 0, "%s: empty response", what);
  *body = steal_pointer (&resp.body);
  *len = resp.len;
  *media_type = steal_pointer (&resp.content_type);
  *content_digest = steal_pointer (&resp.content_digest);
  return 0;
}

int
registry_put_manifest (struct registry *reg, const char *key, const char *media_type, const char *body,
                       size_t len, char **digest_out, estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *url = url_for (reg, "/v2/%s/manifests/%s", reg->path, key);
  cleanup_free char *ctype = NULL;
  cleanup_free char *what = NULL;
  const char *headers[2] = { NULL, NULL };
  struct http_request req = { .method = "PUT", .body = body, .body_len = len, .use_auth = true };
  int ret;

  if (url == NULL || asprintf (&ctype, "Content-Type: %s", media_type) < 0
      || asprintf (&what, "push manifest %s/%s:%s", reg->domain, reg->path, key) < 0)
    return estiba_error (err, ENOMEM, "manifest upload");
  headers[0] = ctype;
  req.url = url;
  req.headers = headers;
  req.what = what;
  ret = http_perform (reg, &req, &resp, err);
  if (ret < 0)
    return ret;
  if (resp.status != 201 && resp.status != 200)
    return status_error (reg, &resp, what, err);
  if (digest_out)
    *digest_out = steal_pointer (&resp.content_digest);
  return 0;
}

int
registry_blob_exists (struct registry *reg, const char *digest, estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *url = url_for (reg, "/v2/%s/blobs/%s", reg->path, digest);
  cleanup_free char *what = NULL;
  struct http_request req = { .method = "HEAD", .use_auth = true, .follow_redirects = true };
  int ret;

  if (url == NULL || asprintf (&what, "check blob %s in %s/%s", digest, reg->domain, reg->path) < 0)
    return estiba_error (err, ENOMEM, "blob check");
  req.url = url;
  req.what = what;
  ret = http_perform (reg, &req, &resp, err);
  if (ret < 0)
    return ret;
  if (resp.status == 200)
    return 1;
  if (resp.status == 404)
    return 0;
  return status_error (reg, &resp, what, err);
}

/* Location of an upload session, made absolute.  */
static char *
resolve_location (struct registry *reg, const char *location, const char *digest)
{
  CURLU *u = curl_url ();
  cleanup_free char *query = NULL;
  char *out = NULL, *tmp = NULL;

  if (u == NULL || asprintf (&query, "digest=%s", digest) < 0)
    goto done;
  if (curl_url_set (u, CURLUPART_URL, reg->base_url, 0) != CURLUE_OK
      || curl_url_set (u, CURLUPART_URL, location, 0) != CURLUE_OK)
    goto done;
  if (digest && curl_url_set (u, CURLUPART_QUERY, query, CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK)
    goto done;
  if (curl_url_get (u, CURLUPART_URL, &tmp, 0) == CURLUE_OK)
    out = strdup (tmp);
  curl_free (tmp);
done:
  if (u)
    curl_url_cleanup (u);
  return out;
}

/* POST to start an upload (or mount); returns the HTTP status in *status
 * and the session Location.  */
static int
start_upload (struct registry *reg, const char *digest, const char *mount_from, long *status, char **location,
              estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *url = NULL;
  cleanup_free char *what = NULL;
  struct http_request req = { .method = "POST", .use_auth = true };
  int ret;

  if (mount_from)
    {
      cleanup_free char *d = escape (digest);
      cleanup_free char *from = escape (mount_from);
      url = url_for (reg, "/v2/%s/blobs/uploads/?mount=%s&from=%s", reg->path, d ? d : "", from ? from : "");
    }
  else
    url = url_for (reg, "/v2/%s/blobs/uploads/", reg->path);
  if (url == NULL || asprintf (&what, "push blob %s to %s/%s", digest, reg->domain, reg->path) < 0)
    return estiba_error (err, ENOMEM, "blob upload");
  req.url = url;
  req.what = what;
  ret = http_perform (reg, &req, &resp, err);
  if (ret < 0)
    return ret;
  *status = resp.status;
  if (resp.status == 201)
    return 0;
  if (resp.status != 202)
    return status_error (reg, &resp, what, err);
  if (resp.location == NULL)
    return estiba_error (err, 0, "%s: upload session without a Location header", what);
  *location = steal_pointer (&resp.location);
  return 0;
}

int
registry_upload_blob (struct registry *reg, const char *path, const char *digest, int64_t size,
                      const char *mount_from, estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *location = NULL;
  cleanup_free char *put_url = NULL;
  cleanup_free char *what = NULL;
  cleanup_fclose FILE *f = NULL;
  const char *headers[] = { "Content-Type: application/octet-stream", NULL };
  struct http_request req = { .method = "PUT", .headers = headers, .use_auth = true };
  long status = 0;
  int ret;

  if (asprintf (&what, "push blob %s to %s/%s", digest, reg->domain, reg->path) < 0)
    return estiba_error (err, ENOMEM, "blob upload");
  if (mount_from)
    {
      ret = start_upload (reg, digest, mount_from, &status, &location, err);
      if (ret < 0)
        return ret;
      if (status == 201)
        return 1;
    }
  if (location == NULL)
    {
      ret = start_upload (reg, digest, NULL, &status, &location, err);
      if (ret < 0)
        return ret;
      if (status == 201)
        return estiba_error (err, 0, "%s: registry created a blob without receiving it", what);
    }
  f = fopen (path, "rbe");
  if (f == NULL)
    return estiba_error_errno (err, "%s: open %s", what, path);
  put_url = resolve_location (reg, location, digest);
  if (put_url == NULL)
    return estiba_error (err, 0, "%s: invalid upload Location \"%s\"", what, location);
  req.url = put_url;
  /* Credentials go only to the registry itself, not to wherever its
     Location header points.  */
  req.use_auth =
    strncmp (put_url, reg->base_url, strlen (reg->base_url)) == 0 && put_url[strlen (reg->base_url)] == '/';
  req.upload = f;
  req.upload_len = size;
  req.what = what;
  ret = http_perform (reg, &req, &resp, err);
  if (ret < 0)
    return ret;
  if (resp.status != 201)
    return status_error (reg, &resp, what, err);
  if (resp.content_digest && strcmp (resp.content_digest, digest) != 0)
    return estiba_error (err, 0, "%s: registry stored it as %s", what, resp.content_digest);
  return 0;
}

int
registry_check_login (struct registry *reg, estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *url = url_for (reg, "/v2/");
  cleanup_free char *what = NULL;
  struct http_request req = { .method = "GET", .use_auth = true };
  int ret;

  if (url == NULL || asprintf (&what, "log in to %s", reg->domain) < 0)
    return estiba_error (err, ENOMEM, "login");
  if (reg->challenge.scheme == NULL)
    return 0; /* the registry needs no credentials */
  if (strcmp (reg->challenge.scheme, "bearer") == 0)
    {
      ret = fetch_token (reg, err);
      if (ret < 0)
        return ret;
    }
  req.url = url;
  req.what = what;
  ret = http_perform (reg, &req, &resp, err);
  if (ret < 0)
    return ret;
  if (resp.status == 401)
    return estiba_error (err, 0, "%s: invalid username or password", what);
  if (resp.status != 200)
    return status_error (reg, &resp, what, err);
  return 0;
}

/* ---- parallel blob downloads ---- */

struct transfer
{
  struct registry *reg;
  struct muelle_store *store;
  const struct registry_blob *blob;
  CURL *easy;
  struct curl_slist *headers;
  struct blob_writer *writer;
  estiba_error_t write_err;
  int64_t received;
  bool oversize;
  char *error_body;
  size_t error_len;
  struct http_response head; /* headers of the current response */
  char errbuf[CURL_ERROR_SIZE];
  struct stall_guard guard;
  int attempt;
  bool reauthenticated;
  double retry_at;
  bool active;
  bool done;
  /* Downloaded, size and digest checked, waiting for its commit into the
   * store (see registry_fetch_blobs_gated) while `syncer` fsyncs it.  */
  bool held;
  /* The whole body arrived and its digest matched: set the moment the
   * last byte is written, which can be long before curl reports the
   * transfer done (one curl_multi_perform call may drain several
   * connections in turn).  */
  bool body_checked;
  bool syncing;
  pthread_t syncer;
};

static void *
sync_blob (void *writer)
{
  blob_writer_sync (writer); /* an error shows again in the commit's fsync */
  return NULL;
}

/* The body is complete: check its digest and start its fsync on a thread
 * of its own, so the syncs overlap the other downloads and each other.
 * Returns 0, or < 0 with t->write_err set.  */
static int
transfer_body_done (struct transfer *t)
{
  if (blob_writer_verify (t->writer, t->blob->digest, t->blob->size, &t->write_err) < 0)
    return -1;
  t->body_checked = true;
  t->syncing = pthread_create (&t->syncer, NULL, sync_blob, t->writer) == 0;
  return 0;
}

static size_t
blob_body_cb (char *data, size_t size, size_t nmemb, void *userdata)
{
  struct transfer *t = userdata;
  size_t n = size * nmemb;
  long status = 0;

  curl_easy_getinfo (t->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    {
      /* Keep the start of an error body for the message.  */
      size_t room = MAX_ERROR_BODY - t->error_len;
      char *grown;
      if (n < room)
        room = n;
      grown = realloc (t->error_body, t->error_len + room + 1);
      if (grown == NULL)
        return 0;
      t->error_body = grown;
      memcpy (t->error_body + t->error_len, data, room);
      t->error_len += room;
      t->error_body[t->error_len] = '\0';
      return n;
    }
  if (t->received + (int64_t) n > t->blob->size)
    {
      t->oversize = true; /* never let a blob grow past its descriptor */
      return 0;
    }
  if (blob_writer_write (t->writer, data, n, &t->write_err) < 0)
    return 0;
  t->received += n;
  if (t->received == t->blob->size && transfer_body_done (t) < 0)
    return 0;
  return n;
}

/* Joins the thread syncing a held blob: before its commit or abort.  */
static void
transfer_join_syncer (struct transfer *t)
{
  if (t->syncing)
    pthread_join (t->syncer, NULL);
  t->syncing = false;
}

/* Give the transfer's connection back to the pool.  */
static void
transfer_release_easy (struct transfer *t, CURLM *multi)
{
  if (t->easy)
    {
      if (t->active)
        curl_multi_remove_handle (multi, t->easy);
      curl_easy_cleanup (t->easy);
      t->easy = NULL;
    }
  curl_slist_free_all (t->headers);
  t->headers = NULL;
  t->active = false;
}

static void
transfer_reset (struct transfer *t, CURLM *multi)
{
  transfer_join_syncer (t);
  transfer_release_easy (t, multi);
  if (t->writer)
    blob_writer_abort (t->writer);
  t->writer = NULL;
  estiba_error_release (&t->write_err);
  free (t->error_body);
  t->error_body = NULL;
  t->error_len = 0;
  t->received = 0;
  t->oversize = false;
  t->body_checked = false;
  http_response_clear (&t->head);
}

static int
transfer_start (struct transfer *t, CURLM *multi, estiba_error_t *err)
{
  cleanup_free char *url = url_for (t->reg, "/v2/%s/blobs/%s", t->reg->path, t->blob->digest);
  int ret;

  if (url == NULL)
    return estiba_error (err, ENOMEM, "blob request");
  ret = store_blob_writer_begin (t->store, &t->writer, err);
  if (ret < 0)
    return ret;
  t->easy = curl_easy_init ();
  if (t->easy == NULL || add_auth_header (t->reg, &t->headers) < 0)
    return estiba_error (err, ENOMEM, "blob request");
  setup_easy (t->reg, t->easy, url, t->errbuf, &t->guard);
  curl_easy_setopt (t->easy, CURLOPT_HTTPHEADER, t->headers);
  /* Registries redirect blob GETs to storage (S3, CDN); curl drops our
     Authorization header when the host changes.  */
  curl_easy_setopt (t->easy, CURLOPT_FOLLOWLOCATION, 1L);
  /* Larger reads: fewer write(2) calls into the blob writer.  */
  curl_easy_setopt (t->easy, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt (t->easy, CURLOPT_WRITEFUNCTION, blob_body_cb);
  curl_easy_setopt (t->easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt (t->easy, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (t->easy, CURLOPT_HEADERDATA, &t->head);
  curl_easy_setopt (t->easy, CURLOPT_PRIVATE, t);
  if (curl_multi_add_handle (multi, t->easy) != CURLM_OK)
    return estiba_error (err, 0, "cannot start the download of %s", t->blob->digest);
  t->active = true;
  return 0;
}

static char *
blob_what (const struct transfer *t)
{
  char *s = NULL;
  if (asprintf (&s, "%s %s from %s/%s", t->blob->kind ? t->blob->kind : "blob", t->blob->digest,
                t->reg->domain, t->reg->path)
      < 0)
    return NULL;
  return s;
}

static void
schedule_retry (struct transfer *t, CURLM *multi, const char *why)
{
  cleanup_free char *what = blob_what (t);
  long delay = retry_delay_ms (t->attempt++, t->head.retry_after);

  if (t->reg->opts.progress)
    fprintf (t->reg->opts.progress, "%sRetrying %s (%s)\n", t->reg->opts.progress_tty ? "\r\033[K" : "",
             what ? what : t->blob->digest, why);
  transfer_reset (t, multi);
  t->retry_at = now_seconds () + delay / 1000.0;
}

/* Move a held blob into the store.  */
static int
transfer_commit (struct transfer *t, CURLM *multi, estiba_error_t *err)
{
  cleanup_free char *what = blob_what (t);
  int ret;

  transfer_join_syncer (t);
  ret = blob_writer_commit (t->writer, t->blob->digest, t->blob->size, NULL, err);
  t->writer = NULL; /* commit always frees it */
  t->held = false;
  transfer_reset (t, multi);
  if (ret < 0)
    return estiba_error_wrap (err, "%s", what);
  t->done = true;
  if (t->reg->opts.progress)
    fprintf (t->reg->opts.progress, "%sCopying %s %s done\n", t->reg->opts.progress_tty ? "\r\033[K" : "",
             t->blob->kind ? t->blob->kind : "blob", t->blob->digest);
  return 0;
}

/* Keep a downloaded, checked blob's temporary file (still syncing) for a
 * later commit; its connection goes back to the pool.  */
static void
transfer_hold (struct transfer *t, CURLM *multi)
{
  transfer_release_easy (t, multi);
  estiba_error_release (&t->write_err);
  free (t->error_body);
  t->error_body = NULL;
  t->error_len = 0;
  http_response_clear (&t->head);
  t->held = true;
}

/* A transfer ended: hold it (checked, syncing, to commit later), retry or
 * fail.  Returns 0 or < 0.  */
static int
transfer_finish (struct transfer *t, CURLM *multi, CURLcode code, estiba_error_t *err)
{
  cleanup_free char *what = blob_what (t);
  long status = 0;
  bool may_retry = t->attempt < max_retries (t->reg);
  int ret;

  code = stall_code (code, &t->guard, t->errbuf);
  curl_easy_getinfo (t->easy, CURLINFO_RESPONSE_CODE, &status);
  if (t->write_err)
    {
      ret = estiba_error (err, t->write_err->status, "%s: %s", what, t->write_err->msg);
      transfer_reset (t, multi);
      return ret;
    }
  if (t->oversize)
    {
      transfer_reset (t, multi);
      return estiba_error (err, 0, "%s: the registry sent more than the %lld bytes its descriptor declares",
                           what, (long long) t->blob->size);
    }
  if (code != CURLE_OK)
    {
      if (curl_code_transient (code) && may_retry)
        {
          schedule_retry (t, multi, t->errbuf[0] ? t->errbuf : curl_easy_strerror (code));
          return 0;
        }
      ret = estiba_error (err, 0, "%s: %s%s", what, t->errbuf[0] ? t->errbuf : curl_easy_strerror (code),
                          code == CURLE_PARTIAL_FILE ? " (truncated transfer)" : "");
      transfer_reset (t, multi);
      return ret;
    }
  if (status == 401 && !t->reauthenticated && t->head.www_authenticate)
    {
      cleanup_free char *challenge = strdup (t->head.www_authenticate);
      transfer_reset (t, multi);
      t->reauthenticated = true;
      ret = challenge ? refresh_auth (t->reg, challenge, err) : estiba_error (err, ENOMEM, "auth");
      if (ret < 0)
        return estiba_error_wrap (err, "%s", what);
      if (ret > 0)
        t->retry_at = 0;
      else
        return estiba_error (err, 0, "%s: unauthorized", what);
      return 0;
    }
  if (status_transient (status) && may_retry)
    {
      char why[32];
      snprintf (why, sizeof why, "HTTP %ld", status);
      schedule_retry (t, multi, why);
      return 0;
    }
  if (status != 200)
    {
      struct http_response r = { .status = status, .body = t->error_body, .len = t->error_len };
      if (status == 404)
        {
          cleanup_free char *txt = error_text (status, t->error_body, t->error_len);
          ret = estiba_error (err, 0, "%s: not found in the registry (%s)", what, txt);
        }
      else
        ret = status_error (t->reg, &r, what, err);
      transfer_reset (t, multi);
      return ret;
    }
  if (t->received < t->blob->size)
    {
      /* The server ended early without signalling it: a truncated blob.  */
      if (may_retry)
        {
          schedule_retry (t, multi, "truncated");
          return 0;
        }
      ret = estiba_error (err, 0, "%s: truncated: received %lld of %lld bytes", what, (long long) t->received,
                          (long long) t->blob->size);
      transfer_reset (t, multi);
      return ret;
    }
  /* An empty blob never reached blob_body_cb.  A digest mismatch is not
     retried: the registry serves what it has.  */
  if (!t->body_checked && transfer_body_done (t) < 0)
    {
      ret = estiba_error (err, t->write_err->status, "%s: %s", what, t->write_err->msg);
      transfer_reset (t, multi);
      return ret;
    }
  transfer_hold (t, multi);
  return 0;
}

static void
show_live_progress (struct registry *reg, const struct transfer *ts, size_t n)
{
  int64_t got = 0, total = 0;
  size_t i, done = 0;

  for (i = 0; i < n; i++)
    {
      total += ts[i].blob->size;
      got += ts[i].done || ts[i].held ? ts[i].blob->size : ts[i].received;
      done += ts[i].done || ts[i].held;
    }
  fprintf (reg->opts.progress, "\r\033[K%zu/%zu blobs, %.1f / %.1f MiB", done, n, got / 1048576.0,
           total / 1048576.0);
  fflush (reg->opts.progress);
}

/* Every download ended: commit the held blobs, in order.  */
static int
commit_held (struct transfer *ts, size_t n, CURLM *multi, estiba_error_t *err)
{
  size_t i;
  int ret = 0;

  for (i = 0; i < n && ret == 0; i++)
    if (ts[i].held)
      ret = transfer_commit (&ts[i], multi, err);
  return ret;
}

/* Start transfers while fewer than `parallel` run.  */
static int
start_transfers (struct transfer *ts, size_t n, int parallel, CURLM *multi, estiba_error_t *err)
{
  double now = now_seconds ();
  int active = 0;
  size_t i;

  for (i = 0; i < n; i++)
    active += ts[i].active;
  for (i = 0; i < n && active < parallel; i++)
    if (!ts[i].done && !ts[i].active && !ts[i].held && ts[i].retry_at <= now)
      {
        if (transfer_start (&ts[i], multi, err) < 0)
          return -1;
        active++;
      }
  return 0;
}

/* Handle the transfers curl reports ended.  Returns how many ended (held,
 * failed or rescheduled), or < 0.  */
static int
finish_transfers (CURLM *multi, estiba_error_t *err)
{
  CURLMsg *msg;
  int queued, ended = 0;

  while ((msg = curl_multi_info_read (multi, &queued)))
    {
      struct transfer *t = NULL;
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
      if (transfer_finish (t, multi, msg->data.result, err) < 0)
        return -1;
      ended++;
    }
  return ended;
}

static size_t
count_held (const struct transfer *ts, size_t n)
{
  size_t i, held = 0;

  for (i = 0; i < n; i++)
    held += ts[i].held;
  return held;
}

/* blobs[0..n_first) all arrived and were checked: run the gate on them.  */
static int
open_gate (struct transfer *ts, size_t n_first, registry_gate_fn gate, void *gate_arg, estiba_error_t *err)
{
  cleanup_free struct blob_writer **firsts = NULL;
  size_t i;

  if (gate == NULL)
    return 0;
  firsts = calloc (n_first + 1, sizeof (*firsts));
  if (firsts == NULL)
    return estiba_error (err, ENOMEM, "blob downloads");
  for (i = 0; i < n_first; i++)
    firsts[i] = ts[i].writer;
  return gate (gate_arg, firsts, n_first, err);
}

int
registry_fetch_blobs_gated (struct registry *reg, struct muelle_store *store,
                            const struct registry_blob *blobs, size_t n, size_t n_first,
                            registry_gate_fn gate, void *gate_arg, estiba_error_t *err)
{
  CURLM *multi;
  struct transfer *ts;
  size_t i;
  int parallel = reg->opts.parallel > 0 ? reg->opts.parallel : DEFAULT_PARALLEL;
  double last_progress = 0;
  bool gate_open = n_first == 0;
  int ret = 0;

  if (n == 0)
    return 0;
  multi = curl_multi_init ();
  ts = calloc (n, sizeof (*ts));
  if (multi == NULL || ts == NULL)
    {
      free (ts);
      if (multi)
        curl_multi_cleanup (multi);
      return estiba_error (err, ENOMEM, "blob downloads");
    }
  for (i = 0; i < n; i++)
    {
      ts[i].reg = reg;
      ts[i].store = store;
      ts[i].blob = &blobs[i];
    }

  while (ret == 0 && count_held (ts, n) < n)
    {
      int running = 0, ended;
      double now;

      ret = start_transfers (ts, n, parallel, multi, err);
      if (ret < 0)
        break;
      if (curl_multi_perform (multi, &running) != CURLM_OK)
        {
          ret = estiba_error (err, 0, "blob downloads: libcurl multi interface failed");
          break;
        }
      ended = finish_transfers (multi, err);
      if (ended < 0)
        {
          ret = -1;
          break;
        }
      if (!gate_open && count_held (ts, n_first) == n_first)
        {
          gate_open = true;
          ret = open_gate (ts, n_first, gate, gate_arg, err);
          if (ret < 0)
            break;
        }
      now = now_seconds ();
      if (reg->opts.progress && reg->opts.progress_tty && now - last_progress > 0.2)
        {
          show_live_progress (reg, ts, n);
          last_progress = now;
        }
      /* A transfer that just ended frees a slot (or needs a retry): start
         the next one now rather than after the poll, which would wait
         the whole timeout when no other socket is busy.  */
      if (ended > 0)
        continue;
      if (curl_multi_poll (multi, NULL, 0, 100, NULL) != CURLM_OK)
        ret = estiba_error (err, 0, "blob downloads: libcurl multi interface failed");
    }
  if (reg->opts.progress && reg->opts.progress_tty)
    fprintf (reg->opts.progress, "\r\033[K");
  if (ret == 0)
    ret = commit_held (ts, n, multi, err);

  for (i = 0; i < n; i++)
    transfer_reset (&ts[i], multi);
  free (ts);
  curl_multi_cleanup (multi);
  return ret;
}
