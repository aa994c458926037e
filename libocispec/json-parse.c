/* The generic parser: a yajl tree walked along a type descriptor into the
 * generated structs.  Wrong JSON types are errors; members the descriptor
 * does not know are moved (not copied) out of the tree into the object's
 * unknown_fields.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "ocispec-internal.h"

/* Larger documents are refused rather than read into memory.  */
#define OCI_MAX_DOCUMENT_SIZE (64 * 1024 * 1024)

struct parse_ctx
{
  const char *source;
  struct oci_path path;
  char **err;
};

static int parse_object (const struct oci_type *t, yajl_val v, void *obj, struct parse_ctx *c);

static int perr (struct parse_ctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
perr (struct parse_ctx *c, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  oci_set_verror (c->err, c->source, c->path.buf, fmt, ap);
  va_end (ap);
  return -1;
}

static const char *
json_type_name (yajl_val v)
{
  switch (v->type)
    {
      case yajl_t_string:
        return "a string";
      case yajl_t_number:
        return "a number";
      case yajl_t_object:
        return "an object";
      case yajl_t_array:
        return "an array";
      case yajl_t_true:
      case yajl_t_false:
        return "a boolean";
      case yajl_t_null:
        return "null";
      default:
        return "something unknown";
    }
}

static int
expect (struct parse_ctx *c, yajl_val v, yajl_type type, const char *what)
{
  bool ok = v->type == type || (type == yajl_t_true && v->type == yajl_t_false);
  if (!ok)
    return perr (c, "expected %s, got %s", what, json_type_name (v));
  return 0;
}

static void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

static char *
xstrdup (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

/* Limits of each integer kind.  */
struct int_range
{
  const char *name;
  bool is_signed;
  int64_t min;
  uint64_t max;
};

static struct int_range
int_range_of (enum oci_kind kind)
{
  switch (kind)
    {
      case OCI_KIND_INT:
      case OCI_KIND_I32:
        return (struct int_range){ "a 32-bit integer", true, INT32_MIN, INT32_MAX };
      case OCI_KIND_UINT:
      case OCI_KIND_U32:
        return (struct int_range){ "an unsigned 32-bit integer", false, 0, UINT32_MAX };
      case OCI_KIND_I64:
        return (struct int_range){ "a 64-bit integer", true, INT64_MIN, INT64_MAX };
      case OCI_KIND_U64:
        return (struct int_range){ "an unsigned 64-bit integer", false, 0, UINT64_MAX };
      case OCI_KIND_U16:
      default:
        return (struct int_range){ "an unsigned 16-bit integer", false, 0, UINT16_MAX };
    }
}

/* The number's original text must be a plain integer in range: 1.0, 1e3
 * and out-of-range values are errors, never silently truncated.  */
static int
parse_integer (struct parse_ctx *c, yajl_val v, enum oci_kind kind, int64_t *s_out, uint64_t *u_out)
{
  struct int_range range = int_range_of (kind);
  if (v->type != yajl_t_number)
    return perr (c, "expected %s, got %s", range.name, json_type_name (v));
  const char *text = v->u.number.r;
  if (text == NULL || strpbrk (text, ".eE") != NULL)
    return perr (c, "expected %s, got %s", range.name, text ? text : "a number");
  char *end = NULL;
  errno = 0;
  if (range.is_signed)
    {
      long long n = strtoll (text, &end, 10);
      if (errno != 0 || *end != '\0' || n < range.min || (n > 0 && (uint64_t) n > range.max))
        return perr (c, "%s is out of range for %s", text, range.name);
      *s_out = n;
    }
  else
    {
      /* "-0" is zero; any other minus sign is out of range.  */
      if (text[0] == '-' && strcmp (text, "-0") != 0)
        return perr (c, "%s is out of range for %s", text, range.name);
      unsigned long long n = strtoull (text[0] == '-' ? text + 1 : text, &end, 10);
      if (errno != 0 || *end != '\0' || n > range.max)
        return perr (c, "%s is out of range for %s", text, range.name);
      *u_out = n;
    }
  return 0;
}

static void
store_integer (void *member, enum oci_kind kind, int64_t s, uint64_t u)
{
  switch (kind)
    {
      case OCI_KIND_INT:
        *(int *) member = (int) s;
        break;
      case OCI_KIND_I32:
        *(int32_t *) member = (int32_t) s;
        break;
      case OCI_KIND_I64:
        *(int64_t *) member = s;
        break;
      case OCI_KIND_UINT:
        *(unsigned int *) member = (unsigned int) u;
        break;
      case OCI_KIND_U32:
        *(uint32_t *) member = (uint32_t) u;
        break;
      case OCI_KIND_U64:
        *(uint64_t *) member = u;
        break;
      case OCI_KIND_U16:
        *(uint16_t *) member = (uint16_t) u;
        break;
      default:
        break;
    }
}

static int
parse_string_array (struct parse_ctx *c, yajl_val v, char ***out, size_t *len_out)
{
  if (expect (c, v, yajl_t_array, "an array of strings") < 0)
    return -1;
  size_t n = v->u.array.len;
  char **arr = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      yajl_val item = v->u.array.values[i];
      if (item->type != yajl_t_string)
        {
          size_t mark = oci_path_push_index (&c->path, i);
          perr (c, "expected a string, got %s", json_type_name (item));
          oci_path_pop (&c->path, mark);
          oci_strv_free (arr);
          return -1;
        }
      arr[i] = xstrdup (item->u.string);
    }
  *out = arr;
  *len_out = n;
  return 0;
}

static int
parse_u32_array (struct parse_ctx *c, yajl_val v, uint32_t **out, size_t *len_out)
{
  if (expect (c, v, yajl_t_array, "an array of integers") < 0)
    return -1;
  size_t n = v->u.array.len;
  uint32_t *arr = xcalloc (n, sizeof (uint32_t));
  for (size_t i = 0; i < n; i++)
    {
      int64_t s = 0;
      uint64_t u = 0;
      size_t mark = oci_path_push_index (&c->path, i);
      int r = parse_integer (c, v->u.array.values[i], OCI_KIND_U32, &s, &u);
      oci_path_pop (&c->path, mark);
      if (r < 0)
        {
          free (arr);
          return -1;
        }
      arr[i] = (uint32_t) u;
    }
  *out = arr;
  *len_out = n;
  return 0;
}

static int
parse_object_array (struct parse_ctx *c, const struct oci_type *elem, yajl_val v, void **out, size_t *len_out)
{
  if (expect (c, v, yajl_t_array, "an array of objects") < 0)
    return -1;
  size_t n = v->u.array.len;
  char *arr = xcalloc (n, elem->size);
  for (size_t i = 0; i < n; i++)
    {
      size_t mark = oci_path_push_index (&c->path, i);
      int r = parse_object (elem, v->u.array.values[i], arr + i * elem->size, c);
      oci_path_pop (&c->path, mark);
      if (r < 0)
        {
          /* Elements after i are still zeroed: freeing them is a no-op.  */
          for (size_t j = 0; j <= i; j++)
            oci_free_members (elem, arr + j * elem->size);
          free (arr);
          return -1;
        }
    }
  *out = arr;
  *len_out = n;
  return 0;
}

/* A duplicate key replaces the earlier value in place (last one wins, as
 * in Go's encoding/json) while keeping the first position.  */
static int
parse_string_map (struct parse_ctx *c, yajl_val v, struct oci_string_map **out)
{
  if (expect (c, v, yajl_t_object, "an object of strings") < 0)
    return -1;
  struct oci_string_map *map = oci_string_map_new ();
  for (size_t i = 0; i < v->u.object.len; i++)
    {
      yajl_val item = v->u.object.values[i];
      if (item->type != yajl_t_string)
        {
          size_t mark = oci_path_push_key (&c->path, v->u.object.keys[i]);
          perr (c, "expected a string, got %s", json_type_name (item));
          oci_path_pop (&c->path, mark);
          oci_string_map_free (map);
          return -1;
        }
      oci_string_map_set (&map, v->u.object.keys[i], item->u.string);
    }
  *out = map;
  return 0;
}

static int
parse_object_map (struct parse_ctx *c, const struct oci_type *elem, yajl_val v, struct oci_generic_map **out)
{
  if (expect (c, v, yajl_t_object, "an object") < 0)
    return -1;
  size_t n = v->u.object.len;
  struct oci_generic_map *map = xcalloc (1, sizeof (*map));
  map->keys = xcalloc (n + 1, sizeof (char *));
  map->values = xcalloc (n, elem->size);
  for (size_t i = 0; i < n; i++)
    {
      const char *key = v->u.object.keys[i];
      size_t slot = map->len;
      for (size_t j = 0; j < map->len; j++)
        if (strcmp (map->keys[j], key) == 0)
          slot = j;
      char *value = (char *) map->values + slot * elem->size;
      if (slot < map->len)
        {
          oci_free_members (elem, value);
          memset (value, 0, elem->size);
        }
      else
        {
          map->keys[slot] = xstrdup (key);
          map->len++;
        }
      size_t mark = oci_path_push_key (&c->path, key);
      int r = parse_object (elem, v->u.object.values[i], value, c);
      oci_path_pop (&c->path, mark);
      if (r < 0)
        {
          for (size_t j = 0; j < map->len; j++)
            {
              free (map->keys[j]);
              oci_free_members (elem, (char *) map->values + j * elem->size);
            }
          free (map->keys);
          free (map->values);
          free (map);
          return -1;
        }
    }
  *out = map;
  return 0;
}

static int
parse_field (struct parse_ctx *c, const struct oci_field *f, yajl_val v, char *obj)
{
  void *member = obj + f->offset;
  int64_t s = 0;
  uint64_t u = 0;

  switch (f->kind)
    {
      case OCI_KIND_STR:
        if (expect (c, v, yajl_t_string, "a string") < 0)
          return -1;
        *(char **) member = xstrdup (v->u.string);
        return 0;
      case OCI_KIND_BOOL:
        if (expect (c, v, yajl_t_true, "a boolean") < 0)
          return -1;
        *(bool *) member = v->type == yajl_t_true;
        *(bool *) (obj + f->aux_offset) = true;
        return 0;
      case OCI_KIND_INT:
      case OCI_KIND_UINT:
      case OCI_KIND_I32:
      case OCI_KIND_U32:
      case OCI_KIND_I64:
      case OCI_KIND_U64:
      case OCI_KIND_U16:
        if (parse_integer (c, v, f->kind, &s, &u) < 0)
          return -1;
        store_integer (member, f->kind, s, u);
        *(bool *) (obj + f->aux_offset) = true;
        return 0;
      case OCI_KIND_STRARR:
        return parse_string_array (c, v, (char ***) member, (size_t *) (obj + f->aux_offset));
      case OCI_KIND_U32ARR:
        return parse_u32_array (c, v, (uint32_t **) member, (size_t *) (obj + f->aux_offset));
      case OCI_KIND_OBJ:
        {
          if (expect (c, v, yajl_t_object, "an object") < 0)
            return -1;
          void *child = xcalloc (1, f->elem->size);
          if (parse_object (f->elem, v, child, c) < 0)
            {
              oci_free_document (f->elem, child);
              return -1;
            }
          *(void **) member = child;
          return 0;
        }
      case OCI_KIND_OBJARR:
        return parse_object_array (c, f->elem, v, (void **) member, (size_t *) (obj + f->aux_offset));
      case OCI_KIND_STRMAP:
        return parse_string_map (c, v, (struct oci_string_map **) member);
      case OCI_KIND_OBJMAP:
        return parse_object_map (c, f->elem, v, (struct oci_generic_map **) member);
      case OCI_KIND_RAW:
        return 0; /* taken over by parse_object */
    }
  return perr (c, "internal error: unknown field kind");
}

const struct oci_field *
oci_find_field (const struct oci_type *t, const char *key)
{
  for (size_t i = 0; i < t->n_fields; i++)
    if (strcmp (t->fields[i].json_name, key) == 0)
      return &t->fields[i];
  return NULL;
}

static void
keep_unknown (struct oci_unknown_fields **slot, const char *key, yajl_val value)
{
  struct oci_unknown_fields *u = *slot;
  if (u == NULL)
    u = *slot = xcalloc (1, sizeof (*u));
  char **keys = realloc (u->keys, (u->len + 1) * sizeof (char *));
  yajl_val *values = realloc (u->values, (u->len + 1) * sizeof (yajl_val));
  if (keys == NULL || values == NULL)
    abort ();
  u->keys = keys;
  u->values = values;
  u->keys[u->len] = xstrdup (key);
  u->values[u->len] = value;
  u->len++;
}

static int
parse_object (const struct oci_type *t, yajl_val v, void *obj, struct parse_ctx *c)
{
  if (expect (c, v, yajl_t_object, "an object") < 0)
    return -1;
  char *base = obj;
  for (size_t i = 0; i < v->u.object.len; i++)
    {
      const char *key = v->u.object.keys[i];
      yajl_val value = v->u.object.values[i];
      const struct oci_field *f = oci_find_field (t, key);
      if (f == NULL)
        {
          /* Move the subtree out of the yajl tree: yajl_tree_free skips
             NULL slots.  */
          keep_unknown ((struct oci_unknown_fields **) (base + t->unknown_offset), key, value);
          v->u.object.values[i] = NULL;
          continue;
        }
      /* null means absent, as in Go's encoding/json; it is kept like an
         unknown member so the output still says null (Docker writes
         "Entrypoint": null).  */
      if (value == NULL || value->type == yajl_t_null)
        {
          oci_free_member (f, obj); /* a repeated key: the last one wins */
          keep_unknown ((struct oci_unknown_fields **) (base + t->unknown_offset), key, value);
          v->u.object.values[i] = NULL;
          continue;
        }
      /* A repeated key: the last one wins.  */
      oci_free_member (f, obj);
      if (f->kind == OCI_KIND_RAW)
        {
          *(yajl_val *) (base + f->offset) = value;
          v->u.object.values[i] = NULL;
          continue;
        }
      size_t mark = oci_path_push_key (&c->path, key);
      int r = parse_field (c, f, value, base);
      oci_path_pop (&c->path, mark);
      if (r < 0)
        return -1;
    }
  return 0;
}

/* yajl_tree gives a multi-line message and no position: parse again
 * without callbacks to find where it stopped and say so on one line.  */
static int
report_syntax_error (const char *data, size_t len, const char *source, char **err)
{
  yajl_handle h = yajl_alloc (NULL, NULL, NULL);
  if (h == NULL)
    abort ();
  yajl_status st = yajl_parse (h, (const unsigned char *) data, len);
  size_t offset = len;
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  else
    {
      /* yajl counts the offending byte as consumed.  */
      offset = yajl_get_bytes_consumed (h);
      if (offset > 0)
        offset--;
    }
  char *msg = NULL;
  if (st != yajl_status_ok)
    {
      unsigned char *m = yajl_get_error (h, 0, NULL, 0);
      msg = xstrdup ((const char *) m);
      yajl_free_error (h, m);
    }
  yajl_free (h);
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < len; i++)
    {
      if (data[i] == '\n')
        {
          line++;
          column = 1;
        }
      else
        column++;
    }
  if (msg)
    {
      size_t n = strlen (msg);
      while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    }
  oci_set_error (err, source, NULL, "invalid JSON at line %zu, column %zu (%s)", line, column,
                 msg && *msg ? msg : "syntax error");
  free (msg);
  return -1;
}

