/* Shared by the libocispec fuzz targets: drive one document kind through
 * parse -> validate -> generate -> parse -> generate and insist that the
 * second generation reproduces the first (a fixed point).  */
#ifndef DOCUMENT_FUZZER_H
#define DOCUMENT_FUZZER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec.h"

#define FUZZ_DOCUMENT(X, T)                                                                                  \
  static void fuzz_##X (const char *data, size_t size)                                                       \
  {                                                                                                          \
    char *err = NULL;                                                                                        \
    struct T *doc = oci_##X##_parse_data (data, size, "fuzz", &err);                                         \
    if (doc == NULL)                                                                                         \
      {                                                                                                      \
        if (err == NULL || strchr (err, '\n') != NULL)                                                       \
          abort (); /* a refusal must come with a one-line message */                                        \
        free (err);                                                                                          \
        return;                                                                                              \
      }                                                                                                      \
    if (oci_##X##_validate (doc, &err) < 0 && err == NULL)                                                   \
      abort ();                                                                                              \
    free (err);                                                                                              \
    err = NULL;                                                                                              \
    char *pretty = oci_##X##_generate (doc, true, &err);                                                     \
    free (pretty);                                                                                           \
    free (err);                                                                                              \
    err = NULL;                                                                                              \
    char *first = oci_##X##_generate (doc, false, &err);                                                     \
    if (first != NULL)                                                                                       \
      {                                                                                                      \
        struct T *again = oci_##X##_parse_data (first, strlen (first), "again", &err);                       \
        if (again == NULL)                                                                                   \
          {                                                                                                  \
            fprintf (stderr, "generated JSON does not parse: %s\n%s\n", err, first);                         \
            abort ();                                                                                        \
          }                                                                                                  \
        char *second = oci_##X##_generate (again, false, &err);                                              \
        if (second == NULL || strcmp (first, second) != 0)                                                   \
          {                                                                                                  \
            fprintf (stderr, "not a fixed point:\n%s\n%s\n", first, second);                                 \
            abort ();                                                                                        \
          }                                                                                                  \
        free (second);                                                                                       \
        oci_##X##_free (again);                                                                              \
      }                                                                                                      \
    free (first);                                                                                            \
    free (err);                                                                                              \
    oci_##X##_free (doc);                                                                                    \
  }

#endif
