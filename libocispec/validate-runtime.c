/* The runtime-spec 1.3.0 rules (config.md, config-linux.md, runtime.md,
 * features.md) that a type table cannot express.  Where the spec is silent
 * we refuse what runc refuses.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec-internal.h"
#include "validate-util.h"

/* ---- shared predicates ---- */

/* SemVer 2.0.0: MAJOR.MINOR.PATCH[-pre.release][+build.meta].  */
static bool
is_numeric_identifier (const char *s, size_t n)
{
  if (n == 0 || (n > 1 && s[0] == '0'))
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

static bool
is_semver_identifiers (const char *s, size_t n, bool check_leading_zero)
{
  size_t start = 0;
  for (size_t i = 0; i <= n; i++)
    {
      if (i < n && s[i] != '.')
        {
          char ch = s[i];
          if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
                || ch == '-'))
            return false;
          continue;
        }
      size_t len = i - start;
      if (len == 0)
        return false;
      bool all_digits = strspn (s + start, "0123456789") >= len;
      if (check_leading_zero && all_digits && !is_numeric_identifier (s + start, len))
        return false;
      start = i + 1;
    }
  return true;
}

bool
oci_is_semver (const char *v)
{
  const char *p = v;
  for (int part = 0; part < 3; part++)
    {
      size_t n = strspn (p, "0123456789");
      if (!is_numeric_identifier (p, n))
        return false;
      p += n;
      if (part < 2)
        {
          if (*p != '.')
            return false;
          p++;
        }
    }
  if (*p == '-')
    {
      p++;
      size_t n = strcspn (p, "+");
      if (!is_semver_identifiers (p, n, true))
        return false;
      p += n;
    }
  if (*p == '+')
    {
      p++;
      if (!is_semver_identifiers (p, strlen (p), false))
        return false;
      p += strlen (p);
    }
  return *p == '\0';
}

static bool
has_dot_dot_component (const char *path)
{
  for (const char *p = path; (p = strstr (p, "..")) != NULL; p += 2)
    if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
      return true;
  return false;
}

/* A CPU or NUMA node list: "0-3,7".  */
static bool
is_id_list (const char *s)
{
  if (*s == '\0')
    return false;
  while (*s)
    {
      size_t n = strspn (s, "0123456789");
      if (n == 0)
        return false;
      s += n;
      if (*s == '-')
        {
          s++;
          n = strspn (s, "0123456789");
          if (n == 0)
            return false;
          s += n;
        }
      if (*s == ',')
        {
          s++;
          if (*s == '\0')
            return false;
        }
      else if (*s != '\0')
        return false;
    }
  return true;
}

static bool
is_config_root (struct oci_vctx *c)
{
  return c->root_type == &oci_config__type;
}

static bool
is_windows_config (struct oci_vctx *c)
{
  return is_config_root (c) && ((const struct oci_config *) c->root)->windows != NULL;
}

static int
check_string_map_keys (struct oci_vctx *c, const char *member, const struct oci_string_map *map)
{
  for (size_t i = 0; map && i < map->len; i++)
    if (map->keys[i][0] == '\0')
      return oci_verr (c, member, "keys MUST NOT be empty");
  return 0;
}

static int
check_id_mappings (struct oci_vctx *c, const char *member, const struct oci_id_mapping *m, size_t len)
{
  char where[64];
  for (size_t i = 0; m && i < len; i++)
    {
      snprintf (where, sizeof (where), "%s[%zu].size", member, i);
      if (m[i].size == 0)
        return oci_verr (c, where, "an ID mapping must map at least one ID");
      if ((uint64_t) m[i].container_id + m[i].size - 1 > UINT32_MAX
          || (uint64_t) m[i].host_id + m[i].size - 1 > UINT32_MAX)
        return oci_verr (c, where, "mapping of %u IDs from %u (host %u) goes past 4294967295", m[i].size,
                         m[i].container_id, m[i].host_id);
    }
  return 0;
}

/* ---- config.md ---- */

/* Settings that only make sense in a namespace of the container's own
 * (runc refuses them otherwise).  */
