/* Resolving an image config's User ("name", "uid", "name:group",
 * "uid:gid", ...) through the root filesystem's /etc/passwd and
 * /etc/group, as image-spec conversion.md describes.  */
#ifndef MUELLE_IMAGE_USER_H
#define MUELLE_IMAGE_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

struct image_user
{
  uint32_t uid;
  uint32_t gid;
  uint32_t *additional_gids; /* malloc'd; only when has_additional_gids */
  size_t additional_gids_len;
  bool has_additional_gids; /* a user name without a group: its groups */
};

/* rootfd: the extracted root filesystem; files are opened inside it
 * (symlinks resolved within it).  spec NULL or "" means root (0:0).  */
int image_user_resolve (int rootfd, const char *spec, struct image_user *out, estiba_error_t *err);

#endif
