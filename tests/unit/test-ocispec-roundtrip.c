/* Every JSON example of the runtime and image specs survives
 * parse -> generate with the same members and values (numbers keep their
 * text), and generating again gives the same text.  Documents under
 * valid/ must pass validation, those under invalid/ must fail with the
 * message in the matching .err file.  */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "ocispec.h"
#include "test-ocispec-tap.h"

/* One document kind, driven through void pointers.  */
struct kind
{
  const char *name;
  void *(*parse_file) (const char *path, char **err);
  void *(*parse_data) (const char *data, size_t len, const char *source, char **err);
  char *(*generate) (const void *x, bool pretty, char **err);
  int (*validate) (const void *x, char **err);
  void (*free) (void *x);
};

#define KIND(X, T)                                                                                           \
  { #X,                                                                                                      \
    (void *(*) (const char *, char **) ) oci_##X##_parse_file,                                               \
    (void *(*) (const char *, size_t, const char *, char **) ) oci_##X##_parse_data,                         \
    (char *(*) (const void *, bool, char **) ) oci_##X##_generate,                                           \
    (int (*) (const void *, char **)) oci_##X##_validate,                                                    \
    (void (*) (void *)) oci_##X##_free },

static const struct kind kinds[] = { OCI_DOCUMENTS (KIND) };

static char *
read_text (const char *path)
{
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream (&buf, &len);
  char chunk[4096];
  size_t n;
  while ((n = fread (chunk, 1, sizeof (chunk), f)) > 0)
    fwrite (chunk, 1, n, m);
  fclose (f);
  fclose (m);
  return buf;
}

/* Structural equality; object members in any order; numbers by text.  */
static bool
json_equal (yajl_val a, yajl_val b, char *where, size_t size)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->type != b->type)
    {
      snprintf (where, size, "type %d vs %d", a->type, b->type);
      return false;
    }
  switch (a->type)
    {
      case yajl_t_string:
        if (strcmp (a->u.string, b->u.string) != 0)
          {
            snprintf (where, size, "\"%s\" vs \"%s\"", a->u.string, b->u.string);
            return false;
          }
        return true;
      case yajl_t_number:
        if (strcmp (a->u.number.r, b->u.number.r) != 0)
          {
            snprintf (where, size, "number %s vs %s", a->u.number.r, b->u.number.r);
            return false;
          }
        return true;
      case yajl_t_array:
        if (a->u.array.len != b->u.array.len)
          {
            snprintf (where, size, "array length %zu vs %zu", a->u.array.len, b->u.array.len);
            return false;
          }
        for (size_t i = 0; i < a->u.array.len; i++)
          if (!json_equal (a->u.array.values[i], b->u.array.values[i], where, size))
            return false;
        return true;
      case yajl_t_object:
        if (a->u.object.len != b->u.object.len)
          {
            snprintf (where, size, "object with %zu vs %zu members", a->u.object.len, b->u.object.len);
            return false;
          }
        for (size_t i = 0; i < a->u.object.len; i++)
          {
            size_t j;
            for (j = 0; j < b->u.object.len; j++)
              if (strcmp (a->u.object.keys[i], b->u.object.keys[j]) == 0)
                break;
            if (j == b->u.object.len)
              {
                snprintf (where, size, "member \"%s\" lost", a->u.object.keys[i]);
                return false;
              }
            if (!json_equal (a->u.object.values[i], b->u.object.values[j], where, size))
              return false;
          }
        return true;
      default:
        return true;
    }
}

static bool
same_json (const char *a, const char *b, char *where, size_t size)
{
  char e[256];
  yajl_val ta = yajl_tree_parse (a, e, sizeof (e));
  yajl_val tb = yajl_tree_parse (b, e, sizeof (e));
  bool ok = ta && tb && json_equal (ta, tb, where, size);
  if (!ta || !tb)
    snprintf (where, size, "output is not JSON: %s", e);
  yajl_tree_free (ta);
  yajl_tree_free (tb);
  return ok;
}

