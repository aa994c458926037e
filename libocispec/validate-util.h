/* Small predicates shared by the validation rules.  */
#ifndef OCISPEC_VALIDATE_UTIL_H
#define OCISPEC_VALIDATE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool
oci_in_list (const char *s, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (s, *list) == 0)
      return true;
  return false;
}

static inline bool
oci_is_absolute (const char *path)
{
  return path && path[0] == '/';
}

/* SemVer 2.0.0 (validate-runtime.c).  */
bool oci_is_semver (const char *v);

#endif