static bool
has_new_namespace (const struct oci_linux *l, const char *type)
{
  for (size_t i = 0; l && l->namespaces && i < l->namespaces_len; i++)
    if (strcmp (l->namespaces[i].type, type) == 0)
      return true;
  return false;
}

static int
check_namespace_needs (const struct oci_config *x, struct oci_vctx *c)
{
  if (x->linux_ == NULL)
    return 0;
  if (x->hostname && *x->hostname && !has_new_namespace (x->linux_, "uts"))
    return oci_verr (c, "hostname", "cannot be set without a uts namespace");
  if (x->domainname && *x->domainname && !has_new_namespace (x->linux_, "uts"))
    return oci_verr (c, "domainname", "cannot be set without a uts namespace");
  if (x->linux_->time_offsets && x->linux_->time_offsets->len > 0 && !has_new_namespace (x->linux_, "time"))
    return oci_verr (c, "linux.timeOffsets", "cannot be set without a time namespace");
  return 0;
}

static int
check_config (const void *obj, struct oci_vctx *c)
{
  const struct oci_config *x = obj;
  if (!oci_is_semver (x->oci_version))
    return oci_verr (c, "ociVersion", "\"%s\" is not in SemVer 2.0.0 format", x->oci_version);
  if (x->root == NULL && x->windows == NULL)
    return oci_verr (c, "root", "REQUIRED but missing");
  if (check_string_map_keys (c, "annotations", x->annotations) < 0)
    return -1;
  return check_namespace_needs (x, c);
}

static int
check_root (const void *obj, struct oci_vctx *c)
{
  const struct oci_root *x = obj;
  if (x->path[0] == '\0')
    return oci_verr (c, "path", "must not be empty");
  return 0;
}

static int
check_mount (const void *obj, struct oci_vctx *c)
{
  const struct oci_mount *x = obj;
  /* Linux allows a relative destination (taken relative to "/"); the
     other POSIX platforms require an absolute one.  */
  if (x->destination[0] == '\0')
    return oci_verr (c, "destination", "must not be empty");
  if (is_config_root (c))
    {
      const struct oci_config *cfg = c->root;
      bool other_posix = cfg->solaris || cfg->zos || cfg->freebsd;
      if (cfg->linux_ == NULL && other_posix && !oci_is_absolute (x->destination))
        return oci_verr (c, "destination", "\"%s\" is not an absolute path", x->destination);
    }
  if ((x->uid_mappings == NULL) != (x->gid_mappings == NULL))
    return oci_verr (c, x->uid_mappings ? "gidMappings" : "uidMappings", "MUST be specified along with %s",
                     x->uid_mappings ? "uidMappings" : "gidMappings");
  if (check_id_mappings (c, "uidMappings", x->uid_mappings, x->uid_mappings_len) < 0
      || check_id_mappings (c, "gidMappings", x->gid_mappings, x->gid_mappings_len) < 0)
    return -1;
  for (size_t i = 0; x->options && i < x->options_len; i++)
    if (x->options[i][0] == '\0')
      {
        char where[48];
        snprintf (where, sizeof (where), "options[%zu]", i);
        return oci_verr (c, where, "must not be empty");
      }
  return 0;
}

