/* The mount options table: see mount_options.h.  */
#include <config.h>
#include "mount_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

enum option_kind
{
  OPT_FLAG,            /* set (or clear) MS_* flags for mount(2) */
  OPT_PROPAGATION,     /* MS_SHARED/..., applied after the mount */
  OPT_RECURSIVE,       /* MOUNT_ATTR_* set (or cleared) with AT_RECURSIVE */
  OPT_RECURSIVE_ATIME, /* a MOUNT_ATTR__ATIME value: clears the others */
  OPT_BIND,
  OPT_RBIND,
  OPT_IDMAP,
  OPT_RIDMAP,
  OPT_TMPCOPYUP,
  OPT_NOOP, /* "defaults": nothing beyond what mount(2) does anyway */
};

struct option
{
  const char *name;
  enum option_kind kind;
  bool clear;
  uint64_t value; /* MS_* or MOUNT_ATTR_* */
};

/* MOUNT_ATTR_RELATIME is 0: the kernel's default atime behaviour.  The
 * "no" atime variants (ratime, rnorelatime, rnostrictatime) go back to
 * it, as mount(8)'s norelatime does on today's kernels.  */
static const struct option options_table[] = {
  /* config.md: MUST */
  { "ro", OPT_FLAG, false, MS_RDONLY },
  { "rw", OPT_FLAG, true, MS_RDONLY },
  { "nosuid", OPT_FLAG, false, MS_NOSUID },
  { "suid", OPT_FLAG, true, MS_NOSUID },
  { "nodev", OPT_FLAG, false, MS_NODEV },
  { "dev", OPT_FLAG, true, MS_NODEV },
  { "noexec", OPT_FLAG, false, MS_NOEXEC },
  { "exec", OPT_FLAG, true, MS_NOEXEC },
  { "sync", OPT_FLAG, false, MS_SYNCHRONOUS },
  { "async", OPT_FLAG, true, MS_SYNCHRONOUS },
  { "dirsync", OPT_FLAG, false, MS_DIRSYNC },
  { "remount", OPT_FLAG, false, MS_REMOUNT },
  { "mand", OPT_FLAG, false, MS_MANDLOCK },
  { "nomand", OPT_FLAG, true, MS_MANDLOCK },
  { "atime", OPT_FLAG, true, MS_NOATIME },
  { "noatime", OPT_FLAG, false, MS_NOATIME },
  { "diratime", OPT_FLAG, true, MS_NODIRATIME },
  { "nodiratime", OPT_FLAG, false, MS_NODIRATIME },
  { "relatime", OPT_FLAG, false, MS_RELATIME },
  { "norelatime", OPT_FLAG, true, MS_RELATIME },
  { "strictatime", OPT_FLAG, false, MS_STRICTATIME },
  { "nostrictatime", OPT_FLAG, true, MS_STRICTATIME },
  { "lazytime", OPT_FLAG, false, MS_LAZYTIME },
  { "nolazytime", OPT_FLAG, true, MS_LAZYTIME },
  { "iversion", OPT_FLAG, false, MS_I_VERSION },
  { "noiversion", OPT_FLAG, true, MS_I_VERSION },
  { "silent", OPT_FLAG, false, MS_SILENT },
  { "loud", OPT_FLAG, true, MS_SILENT },
  { "bind", OPT_BIND, false, 0 },
  { "rbind", OPT_RBIND, false, 0 },
  { "private", OPT_PROPAGATION, false, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, false, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, false, MS_SHARED },
  { "rshared", OPT_PROPAGATION, false, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, false, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, false, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, false, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, false, MS_UNBINDABLE | MS_REC },
  /* config.md: SHOULD (mount_setattr, recursive) */
  { "rro", OPT_RECURSIVE, false, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_RECURSIVE, true, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_RECURSIVE, false, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_RECURSIVE, true, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_RECURSIVE, false, MOUNT_ATTR_NODEV },
  { "rdev", OPT_RECURSIVE, true, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_RECURSIVE, false, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_RECURSIVE, true, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_RECURSIVE, false, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_RECURSIVE, true, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_RECURSIVE, false, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_RECURSIVE, true, MOUNT_ATTR_NOSYMFOLLOW },
  { "rnoatime", OPT_RECURSIVE_ATIME, false, MOUNT_ATTR_NOATIME },
  { "rrelatime", OPT_RECURSIVE_ATIME, false, MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_RECURSIVE_ATIME, false, MOUNT_ATTR_STRICTATIME },
  { "ratime", OPT_RECURSIVE_ATIME, false, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_RECURSIVE_ATIME, false, MOUNT_ATTR_RELATIME },
  { "rnostrictatime", OPT_RECURSIVE_ATIME, false, MOUNT_ATTR_RELATIME },
  { "nosymfollow", OPT_FLAG, false, MS_NOSYMFOLLOW },
  { "symfollow", OPT_FLAG, true, MS_NOSYMFOLLOW },
  { "idmap", OPT_IDMAP, false, 0 },
  { "ridmap", OPT_RIDMAP, false, 0 },
  /* config.md: MAY */
  { "tmpcopyup", OPT_TMPCOPYUP, false, 0 },
  { "defaults", OPT_NOOP, false, 0 },
};

