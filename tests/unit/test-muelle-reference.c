/* TAP tests for muelle's image reference parser (src/muelle/reference.c).  */
#include <config.h>
#include "reference.h"
#include "cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_number;
static int failures;

static void
ok (bool cond, const char *fmt, const char *arg, const char *detail)
{
  test_number++;
  printf ("%sok %d - ", cond ? "" : "not ", test_number);
  printf (fmt, arg);
  printf ("\n");
  if (!cond)
    {
      failures++;
      if (detail)
        printf ("# %s\n", detail);
    }
}

/* text parses (with default domain) and normalises to `expected`.  */
static void
parses_to (const char *text, const char *default_domain, const char *expected)
{
  cleanup_error estiba_error_t err = NULL;
  struct image_ref *ref = NULL;
  cleanup_free char *got = NULL;
  cleanup_free char *detail = NULL;

  if (reference_parse (text, default_domain, &ref, &err) < 0)
    {
      detail = estiba_error_string (err);
      ok (false, "parse \"%s\"", text, detail);
      return;
    }
  got = reference_string (ref);
  if (asprintf (&detail, "expected %s, got %s", expected, got) < 0)
    abort ();
  ok (strcmp (got, expected) == 0, "\"%s\" normalises as expected", text, detail);
  reference_free (ref);
}

/* text is rejected, and the message contains the reference and `reason`.  */
static void
rejects (const char *text, const char *reason)
{
  cleanup_error estiba_error_t err = NULL;
  struct image_ref *ref = NULL;
  cleanup_free char *msg = NULL;
  int ret = reference_parse (text, NULL, &ref, &err);

  if (ret >= 0)
    {
      cleanup_free char *got = reference_string (ref);
      ok (false, "reject \"%s\"", text, got);
      reference_free (ref);
      return;
    }
  msg = estiba_error_string (err);
  ok (strstr (msg, text) != NULL && strstr (msg, reason) != NULL, "reject \"%s\" with a reason", text, msg);
}

static void
parts (void)
{
  cleanup_error estiba_error_t err = NULL;
  struct image_ref *ref = NULL;
  const char *digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  cleanup_free char *text = NULL;
  cleanup_free char *store_name = NULL;
  cleanup_free char *repo = NULL;

  if (asprintf (&text, "localhost:5000/a/b:v1@%s", digest) < 0)
    abort ();
  ok (reference_parse (text, NULL, &ref, &err) == 0, "parse %s", text, NULL);
  if (ref == NULL)
    return;
  ok (strcmp (ref->domain, "localhost:5000") == 0, "domain of %s", text, ref->domain);
  ok (strcmp (ref->path, "a/b") == 0, "path of %s", text, ref->path);
  ok (strcmp (ref->tag, "v1") == 0, "tag of %s", text, ref->tag);
  ok (strcmp (ref->digest, digest) == 0, "digest of %s", text, ref->digest);
  ok (strcmp (reference_manifest_key (ref), digest) == 0, "manifest key of %s is the digest", text, NULL);
  store_name = reference_store_name (ref);
  ok (strcmp (store_name, "localhost:5000/a/b:v1") == 0, "store name of %s keeps the tag", text, store_name);
  repo = reference_repository (ref);
  ok (strcmp (repo, "localhost:5000/a/b") == 0, "repository of %s", text, repo);
  reference_free (ref);
}