static int
check_process (const void *obj, struct oci_vctx *c)
{
  const struct oci_process *x = obj;
  bool windows = is_windows_config (c);
  if (!windows && !oci_is_absolute (x->cwd))
    return oci_verr (c, "cwd", "\"%s\" is not an absolute path", x->cwd);
  if (x->args && x->args_len == 0 && !windows)
    return oci_verr (c, "args", "MUST have at least one entry");
  if (x->args == NULL && !(windows && x->command_line))
    return oci_verr (c, "args", "REQUIRED but missing");
  for (size_t i = 0; x->env && i < x->env_len; i++)
    if (strchr (x->env[i], '=') == NULL)
      {
        char where[48];
        snprintf (where, sizeof (where), "env[%zu]", i);
        return oci_verr (c, where, "\"%s\" is not in KEY=value form", x->env[i]);
      }
  if ((x->has_oom_score_adj || x->oom_score_adj) && (x->oom_score_adj < -1000 || x->oom_score_adj > 1000))
    return oci_verr (c, "oomScoreAdj", "%d is not between -1000 and 1000", x->oom_score_adj);

  static const char *const rlimits[] = { "RLIMIT_AS",
                                         "RLIMIT_CORE",
                                         "RLIMIT_CPU",
                                         "RLIMIT_DATA",
                                         "RLIMIT_FSIZE",
                                         "RLIMIT_LOCKS",
                                         "RLIMIT_MEMLOCK",
                                         "RLIMIT_MSGQUEUE",
                                         "RLIMIT_NICE",
                                         "RLIMIT_NOFILE",
                                         "RLIMIT_NPROC",
                                         "RLIMIT_RSS",
                                         "RLIMIT_RTPRIO",
                                         "RLIMIT_RTTIME",
                                         "RLIMIT_SIGPENDING",
                                         "RLIMIT_STACK",
                                         NULL };
  for (size_t i = 0; x->rlimits && i < x->rlimits_len; i++)
    {
      char where[48];
      snprintf (where, sizeof (where), "rlimits[%zu].type", i);
      if (!oci_in_list (x->rlimits[i].type, rlimits))
        return oci_verr (c, where, "unknown rlimit \"%s\"", x->rlimits[i].type);
      for (size_t j = 0; j < i; j++)
        if (strcmp (x->rlimits[j].type, x->rlimits[i].type) == 0)
          return oci_verr (c, where, "duplicate rlimit \"%s\"", x->rlimits[i].type);
    }
  return 0;
}

static int
check_scheduler (const void *obj, struct oci_vctx *c)
{
  const struct oci_scheduler *x = obj;
  static const char *const policies[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
                                          "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL };
  static const char *const flags[] = { "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
                                       "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
                                       "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
                                       "SCHED_FLAG_UTIL_CLAMP_MAX", NULL };
  if (!oci_in_list (x->policy, policies))
    return oci_verr (c, "policy", "unknown scheduling policy \"%s\"", x->policy);
  for (size_t i = 0; x->flags && i < x->flags_len; i++)
    if (!oci_in_list (x->flags[i], flags))
      {
        char where[48];
        snprintf (where, sizeof (where), "flags[%zu]", i);
        return oci_verr (c, where, "unknown scheduler flag \"%s\"", x->flags[i]);
      }
  if (x->nice < -20 || x->nice > 19)
    return oci_verr (c, "nice", "%d is not between -20 and 19", (int) x->nice);
  return 0;
}

static int
check_io_priority (const void *obj, struct oci_vctx *c)
{
  const struct oci_io_priority *x = obj;
  static const char *const classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL };
  if (!oci_in_list (x->class, classes))
    return oci_verr (c, "class", "unknown I/O priority class \"%s\"", x->class);
  if (x->priority < 0 || x->priority > 7)
    return oci_verr (c, "priority", "%d is not between 0 and 7", x->priority);
  return 0;
}

static int
check_cpu_affinity (const void *obj, struct oci_vctx *c)
{
  const struct oci_cpu_affinity *x = obj;
  if (x->initial && !is_id_list (x->initial))
    return oci_verr (c, "initial", "\"%s\" is not a CPU list such as \"0-3,7\"", x->initial);
  if (x->final && !is_id_list (x->final))
    return oci_verr (c, "final", "\"%s\" is not a CPU list such as \"0-3,7\"", x->final);
  return 0;
}

static int
check_hook (const void *obj, struct oci_vctx *c)
{
  const struct oci_hook *x = obj;
  if (!oci_is_absolute (x->path))
    return oci_verr (c, "path", "\"%s\" is not an absolute path", x->path);
  if ((x->has_timeout || x->timeout) && x->timeout <= 0)
    return oci_verr (c, "timeout", "MUST be greater than zero, got %d", x->timeout);
  return 0;
}

/* ---- config-linux.md ---- */

