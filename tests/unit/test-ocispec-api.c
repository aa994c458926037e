/* The library API: building documents, NULL-terminated string arrays,
 * unknown members kept in place, numbers keeping their text, helpers.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec.h"
#include "test-ocispec-tap.h"

static bool
streq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

static void
test_build_config (void)
{
  struct oci_config *c = oci_config_new ();
  c->oci_version = oci_strdup ("1.3.0");
  c->root = oci_xzalloc (sizeof (*c->root));
  c->root->path = oci_strdup ("rootfs");
  c->root->readonly = true;
  c->process = oci_xzalloc (sizeof (*c->process));
  c->process->cwd = oci_strdup ("/");
  oci_strv_append (&c->process->args, &c->process->args_len, "sh");
  oci_strv_append (&c->process->args, &c->process->args_len, "-c");
  c->process->user = oci_xzalloc (sizeof (*c->process->user));
  OCI_SET (c->process->user, uid, 0);
  OCI_SET (c->process->user, gid, 0);
  OCI_SET (c->process, oom_score_adj, 0);
  c->linux_ = oci_xzalloc (sizeof (*c->linux_));
  struct oci_namespace *ns = OCI_APPEND (c->linux_->namespaces, c->linux_->namespaces_len);
  ns->type = oci_strdup ("pid");
  ns = OCI_APPEND (c->linux_->namespaces, c->linux_->namespaces_len);
  ns->type = oci_strdup ("mount");
  oci_string_map_set (&c->annotations, "org.example.a", "1");
  oci_string_map_set (&c->annotations, "org.example.b", "2");
  oci_string_map_set (&c->annotations, "org.example.a", "3");

  tap_ok (c->process->args[2] == NULL && c->process->args_len == 2,
          "oci_strv_append keeps the array NULL-terminated");
  char *err = NULL;
  tap_ok (oci_config_validate (c, &err) == 0, "a built config validates");
  if (err)
    tap_diag ("%s", err);
  free (err);
  err = NULL;
  char *json = oci_config_generate (c, false, &err);
  const char *expected = "{\"ociVersion\":\"1.3.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":["
                         "\"sh\",\"-c\"],\"cwd\":\"/\","
                         "\"oomScoreAdj\":0},\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
                         "\"annotations\":{\"org.example.a\":\"3\",\"org.example.b\":\"2\"},"
                         "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]}}";
  tap_ok (streq (json, expected), "a built config generates the expected JSON");
  if (!streq (json, expected))
    tap_diag ("got %s", json ? json : err);
  free (json);

  /* A validation error of a built document has no source prefix.  */
  free (c->process->cwd);
  c->process->cwd = oci_strdup ("relative");
  tap_ok (oci_config_validate (c, &err) < 0
            && streq (err, "process.cwd: \"relative\" is not an absolute path"),
          "validation errors of built documents name the member");
  free (err);
  err = NULL;

  /* Invalid UTF-8 set by a caller is refused, not written.  */
  free (c->hostname);
  c->hostname = oci_strdup ("bad\xff");
  json = oci_config_generate (c, false, &err);
  tap_ok (json == NULL && streq (err, "hostname: string is not valid UTF-8"),
          "invalid UTF-8 is refused on output");
  free (json);
  free (err);
  oci_config_free (c);
}

static void
test_unknown_members (void)
{
  const char *in =
    "{\"x-first\":{\"deep\":[1,2.50,{\"k\":null}]},\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\","
    "\"user\":{\"uid\":1,\"gid\":2,\"x-user\":true},\"args\":[\"a\",\"b\"],\"terminal\":false},"
    "\"windows\":{\"layerFolders\":[\"C:\\\\x\"],\"n\":1e400},\"x-last\":-0.0}";
  char *err = NULL;
  struct oci_config *c = oci_config_parse_data (in, strlen (in), "t.json", &err);
  tap_ok (c != NULL, "a config with unknown members parses");
  if (c == NULL)
    {
      tap_diag ("%s", err);
      free (err);
      return;
    }
  tap_ok (c->process->args_len == 2 && c->process->args[2] == NULL && streq (c->process->args[1], "b"),
          "parsed string arrays are NULL-terminated");
  tap_ok (c->process->has_terminal && !c->process->terminal, "an explicit false is remembered");
  char *json = oci_config_generate (c, false, &err);
  const char *expected =
    "{\"ociVersion\":\"1.0.0\",\"process\":{\"terminal\":false,\"user\":{\"uid\":1,\"gid\":2,"
    "\"x-user\":true},\"args\":[\"a\",\"b\"],\"cwd\":\"/\"},"
    "\"windows\":{\"layerFolders\":[\"C:\\\\x\"],\"n\":1e400},"
    "\"x-first\":{\"deep\":[1,2.50,{\"k\":null}]},\"x-last\":-0.0}";
  tap_ok (streq (json, expected), "unknown members, raw sections and number text are written back");
  if (!streq (json, expected))
    tap_diag ("got %s", json ? json : err);
  free (json);
  char *win = oci_json_to_string (c->windows);
  tap_ok (streq (win, "{\"layerFolders\":[\"C:\\\\x\"],\"n\":1e400}"),
          "oci_json_to_string gives the raw section");
  free (win);
  oci_config_free (c);
}

