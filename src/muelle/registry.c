/* Registry HTTP API v2 client over libcurl: ping, authentication,
 * retries, manifests and blob uploads (the parallel blob downloads are in
 * registry_blobs.c).  */
#include <config.h>
#include "registry.h"
#include "auth.h"
#include "certs.h"
#include "registry_internal.h"
#include "cleanup.h"
#include "reference.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <yajl/yajl_tree.h>

#define DEFAULT_RETRIES  3
#define DEFAULT_TIMEOUT  60
#define FIRST_BACKOFF_MS 250
#define MAX_BACKOFF_MS   4000
#define MAX_RETRY_AFTER  30 /* seconds */
/* distribution refuses manifests over 4 MiB; other bodies are smaller.  */
#define MAX_RESPONSE_BODY (4 * 1024 * 1024)

#define MANIFEST_ACCEPT                                                                                      \
  "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "            \
  "application/vnd.docker.distribution.manifest.list.v2+json, "                                              \
  "application/vnd.docker.distribution.manifest.v2+json"

void
registry_http_response_clear (struct http_response *r)
{
  free (r->body);
  free (r->content_type);
  free (r->content_digest);
  free (r->location);
  free (r->www_authenticate);
  free (r->retry_after);
  memset (r, 0, sizeof (*r));
}
#define cleanup_response __attribute__ ((cleanup (registry_http_response_clear)))

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

double
registry_now_seconds (void)
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
long
registry_retry_delay_ms (int attempt, const char *retry_after)
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

int
registry_max_retries (const struct registry *reg)
{
  return reg->opts.retries < 0 ? DEFAULT_RETRIES : reg->opts.retries;
}

/* Failures worth another attempt: the network, not the request.  */
bool
registry_curl_code_transient (CURLcode code)
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

bool
registry_status_transient (long status)
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
size_t
registry_header_cb (char *data, size_t size, size_t nmemb, void *userdata)
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
char *
registry_error_text (long status, const char *body, size_t len)
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

static int
stall_cb (void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  struct stall_guard *g = userdata;
  double now = registry_now_seconds ();

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
CURLcode
registry_stall_code (CURLcode code, const struct stall_guard *g, char *errbuf)
{
  if (code != CURLE_ABORTED_BY_CALLBACK || !g->stalled)
    return code;
  snprintf (errbuf, CURL_ERROR_SIZE, "no data received for %d seconds", g->timeout);
  return CURLE_OPERATION_TIMEDOUT;
}

/* Settings every handle shares: TLS, timeouts, protocols, identity.  */
void
registry_setup_easy (struct registry *reg, CURL *c, const char *url, char *errbuf, struct stall_guard *guard)
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
int
registry_add_auth_header (struct registry *reg, struct curl_slist **headers)
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

  registry_http_response_clear (resp);
  resp->max = MAX_RESPONSE_BODY;
  if (c == NULL)
    return CURLE_OUT_OF_MEMORY;
  registry_setup_easy (reg, c, req->url, errbuf, &guard);
  for (h = req->headers; h && *h; h++)
    {
      struct curl_slist *l = curl_slist_append (headers, *h);
      if (l == NULL)
        return CURLE_OUT_OF_MEMORY;
      headers = l;
    }
  if (req->use_auth && registry_add_auth_header (reg, &headers) < 0)
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
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, registry_header_cb);
  curl_easy_setopt (c, CURLOPT_HEADERDATA, resp);
  code = registry_stall_code (curl_easy_perform (c), &guard, errbuf);
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &resp->status);
  return code;
}

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
          int ret = registry_refresh_auth (reg, resp->www_authenticate, err);
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
      if (code == CURLE_OK && !registry_status_transient (resp->status))
        return 0;
      if ((code != CURLE_OK && !registry_curl_code_transient (code)) || attempt >= registry_max_retries (reg))
        {
          if (code != CURLE_OK)
            return estiba_error (err, 0, "%s: %s", req->what, errbuf[0] ? errbuf : curl_easy_strerror (code));
          return 0; /* the caller reports the final 5xx */
        }
      if (reg->opts.progress)
        fprintf (reg->opts.progress, "Retrying %s (%s)\n", req->what,
                 code != CURLE_OK ? curl_easy_strerror (code) : "server error");
      sleep_ms (registry_retry_delay_ms (attempt++, code == CURLE_OK ? resp->retry_after : NULL));
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
      cleanup_free char *t = registry_error_text (resp.status, resp.body, resp.len);
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
int
registry_refresh_auth (struct registry *reg, const char *www_authenticate, estiba_error_t *err)
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

char *
registry_url_for (struct registry *reg, const char *fmt, ...)
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
          || (url = registry_url_for (reg, "/v2/")) == NULL)
        return estiba_error (err, ENOMEM, "ping");
      req.url = url;
      code = perform_once (reg, &req, &resp, errbuf);
      if (code != CURLE_OK && !registry_curl_code_transient (code))
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
        cleanup_free char *t = registry_error_text (resp.status, resp.body, resp.len);
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
int
registry_status_error (struct registry *reg, const struct http_response *resp, const char *what,
                       estiba_error_t *err)
{
  cleanup_free char *t = registry_error_text (resp->status, resp->body, resp->len);

  if (resp->status == 401)
    return estiba_error (err, 0, "%s: unauthorized (%s)%s", what, t,
                         reg->user ? "" : "; log in with `muelle login` or pass --creds");
  if (resp->status == 403)
    return estiba_error (err, 0, "%s: access denied (%s)", what, t);
  if (registry_status_transient (resp->status))
    return estiba_error (err, 0, "%s: server error after %d attempts (%s)", what,
                         registry_max_retries (reg) + 1, t);
  return estiba_error (err, 0, "%s: %s", what, t);
}

int
registry_get_manifest (struct registry *reg, const char *key, char **body, size_t *len, char **media_type,
                       char **content_digest, estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *url = registry_url_for (reg, "/v2/%s/manifests/%s", reg->path, key);
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
      cleanup_free char *t = registry_error_text (resp.status, resp.body, resp.len);
      return estiba_error (err, 0, "%s: not found in the registry (%s)", what, t);
    }
  if (resp.status != 200)
    return registry_status_error (reg, &resp, what, err);
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
  cleanup_free char *url = registry_url_for (reg, "/v2/%s/manifests/%s", reg->path, key);
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
    return registry_status_error (reg, &resp, what, err);
  if (digest_out)
    *digest_out = steal_pointer (&resp.content_digest);
  return 0;
}

int
registry_blob_exists (struct registry *reg, const char *digest, estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *url = registry_url_for (reg, "/v2/%s/blobs/%s", reg->path, digest);
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
  return registry_status_error (reg, &resp, what, err);
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
      url = registry_url_for (reg, "/v2/%s/blobs/uploads/?mount=%s&from=%s", reg->path, d ? d : "",
                              from ? from : "");
    }
  else
    url = registry_url_for (reg, "/v2/%s/blobs/uploads/", reg->path);
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
    return registry_status_error (reg, &resp, what, err);
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
    return registry_status_error (reg, &resp, what, err);
  if (resp.content_digest && strcmp (resp.content_digest, digest) != 0)
    return estiba_error (err, 0, "%s: registry stored it as %s", what, resp.content_digest);
  return 0;
}

int
registry_check_login (struct registry *reg, estiba_error_t *err)
{
  cleanup_response struct http_response resp = { 0 };
  cleanup_free char *url = registry_url_for (reg, "/v2/");
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
    return registry_status_error (reg, &resp, what, err);
  return 0;
}