static int
check_linux (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux *x = obj;
  char where[64];

  for (size_t i = 0; x->namespaces && i < x->namespaces_len; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp (x->namespaces[i].type, x->namespaces[j].type) == 0)
        {
          snprintf (where, sizeof (where), "namespaces[%zu].type", i);
          return oci_verr (c, where, "duplicate namespace type \"%s\"", x->namespaces[i].type);
        }
  if (check_id_mappings (c, "uidMappings", x->uid_mappings, x->uid_mappings_len) < 0
      || check_id_mappings (c, "gidMappings", x->gid_mappings, x->gid_mappings_len) < 0)
    return -1;
  if (check_string_map_keys (c, "sysctl", x->sysctl) < 0)
    return -1;
  if (x->cgroups_path && has_dot_dot_component (x->cgroups_path))
    return oci_verr (c, "cgroupsPath", "\"%s\" must not contain \"..\"", x->cgroups_path);
  static const char *const propagations[] = { "shared", "slave",    "private",     "unbindable", "rshared",
                                              "rslave", "rprivate", "runbindable", NULL };
  if (x->rootfs_propagation && !oci_in_list (x->rootfs_propagation, propagations))
    return oci_verr (c, "rootfsPropagation", "unknown propagation \"%s\"", x->rootfs_propagation);
  for (size_t i = 0; x->masked_paths && i < x->masked_paths_len; i++)
    if (!oci_is_absolute (x->masked_paths[i]))
      {
        snprintf (where, sizeof (where), "maskedPaths[%zu]", i);
        return oci_verr (c, where, "\"%s\" is not an absolute path", x->masked_paths[i]);
      }
  for (size_t i = 0; x->readonly_paths && i < x->readonly_paths_len; i++)
    if (!oci_is_absolute (x->readonly_paths[i]))
      {
        snprintf (where, sizeof (where), "readonlyPaths[%zu]", i);
        return oci_verr (c, where, "\"%s\" is not an absolute path", x->readonly_paths[i]);
      }
  for (size_t i = 0; x->time_offsets && i < x->time_offsets->len; i++)
    {
      static const char *const clocks[] = { "boottime", "monotonic", NULL };
      snprintf (where, sizeof (where), "timeOffsets");
      if (!oci_in_list (x->time_offsets->keys[i], clocks))
        return oci_verr (c, where, "unknown clock \"%s\" (expected boottime or monotonic)",
                         x->time_offsets->keys[i]);
    }
  return 0;
}

static int
check_namespace (const void *obj, struct oci_vctx *c)
{
  const struct oci_namespace *x = obj;
  static const char *const types[] = {
    "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL
  };
  if (!oci_in_list (x->type, types))
    return oci_verr (c, "type", "unknown namespace type \"%s\"", x->type);
  if (x->path && !oci_is_absolute (x->path))
    return oci_verr (c, "path", "\"%s\" is not an absolute path", x->path);
  return 0;
}

static int
check_time_offset (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_time_offset *x = obj;
  if (x->nanosecs >= 1000000000u)
    return oci_verr (c, "nanosecs", "%u is not below 1000000000", x->nanosecs);
  return 0;
}

static int
check_device (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_device *x = obj;
  static const char *const types[] = { "c", "b", "u", "p", NULL };
  if (!oci_in_list (x->type, types))
    return oci_verr (c, "type", "unknown device type \"%s\" (expected c, b, u or p)", x->type);
  if (!oci_is_absolute (x->path))
    return oci_verr (c, "path", "\"%s\" is not an absolute path", x->path);
  if (strcmp (x->type, "p") != 0)
    {
      if (!x->has_major && x->major == 0)
        return oci_verr (c, "major", "REQUIRED unless type is p");
      if (!x->has_minor && x->minor == 0)
        return oci_verr (c, "minor", "REQUIRED unless type is p");
    }
  /* podman sends st_mode with the file type bits (020666 for a char device);
   * runc ignores those (S_IFMT, 0170000), so do we.  */
  if (x->file_mode & ~(07777u | 0170000u))
    return oci_verr (c, "fileMode", "%o has bits beyond the file type and permission bits (0177777)",
                     x->file_mode);
  return 0;
}

