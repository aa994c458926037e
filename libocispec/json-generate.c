/* The generic serializer: a struct walked along its type descriptor into
 * yajl_gen.  Known members come first in table order, then the unknown
 * members in the order they were parsed.  */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "ocispec-internal.h"

struct gen_ctx
{
  yajl_gen g;
  struct oci_path path;
  char **err;
};

static int gen_object (struct gen_ctx *c, const struct oci_type *t, const void *obj);

static int
check (struct gen_ctx *c, yajl_gen_status st)
{
  if (st == yajl_gen_status_ok)
    return 0;
  if (st == yajl_gen_invalid_string)
    return oci_set_error (c->err, NULL, c->path.buf, "string is not valid UTF-8");
  return oci_set_error (c->err, NULL, c->path.buf, "cannot generate JSON (yajl status %d)", (int) st);
}

static int
gen_string (struct gen_ctx *c, const char *s)
{
  return check (c, yajl_gen_string (c->g, (const unsigned char *) s, strlen (s)));
}

static int
gen_number_text (struct gen_ctx *c, const char *text)
{
  return check (c, yajl_gen_number (c->g, text, strlen (text)));
}

/* Raw JSON kept from the input; numbers keep their original text.  */
static int
gen_raw (struct gen_ctx *c, yajl_val v)
{
  if (v == NULL)
    return check (c, yajl_gen_null (c->g));
  switch (v->type)
    {
      case yajl_t_string:
        return gen_string (c, v->u.string);
      case yajl_t_number:
        return gen_number_text (c, v->u.number.r);
      case yajl_t_true:
        return check (c, yajl_gen_bool (c->g, 1));
      case yajl_t_false:
        return check (c, yajl_gen_bool (c->g, 0));
      case yajl_t_null:
        return check (c, yajl_gen_null (c->g));
      case yajl_t_array:
        if (check (c, yajl_gen_array_open (c->g)) < 0)
          return -1;
        for (size_t i = 0; i < v->u.array.len; i++)
          if (gen_raw (c, v->u.array.values[i]) < 0)
            return -1;
        return check (c, yajl_gen_array_close (c->g));
      case yajl_t_object:
        if (check (c, yajl_gen_map_open (c->g)) < 0)
          return -1;
        for (size_t i = 0; i < v->u.object.len; i++)
          if (gen_string (c, v->u.object.keys[i]) < 0 || gen_raw (c, v->u.object.values[i]) < 0)
            return -1;
        return check (c, yajl_gen_map_close (c->g));
      default:
        return oci_set_error (c->err, NULL, c->path.buf, "cannot generate JSON: unknown raw value");
    }
}

static void
integer_text (const struct oci_field *f, const void *member, char *buf, size_t size)
{
  switch (f->kind)
    {
      case OCI_KIND_INT:
        snprintf (buf, size, "%d", *(const int *) member);
        break;
      case OCI_KIND_UINT:
        snprintf (buf, size, "%u", *(const unsigned int *) member);
        break;
      case OCI_KIND_I32:
        snprintf (buf, size, "%" PRId32, *(const int32_t *) member);
        break;
      case OCI_KIND_U32:
        snprintf (buf, size, "%" PRIu32, *(const uint32_t *) member);
        break;
      case OCI_KIND_I64:
        snprintf (buf, size, "%" PRId64, *(const int64_t *) member);
        break;
      case OCI_KIND_U64:
        snprintf (buf, size, "%" PRIu64, *(const uint64_t *) member);
        break;
      case OCI_KIND_U16:
        snprintf (buf, size, "%" PRIu16, *(const uint16_t *) member);
        break;
      default:
        snprintf (buf, size, "0");
        break;
    }
}

static bool
integer_is_zero (const struct oci_field *f, const void *member)
{
  char buf[32];
  integer_text (f, member, buf, sizeof (buf));
  return strcmp (buf, "0") == 0;
}

