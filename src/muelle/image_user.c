#include <config.h>
#include "image_user.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Open a file of the container's root filesystem: symlinks resolve inside
 * it, never to the host's files.  */
static FILE *
open_in_root (int rootfd, const char *path)
{
  struct open_how how = {
    .flags = O_RDONLY | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
  FILE *f;

  if (fd < 0)
    return NULL;
  f = fdopen (fd, "r");
  if (f == NULL)
    close (fd);
  return f;
}

static bool
parse_id (const char *s, uint32_t *out)
{
  char *end;
  unsigned long v;

  if (s == NULL || *s < '0' || *s > '9')
    return false;
  errno = 0;
  v = strtoul (s, &end, 10);
  if (errno || *end || v > UINT32_MAX - 1)
    return false;
  *out = (uint32_t) v;
  return true;
}

/* Split a passwd/group line into at most n ':' fields (in place).  */
static size_t
split_fields (char *line, char **fields, size_t n)
{
  size_t i = 0;

  line[strcspn (line, "\n")] = '\0';
  while (i < n)
    {
      fields[i++] = line;
      line = strchr (line, ':');
      if (line == NULL)
        break;
      *line++ = '\0';
    }
  return i;
}

/* Find a passwd entry by name, or by uid when name is NULL.  */
static int
lookup_passwd (int rootfd, const char *name, uint32_t uid, uint32_t *uid_out, uint32_t *gid_out,
               char **name_out)
{
  cleanup_fclose FILE *f = open_in_root (rootfd, "/etc/passwd");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (f == NULL)
    return -1;
  while (getline (&line, &cap, f) > 0)
    {
      char *fl[7];
      uint32_t u, g;
      if (split_fields (line, fl, 7) < 4 || !parse_id (fl[2], &u) || !parse_id (fl[3], &g))
        continue;
      if (name ? strcmp (fl[0], name) == 0 : u == uid)
        {
          *uid_out = u;
          *gid_out = g;
          if (name_out)
            *name_out = strdup (fl[0]);
          return 0;
        }
    }
  return -1;
}

static int
lookup_group (int rootfd, const char *name, uint32_t *gid_out)
{
  cleanup_fclose FILE *f = open_in_root (rootfd, "/etc/group");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (f == NULL)
    return -1;
  while (getline (&line, &cap, f) > 0)
    {
      char *fl[4];
      uint32_t g;
      if (split_fields (line, fl, 4) < 3 || !parse_id (fl[2], &g))
        continue;
      if (strcmp (fl[0], name) == 0)
        {
          *gid_out = g;
          return 0;
        }
    }
  return -1;
}

/* Groups listing user as a member (supplementary groups), plus the
 * primary group first, as runc/docker set them.  */
static int
member_groups (int rootfd, const char *user, uint32_t primary, struct image_user *out, estiba_error_t *err)
{
  cleanup_fclose FILE *f = open_in_root (rootfd, "/etc/group");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  out->has_additional_gids = true;
  out->additional_gids = malloc (sizeof (uint32_t));
  if (out->additional_gids == NULL)
    return estiba_error (err, ENOMEM, "user groups");
  out->additional_gids[out->additional_gids_len++] = primary;
  if (f == NULL)
    return 0;
  while (getline (&line, &cap, f) > 0)
    {
      char *fl[4], *m, *save = NULL;
      uint32_t g;
      if (split_fields (line, fl, 4) < 4 || !parse_id (fl[2], &g))
        continue;
      for (m = strtok_r (fl[3], ",", &save); m; m = strtok_r (NULL, ",", &save))
        {
          size_t i;
          bool dup = false;
          if (strcmp (m, user) != 0)
            continue;
          for (i = 0; i < out->additional_gids_len; i++)
            dup |= out->additional_gids[i] == g;
          if (!dup)
            {
              uint32_t *grown =
                realloc (out->additional_gids, (out->additional_gids_len + 1) * sizeof (uint32_t));
              if (grown == NULL)
                return estiba_error (err, ENOMEM, "user groups");
              out->additional_gids = grown;
              out->additional_gids[out->additional_gids_len++] = g;
            }
        }
    }
  return 0;
}

int
image_user_resolve (int rootfd, const char *spec, struct image_user *out, estiba_error_t *err)
{
  cleanup_free char *copy = NULL;
  cleanup_free char *found_name = NULL;
  char *user, *group;
  uint32_t gid_from_passwd = 0, ignored;

  memset (out, 0, sizeof (*out));
  if (spec == NULL || spec[0] == '\0')
    return 0;
  copy = strdup (spec);
  if (copy == NULL)
    return estiba_error (err, ENOMEM, "user");
  user = copy;
  group = strchr (copy, ':');
  if (group)
    *group++ = '\0';
  if (user[0] == '\0' || (group && group[0] == '\0'))
    return estiba_error (err, 0, "image config User `%s`: empty user or group", spec);

  if (parse_id (user, &out->uid))
    {
      /* A numeric uid needs no passwd entry; its primary group comes from
       * one when there is one, else 0.  */
      if (lookup_passwd (rootfd, NULL, out->uid, &ignored, &gid_from_passwd, NULL) < 0)
        gid_from_passwd = 0;
    }
  else if (lookup_passwd (rootfd, user, 0, &out->uid, &gid_from_passwd, &found_name) < 0)
    return estiba_error (err, 0, "image config User `%s`: no user `%s` in the image's /etc/passwd", spec,
                         user);

  if (group == NULL)
    {
      out->gid = gid_from_passwd;
      /* Supplementary groups only for a user given by name without group
       * (conversion.md).  */
      if (found_name)
        return member_groups (rootfd, found_name, out->gid, out, err);
      return 0;
    }
  if (!parse_id (group, &out->gid) && lookup_group (rootfd, group, &out->gid) < 0)
    return estiba_error (err, 0, "image config User `%s`: no group `%s` in the image's /etc/group", spec,
                         group);
  return 0;
}