static void
roundtrip (const struct kind *k, const char *path, const char *label)
{
  char *err = NULL;
  char *text = read_text (path);
  void *doc = k->parse_file (path, &err);
  if (doc == NULL || text == NULL)
    {
      tap_ok (false, "%s parses", label);
      tap_diag ("%s", err ? err : "cannot read");
      free (err);
      free (text);
      return;
    }
  char where[512] = "";
  char *compact = k->generate (doc, false, &err);
  char *pretty = k->generate (doc, true, &err);
  bool same = compact && pretty && same_json (text, compact, where, sizeof (where))
              && same_json (text, pretty, where, sizeof (where));
  tap_ok (same, "%s round-trips", label);
  if (!same)
    tap_diag ("%s %s", where, err ? err : "");
  /* Generating what we generated is a fixed point.  */
  bool fixed = false;
  if (compact)
    {
      void *again = k->parse_data (compact, strlen (compact), label, &err);
      char *compact2 = again ? k->generate (again, false, &err) : NULL;
      fixed = compact2 && strcmp (compact, compact2) == 0;
      free (compact2);
      k->free (again);
    }
  tap_ok (fixed, "%s generates the same text twice", label);
  free (compact);
  free (pretty);
  free (err);
  free (text);
  k->free (doc);
}

static void
check_validity (const struct kind *k, const char *path, const char *label, bool expect_valid)
{
  char *err = NULL;
  void *doc = k->parse_file (path, &err);
  int r = doc ? k->validate (doc, &err) : -1;
  if (expect_valid)
    {
      tap_ok (r == 0, "%s is valid", label);
      if (r != 0)
        tap_diag ("%s", err ? err : "");
    }
  else
    {
      /* The expected message is in NAME.err next to NAME.json.  */
      char *errpath = NULL;
      if (asprintf (&errpath, "%.*s.err", (int) (strlen (path) - 5), path) < 0)
        abort ();
      char *expected = read_text (errpath);
      free (errpath);
      if (expected)
        expected[strcspn (expected, "\n")] = '\0';
      bool ok = r < 0 && err && expected && strstr (err, expected) != NULL;
      tap_ok (ok, "%s is rejected: %s", label, expected ? expected : "(no .err file)");
      if (!ok)
        tap_diag ("got: %s", err ? err : "(accepted)");
      free (expected);
    }
  free (err);
  k->free (doc);
}

static int
by_name (const struct dirent **a, const struct dirent **b)
{
  return strcmp ((*a)->d_name, (*b)->d_name);
}

static void
for_each_json (const char *dir, const struct kind *k, const char *set)
{
  struct dirent **names = NULL;
  int n = scandir (dir, &names, NULL, by_name);
  for (int i = 0; i < n; i++)
    {
      const char *name = names[i]->d_name;
      size_t len = strlen (name);
      if (len > 5 && strcmp (name + len - 5, ".json") == 0)
        {
          char *path = NULL, *label = NULL;
          if (asprintf (&path, "%s/%s", dir, name) < 0
              || asprintf (&label, "%s/%s/%s", set, k->name, name) < 0)
            abort ();
          if (strcmp (set, "roundtrip") == 0 || strcmp (set, "valid") == 0)
            roundtrip (k, path, label);
          if (strcmp (set, "valid") == 0)
            check_validity (k, path, label, true);
          if (strcmp (set, "invalid") == 0)
            check_validity (k, path, label, false);
          free (path);
          free (label);
        }
      free (names[i]);
    }
  free (names);
}

int
main (int argc, char **argv)
{
  const char *data = tap_data_dir (argc, argv);
  const char *sets[] = { "roundtrip", "valid", "invalid" };
  for (size_t s = 0; s < sizeof (sets) / sizeof (sets[0]); s++)
    for (size_t i = 0; i < sizeof (kinds) / sizeof (kinds[0]); i++)
      {
        char *dir = NULL;
        if (asprintf (&dir, "%s/%s/%s", data, sets[s], kinds[i].name) < 0)
          abort ();
        for_each_json (dir, &kinds[i], sets[s]);
        free (dir);
      }
  if (tap_count == 0)
    tap_ok (false, "found test documents under %s", data);
  return tap_done ();
}