static bool
is_interface_name (const char *s)
{
  size_t n = strlen (s);
  /* IFNAMSIZ is 16 with the NUL.  */
  if (n == 0 || n > 15 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return false;
  for (; *s; s++)
    if (*s == '/' || *s == ':' || (unsigned char) *s <= ' ' || *s == 0x7f)
      return false;
  return true;
}

static int
check_linux_net_devices (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux *x = obj;
  for (size_t i = 0; x->net_devices && i < x->net_devices->len; i++)
    {
      if (!is_interface_name (x->net_devices->keys[i]))
        return oci_verr (c, "netDevices", "\"%s\" is not a valid network interface name",
                         x->net_devices->keys[i]);
      const char *name = x->net_devices->values[i].name;
      if (name && !is_interface_name (name))
        {
          char where[64];
          snprintf (where, sizeof (where), "netDevices.%s.name", x->net_devices->keys[i]);
          return oci_verr (c, where, "\"%s\" is not a valid network interface name", name);
        }
    }
  return 0;
}

static int
check_linux_all (const void *obj, struct oci_vctx *c)
{
  if (check_linux (obj, c) < 0)
    return -1;
  return check_linux_net_devices (obj, c);
}

static int
check_device_cgroup (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_device_cgroup *x = obj;
  static const char *const types[] = { "a", "b", "c", NULL };
  if (x->type && !oci_in_list (x->type, types))
    return oci_verr (c, "type", "unknown device type \"%s\" (expected a, b or c)", x->type);
  if (x->access)
    {
      const char *a = x->access;
      if (strspn (a, "rwm") != strlen (a) || (strchr (a, 'r') != strrchr (a, 'r'))
          || (strchr (a, 'w') != strrchr (a, 'w')) || (strchr (a, 'm') != strrchr (a, 'm')))
        return oci_verr (c, "access", "\"%s\" is not a combination of r, w and m", a);
    }
  return 0;
}

static int
check_weight_device (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_weight_device *x = obj;
  if (!x->has_weight && !x->weight && !x->has_leaf_weight && !x->leaf_weight)
    return oci_verr (c, NULL, "MUST specify at least one of weight or leafWeight");
  return 0;
}

static int
check_hugepage_limit (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_hugepage_limit *x = obj;
  const char *s = x->page_size;
  size_t digits = strspn (s, "0123456789");
  if (digits == 0 || s[0] == '0' || strchr ("KMG", s[digits]) == NULL || s[digits] == '\0'
      || s[digits + 1] != 'B' || s[digits + 2] != '\0')
    return oci_verr (c, "pageSize", "\"%s\" is not a page size such as \"2MB\"", s);
  return 0;
}

static int
check_rdma (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_rdma *x = obj;
  if (!x->has_hca_handles && !x->hca_handles && !x->has_hca_objects && !x->hca_objects)
    return oci_verr (c, NULL, "MUST specify at least one of hcaHandles or hcaObjects");
  return 0;
}

static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL
};

static bool
action_takes_errno (const char *action)
{
  return strcmp (action, "SCMP_ACT_ERRNO") == 0 || strcmp (action, "SCMP_ACT_TRACE") == 0;
}

static int
check_seccomp (const void *obj, struct oci_vctx *c)
{
  const struct oci_seccomp *x = obj;
  static const char *const archs[] = { "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
                                       "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPS",
                                       "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
                                       "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
                                       "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",
                                       "SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",
                                       "SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
                                       "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",        NULL };
  /* config-linux.md lists these four.  */
  static const char *const flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                       "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC",
                                       NULL };
  char where[64];

  if (!oci_in_list (x->default_action, seccomp_actions))
    return oci_verr (c, "defaultAction", "unknown seccomp action \"%s\"", x->default_action);
  /* The kernel cannot notify a listener for every syscall (runc refuses it
     too: the listener itself would be stuck).  */
  if (strcmp (x->default_action, "SCMP_ACT_NOTIFY") == 0)
    return oci_verr (c, "defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
  if ((x->has_default_errno_ret || x->default_errno_ret) && !action_takes_errno (x->default_action))
    return oci_verr (c, "defaultErrnoRet", "not allowed with action %s", x->default_action);
  for (size_t i = 0; x->architectures && i < x->architectures_len; i++)
    if (!oci_in_list (x->architectures[i], archs))
      {
        snprintf (where, sizeof (where), "architectures[%zu]", i);
        return oci_verr (c, where, "unknown seccomp architecture \"%s\"", x->architectures[i]);
      }
  for (size_t i = 0; x->flags && i < x->flags_len; i++)
    if (!oci_in_list (x->flags[i], flags))
      {
        snprintf (where, sizeof (where), "flags[%zu]", i);
        return oci_verr (c, where, "unknown seccomp flag \"%s\"", x->flags[i]);
      }
  if (x->listener_metadata && x->listener_path == NULL)
    return oci_verr (c, "listenerMetadata", "MUST NOT be set without listenerPath");
  if (x->listener_path && !oci_is_absolute (x->listener_path))
    return oci_verr (c, "listenerPath", "\"%s\" is not an absolute path", x->listener_path);
  return 0;
}

