/* The mounts list and safe resolution inside the rootfs: see mounts.h.  */
#include <config.h>
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "log.h"
#include "lsm.h"
#include "mount_options.h"
#include "tmpcopyup.h"

int
resolve_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = { .flags = (unsigned) (flags | O_CLOEXEC),
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  do
    fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

const char *
fd_path (int fd, char *buf, size_t size)
{
  snprintf (buf, size, "/proc/self/fd/%d", fd);
  return buf;
}

/* Create one missing component `name` in the directory at `parent`.  */
static int
create_component (int parent, const char *name, bool file, mode_t mode)
{
  if (file)
    {
      int fd = openat (parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd >= 0)
        close (fd);
      return fd < 0 && errno != EEXIST ? -1 : 0;
    }
  if (mkdirat (parent, name, mode) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

/* Resolve copy[0..len) inside the root ("/" when len is 0).  */
static int
resolve_prefix (int rootfd, char *copy, size_t len, int flags)
{
  char saved = copy[len];
  int fd;

  copy[len] = '\0';
  fd = resolve_in_root (rootfd, len ? copy : "/", flags);
  copy[len] = saved;
  return fd;
}

int
mkdir_in_root (int rootfd, const char *path, bool file, mode_t mode, estiba_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  cleanup_close int parent = -1;
  size_t len, base;

  if (copy == NULL)
    return estiba_error_errno (err, "strdup");
  len = strlen (copy);
  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  parent = resolve_in_root (rootfd, copy, O_PATH);
  if (parent >= 0)
    return steal_fd (&parent);
  if (errno != ENOENT)
    return estiba_error_errno (err, "resolve '%s' in the rootfs", copy);

  /* The deepest ancestor that exists (usually the parent: one missing
   * component, a mount point under a directory the image has).  */
  base = len;
  do
    {
      char *slash = memrchr (copy, '/', base);
      base = slash ? (size_t) (slash - copy) : 0;
      while (base > 0 && copy[base - 1] == '/')
        base--;
      parent = resolve_prefix (rootfd, copy, base, O_PATH | O_DIRECTORY);
      if (parent < 0 && (errno != ENOENT || base == 0))
        return estiba_error_errno (err, "resolve the parent of '%s' in the rootfs", copy);
    }
  while (parent < 0);

  /* Then each missing component in its resolved parent, and the path so
   * far resolved again from the root (what was created may have been
   * swapped for a symlink meanwhile: it is followed inside the root).  */
  while (base < len)
    {
      size_t start = base, end;
      char saved;
      int fd;

      while (copy[start] == '/')
        start++;
      for (end = start; end < len && copy[end] != '/'; end++)
        ;
      saved = copy[end];
      copy[end] = '\0';
      if (strcmp (copy + start, ".") != 0 && strcmp (copy + start, "..") != 0
          && create_component (parent, copy + start, end == len && file, mode) < 0)
        return estiba_error_errno (err, "create '%s' in the rootfs", copy);
      copy[end] = saved;
      fd = resolve_prefix (rootfd, copy, end, O_PATH);
      if (fd < 0)
        {
          copy[end] = '\0';
          return estiba_error_errno (err, "resolve '%s' in the rootfs", copy);
        }
      close (parent);
      parent = fd;
      base = end;
    }
  return steal_fd (&parent);
}

/* The per-mount attributes of MS_* flags, for mount_setattr on a bind:
 * only what the options set or explicitly cleared changes, so flags an
 * unprivileged user namespace may not drop (locked nosuid, nodev, ...)
 * are left alone unless asked.  */
static void
bind_attributes (const struct mount_options *mo, struct mount_attr *attr)
{
  static const struct
  {
    unsigned long ms;
    uint64_t attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };
  const unsigned long atime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
  size_t i;

  memset (attr, 0, sizeof (*attr));
  for (i = 0; i < sizeof map / sizeof map[0]; i++)
    {
      if (mo->flags & map[i].ms)
        attr->attr_set |= map[i].attr;
      else if (mo->cleared & map[i].ms)
        attr->attr_clr |= map[i].attr;
    }
  if ((mo->flags & atime) || (mo->cleared & atime))
    {
      attr->attr_clr |= MOUNT_ATTR__ATIME;
      if (mo->flags & MS_NOATIME)
        attr->attr_set |= MOUNT_ATTR_NOATIME;
      else if (mo->flags & MS_STRICTATIME)
        attr->attr_set |= MOUNT_ATTR_STRICTATIME;
      else
        attr->attr_set |= MOUNT_ATTR_RELATIME;
    }
}

static int
set_attributes (int fd, unsigned int flags, uint64_t set, uint64_t clr, const char *what, estiba_error_t *err)
{
  struct mount_attr attr = { .attr_set = set, .attr_clr = clr };

  if (set == 0 && clr == 0)
    return 0;
  if (mount_setattr (fd, "", AT_EMPTY_PATH | flags, &attr, sizeof attr) < 0)
    return estiba_error_errno (err, "set %s mount attributes", what);
  return 0;
}

/* The r* options (mount_setattr with AT_RECURSIVE) on the mount at fd.  */
static int
set_recursive_attributes (int fd, const struct mount_options *mo, estiba_error_t *err)
{
  return set_attributes (fd, AT_RECURSIVE, mo->rec_set, mo->rec_clr, "recursive", err);
}

/* idmap/ridmap: the mount's own uidMappings/gidMappings, else the
 * container's (config.md).  Only on a detached tree.  */
static int
set_idmap (int tree, const struct oci_mount *m, const struct mount_options *mo, const struct oci_linux *l,
           estiba_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
  cleanup_close int userns = -1;
  bool own = m->uid_mappings_len > 0 || m->gid_mappings_len > 0;

  if (own)
    userns = idmap_userns_open (m->uid_mappings, m->uid_mappings_len, m->gid_mappings, m->gid_mappings_len,
                                "uidMappings/gidMappings", err);
  else
    userns =
      idmap_userns_open (l ? l->uid_mappings : NULL, l ? l->uid_mappings_len : 0, l ? l->gid_mappings : NULL,
                         l ? l->gid_mappings_len : 0, "linux.uidMappings/gidMappings", err);
  if (userns < 0)
    return -1;
  attr.userns_fd = (uint64_t) userns;
  if (mount_setattr (tree, "", AT_EMPTY_PATH | (mo->idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof attr)
      < 0)
    return estiba_error_errno (err, "id-map the mount");
  return 0;
}

/* A bind mount is built detached (open_tree clone of the source), given
 * all its attributes there, and only then attached onto the resolved
 * destination fd: no path is looked up twice, and no half-configured
 * mount is ever visible in the container.  Returns the tree fd (it
 * still refers to the attached mount, for the propagation).
 * build_bind_tree makes the configured detached tree (source looked up
 * from DIRFD), mount_bind attaches it.  */
static int
build_bind_tree (int dirfd, const struct oci_mount *m, const struct mount_options *mo,
                 const struct oci_linux *l, estiba_error_t *err)
{
  cleanup_close int src = -1, tree = -1;
  struct mount_attr attr;

  if (m->source == NULL)
    return estiba_error (err, EINVAL, "no source for a bind mount");
  src = openat (dirfd, m->source, O_PATH | O_CLOEXEC);
  if (src < 0)
    return estiba_error_errno (err, "open the source");
  tree = open_tree (
    src, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((mo->flags & MS_REC) ? AT_RECURSIVE : 0));
  if (tree < 0)
    return estiba_error_errno (err, "clone the source tree");
  if (mo->idmap && set_idmap (tree, m, mo, l, err) < 0)
    return -1;
  bind_attributes (mo, &attr);
  if (set_attributes (tree, 0, attr.attr_set, attr.attr_clr, "the", err) < 0
      || set_recursive_attributes (tree, mo, err) < 0)
    return -1;
  return steal_fd (&tree);
}

/* PREPARED: the tree mount_idmap_prepare built, or -1.  */
static int
mount_bind (int rootfd, const struct oci_mount *m, const struct mount_options *mo, const struct oci_linux *l,
            int prepared, estiba_error_t *err)
{
  cleanup_close int dst = -1, tree = -1;
  struct stat sb;

  tree = prepared >= 0 ? dup (prepared) : build_bind_tree (AT_FDCWD, m, mo, l, err);
  if (tree < 0)
    return prepared >= 0 ? estiba_error_errno (err, "dup") : -1;
  if (fstat (tree, &sb) < 0)
    return estiba_error_errno (err, "stat the source");
  dst = mkdir_in_root (rootfd, m->destination, !S_ISDIR (sb.st_mode), 0755, err);
  if (dst < 0)
    return -1;
  if (move_mount (tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return estiba_error_errno (err, "attach the mount");
  return steal_fd (&tree);
}

/* The filesystem type and options of the cgroup hierarchy mounted at
 * MOUNTPOINT, from /proc/self/mountinfo ("cgroup" and "cpu,cpuacct" or
 * "name=systemd", "cgroup2" and "").  A new mount of the hierarchy must
 * name the same controllers.  */
static int
cgroup_hierarchy_options (const char *mountpoint, char **type, char **opts)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t n = 0;

  while (f && getline (&line, &n, f) > 0)
    {
      char mp[4096], fstype[64], super[1024], *o, *save = NULL;
      const char *sep = strstr (line, " - ");
      size_t len = 0;

      if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1 || strcmp (mp, mountpoint) != 0
          || sscanf (sep + 3, "%63s %*s %1023s", fstype, super) != 2)
        continue;
      if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
        return -1;
      *type = strdup (fstype);
      *opts = calloc (1, strlen (super) + 1);
      if (*type == NULL || *opts == NULL)
        return -1;
      /* Access and agent options are not ours to repeat.  */
      for (o = strtok_r (super, ",", &save); o; o = strtok_r (NULL, ",", &save))
        if (strcmp (o, "rw") != 0 && strcmp (o, "ro") != 0 && strncmp (o, "release_agent=", 14) != 0)
          len += (size_t) sprintf (*opts + len, "%s%s", len ? "," : "", o);
      return 0;
    }
  return -1;
}

/* With a cgroup namespace, the hierarchy's own filesystem (as runc): the
 * kernel roots it at the namespace's cgroup, the container's.  */
static int
mount_cgroupfs (const char *host_dir, int dst, unsigned long flags, estiba_error_t *err)
{
  const char *rest = host_dir + strlen ("/sys/fs/cgroup/");
  cleanup_free char *mountpoint = NULL, *type = NULL, *opts = NULL;
  char p[64];

  if (asprintf (&mountpoint, "/sys/fs/cgroup/%.*s", (int) strcspn (rest, "/"), rest) < 0)
    return estiba_error_errno (err, "malloc");
  if (cgroup_hierarchy_options (mountpoint, &type, &opts) < 0)
    return estiba_error (err, ENOENT, "no cgroup hierarchy mounted at '%s'", mountpoint);
  if (mount ("cgroup", fd_path (dst, p, sizeof p), type, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC,
             *opts ? opts : NULL)
      < 0)
    return estiba_error_errno (err, "mount %s '%s'", type, opts);
  return 0;
}

/* A new cgroup namespace is made only after the mounts, once the init is
 * in its cgroups (init.c): until then a new cgroupfs would be rooted at the
 * runtime's.  The bind of the container's cgroup shows the same thing,
 * rooted at "/" (the kernel prints cgroup paths relative to the reader's
 * namespace).  A joined one is there already.  */
static bool
has_cgroup_namespace (const struct oci_linux *l)
{
  size_t i;

  for (i = 0; l && i < l->namespaces_len; i++)
    if (l->namespaces[i].type && strcmp (l->namespaces[i].type, "cgroup") == 0 && l->namespaces[i].path
        && *l->namespaces[i].path)
      return true;
  return false;
}

/* A "cgroup" mount: a tmpfs holding, for each hierarchy, named as on the
 * host (cpu, memory, unified, ...), the container's own cgroup as its root:
 * the hierarchy's filesystem mounted in a joined cgroup namespace, else a
 * bind of the container's cgroup directory.  */
static int
mount_cgroup_tree (int rootfd, const struct oci_mount *m, const struct mount_options *mo,
                   const struct oci_linux *l, char *const *cgroup_dirs, estiba_error_t *err)
{
  cleanup_close int fd = mkdir_in_root (rootfd, m->destination, false, 0755, err);
  const uint64_t locked = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  char p[64];
  size_t i;

  if (fd < 0)
    return -1;
  if (mount ("tmpfs", fd_path (fd, p, sizeof p), "tmpfs",
             (mo->flags & ~(unsigned long) MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
      < 0)
    return estiba_error_errno (err, "mount the cgroup tmpfs");
  for (i = 0; cgroup_dirs && cgroup_dirs[i]; i++)
    {
      /* dirs are <mountpoint>/<path>: the hierarchy name is the mountpoint's basename.  */
      const char *rest = cgroup_dirs[i] + strlen ("/sys/fs/cgroup/");
      cleanup_free char *name = NULL, *dest = NULL;
      cleanup_close int src = -1, dst = -1, tree = -1;

      if (strncmp (cgroup_dirs[i], "/sys/fs/cgroup/", 15) != 0)
        continue;
      name = strndup (rest, strcspn (rest, "/"));
      if (name == NULL || asprintf (&dest, "%s/%s", m->destination, name) < 0)
        return estiba_error_errno (err, "malloc");
      src = open (cgroup_dirs[i], O_PATH | O_CLOEXEC | O_DIRECTORY);
      if (src < 0)
        return estiba_error_errno (err, "open cgroup '%s'", cgroup_dirs[i]);
      dst = mkdir_in_root (rootfd, dest, false, 0755, err);
      if (dst < 0)
        return -1;
      if (has_cgroup_namespace (l))
        {
          cleanup_error estiba_error_t why = NULL;

          if (mount_cgroupfs (cgroup_dirs[i], dst, mo->flags & MS_RDONLY, &why) == 0)
            continue;
          /* A kernel that refuses it (in a user namespace): the bind shows
           * the same cgroup.  */
          estiba_debug ("cgroup '%s' on '%s': %s; binding it instead", cgroup_dirs[i], dest, why->msg);
        }
      tree = open_tree (src, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
      if (tree < 0
          || set_attributes (tree, 0, locked | ((mo->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0), 0, "cgroup",
                             err)
               < 0
          || move_mount (tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return estiba_error_errno (err, "bind cgroup '%s' on '%s'", cgroup_dirs[i], dest);
    }
  if (mo->flags & MS_RDONLY)
    {
      cleanup_close int top = resolve_in_root (rootfd, m->destination, O_PATH);
      if (top < 0 || set_attributes (top, 0, MOUNT_ATTR_RDONLY, 0, "read-only", err) < 0)
        return estiba_error_errno (err, "make the cgroup tmpfs read-only");
    }
  return 0;
}

/* proc and sysfs are only ever mounted on a real directory of the
 * rootfs (runc's rule after CVE-2019-19921/CVE-2019-16884): never on a
 * symlink's target, a file, or something already mounted over.  */
static int
check_procfs_target (int rootfd, const struct oci_mount *m, int dst, estiba_error_t *err)
{
  struct stat sb;

  (void) rootfd;
  if (strcmp (m->type, "proc") != 0 && strcmp (m->type, "sysfs") != 0)
    return 0;
  if (fstat (dst, &sb) < 0)
    return estiba_error_errno (err, "stat the destination");
  if (!S_ISDIR (sb.st_mode))
    return estiba_error (err, ENOTDIR, "%s may only be mounted on a directory", m->type);
  return 0;
}

/* linux.mountLabel as SELinux's context= option (runc's
 * FormatMountLabel), for the filesystems that take it.  Only where
 * SELinux is on: elsewhere the kernel refuses the option, and the label
 * means nothing.  *data stays NULL when there is nothing to add.  */
static int
mount_label_data (const struct oci_mount *m, const struct mount_options *mo, const struct oci_linux *l,
                  char **data)
{
  static const char *const unlabeled[] = { "proc", "sysfs", "mqueue", "cgroup", "cgroup2" };
  size_t i;

  *data = NULL;
  if (l == NULL || l->mount_label == NULL || *l->mount_label == '\0' || !lsm_selinux_enabled ())
    return 0;
  for (i = 0; i < sizeof unlabeled / sizeof unlabeled[0]; i++)
    if (strcmp (m->type, unlabeled[i]) == 0)
      return 0;
  if (asprintf (data, "%s%scontext=\"%s\"", mo->data ? mo->data : "", mo->data ? "," : "", l->mount_label)
      < 0)
    {
      *data = NULL;
      return -1;
    }
  return 0;
}

static int
mount_fs (int rootfd, const struct oci_mount *m, const struct mount_options *mo, const struct oci_linux *l,
          estiba_error_t *err)
{
  cleanup_close int dst = -1, top = -1, below = -1;
  cleanup_free char *labeled = NULL;
  char d[64];

  if (mount_label_data (m, mo, l, &labeled) < 0)
    return estiba_error_errno (err, "linux.mountLabel");

  if (strcmp (m->type, "proc") == 0 || strcmp (m->type, "sysfs") == 0)
    {
      /* Not created through a symlink: the path itself must be a directory.  */
      dst = resolve_in_root (rootfd, m->destination, O_PATH | O_NOFOLLOW);
      if (dst < 0 && errno == ENOENT)
        dst = mkdir_in_root (rootfd, m->destination, false, 0755, err);
      else if (dst < 0)
        return estiba_error_errno (err, "resolve the destination");
    }
  else
    dst = mkdir_in_root (rootfd, m->destination, false, 0755, err);
  if (dst < 0 || check_procfs_target (rootfd, m, dst, err) < 0)
    return -1;
  if (mo->tmpcopyup)
    {
      if (strcmp (m->type, "tmpfs") != 0)
        return estiba_error (err, EINVAL, "tmpcopyup is only for tmpfs");
      /* The image's directory, before the tmpfs covers it.  */
      below = openat (dst, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (below < 0)
        return estiba_error_errno (err, "open the directory under the tmpfs");
    }
  /* With tmpcopyup, "ro" waits until the copy is made.  */
  if (mount (m->source ? m->source : m->type, fd_path (dst, d, sizeof d), m->type,
             mo->tmpcopyup ? mo->flags & ~(unsigned long) MS_RDONLY : mo->flags, labeled ? labeled : mo->data)
      < 0)
    return estiba_error_errno (err, "mount");
  if (mo->rec_set == 0 && mo->rec_clr == 0 && !mo->tmpcopyup)
    return 0;
  top = resolve_in_root (rootfd, m->destination, O_RDONLY | O_DIRECTORY);
  if (top < 0)
    return estiba_error_errno (err, "resolve the new mount");
  if (mo->tmpcopyup
      && (tmpcopyup (below, top, err) < 0
          || set_attributes (top, 0, (mo->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0, 0, "read-only", err)
               < 0))
    return -1;
  return set_recursive_attributes (top, mo, err);
}

static int
apply_propagation (int rootfd, int fd, const char *dest, unsigned long propagation, estiba_error_t *err)
{
  cleanup_close int resolved = -1;
  char p[64];

  if (propagation == 0)
    return 0;
  if (fd < 0)
    {
      resolved = resolve_in_root (rootfd, dest, O_PATH);
      if (resolved < 0)
        return estiba_error_errno (err, "resolve the new mount");
      fd = resolved;
    }
  if (mount (NULL, fd_path (fd, p, sizeof p), NULL, propagation, NULL) < 0)
    return estiba_error_errno (err, "set the propagation");
  return 0;
}

static int
mount_dispatch (int rootfd, const struct oci_mount *m, const struct mount_options *mo,
                const struct oci_linux *l, char *const *cgroup_dirs, int prepared, estiba_error_t *err)
{
  cleanup_close int tree = -1;
  int ret;

  if (mo->idmap && !mo->bind)
    return estiba_error (err, EINVAL, "idmap/ridmap is only supported on bind mounts");
  if (mo->bind)
    {
      tree = mount_bind (rootfd, m, mo, l, prepared, err);
      ret = tree < 0 ? -1 : 0;
    }
  else if (m->type == NULL || *m->type == '\0')
    ret = estiba_error (err, EINVAL, "no type and no bind option");
  else if (strcmp (m->type, "cgroup") == 0 || strcmp (m->type, "cgroup2") == 0)
    ret = mount_cgroup_tree (rootfd, m, mo, l, cgroup_dirs, err);
  else
    ret = mount_fs (rootfd, m, mo, l, err);
  if (ret == 0)
    ret = apply_propagation (rootfd, tree, m->destination, mo->propagation, err);
  return ret;
}

/* One line naming everything about mounts[IDX], then the failure.  */
static int
mount_error (const struct oci_mount *m, size_t idx, estiba_error_t *err)
{
  cleanup_free char *opts = mount_options_join (m->options, m->options_len);
  return estiba_error_wrap (err, "mounts[%zu]: destination '%s', type '%s', source '%s', options '%s'", idx,
                            m->destination ? m->destination : "", m->type ? m->type : "",
                            m->source ? m->source : "", opts ? opts : "");
}

static int
parse_mount_options (const struct oci_mount *m, struct mount_options *mo, estiba_error_t *err)
{
  if (mount_options_parse (m->options, m->options_len, mo, err) < 0)
    return -1;
  if (m->type && strcmp (m->type, "bind") == 0)
    {
      mo->bind = true;
      mo->flags |= MS_BIND;
    }
  return 0;
}

int
mount_one_prepared (int rootfd, const struct oci_mount *m, size_t idx, const struct oci_linux *l,
                    char *const *cgroup_dirs, int prepared, estiba_error_t *err)
{
  struct mount_options mo;
  int ret;

  /* A relative destination is taken from the container's root, as runc
   * does (config.md only requires absolute paths from 1.1 on).  */
  if (m->destination == NULL || m->destination[0] == '\0')
    ret = estiba_error (err, EINVAL, "destination is empty");
  else
    {
      ret = parse_mount_options (m, &mo, err);
      if (ret == 0)
        ret = mount_dispatch (rootfd, m, &mo, l, cgroup_dirs, prepared, err);
      mount_options_release (&mo);
    }
  return ret < 0 ? mount_error (m, idx, err) : 0;
}

int
mount_one (int rootfd, const struct oci_mount *m, size_t idx, const struct oci_linux *l,
           char *const *cgroup_dirs, estiba_error_t *err)
{
  return mount_one_prepared (rootfd, m, idx, l, cgroup_dirs, -1, err);
}

/* The tree of one idmap/ridmap bind mount, or -1 when it is none.  */
static int
prepare_one (int bundle, const struct oci_mount *m, size_t idx, const struct oci_linux *l, int *tree,
             estiba_error_t *err)
{
  struct mount_options mo;
  int ret;

  *tree = -1;
  ret = parse_mount_options (m, &mo, err);
  if (ret == 0 && mo.idmap && mo.bind)
    {
      *tree = build_bind_tree (bundle, m, &mo, l, err);
      ret = *tree < 0 ? -1 : 0;
    }
  mount_options_release (&mo);
  return ret < 0 ? mount_error (m, idx, err) : 0;
}

int *
mount_idmap_prepare (const char *bundle, const struct oci_config *c, estiba_error_t *err)
{
  cleanup_close int dirfd = open (bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int *trees = calloc (c->mounts_len + 1, sizeof *trees);
  size_t i;

  if (trees == NULL || dirfd < 0)
    {
      estiba_error_errno (err, trees ? "open the bundle '%s'" : "malloc", bundle);
      free (trees);
      return NULL;
    }
  for (i = 0; i < c->mounts_len; i++)
    if (prepare_one (dirfd, &c->mounts[i], i, c->linux_, &trees[i], err) < 0)
      {
        while (i-- > 0)
          if (trees[i] >= 0)
            close (trees[i]);
        free (trees);
        return NULL;
      }
  return trees;
}
