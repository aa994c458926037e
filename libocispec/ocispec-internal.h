/* libocispec internals: the field descriptors generated from the tables,
 * and what the engine files share.  Not for users of the library.  */
#ifndef OCISPEC_INTERNAL_H
#define OCISPEC_INTERNAL_H

#include <stdarg.h>
#include <yajl/yajl_tree.h>

#include "ocispec.h"

enum oci_kind
{
  OCI_KIND_STR,
  OCI_KIND_BOOL,
  OCI_KIND_INT,
  OCI_KIND_UINT,
  OCI_KIND_I32,
  OCI_KIND_U32,
  OCI_KIND_I64,
  OCI_KIND_U64,
  OCI_KIND_U16,
  OCI_KIND_STRARR,
  OCI_KIND_U32ARR,
  OCI_KIND_OBJ,
  OCI_KIND_OBJARR,
  OCI_KIND_STRMAP,
  OCI_KIND_OBJMAP,
  OCI_KIND_RAW,
};

struct oci_type;

struct oci_field
{
  const char *json_name;
  const char *c_name;
  enum oci_kind kind;
  bool required;
  size_t offset;               /* of the member */
  size_t aux_offset;           /* of has_<x> (scalars) or <x>_len (arrays) */
  const struct oci_type *elem; /* OBJ, OBJARR, OBJMAP */
};

struct oci_type
{
  const char *name;
  size_t size;
  const struct oci_field *fields;
  size_t n_fields;
  size_t unknown_offset;
};

#define OCI_DECLARE_TYPE(name, FIELDS) extern const struct oci_type name##__type;
OCI_ALL_TYPES (OCI_DECLARE_TYPE)

/* Same layout as every generated <type>_map.  */
struct oci_generic_map
{
  char **keys;
  void *values;
  size_t len;
};

/* Unknown members, and for a parsed document's root the name of its
 * source (so validation errors can name the file).  */
struct oci_unknown_fields
{
  char *source;
  size_t len;
  char **keys;
  yajl_val *values;
};

#define OCI_JSON(v) ((struct oci_json *) (v))
#define OCI_YAJL(j) ((yajl_val) (j))

/* Nesting deeper than this is refused before building the tree, so the
 * recursive walks stay shallow.  */
#define OCI_MAX_DEPTH 128

/* A JSON path being walked: "linux.namespaces[1].type".  */
struct oci_path
{
  char *buf;
  size_t len;
  size_t cap;
};
size_t oci_path_push_key (struct oci_path *p, const char *key);
size_t oci_path_push_index (struct oci_path *p, size_t index);
void oci_path_pop (struct oci_path *p, size_t mark);
void oci_path_release (struct oci_path *p);

/* *err = "source: path: reason" (parts omitted when NULL/empty), with
 * control characters replaced so the message stays on one line.
 * Returns -1.  Does nothing when *err is already set.  */
int oci_set_error (char **err, const char *source, const char *path, const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));
int oci_set_verror (char **err, const char *source, const char *path, const char *fmt, va_list ap)
  __attribute__ ((format (printf, 4, 0)));

/* Engine entry points, driven by a type descriptor.  */
void *oci_parse_document (const struct oci_type *t, const char *data, size_t len, const char *source,
                          char **err);
void *oci_parse_document_file (const struct oci_type *t, const char *path, char **err);
char *oci_generate_document (const struct oci_type *t, const void *obj, bool pretty, char **err);
int oci_validate_document (const struct oci_type *t, const void *obj, char **err);
void oci_free_members (const struct oci_type *t, void *obj);
const struct oci_field *oci_find_field (const struct oci_type *t, const char *json_name);
/* Free what one member holds and reset it (and its has_/len) to absent.  */
void oci_free_member (const struct oci_field *f, void *obj);
void oci_free_document (const struct oci_type *t, void *obj);
void oci_unknown_fields_free (struct oci_unknown_fields *u);

/* Validation: a per-type check runs on every object of that type, after
 * the generic REQUIRED-member check and after its children passed, with
 * the path of the object.  */
struct oci_vctx
{
  const char *source;
  struct oci_path path;
  const void *root;                 /* the document */
  const struct oci_type *root_type; /* and its type */
  char **err;
};
typedef int (*oci_check_fn) (const void *obj, struct oci_vctx *c);
struct oci_check
{
  const struct oci_type *type;
  oci_check_fn check;
};
extern const struct oci_check oci_runtime_checks[];
extern const struct oci_check oci_image_checks[];

/* Report "source: <path>.<member>: reason"; member may be NULL or contain
 * a sub-path ("namespaces[2].type").  Returns -1.  */
int oci_verr (struct oci_vctx *c, const char *member, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

#endif