static int
check_seccomp_syscall (const void *obj, struct oci_vctx *c)
{
  const struct oci_seccomp_syscall *x = obj;
  if (x->names_len == 0)
    return oci_verr (c, "names", "MUST contain at least one entry");
  for (size_t i = 0; i < x->names_len; i++)
    if (x->names[i][0] == '\0')
      {
        char where[48];
        snprintf (where, sizeof (where), "names[%zu]", i);
        return oci_verr (c, where, "must not be empty");
      }
  if (!oci_in_list (x->action, seccomp_actions))
    return oci_verr (c, "action", "unknown seccomp action \"%s\"", x->action);
  if ((x->has_errno_ret || x->errno_ret) && !action_takes_errno (x->action))
    return oci_verr (c, "errnoRet", "not allowed with action %s", x->action);
  return 0;
}

static int
check_seccomp_arg (const void *obj, struct oci_vctx *c)
{
  const struct oci_seccomp_arg *x = obj;
  static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
                                     "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };
  /* A syscall has at most six arguments.  */
  if (x->index > 5)
    return oci_verr (c, "index", "%u is not a syscall argument index (0-5)", x->index);
  if (!oci_in_list (x->op, ops))
    return oci_verr (c, "op", "unknown seccomp operator \"%s\"", x->op);
  return 0;
}

static bool
has_newline (const char *s)
{
  return s && (strchr (s, '\n') || strchr (s, '\r'));
}

static int
check_intel_rdt (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_intel_rdt *x = obj;
  /* closID names a directory under /sys/fs/resctrl: "/" is the root, any
     other value must be a single path component.  */
  if (x->clos_id && strcmp (x->clos_id, "/") != 0
      && (x->clos_id[0] == '\0' || strchr (x->clos_id, '/') || strcmp (x->clos_id, ".") == 0
          || strcmp (x->clos_id, "..") == 0 || has_newline (x->clos_id)))
    return oci_verr (c, "closID", "\"%s\" is not a valid CLOS name", x->clos_id);
  if (has_newline (x->l3_cache_schema))
    return oci_verr (c, "l3CacheSchema", "must not contain newlines");
  if (x->mem_bw_schema && (strncmp (x->mem_bw_schema, "MB:", 3) != 0 || has_newline (x->mem_bw_schema)))
    return oci_verr (c, "memBwSchema", "MUST start with \"MB:\" and MUST NOT contain newlines");
  for (size_t i = 0; x->schemata && i < x->schemata_len; i++)
    if (has_newline (x->schemata[i]))
      {
        char where[48];
        snprintf (where, sizeof (where), "schemata[%zu]", i);
        return oci_verr (c, where, "MUST NOT contain newlines");
      }
  return 0;
}

static int
check_memory_policy (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_memory_policy *x = obj;
  static const char *const modes[] = { "MPOL_DEFAULT",    "MPOL_BIND",
                                       "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
                                       "MPOL_PREFERRED",  "MPOL_PREFERRED_MANY",
                                       "MPOL_LOCAL",      NULL };
  static const char *const flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                       "MPOL_F_STATIC_NODES", NULL };
  if (!oci_in_list (x->mode, modes))
    return oci_verr (c, "mode", "unknown memory policy mode \"%s\"", x->mode);
  if (x->nodes && *x->nodes && !is_id_list (x->nodes))
    return oci_verr (c, "nodes", "\"%s\" is not a node list such as \"0-3,7\"", x->nodes);
  for (size_t i = 0; x->flags && i < x->flags_len; i++)
    if (!oci_in_list (x->flags[i], flags))
      {
        char where[48];
        snprintf (where, sizeof (where), "flags[%zu]", i);
        return oci_verr (c, where, "unknown memory policy flag \"%s\"", x->flags[i]);
      }
  return 0;
}