int
main (void)
{
  const char *d64 = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  char buf[1024];

  /* Docker short-name normalisation.  */
  parses_to ("busybox", NULL, "docker.io/library/busybox:latest");
  parses_to ("busybox:1.36", NULL, "docker.io/library/busybox:1.36");
  parses_to ("user/app", NULL, "docker.io/user/app:latest");
  parses_to ("docker.io/busybox", NULL, "docker.io/library/busybox:latest");
  parses_to ("index.docker.io/busybox", NULL, "docker.io/library/busybox:latest");
  parses_to ("docker.io/library/busybox:latest", NULL, "docker.io/library/busybox:latest");
  parses_to ("a/b/c/d", NULL, "docker.io/a/b/c/d:latest");
  /* Registry detection: '.', ':', localhost, upper case.  */
  parses_to ("quay.io/x/y:2", NULL, "quay.io/x/y:2");
  parses_to ("localhost/x", NULL, "localhost/x:latest");
  parses_to ("localhost:5000/x", NULL, "localhost:5000/x:latest");
  parses_to ("127.0.0.1:5000/x/y:tag", NULL, "127.0.0.1:5000/x/y:tag");
  parses_to ("[::1]:5000/x", NULL, "[::1]:5000/x:latest");
  parses_to ("Registry/x", NULL, "Registry/x:latest");
  parses_to ("localhost:5000", NULL, "docker.io/library/localhost:5000");
  /* A non-Hub default registry gets no "library/".  */
  parses_to ("busybox", "127.0.0.1:5000", "127.0.0.1:5000/busybox:latest");
  parses_to ("a/b", "quay.io", "quay.io/a/b:latest");
  parses_to ("quay.io/a/b", "127.0.0.1:5000", "quay.io/a/b:latest");
  /* Path separators.  */
  parses_to ("a_b__c-d---e/f.g", NULL, "docker.io/a_b__c-d---e/f.g:latest");
  /* Tags and digests.  */
  parses_to ("x:_under.Score-1", NULL, "docker.io/library/x:_under.Score-1");
  snprintf (buf, sizeof buf, "busybox@%s", d64);
  parses_to (
    buf, NULL,
    "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  snprintf (buf, sizeof buf, "h.io:1/busybox:t@%s", d64);
  parses_to (buf, NULL,
             "h.io:1/busybox:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

  parts ();

  /* Rejections, each with its reason.  */
  rejects ("BusyBox", "lowercase");
  rejects ("docker.io/Library/x", "lowercase");
  rejects ("a//b", "empty path component");
  rejects ("a/", "empty path component");
  rejects ("x:", "invalid tag");
  rejects ("x:-tag", "invalid tag");
  rejects ("x:ta/g", "invalid registry host");
  rejects ("x@sha256:abc", "invalid digest");
  rejects ("x@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "invalid digest");
  rejects ("x@", "invalid digest");
  rejects ("@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
           "empty repository name");
  rejects ("-x", "invalid repository name component");
  rejects ("x-", "invalid repository name component");
  rejects ("a..b", "invalid repository name component");
  rejects ("a___b", "invalid repository name component");
  rejects ("a b", "invalid repository name component");
  rejects ("-bad.host/x", "invalid registry host");
  rejects ("host.io:port/x", "invalid registry host");
  rejects ("[zz]:5000/x", "invalid registry host");
  rejects ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "image id");
  memset (buf, 'a', 300);
  buf[300] = '\0';
  rejects (buf, "longer than 255");
  memset (buf, 'a', 129);
  buf[0] = 'x';
  buf[1] = ':';
  buf[131] = '\0';
  memset (buf + 2, 't', 129);
  rejects (buf, "invalid tag");

  /* Single-part validators.  */
  ok (reference_tag_valid ("a") && !reference_tag_valid (".a"), "tag validator %s", "", NULL);
  ok (reference_domain_valid ("a-b.c:5000") && !reference_domain_valid ("a-.c"), "domain validator %s", "",
      NULL);
  ok (reference_digest_valid ("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564")
        && !reference_digest_valid ("sha256:ab"),
      "digest validator accepts registered and other algorithms%s", "", NULL);
  ok (strcmp (reference_api_host ("docker.io"), "registry-1.docker.io") == 0, "docker.io API host %s", "",
      NULL);
  ok (strcmp (reference_api_host ("quay.io"), "quay.io") == 0, "other API hosts unchanged%s", "", NULL);
  ok (reference_domain_is_loopback ("127.0.0.1:5000") && reference_domain_is_loopback ("localhost")
        && reference_domain_is_loopback ("[::1]:1") && !reference_domain_is_loopback ("quay.io"),
      "loopback detection%s", "", NULL);

  /* Default registry resolution order.  */
  {
    cleanup_error estiba_error_t err = NULL;
    cleanup_free char *d1 = NULL;
    cleanup_free char *d2 = NULL;
    cleanup_free char *d3 = NULL;
    char conf[] = "/tmp/test-muelle-reference-XXXXXX";
    int fd = mkstemp (conf);
    FILE *f = fd >= 0 ? fdopen (fd, "w") : NULL;

    if (f == NULL)
      abort ();
    fprintf (f, "# comment\nunqualified-search-registries = [\"conf.example:5000\", \"docker.io\"]\n");
    fclose (f);
    setenv ("MUELLE_REGISTRIES_CONF", conf, 1);
    unsetenv ("MUELLE_DEFAULT_REGISTRY");
    ok (reference_default_domain (NULL, &d1, &err) == 0 && strcmp (d1, "conf.example:5000") == 0,
        "default registry from the conf file%s", "", d1);
    setenv ("MUELLE_DEFAULT_REGISTRY", "env.example", 1);
    ok (reference_default_domain (NULL, &d2, &err) == 0 && strcmp (d2, "env.example") == 0,
        "default registry from the environment%s", "", d2);
    ok (reference_default_domain ("cli.example", &d3, &err) == 0 && strcmp (d3, "cli.example") == 0,
        "default registry from --registry%s", "", d3);
    ok (reference_default_domain ("bad host", &d3, &err) < 0, "invalid --registry rejected%s", "", NULL);
    unlink (conf);
  }

  printf ("1..%d\n", test_number);
  return failures ? 1 : 0;
}