/* Refuse nesting deeper than OCI_MAX_DEPTH before yajl builds (and later
 * recursively frees) a tree for it.  */
static int
check_depth (const char *data, size_t len, const char *source, char **err)
{
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < len; i++)
    {
      char ch = data[i];
      if (in_string)
        {
          if (ch == '\\')
            i++;
          else if (ch == '"')
            in_string = false;
          continue;
        }
      if (ch == '"')
        in_string = true;
      else if (ch == '{' || ch == '[')
        {
          if (++depth > OCI_MAX_DEPTH)
            return oci_set_error (err, source, NULL, "invalid JSON: nested deeper than %d levels",
                                  OCI_MAX_DEPTH);
        }
      else if ((ch == '}' || ch == ']') && depth > 0)
        depth--;
    }
  return 0;
}

void *
oci_parse_document (const struct oci_type *t, const char *data, size_t len, const char *source, char **err)
{
  if (source == NULL)
    source = "";
  if (data == NULL)
    data = "";
  if (memchr (data, '\0', len) != NULL)
    {
      oci_set_error (err, source, NULL, "invalid JSON: contains a NUL byte");
      return NULL;
    }
  if (check_depth (data, len, source, err) < 0)
    return NULL;
  char *text = xcalloc (len + 1, 1);
  memcpy (text, data, len);
  char errbuf[256] = "";
  yajl_val tree = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  if (tree == NULL)
    {
      report_syntax_error (text, len, source, err);
      free (text);
      return NULL;
    }
  free (text);

  struct parse_ctx c = { .source = source, .err = err };
  void *obj = xcalloc (1, t->size);
  int r = parse_object (t, tree, obj, &c);
  yajl_tree_free (tree);
  oci_path_release (&c.path);
  if (r < 0)
    {
      oci_free_document (t, obj);
      return NULL;
    }
  /* Remember the source so validation errors can name it.  */
  struct oci_unknown_fields **u = (struct oci_unknown_fields **) ((char *) obj + t->unknown_offset);
  if (*u == NULL)
    *u = xcalloc (1, sizeof (**u));
  (*u)->source = xstrdup (source);
  return obj;
}

