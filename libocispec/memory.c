/* Freeing documents along their descriptors, and the helpers callers use
 * to build documents (allocation, string arrays, string maps).  */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "ocispec-internal.h"

void *
oci_xzalloc (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
oci_strdup (const char *s)
{
  if (s == NULL)
    return NULL;
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

void
oci_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

void
oci_strv_append (char ***v, size_t *len, const char *s)
{
  size_t n = *v ? *len : 0;
  char **nv = realloc (*v, (n + 2) * sizeof (char *));
  if (nv == NULL)
    abort ();
  nv[n] = oci_strdup (s);
  nv[n + 1] = NULL;
  *v = nv;
  *len = n + 1;
}

char **
oci_strv_dup (char *const *v, size_t *len_out)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  char **r = oci_xzalloc ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    r[i] = oci_strdup (v[i]);
  if (len_out)
    *len_out = n;
  return r;
}

void *
oci_array_append (void *array_ptr, size_t *len, size_t elem_size)
{
  char **arr = array_ptr;
  size_t n = *arr ? *len : 0;
  char *na = realloc (*arr, (n + 1) * elem_size);
  if (na == NULL)
    abort ();
  memset (na + n * elem_size, 0, elem_size);
  *arr = na;
  *len = n + 1;
  return na + n * elem_size;
}

struct oci_string_map *
oci_string_map_new (void)
{
  struct oci_string_map *m = oci_xzalloc (sizeof (*m));
  m->keys = oci_xzalloc (sizeof (char *));
  m->values = oci_xzalloc (sizeof (char *));
  return m;
}

const char *
oci_string_map_get (const struct oci_string_map *map, const char *key)
{
  if (map == NULL)
    return NULL;
  for (size_t i = 0; i < map->len; i++)
    if (strcmp (map->keys[i], key) == 0)
      return map->values[i];
  return NULL;
}

void
oci_string_map_set (struct oci_string_map **map, const char *key, const char *value)
{
  if (*map == NULL)
    *map = oci_string_map_new ();
  struct oci_string_map *m = *map;
  for (size_t i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      {
        free (m->values[i]);
        m->values[i] = oci_strdup (value);
        return;
      }
  /* Keys and values stay NULL-terminated too.  */
  char **keys = realloc (m->keys, (m->len + 2) * sizeof (char *));
  if (keys == NULL)
    abort ();
  m->keys = keys;
  char **values = realloc (m->values, (m->len + 2) * sizeof (char *));
  if (values == NULL)
    abort ();
  m->values = values;
  m->keys[m->len] = oci_strdup (key);
  m->values[m->len] = oci_strdup (value);
  m->len++;
  m->keys[m->len] = NULL;
  m->values[m->len] = NULL;
}

bool
oci_string_map_remove (struct oci_string_map *map, const char *key)
{
  if (map == NULL)
    return false;
  for (size_t i = 0; i < map->len; i++)
    if (strcmp (map->keys[i], key) == 0)
      {
        free (map->keys[i]);
        free (map->values[i]);
        /* Move the tail, NULL terminators included.  */
        memmove (&map->keys[i], &map->keys[i + 1], (map->len - i) * sizeof (char *));
        memmove (&map->values[i], &map->values[i + 1], (map->len - i) * sizeof (char *));
        map->len--;
        return true;
      }
  return false;
}

void
oci_string_map_free (struct oci_string_map *map)
{
  if (map == NULL)
    return;
  for (size_t i = 0; i < map->len; i++)
    {
      free (map->keys[i]);
      free (map->values[i]);
    }
  free (map->keys);
  free (map->values);
  free (map);
}

void
oci_unknown_fields_free (struct oci_unknown_fields *u)
{
  if (u == NULL)
    return;
  for (size_t i = 0; i < u->len; i++)
    {
      free (u->keys[i]);
      yajl_tree_free (u->values[i]);
    }
  free (u->keys);
  free (u->values);
  free (u->source);
  free (u);
}

static void
free_object_map (const struct oci_type *elem, struct oci_generic_map *map)
{
  if (map == NULL)
    return;
  for (size_t i = 0; i < map->len; i++)
    {
      free (map->keys[i]);
      oci_free_members (elem, (char *) map->values + i * elem->size);
    }
  free (map->keys);
  free (map->values);
  free (map);
}

void
oci_free_member (const struct oci_field *f, void *obj)
{
  char *base = obj;
  void *member = base + f->offset;
  size_t *len = (size_t *) (base + f->aux_offset);

  switch (f->kind)
    {
      case OCI_KIND_STR:
        free (*(char **) member);
        *(char **) member = NULL;
        break;
      case OCI_KIND_BOOL:
      case OCI_KIND_INT:
      case OCI_KIND_UINT:
      case OCI_KIND_I32:
      case OCI_KIND_U32:
      case OCI_KIND_I64:
      case OCI_KIND_U64:
      case OCI_KIND_U16:
        *(bool *) (base + f->aux_offset) = false;
        break;
      case OCI_KIND_STRARR:
        oci_strv_free (*(char ***) member);
        *(char ***) member = NULL;
        *len = 0;
        break;
      case OCI_KIND_U32ARR:
        free (*(uint32_t **) member);
        *(uint32_t **) member = NULL;
        *len = 0;
        break;
      case OCI_KIND_OBJ:
        oci_free_document (f->elem, *(void **) member);
        *(void **) member = NULL;
        break;
      case OCI_KIND_OBJARR:
        {
          char *arr = *(char **) member;
          if (arr)
            for (size_t i = 0; i < *len; i++)
              oci_free_members (f->elem, arr + i * f->elem->size);
          free (arr);
          *(char **) member = NULL;
          *len = 0;
          break;
        }
      case OCI_KIND_STRMAP:
        oci_string_map_free (*(struct oci_string_map **) member);
        *(struct oci_string_map **) member = NULL;
        break;
      case OCI_KIND_OBJMAP:
        free_object_map (f->elem, *(struct oci_generic_map **) member);
        *(struct oci_generic_map **) member = NULL;
        break;
      case OCI_KIND_RAW:
        yajl_tree_free (*(yajl_val *) member);
        *(yajl_val *) member = NULL;
        break;
    }
}

void
oci_free_members (const struct oci_type *t, void *obj)
{
  for (size_t i = 0; i < t->n_fields; i++)
    oci_free_member (&t->fields[i], obj);
  struct oci_unknown_fields **u = (struct oci_unknown_fields **) ((char *) obj + t->unknown_offset);
  oci_unknown_fields_free (*u);
  *u = NULL;
}

void
oci_free_document (const struct oci_type *t, void *obj)
{
  if (obj == NULL)
    return;
  oci_free_members (t, obj);
  free (obj);
}
