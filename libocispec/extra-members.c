/* Members outside the spec, kept in an object's unknown_fields: reading
 * and setting them through the public API.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec-internal.h"

static yajl_val
new_string_value (const char *value)
{
  yajl_val v = oci_xzalloc (sizeof (*v));
  v->type = yajl_t_string;
  v->u.string = oci_strdup (value);
  return v;
}

static void
put (struct oci_unknown_fields **fields, const char *key, yajl_val value)
{
  struct oci_unknown_fields *u = *fields;
  if (u == NULL)
    u = *fields = oci_xzalloc (sizeof (*u));
  for (size_t i = 0; i < u->len; i++)
    if (strcmp (u->keys[i], key) == 0)
      {
        yajl_tree_free (u->values[i]);
        u->values[i] = value;
        return;
      }
  char **keys = realloc (u->keys, (u->len + 1) * sizeof (char *));
  yajl_val *values = realloc (u->values, (u->len + 1) * sizeof (yajl_val));
  if (keys == NULL || values == NULL)
    abort ();
  u->keys = keys;
  u->values = values;
  u->keys[u->len] = oci_strdup (key);
  u->values[u->len] = value;
  u->len++;
}

const struct oci_json *
oci_extra_get (const struct oci_unknown_fields *fields, const char *key)
{
  for (size_t i = 0; fields && i < fields->len; i++)
    if (strcmp (fields->keys[i], key) == 0)
      return OCI_JSON (fields->values[i]);
  return NULL;
}

const char *
oci_json_string (const struct oci_json *json)
{
  yajl_val v = OCI_YAJL (json);
  return v && v->type == yajl_t_string ? v->u.string : NULL;
}

void
oci_extra_set_string (struct oci_unknown_fields **fields, const char *key, const char *value)
{
  put (fields, key, new_string_value (value));
}

int
oci_extra_set_json (struct oci_unknown_fields **fields, const char *key, const char *json, char **err)
{
  char errbuf[256] = "";
  /* yajl_tree only takes objects and arrays at the top: wrap the value.  */
  char *wrapped = NULL;
  if (asprintf (&wrapped, "[%s]", json) < 0)
    abort ();
  yajl_val tree = yajl_tree_parse (wrapped, errbuf, sizeof (errbuf));
  free (wrapped);
  if (tree == NULL || tree->type != yajl_t_array || tree->u.array.len != 1)
    {
      yajl_tree_free (tree);
      return oci_set_error (err, NULL, key, "not a single JSON value");
    }
  yajl_val value = tree->u.array.values[0];
  tree->u.array.values[0] = NULL;
  yajl_tree_free (tree);
  put (fields, key, value);
  return 0;
}

bool
oci_extra_remove (struct oci_unknown_fields *fields, const char *key)
{
  for (size_t i = 0; fields && i < fields->len; i++)
    if (strcmp (fields->keys[i], key) == 0)
      {
        free (fields->keys[i]);
        yajl_tree_free (fields->values[i]);
        memmove (&fields->keys[i], &fields->keys[i + 1], (fields->len - i - 1) * sizeof (char *));
        memmove (&fields->values[i], &fields->values[i + 1], (fields->len - i - 1) * sizeof (yajl_val));
        fields->len--;
        return true;
      }
  return false;
}