/* Whether a member is present, so its key is written.  Scalars are written
 * when has_<x> is set, when non-zero (callers building a document may just
 * assign), or when REQUIRED.  A REQUIRED array that is absent is written
 * as [] so the output has the key.  */
static bool
is_present (const struct oci_field *f, const char *base)
{
  const void *member = base + f->offset;
  switch (f->kind)
    {
      case OCI_KIND_BOOL:
        return f->required || *(const bool *) (base + f->aux_offset) || *(const bool *) member;
      case OCI_KIND_INT:
      case OCI_KIND_UINT:
      case OCI_KIND_I32:
      case OCI_KIND_U32:
      case OCI_KIND_I64:
      case OCI_KIND_U64:
      case OCI_KIND_U16:
        return f->required || *(const bool *) (base + f->aux_offset) || !integer_is_zero (f, member);
      case OCI_KIND_STRARR:
      case OCI_KIND_U32ARR:
      case OCI_KIND_OBJARR:
        return f->required || *(void *const *) member != NULL;
      default:
        return *(void *const *) member != NULL;
    }
}

static int
gen_field (struct gen_ctx *c, const struct oci_field *f, const char *base)
{
  const void *member = base + f->offset;
  size_t len = 0;
  char buf[32];

  if (f->kind == OCI_KIND_STRARR || f->kind == OCI_KIND_U32ARR || f->kind == OCI_KIND_OBJARR)
    len = *(const size_t *) (base + f->aux_offset);

  switch (f->kind)
    {
      case OCI_KIND_STR:
        return gen_string (c, *(char *const *) member);
      case OCI_KIND_BOOL:
        return check (c, yajl_gen_bool (c->g, *(const bool *) member));
      case OCI_KIND_INT:
      case OCI_KIND_UINT:
      case OCI_KIND_I32:
      case OCI_KIND_U32:
      case OCI_KIND_I64:
      case OCI_KIND_U64:
      case OCI_KIND_U16:
        integer_text (f, member, buf, sizeof (buf));
        return gen_number_text (c, buf);
      case OCI_KIND_STRARR:
        {
          char *const *arr = *(char *const *const *) member;
          if (check (c, yajl_gen_array_open (c->g)) < 0)
            return -1;
          for (size_t i = 0; arr && i < len; i++)
            if (gen_string (c, arr[i] ? arr[i] : "") < 0)
              return -1;
          return check (c, yajl_gen_array_close (c->g));
        }
      case OCI_KIND_U32ARR:
        {
          const uint32_t *arr = *(const uint32_t *const *) member;
          if (check (c, yajl_gen_array_open (c->g)) < 0)
            return -1;
          for (size_t i = 0; arr && i < len; i++)
            {
              snprintf (buf, sizeof (buf), "%" PRIu32, arr[i]);
              if (gen_number_text (c, buf) < 0)
                return -1;
            }
          return check (c, yajl_gen_array_close (c->g));
        }
      case OCI_KIND_OBJ:
        return gen_object (c, f->elem, *(void *const *) member);
      case OCI_KIND_OBJARR:
        {
          const char *arr = *(const char *const *) member;
          if (check (c, yajl_gen_array_open (c->g)) < 0)
            return -1;
          for (size_t i = 0; arr && i < len; i++)
            {
              size_t mark = oci_path_push_index (&c->path, i);
              int r = gen_object (c, f->elem, arr + i * f->elem->size);
              oci_path_pop (&c->path, mark);
              if (r < 0)
                return -1;
            }
          return check (c, yajl_gen_array_close (c->g));
        }
      case OCI_KIND_STRMAP:
        {
          const struct oci_string_map *map = *(const struct oci_string_map *const *) member;
          if (check (c, yajl_gen_map_open (c->g)) < 0)
            return -1;
          for (size_t i = 0; i < map->len; i++)
            if (gen_string (c, map->keys[i]) < 0 || gen_string (c, map->values[i] ? map->values[i] : "") < 0)
              return -1;
          return check (c, yajl_gen_map_close (c->g));
        }
      case OCI_KIND_OBJMAP:
        {
          const struct oci_generic_map *map = *(const struct oci_generic_map *const *) member;
          if (check (c, yajl_gen_map_open (c->g)) < 0)
            return -1;
          for (size_t i = 0; i < map->len; i++)
            {
              if (gen_string (c, map->keys[i]) < 0)
                return -1;
              size_t mark = oci_path_push_key (&c->path, map->keys[i]);
              int r = gen_object (c, f->elem, (const char *) map->values + i * f->elem->size);
              oci_path_pop (&c->path, mark);
              if (r < 0)
                return -1;
            }
          return check (c, yajl_gen_map_close (c->g));
        }
      case OCI_KIND_RAW:
        return gen_raw (c, *(const yajl_val *) member);
    }
  return oci_set_error (c->err, NULL, c->path.buf, "internal error: unknown field kind");
}

