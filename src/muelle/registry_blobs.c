/* Parallel blob downloads of the registry client (see
 * registry_fetch_blobs_gated in registry.h): one thread drives every
 * transfer through libcurl's multi interface; each blob is written and
 * hashed as it arrives, checked and fsynced (on a thread of its own) the
 * moment its last byte is written, and committed with the others once
 * all arrived.  */
#include <config.h>
#include "registry.h"
#include "cleanup.h"
#include "registry_internal.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

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
  registry_http_response_clear (&t->head);
}

static int
transfer_start (struct transfer *t, CURLM *multi, estiba_error_t *err)
{
  cleanup_free char *url = registry_url_for (t->reg, "/v2/%s/blobs/%s", t->reg->path, t->blob->digest);
  int ret;

  if (url == NULL)
    return estiba_error (err, ENOMEM, "blob request");
  ret = store_blob_writer_begin (t->store, &t->writer, err);
  if (ret < 0)
    return ret;
  t->easy = curl_easy_init ();
  if (t->easy == NULL || registry_add_auth_header (t->reg, &t->headers) < 0)
    return estiba_error (err, ENOMEM, "blob request");
  registry_setup_easy (t->reg, t->easy, url, t->errbuf, &t->guard);
  curl_easy_setopt (t->easy, CURLOPT_HTTPHEADER, t->headers);
  /* Registries redirect blob GETs to storage (S3, CDN); curl drops our
     Authorization header when the host changes.  */
  curl_easy_setopt (t->easy, CURLOPT_FOLLOWLOCATION, 1L);
  /* Larger reads: fewer write(2) calls into the blob writer.  */
  curl_easy_setopt (t->easy, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt (t->easy, CURLOPT_WRITEFUNCTION, blob_body_cb);
  curl_easy_setopt (t->easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt (t->easy, CURLOPT_HEADERFUNCTION, registry_header_cb);
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
  long delay = registry_retry_delay_ms (t->attempt++, t->head.retry_after);

  if (t->reg->opts.progress)
    fprintf (t->reg->opts.progress, "%sRetrying %s (%s)\n", t->reg->opts.progress_tty ? "\r\033[K" : "",
             what ? what : t->blob->digest, why);
  transfer_reset (t, multi);
  t->retry_at = registry_now_seconds () + delay / 1000.0;
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
  registry_http_response_clear (&t->head);
  t->held = true;
}

/* A transfer ended: hold it (checked, syncing, to commit later), retry or
 * fail.  Returns 0 or < 0.  */
static int
transfer_finish (struct transfer *t, CURLM *multi, CURLcode code, estiba_error_t *err)
{
  cleanup_free char *what = blob_what (t);
  long status = 0;
  bool may_retry = t->attempt < registry_max_retries (t->reg);
  int ret;

  code = registry_stall_code (code, &t->guard, t->errbuf);
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
      if (registry_curl_code_transient (code) && may_retry)
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
      ret = challenge ? registry_refresh_auth (t->reg, challenge, err) : estiba_error (err, ENOMEM, "auth");
      if (ret < 0)
        return estiba_error_wrap (err, "%s", what);
      if (ret > 0)
        t->retry_at = 0;
      else
        return estiba_error (err, 0, "%s: unauthorized", what);
      return 0;
    }
  if (registry_status_transient (status) && may_retry)
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
          cleanup_free char *txt = registry_error_text (status, t->error_body, t->error_len);
          ret = estiba_error (err, 0, "%s: not found in the registry (%s)", what, txt);
        }
      else
        ret = registry_status_error (t->reg, &r, what, err);
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
  double now = registry_now_seconds ();
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
      now = registry_now_seconds ();
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
