/* The public per-document API: thin wrappers over the engine, one set per
 * entry of OCI_DOCUMENTS.  */
#include <config.h>

#include "ocispec-internal.h"

#define OCI_DEFINE_DOCUMENT_API(X, T)                                                                        \
  struct T *oci_##X##_new (void)                                                                             \
  {                                                                                                          \
    return oci_xzalloc (sizeof (struct T));                                                                  \
  }                                                                                                          \
  struct T *oci_##X##_parse_file (const char *path, char **err)                                              \
  {                                                                                                          \
    return oci_parse_document_file (&T##__type, path, err);                                                  \
  }                                                                                                          \
  struct T *oci_##X##_parse_data (const char *data, size_t len, const char *source, char **err)              \
  {                                                                                                          \
    return oci_parse_document (&T##__type, data, len, source, err);                                          \
  }                                                                                                          \
  char *oci_##X##_generate (const struct T *x, bool pretty, char **err)                                      \
  {                                                                                                          \
    return oci_generate_document (&T##__type, x, pretty, err);                                               \
  }                                                                                                          \
  int oci_##X##_validate (const struct T *x, char **err)                                                     \
  {                                                                                                          \
    return oci_validate_document (&T##__type, x, err);                                                       \
  }                                                                                                          \
  void oci_##X##_free (struct T *x)                                                                          \
  {                                                                                                          \
    oci_free_document (&T##__type, x);                                                                       \
  }

OCI_DOCUMENTS (OCI_DEFINE_DOCUMENT_API)

/* `process` alone (runc exec --process) is the same object as in config.  */
struct oci_process *
oci_process_parse_file (const char *path, char **err)
{
  return oci_parse_document_file (&oci_process__type, path, err);
}

struct oci_process *
oci_process_parse_data (const char *data, size_t len, const char *source, char **err)
{
  return oci_parse_document (&oci_process__type, data, len, source, err);
}

char *
oci_process_generate (const struct oci_process *x, bool pretty, char **err)
{
  return oci_generate_document (&oci_process__type, x, pretty, err);
}

int
oci_process_validate (const struct oci_process *x, char **err)
{
  return oci_validate_document (&oci_process__type, x, err);
}

void
oci_process_free (struct oci_process *x)
{
  oci_free_document (&oci_process__type, x);
}