static int
gen_object (struct gen_ctx *c, const struct oci_type *t, const void *obj)
{
  const char *base = obj;
  if (check (c, yajl_gen_map_open (c->g)) < 0)
    return -1;
  for (size_t i = 0; i < t->n_fields; i++)
    {
      const struct oci_field *f = &t->fields[i];
      if (!is_present (f, base))
        continue;
      size_t mark = oci_path_push_key (&c->path, f->json_name);
      int r = gen_string (c, f->json_name);
      if (r == 0)
        r = gen_field (c, f, base);
      oci_path_pop (&c->path, mark);
      if (r < 0)
        return -1;
    }
  const struct oci_unknown_fields *u = *(struct oci_unknown_fields *const *) (base + t->unknown_offset);
  for (size_t i = 0; u && i < u->len; i++)
    {
      /* A kept null of a known member gives way once the member is set.  */
      const struct oci_field *known = oci_find_field (t, u->keys[i]);
      if (known && is_present (known, base))
        continue;
      if (gen_string (c, u->keys[i]) < 0 || gen_raw (c, u->values[i]) < 0)
        return -1;
    }
  return check (c, yajl_gen_map_close (c->g));
}

static char *
generate (int (*emit) (struct gen_ctx *, const void *, const void *), const void *a, const void *b,
          bool pretty, char **err)
{
  struct gen_ctx c = { .err = err };
  c.g = yajl_gen_alloc (NULL);
  if (c.g == NULL)
    abort ();
  yajl_gen_config (c.g, yajl_gen_validate_utf8, 1);
  if (pretty)
    {
      yajl_gen_config (c.g, yajl_gen_beautify, 1);
      yajl_gen_config (c.g, yajl_gen_indent_string, "\t");
    }
  char *out = NULL;
  if (emit (&c, a, b) == 0)
    {
      const unsigned char *buf = NULL;
      size_t len = 0;
      yajl_gen_get_buf (c.g, &buf, &len);
      /* beautify ends the text with a newline; the API promises none.  */
      while (len > 0 && buf[len - 1] == '\n')
        len--;
      out = malloc (len + 1);
      if (out == NULL)
        abort ();
      memcpy (out, buf, len);
      out[len] = '\0';
    }
  yajl_gen_free (c.g);
  oci_path_release (&c.path);
  return out;
}

static int
emit_document (struct gen_ctx *c, const void *t, const void *obj)
{
  return gen_object (c, t, obj);
}

static int
emit_raw (struct gen_ctx *c, const void *json, const void *unused)
{
  (void) unused;
  return gen_raw (c, (yajl_val) json);
}

char *
oci_generate_document (const struct oci_type *t, const void *obj, bool pretty, char **err)
{
  if (obj == NULL)
    {
      oci_set_error (err, NULL, NULL, "cannot generate JSON for a NULL %s", t->name);
      return NULL;
    }
  return generate (emit_document, t, obj, pretty, err);
}

char *
oci_json_to_string (const struct oci_json *json)
{
  char *err = NULL;
  char *s = generate (emit_raw, json, NULL, false, &err);
  free (err);
  return s;
}
