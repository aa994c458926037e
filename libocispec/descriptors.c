/* The field descriptors, generated from the tables in ocispec-tables.h:
 * one struct oci_type per C struct, listing each member's JSON name,
 * kind, offsets and element type.  */
#include <config.h>

#include <stddef.h>

#include "ocispec-internal.h"

/* The second offset each kind needs: has_<x> for scalars, <x>_len for
 * arrays, none for the rest.  */
#define OCI_AUX_NONE(T, c) 0
#define OCI_AUX_HAS(T, c)  offsetof (struct T, has_##c)
#define OCI_AUX_LEN(T, c)  offsetof (struct T, c##_len)
#define OCI_AUX_STR        OCI_AUX_NONE
#define OCI_AUX_BOOL       OCI_AUX_HAS
#define OCI_AUX_INT        OCI_AUX_HAS
#define OCI_AUX_UINT       OCI_AUX_HAS
#define OCI_AUX_I32        OCI_AUX_HAS
#define OCI_AUX_U32        OCI_AUX_HAS
#define OCI_AUX_I64        OCI_AUX_HAS
#define OCI_AUX_U64        OCI_AUX_HAS
#define OCI_AUX_U16        OCI_AUX_HAS
#define OCI_AUX_STRARR     OCI_AUX_LEN
#define OCI_AUX_U32ARR     OCI_AUX_LEN
#define OCI_AUX_OBJ        OCI_AUX_NONE
#define OCI_AUX_OBJARR     OCI_AUX_LEN
#define OCI_AUX_STRMAP     OCI_AUX_NONE
#define OCI_AUX_OBJMAP     OCI_AUX_NONE
#define OCI_AUX_RAW        OCI_AUX_NONE

#define OCI_ELEM_NONE(e) NULL
#define OCI_ELEM_TYPE(e) &e##__type
#define OCI_ELEM_STR     OCI_ELEM_NONE
#define OCI_ELEM_BOOL    OCI_ELEM_NONE
#define OCI_ELEM_INT     OCI_ELEM_NONE
#define OCI_ELEM_UINT    OCI_ELEM_NONE
#define OCI_ELEM_I32     OCI_ELEM_NONE
#define OCI_ELEM_U32     OCI_ELEM_NONE
#define OCI_ELEM_I64     OCI_ELEM_NONE
#define OCI_ELEM_U64     OCI_ELEM_NONE
#define OCI_ELEM_U16     OCI_ELEM_NONE
#define OCI_ELEM_STRARR  OCI_ELEM_NONE
#define OCI_ELEM_U32ARR  OCI_ELEM_NONE
#define OCI_ELEM_OBJ     OCI_ELEM_TYPE
#define OCI_ELEM_OBJARR  OCI_ELEM_TYPE
#define OCI_ELEM_STRMAP  OCI_ELEM_NONE
#define OCI_ELEM_OBJMAP  OCI_ELEM_TYPE
#define OCI_ELEM_RAW     OCI_ELEM_NONE

#define OCI_FIELD_DESCRIPTOR(T, kind, c, json, e, flags)                                                     \
  { json,                                                                                                    \
    #c,                                                                                                      \
    OCI_KIND_##kind,                                                                                         \
    (flags) == OCI_REQ,                                                                                      \
    offsetof (struct T, c),                                                                                  \
    OCI_AUX_##kind (T, c),                                                                                   \
    OCI_ELEM_##kind (e) },

/* Each field list ends with a sentinel so empty tables stay valid C.  */
#define OCI_TYPE_DESCRIPTOR(name, FIELDS)                                                                    \
  static const struct oci_field name##__fields[] = { FIELDS (OCI_FIELD_DESCRIPTOR, name){                    \
    NULL, NULL, OCI_KIND_STR, false, 0, 0, NULL } };                                                         \
  const struct oci_type name##__type = { #name, sizeof (struct name), name##__fields,                        \
                                         sizeof (name##__fields) / sizeof (name##__fields[0]) - 1,           \
                                         offsetof (struct name, unknown_fields) };

OCI_ALL_TYPES (OCI_TYPE_DESCRIPTOR)