static const struct option *
find_option (const char *name)
{
  size_t i;

  for (i = 0; i < sizeof options_table / sizeof options_table[0]; i++)
    if (strcmp (name, options_table[i].name) == 0)
      return &options_table[i];
  return NULL;
}

static int
append_data (char **data, const char *opt)
{
  char *joined = NULL;

  if (*data == NULL)
    joined = strdup (opt);
  else if (asprintf (&joined, "%s,%s", *data, opt) < 0)
    joined = NULL;
  if (joined == NULL)
    return -1;
  free (*data);
  *data = joined;
  return 0;
}

static void
apply_option (const struct option *o, struct mount_options *out)
{
  switch (o->kind)
    {
      case OPT_FLAG:
        if (o->clear)
          {
            out->flags &= ~(unsigned long) o->value;
            out->cleared |= (unsigned long) o->value;
          }
        else
          {
            out->flags |= (unsigned long) o->value;
            out->cleared &= ~(unsigned long) o->value;
          }
        break;
      case OPT_PROPAGATION:
        out->propagation = (unsigned long) o->value;
        break;
      case OPT_RECURSIVE:
        /* The last of rX/rnoX wins.  */
        out->rec_set &= ~o->value;
        out->rec_clr &= ~o->value;
        *(o->clear ? &out->rec_clr : &out->rec_set) |= o->value;
        break;
      case OPT_RECURSIVE_ATIME:
        out->rec_set = (out->rec_set & ~(uint64_t) MOUNT_ATTR__ATIME) | o->value;
        out->rec_clr |= MOUNT_ATTR__ATIME;
        break;
      case OPT_BIND:
      case OPT_RBIND:
        out->bind = true;
        out->flags |= MS_BIND | (o->kind == OPT_RBIND ? MS_REC : 0);
        break;
      case OPT_IDMAP:
      case OPT_RIDMAP:
        out->idmap = true;
        out->idmap_recursive = o->kind == OPT_RIDMAP;
        break;
      case OPT_TMPCOPYUP:
        out->tmpcopyup = true;
        break;
      case OPT_NOOP:
        break;
    }
}

int
mount_options_parse (char *const *options, size_t n, struct mount_options *out, estiba_error_t *err)
{
  size_t i;

  memset (out, 0, sizeof (*out));
  for (i = 0; i < n && options[i]; i++)
    {
      const struct option *o = find_option (options[i]);

      if (o)
        apply_option (o, out);
      else if (append_data (&out->data, options[i]) < 0)
        return estiba_error_errno (err, "malloc");
    }
  return 0;
}

void
mount_options_release (struct mount_options *mo)
{
  free (mo->data);
  mo->data = NULL;
}

unsigned long
mount_options_remount_flags (const struct mount_options *mo)
{
  return mo->flags & ~(unsigned long) (MS_BIND | MS_REC | MS_REMOUNT);
}

char *
mount_options_join (char *const *options, size_t n)
{
  char *joined = strdup ("");
  size_t i;

  for (i = 0; joined && i < n && options[i]; i++)
    {
      char *next = NULL;
      if (asprintf (&next, "%s%s%s", joined, i ? "," : "", options[i]) < 0)
        next = NULL;
      free (joined);
      joined = next;
    }
  return joined;
}
