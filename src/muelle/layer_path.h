/* Pure name logic of layer extraction, kept apart so it can be unit
 * tested: cleaning tar entry names and recognising whiteouts
 * (image-spec layer.md).  */
#ifndef MUELLE_LAYER_PATH_H
#define MUELLE_LAYER_PATH_H

#include <stdbool.h>

/* Clean a tar entry name into a relative path of plain components:
 * leading "./" and "/" runs and empty or "." components are dropped.
 * Returns NULL (and *why set) for a name that is absolute, contains a ".."
 * component or is empty; otherwise a malloc'd path ("" never: the root
 * itself is returned as "."). */
char *layer_path_clean (const char *name, const char **why);

enum whiteout_kind
{
  WHITEOUT_NONE = 0,
  WHITEOUT_FILE,   /* .wh.NAME: delete NAME from lower layers */
  WHITEOUT_OPAQUE, /* .wh..wh..opq: hide the lower layers' directory contents */
  WHITEOUT_INVALID /* .wh. with an unusable NAME (empty, ".", "..", other .wh..wh. names) */
};

/* Classify the last component of a cleaned path; for WHITEOUT_FILE
 * *target points at NAME inside leaf.  */
enum whiteout_kind layer_whiteout_kind (const char *leaf, const char **target);

/* Split a cleaned path: *leaf points at the last component, the return
 * value is a malloc'd parent ("." for top-level entries).  */
char *layer_path_split (const char *path, const char **leaf);

#endif