static void
test_nulls_and_duplicates (void)
{
  const char *in = "{\"ociVersion\":\"1.0.0\",\"hostname\":null,\"domainname\":\"a\",\"domainname\":\"b\"}";
  char *err = NULL;
  struct oci_config *c = oci_config_parse_data (in, strlen (in), "t.json", &err);
  tap_ok (c && c->hostname == NULL && streq (c->domainname, "b"),
          "null is absent; a repeated key's last value wins");
  char *json = c ? oci_config_generate (c, false, &err) : NULL;
  tap_ok (streq (json, "{\"ociVersion\":\"1.0.0\",\"domainname\":\"b\",\"hostname\":null}"),
          "a null member is written back as null");
  free (json);
  if (c)
    {
      c->hostname = oci_strdup ("h");
      json = oci_config_generate (c, false, &err);
      tap_ok (streq (json, "{\"ociVersion\":\"1.0.0\",\"hostname\":\"h\",\"domainname\":\"b\"}"),
              "setting a member that was null replaces the null");
      free (json);
    }
  oci_config_free (c);
  free (err);
}

static void
test_string_map (void)
{
  struct oci_string_map *m = NULL;
  oci_string_map_set (&m, "a", "1");
  oci_string_map_set (&m, "b", "2");
  oci_string_map_set (&m, "c", "3");
  tap_ok (streq (oci_string_map_get (m, "b"), "2") && oci_string_map_get (m, "z") == NULL
            && oci_string_map_get (NULL, "a") == NULL,
          "oci_string_map_get");
  tap_ok (oci_string_map_remove (m, "b") && !oci_string_map_remove (m, "b") && m->len == 2
            && streq (m->keys[1], "c") && m->keys[2] == NULL && m->values[2] == NULL,
          "oci_string_map_remove keeps order and NULL terminators");
  oci_string_map_free (m);
}

static void
test_large_numbers (void)
{
  const char *in =
    "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"rlimits\":[{\"type\":"
    "\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,\"soft\":0}],\"oomScoreAdj\":-1000},"
    "\"linux\":{\"resources\":{\"memory\":{\"limit\":-9223372036854775808}}}}";
  char *err = NULL;
  struct oci_config *c = oci_config_parse_data (in, strlen (in), "t.json", &err);
  tap_ok (c && c->process->rlimits[0].hard == UINT64_MAX && c->process->rlimits[0].has_soft
            && c->process->oom_score_adj == -1000 && c->linux_->resources->memory->limit == INT64_MIN,
          "integers at the edges of their ranges parse");
  char *json = c ? oci_config_generate (c, false, &err) : NULL;
  tap_ok (json && strstr (json, "\"hard\":18446744073709551615,\"soft\":0")
            && strstr (json, "-9223372036854775808"),
          "and are written back exactly");
  free (json);
  free (err);
  oci_config_free (c);
}

static void
test_process_document (void)
{
  const char *in = "{\"cwd\":\"/\",\"args\":[\"ls\"],\"env\":[\"A=1\"],\"user\":{\"uid\":5,\"gid\":5}}";
  char *err = NULL;
  struct oci_process *p = oci_process_parse_data (in, strlen (in), "process.json", &err);
  tap_ok (p && p->user->uid == 5 && oci_process_validate (p, &err) == 0,
          "a process document (exec --process) parses");
  oci_process_free (p);
  free (err);
}