static char *
read_file (const char *path, size_t *len_out, char **err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      oci_set_error (err, path, NULL, "cannot open: %s", strerror (errno));
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      oci_set_error (err, path, NULL, "not a regular file");
      close (fd);
      return NULL;
    }
  size_t cap = st.st_size > 0 ? (size_t) st.st_size + 1 : 4096, len = 0;
  char *buf = NULL;
  for (;;)
    {
      if (cap > OCI_MAX_DOCUMENT_SIZE + 1)
        {
          oci_set_error (err, path, NULL, "larger than %d bytes", OCI_MAX_DOCUMENT_SIZE);
          free (buf);
          close (fd);
          return NULL;
        }
      char *nbuf = realloc (buf, cap);
      if (nbuf == NULL)
        abort ();
      buf = nbuf;
      ssize_t n = read (fd, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          oci_set_error (err, path, NULL, "cannot read: %s", strerror (errno));
          free (buf);
          close (fd);
          return NULL;
        }
      if (n == 0)
        break;
      len += (size_t) n;
      if (len == cap)
        cap *= 2;
    }
  close (fd);
  *len_out = len;
  return buf;
}

void *
oci_parse_document_file (const struct oci_type *t, const char *path, char **err)
{
  size_t len = 0;
  char *data = read_file (path, &len, err);
  if (data == NULL)
    return NULL;
  void *obj = oci_parse_document (t, data, len, path, err);
  free (data);
  return obj;
}
