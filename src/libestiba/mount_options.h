/* config.md mounts[].options: every option the runtime-spec names, in one
 * table, split into what mount(2) takes (MS_* flags and the filesystem's
 * own data string), the propagation applied afterwards, the recursive
 * attributes applied with mount_setattr(AT_RECURSIVE), and the options
 * the runtime itself acts on (bind, idmap, tmpcopyup).  */
#ifndef ESTIBA_MOUNT_OPTIONS_H
#define ESTIBA_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "error.h"

struct mount_options
{
  unsigned long flags;       /* MS_* for mount(2) */
  unsigned long cleared;     /* MS_* an option explicitly cleared (rw, suid, atime, ...) */
  unsigned long propagation; /* MS_SHARED/... possibly | MS_REC, applied after */
  uint64_t rec_set;          /* MOUNT_ATTR_* set recursively (r* options) */
  uint64_t rec_clr;          /* MOUNT_ATTR_* cleared recursively */
  bool bind;                 /* bind or rbind (MS_BIND, MS_REC in flags) */
  bool idmap;                /* idmap or ridmap */
  bool idmap_recursive;      /* ridmap */
  bool tmpcopyup;            /* copy the directory's content into the new tmpfs */
  char *data;                /* the options mount(2) passes to the filesystem */
};

/* Split options[0..n).  Never fails on an unknown option: it goes to the
 * filesystem, which judges it (as runc and crun do).  */
int mount_options_parse (char *const *options, size_t n, struct mount_options *out, estiba_error_t *err);
void mount_options_release (struct mount_options *mo);

/* The MS_* flags beyond bind/rec/remount: a bind mount needs a remount
 * to apply them (the kernel ignores them on the first MS_BIND).  */
unsigned long mount_options_remount_flags (const struct mount_options *mo);

/* "a,b,c" for error messages (malloc'd, "" for none; NULL on ENOMEM).  */
char *mount_options_join (char *const *options, size_t n);

#endif