static int
check_personality (const void *obj, struct oci_vctx *c)
{
  const struct oci_linux_personality *x = obj;
  static const char *const domains[] = { "LINUX", "LINUX32", NULL };
  if (!oci_in_list (x->domain, domains))
    return oci_verr (c, "domain", "unknown personality domain \"%s\" (expected LINUX or LINUX32)", x->domain);
  if (x->flags && x->flags_len > 0)
    return oci_verr (c, "flags[0]", "unknown personality flag \"%s\" (no flags are supported)", x->flags[0]);
  return 0;
}

/* ---- runtime.md state, features.md ---- */

static int
check_state (const void *obj, struct oci_vctx *c)
{
  const struct oci_state *x = obj;
  static const char *const statuses[] = { "creating", "created", "running", "stopped", NULL };
  if (!oci_is_semver (x->oci_version))
    return oci_verr (c, "ociVersion", "\"%s\" is not in SemVer 2.0.0 format", x->oci_version);
  if (x->id[0] == '\0')
    return oci_verr (c, "id", "must not be empty");
  if (!oci_in_list (x->status, statuses))
    return oci_verr (c, "status", "unknown status \"%s\"", x->status);
  if ((strcmp (x->status, "created") == 0 || strcmp (x->status, "running") == 0) && x->pid <= 0)
    return oci_verr (c, "pid", "REQUIRED (and positive) when status is %s", x->status);
  if (!oci_is_absolute (x->bundle))
    return oci_verr (c, "bundle", "\"%s\" is not an absolute path", x->bundle);
  return check_string_map_keys (c, "annotations", x->annotations);
}

static int
check_container_process_state (const void *obj, struct oci_vctx *c)
{
  const struct oci_container_process_state *x = obj;
  if (!oci_is_semver (x->oci_version))
    return oci_verr (c, "ociVersion", "\"%s\" is not in SemVer 2.0.0 format", x->oci_version);
  return 0;
}

static int
check_features (const void *obj, struct oci_vctx *c)
{
  const struct oci_features *x = obj;
  if (!oci_is_semver (x->oci_version_min))
    return oci_verr (c, "ociVersionMin", "\"%s\" is not in SemVer 2.0.0 format", x->oci_version_min);
  if (!oci_is_semver (x->oci_version_max))
    return oci_verr (c, "ociVersionMax", "\"%s\" is not in SemVer 2.0.0 format", x->oci_version_max);
  return 0;
}

const struct oci_check oci_runtime_checks[] = {
  { &oci_config__type, check_config },
  { &oci_root__type, check_root },
  { &oci_mount__type, check_mount },
  { &oci_process__type, check_process },
  { &oci_scheduler__type, check_scheduler },
  { &oci_io_priority__type, check_io_priority },
  { &oci_cpu_affinity__type, check_cpu_affinity },
  { &oci_hook__type, check_hook },
  { &oci_linux__type, check_linux_all },
  { &oci_namespace__type, check_namespace },
  { &oci_linux_time_offset__type, check_time_offset },
  { &oci_linux_device__type, check_device },
  { &oci_linux_device_cgroup__type, check_device_cgroup },
  { &oci_linux_weight_device__type, check_weight_device },
  { &oci_linux_hugepage_limit__type, check_hugepage_limit },
  { &oci_linux_rdma__type, check_rdma },
  { &oci_seccomp__type, check_seccomp },
  { &oci_seccomp_syscall__type, check_seccomp_syscall },
  { &oci_seccomp_arg__type, check_seccomp_arg },
  { &oci_linux_intel_rdt__type, check_intel_rdt },
  { &oci_linux_memory_policy__type, check_memory_policy },
  { &oci_linux_personality__type, check_personality },
  { &oci_state__type, check_state },
  { &oci_container_process_state__type, check_container_process_state },
  { &oci_features__type, check_features },
  { NULL, NULL },
};
