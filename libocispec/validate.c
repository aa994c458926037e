/* The generic validation walk: every REQUIRED member must be present, then
 * the type's own rules (validate-runtime.c, validate-image.c) run on every
 * object of that type, with the object's JSON path for the message.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec-internal.h"

int
oci_verr (struct oci_vctx *c, const char *member, const char *fmt, ...)
{
  const char *path = c->path.buf ? c->path.buf : "";
  char *full = NULL;
  /* "[2].type" attaches to the path without a dot.  */
  const char *sep = (*path == '\0' || member == NULL || *member == '\0' || *member == '[') ? "" : ".";
  if (asprintf (&full, "%s%s%s", path, sep, member ? member : "") < 0)
    abort ();
  va_list ap;
  va_start (ap, fmt);
  oci_set_verror (c->err, c->source, full, fmt, ap);
  va_end (ap);
  free (full);
  return -1;
}

static oci_check_fn
find_check (const struct oci_type *t)
{
  const struct oci_check *tables[] = { oci_runtime_checks, oci_image_checks };
  for (size_t i = 0; i < sizeof (tables) / sizeof (tables[0]); i++)
    for (const struct oci_check *ch = tables[i]; ch->type; ch++)
      if (ch->type == t)
        return ch->check;
  return NULL;
}

static bool
is_set (const struct oci_field *f, const char *base)
{
  const void *member = base + f->offset;
  switch (f->kind)
    {
      case OCI_KIND_BOOL:
      case OCI_KIND_INT:
      case OCI_KIND_UINT:
      case OCI_KIND_I32:
      case OCI_KIND_U32:
      case OCI_KIND_I64:
      case OCI_KIND_U64:
      case OCI_KIND_U16:
        {
          /* Set explicitly, or assigned a non-zero value by a builder.  */
          if (*(const bool *) (base + f->aux_offset))
            return true;
          static const char zero[8];
          size_t size = f->kind == OCI_KIND_BOOL                               ? sizeof (bool)
                        : f->kind == OCI_KIND_U16                              ? sizeof (uint16_t)
                        : (f->kind == OCI_KIND_I64 || f->kind == OCI_KIND_U64) ? 8
                                                                               : 4;
          return memcmp (member, zero, size) != 0;
        }
      default:
        return *(void *const *) member != NULL;
    }
}

static int walk (struct oci_vctx *c, const struct oci_type *t, const void *obj);

static int
walk_children (struct oci_vctx *c, const struct oci_field *f, const char *base)
{
  const void *member = base + f->offset;
  switch (f->kind)
    {
      case OCI_KIND_OBJ:
        return *(void *const *) member ? walk (c, f->elem, *(void *const *) member) : 0;
      case OCI_KIND_OBJARR:
        {
          const char *arr = *(const char *const *) member;
          size_t len = *(const size_t *) (base + f->aux_offset);
          for (size_t i = 0; arr && i < len; i++)
            {
              size_t mark = oci_path_push_index (&c->path, i);
              int r = walk (c, f->elem, arr + i * f->elem->size);
              oci_path_pop (&c->path, mark);
              if (r < 0)
                return -1;
            }
          return 0;
        }
      case OCI_KIND_OBJMAP:
        {
          const struct oci_generic_map *map = *(const struct oci_generic_map *const *) member;
          for (size_t i = 0; map && i < map->len; i++)
            {
              size_t mark = oci_path_push_key (&c->path, map->keys[i]);
              int r = walk (c, f->elem, (const char *) map->values + i * f->elem->size);
              oci_path_pop (&c->path, mark);
              if (r < 0)
                return -1;
            }
          return 0;
        }
      default:
        return 0;
    }
}

static int
walk (struct oci_vctx *c, const struct oci_type *t, const void *obj)
{
  const char *base = obj;
  for (size_t i = 0; i < t->n_fields; i++)
    if (t->fields[i].required && !is_set (&t->fields[i], base))
      return oci_verr (c, t->fields[i].json_name, "REQUIRED but missing");
  /* Children first: a type's own rule may then rely on its children's
     REQUIRED members being there (check_linux compares namespace types).  */
  for (size_t i = 0; i < t->n_fields; i++)
    {
      size_t mark = oci_path_push_key (&c->path, t->fields[i].json_name);
      int r = walk_children (c, &t->fields[i], base);
      oci_path_pop (&c->path, mark);
      if (r < 0)
        return -1;
    }
  oci_check_fn check = find_check (t);
  if (check && check (obj, c) < 0)
    return -1;
  return 0;
}

int
oci_validate_document (const struct oci_type *t, const void *obj, char **err)
{
  if (obj == NULL)
    return oci_set_error (err, NULL, NULL, "no %s to validate", t->name);
  const struct oci_unknown_fields *u =
    *(struct oci_unknown_fields *const *) ((const char *) obj + t->unknown_offset);
  struct oci_vctx c = { .source = u ? u->source : NULL, .root = obj, .root_type = t, .err = err };
  int r = walk (&c, t, obj);
  oci_path_release (&c.path);
  return r;
}