static void
test_image_helpers (void)
{
  tap_ok (oci_digest_is_valid ("sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"),
          "a sha256 digest is valid");
  tap_ok (oci_digest_is_valid ("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
          "an unregistered algorithm following the grammar is valid");
  tap_ok (!oci_digest_is_valid ("sha256:6c3c") && !oci_digest_is_valid (":abc")
            && !oci_digest_is_valid ("sha256") && !oci_digest_is_valid ("sha256+:abc")
            && !oci_digest_is_valid ("sha256:a/b") && !oci_digest_is_valid (NULL),
          "malformed digests are not");
  tap_ok (oci_media_type_is_valid (OCI_MEDIA_TYPE_IMAGE_MANIFEST)
            && oci_media_type_is_valid (OCI_MEDIA_TYPE_LAYER_ZSTD)
            && !oci_media_type_is_valid ("application/") && !oci_media_type_is_valid ("a/b/c")
            && !oci_media_type_is_valid ("a/b; charset=utf-8"),
          "media types follow RFC 6838");

  struct oci_image_manifest *m = oci_image_manifest_new ();
  OCI_SET (m, schema_version, 2);
  m->media_type = oci_strdup (OCI_MEDIA_TYPE_IMAGE_MANIFEST);
  m->config = oci_xzalloc (sizeof (*m->config));
  m->config->media_type = oci_strdup (OCI_MEDIA_TYPE_EMPTY);
  m->config->digest = oci_strdup ("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  OCI_SET (m->config, size, 2);
  m->config->data = oci_strdup ("e30=");
  m->artifact_type = oci_strdup ("application/vnd.example+type");
  char *err = NULL;
  char *json = oci_image_manifest_generate (m, false, &err);
  tap_ok (json && strstr (json, "\"layers\":[]"), "a REQUIRED array left NULL is written as []");
  free (json);
  tap_ok (oci_image_manifest_validate (m, &err) < 0 && streq (err, "layers: REQUIRED but missing"),
          "but validation wants it set");
  free (err);
  err = NULL;
  /* Present and empty: a non-NULL array of length 0.  */
  m->layers = oci_xzalloc (sizeof (*m->layers));
  tap_ok (oci_image_manifest_validate (m, &err) == 0, "a built artifact manifest validates");
  if (err)
    tap_diag ("%s", err);
  free (err);
  oci_image_manifest_free (m);
}

static void
test_extra_members (void)
{
  const char *in = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"created\",\"pid\":42,"
                   "\"bundle\":\"/b\",\"owner\":\"old\"}";
  char *err = NULL;
  struct oci_state *st = oci_state_parse_data (in, strlen (in), "state.json", &err);
  tap_ok (st && streq (oci_json_string (oci_extra_get (st->unknown_fields, "owner")), "old")
            && oci_extra_get (st->unknown_fields, "created") == NULL,
          "oci_extra_get reads a member outside the spec");
  if (st == NULL)
    return;
  oci_extra_set_string (&st->unknown_fields, "created", "2024-01-01T00:00:00Z");
  oci_extra_set_string (&st->unknown_fields, "owner", "");
  tap_ok (oci_extra_set_json (&st->unknown_fields, "x", "{\"n\":[1,2]}", &err) == 0,
          "oci_extra_set_json takes JSON");
  tap_ok (oci_extra_set_json (&st->unknown_fields, "y", "{nope", &err) < 0
            && streq (err, "y: not a single JSON value"),
          "oci_extra_set_json refuses what is not JSON");
  free (err);
  err = NULL;
  tap_ok (oci_extra_remove (st->unknown_fields, "x") && !oci_extra_remove (st->unknown_fields, "x"),
          "oci_extra_remove");
  char *json = oci_state_generate (st, false, &err);
  const char *expected = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"created\",\"pid\":42,"
                         "\"bundle\":\"/b\",\"owner\":\"\",\"created\":\"2024-01-01T00:00:00Z\"}";
  tap_ok (streq (json, expected), "extras are written after the known members, replaced in place");
  if (!streq (json, expected))
    tap_diag ("got %s", json ? json : err);
  free (json);
  free (err);
  oci_state_free (st);

  struct oci_state *built = oci_state_new ();
  oci_extra_set_string (&built->unknown_fields, "owner", "root");
  json = oci_state_generate (built, false, NULL);
  tap_ok (streq (json, "{\"owner\":\"root\"}"), "extras on a built document");
  free (json);
  oci_state_free (built);
}

int
main (void)
{
  test_extra_members ();
  test_build_config ();
  test_unknown_members ();
  test_nulls_and_duplicates ();
  test_string_map ();
  test_large_numbers ();
  test_process_document ();
  test_image_helpers ();
  return tap_done ();
}
