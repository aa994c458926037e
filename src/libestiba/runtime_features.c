/* `estiba features`: the runtime-spec features document, built from the
 * one table below of what the runtime implements.  */
#include <config.h>
#include "runtime_features.h"
#include "seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

struct implemented
{
  const char *section; /* where the name goes in features.json */
  const char *name;
  bool works;
};

/* ---------------------------------------------------------------------
 * WHAT ESTIBA IMPLEMENTS.  `estiba features` reports exactly this table,
 * and runtime callers (containerd, podman, ...) trust it, so it must stay
 * truthful: flip an entry to true in the same change that makes the
 * feature work, with a test showing it does; never ahead of the code.
 * tests/integration/cli-features-truth.sh runs a container for every
 * namespace, mount option, hook, capability and seccomp claim made here.
 *
 * Not claimed, because they do not work: remount (only valid over an
 * existing mount), acl/noacl, systemd user (rootless) and rdma cgroups,
 * AppArmor, SELinux labels (not testable where SELinux is off), Intel RDT,
 * net devices, memory policy, checkpoint.
 *
 *   hooks          config.json hooks.<name>
 *   mountOptions   config.json mounts[].options recognized
 *   namespaces     config.json linux.namespaces[].type
 *   capabilities   "all": process.capabilities with every name libcap
 *                  knows up to CAP_LAST_CAP
 *   cgroup         cgroup managers: v1, v2, systemd, systemdUser, rdma
 *   seccomp        "enabled": linux.seccomp (the actions, operators and
 *                  architectures listed are libseccomp's); the flags
 *                  named are the linux.seccomp.flags recognized
 *   lsm            "apparmor", "selinux": process labels
 *   linux          "intelRdt", "idmapMounts" (mounts[].uidMappings),
 *                  "netDevices", "memoryPolicy"
 *   estiba         "checkpoint": checkpoint/restore with criu
 * ------------------------------------------------------------------- */
static const struct implemented implemented[] = {
  { "hooks", "prestart", true },
  { "hooks", "createRuntime", true },
  { "hooks", "createContainer", true },
  { "hooks", "startContainer", true },
  { "hooks", "poststart", true },
  { "hooks", "poststop", true },

  { "mountOptions", "acl", false },
  { "mountOptions", "async", true },
  { "mountOptions", "atime", true },
  { "mountOptions", "bind", true },
  { "mountOptions", "defaults", true },
  { "mountOptions", "dev", true },
  { "mountOptions", "diratime", true },
  { "mountOptions", "dirsync", true },
  { "mountOptions", "exec", true },
  { "mountOptions", "iversion", true },
  { "mountOptions", "lazytime", true },
  { "mountOptions", "loud", true },
  { "mountOptions", "mand", true },
  { "mountOptions", "noacl", false },
  { "mountOptions", "noatime", true },
  { "mountOptions", "nodev", true },
  { "mountOptions", "nodiratime", true },
  { "mountOptions", "noexec", true },
  { "mountOptions", "noiversion", true },
  { "mountOptions", "nolazytime", true },
  { "mountOptions", "nomand", true },
  { "mountOptions", "norelatime", true },
  { "mountOptions", "nostrictatime", true },
  { "mountOptions", "nosuid", true },
  { "mountOptions", "nosymfollow", true },
  { "mountOptions", "private", true },
  { "mountOptions", "ratime", true },
  { "mountOptions", "rbind", true },
  { "mountOptions", "rdev", true },
  { "mountOptions", "rdiratime", true },
  { "mountOptions", "relatime", true },
  { "mountOptions", "remount", false },
  { "mountOptions", "rexec", true },
  { "mountOptions", "rnoatime", true },
  { "mountOptions", "rnodev", true },
  { "mountOptions", "rnodiratime", true },
  { "mountOptions", "rnoexec", true },
  { "mountOptions", "rnorelatime", true },
  { "mountOptions", "rnostrictatime", true },
  { "mountOptions", "rnosuid", true },
  { "mountOptions", "rnosymfollow", true },
  { "mountOptions", "ro", true },
  { "mountOptions", "rprivate", true },
  { "mountOptions", "rrelatime", true },
  { "mountOptions", "rro", true },
  { "mountOptions", "rrw", true },
  { "mountOptions", "rshared", true },
  { "mountOptions", "rslave", true },
  { "mountOptions", "rstrictatime", true },
  { "mountOptions", "rsuid", true },
  { "mountOptions", "rsymfollow", true },
  { "mountOptions", "runbindable", true },
  { "mountOptions", "rw", true },
  { "mountOptions", "shared", true },
  { "mountOptions", "silent", true },
  { "mountOptions", "slave", true },
  { "mountOptions", "strictatime", true },
  { "mountOptions", "suid", true },
  { "mountOptions", "symfollow", true },
  { "mountOptions", "sync", true },
  { "mountOptions", "tmpcopyup", true },
  { "mountOptions", "unbindable", true },

  { "namespaces", "cgroup", true },
  { "namespaces", "ipc", true },
  { "namespaces", "mount", true },
  { "namespaces", "network", true },
  { "namespaces", "pid", true },
  { "namespaces", "time", true },
  { "namespaces", "user", true },
  { "namespaces", "uts", true },

  { "capabilities", "all", true },

  { "cgroup", "v1", true },      /* tests/integration/cgroups-*.sh: hybrid and pure v1 */
  { "cgroup", "v2", true },      /* tests/integration/vm-cgroups.sh (pure v2) and cgroups-v2-host.sh */
  { "cgroup", "systemd", true }, /* tests/integration/vm-systemd.sh: systemd as PID 1 in a VM */
  { "cgroup", "systemdUser", false },
  { "cgroup", "rdma", false },

  { "seccomp", "enabled", true },
  { "seccomp", "SECCOMP_FILTER_FLAG_TSYNC", true },
  { "seccomp", "SECCOMP_FILTER_FLAG_LOG", true },
  { "seccomp", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", true },
  { "seccomp", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", true },

  /* lsm.c implements both, but only the disabled-host paths can be
   * tested on the build hosts (no AppArmor, SELinux off: a profile is an
   * error, labels are ignored; security-escape.sh), so neither is
   * claimed.  features-linux.md reads the field as "support compiled
   * in": flip both once the apply paths are tested on an LSM host.  */
  { "lsm", "apparmor", false },
  { "lsm", "selinux", false },

  { "linux", "intelRdt", false },
  { "linux", "idmapMounts", true },
  { "linux", "netDevices", false },
  { "linux", "memoryPolicy", false },

  { "estiba", "checkpoint", false },
};

static bool
works (const char *section, const char *name)
{
  size_t i;
  for (i = 0; i < sizeof implemented / sizeof implemented[0]; i++)
    if (strcmp (implemented[i].section, section) == 0 && strcmp (implemented[i].name, name) == 0)
      return implemented[i].works;
  return false;
}

/* The names of a section that work, as a (possibly empty) array: empty
 * says "none", which absent would not.  */
static char **
working_names (const char *section, size_t *len)
{
  char **v = oci_xzalloc (sizeof (char *));
  size_t i;

  *len = 0;
  for (i = 0; i < sizeof implemented / sizeof implemented[0]; i++)
    if (strcmp (implemented[i].section, section) == 0 && implemented[i].works)
      oci_strv_append (&v, len, implemented[i].name);
  return v;
}

static char **
empty_strv (size_t *len)
{
  *len = 0;
  return oci_xzalloc (sizeof (char *));
}

/* "CAP_CHOWN" ... up to CAP_LAST_CAP, with libcap's names.  */
static char **
capability_names (size_t *len)
{
  char **v = empty_strv (len);
  int cap;

  for (cap = 0; cap <= CAP_LAST_CAP; cap++)
    {
      char *name = cap_to_name (cap), *p;
      char upper[64];

      /* libcap spells a capability it has no name for as its number.  */
      if (name == NULL || strncmp (name, "cap_", 4) != 0 || strlen (name) >= sizeof upper)
        {
          cap_free (name);
          continue;
        }
      for (p = name; *p; p++)
        upper[p - name] = (char) toupper ((unsigned char) *p);
      upper[p - name] = '\0';
      cap_free (name);
      oci_strv_append (&v, len, upper);
    }
  return v;
}

static void
append_all (char ***v, size_t *len, const char *const *names)
{
  for (; *names; names++)
    oci_strv_append (v, len, *names);
}

static const char *const seccomp_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",         NULL,
};

static const char *const seccomp_operators[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
  "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};

/* The architectures of the runtime-spec list this libseccomp knows.  */
static const char *const seccomp_archs[] = {
  "SCMP_ARCH_AARCH64",     "SCMP_ARCH_ARM",
#ifdef SCMP_ARCH_LOONGARCH64
  "SCMP_ARCH_LOONGARCH64",
#endif
#ifdef SCMP_ARCH_M68K
  "SCMP_ARCH_M68K",
#endif
  "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",    "SCMP_ARCH_MIPSEL64N32",
#ifdef SCMP_ARCH_PARISC
  "SCMP_ARCH_PARISC",
#endif
#ifdef SCMP_ARCH_PARISC64
  "SCMP_ARCH_PARISC64",
#endif
  "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",       "SCMP_ARCH_PPC64LE",
#ifdef SCMP_ARCH_RISCV64
  "SCMP_ARCH_RISCV64",
#endif
  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
#ifdef SCMP_ARCH_SH
  "SCMP_ARCH_SH",
#endif
#ifdef SCMP_ARCH_SHEB
  "SCMP_ARCH_SHEB",
#endif
  "SCMP_ARCH_X32",         "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",    NULL,
};

static struct oci_features_seccomp *
seccomp_features (void)
{
  struct oci_features_seccomp *s = oci_xzalloc (sizeof *s);
  size_t i;

  OCI_SET (s, enabled, works ("seccomp", "enabled"));
  if (!s->enabled)
    return s;
  s->actions = empty_strv (&s->actions_len);
  append_all (&s->actions, &s->actions_len, seccomp_actions);
  s->operators = empty_strv (&s->operators_len);
  append_all (&s->operators, &s->operators_len, seccomp_operators);
  s->archs = empty_strv (&s->archs_len);
  append_all (&s->archs, &s->archs_len, seccomp_archs);

  s->known_flags = empty_strv (&s->known_flags_len);
  s->supported_flags = empty_strv (&s->supported_flags_len);
  for (i = 0; i < sizeof implemented / sizeof implemented[0]; i++)
    {
      const struct implemented *f = &implemented[i];
      bool is_flag = strncmp (f->name, "SECCOMP_FILTER_FLAG_", 20) == 0;
      if (strcmp (f->section, "seccomp") != 0 || !is_flag || !f->works)
        continue;
      oci_strv_append (&s->known_flags, &s->known_flags_len, f->name);
      if (seccomp_kernel_supports_flag (f->name))
        oci_strv_append (&s->supported_flags, &s->supported_flags_len, f->name);
    }
  return s;
}

static struct oci_features_enabled *
enabled (bool value)
{
  struct oci_features_enabled *e = oci_xzalloc (sizeof *e);
  OCI_SET (e, enabled, value);
  return e;
}

static const char *const memory_policy_modes[] = {
  "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
  "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL",      NULL,
};
static const char *const memory_policy_flags[] = {
  "MPOL_F_NUMA_BALANCING",
  "MPOL_F_RELATIVE_NODES",
  "MPOL_F_STATIC_NODES",
  NULL,
};

static struct oci_features_linux *
linux_features (void)
{
  struct oci_features_linux *l = oci_xzalloc (sizeof *l);
  struct oci_features_cgroup *cg = oci_xzalloc (sizeof *cg);
  struct oci_features_intel_rdt *rdt = oci_xzalloc (sizeof *rdt);
  struct oci_features_memory_policy *mpol = oci_xzalloc (sizeof *mpol);

  l->namespaces = working_names ("namespaces", &l->namespaces_len);
  l->capabilities = works ("capabilities", "all") ? capability_names (&l->capabilities_len)
                                                  : empty_strv (&l->capabilities_len);

  OCI_SET (cg, v1, works ("cgroup", "v1"));
  OCI_SET (cg, v2, works ("cgroup", "v2"));
  OCI_SET (cg, systemd, works ("cgroup", "systemd"));
  OCI_SET (cg, systemd_user, works ("cgroup", "systemdUser"));
  OCI_SET (cg, rdma, works ("cgroup", "rdma"));
  l->cgroup = cg;

  l->seccomp = seccomp_features ();
  l->apparmor = enabled (works ("lsm", "apparmor"));
  l->selinux = enabled (works ("lsm", "selinux"));

  OCI_SET (rdt, enabled, works ("linux", "intelRdt"));
  l->intel_rdt = rdt;

  mpol->modes = empty_strv (&mpol->modes_len);
  mpol->flags = empty_strv (&mpol->flags_len);
  if (works ("linux", "memoryPolicy"))
    {
      append_all (&mpol->modes, &mpol->modes_len, memory_policy_modes);
      append_all (&mpol->flags, &mpol->flags_len, memory_policy_flags);
    }
  l->memory_policy = mpol;

  l->mount_extensions = oci_xzalloc (sizeof *l->mount_extensions);
  l->mount_extensions->idmap = enabled (works ("linux", "idmapMounts"));
  l->net_devices = enabled (works ("linux", "netDevices"));
  return l;
}

/* Metadata of the runtime, named as runc names its own (features.md
 * annotations); "io.github.seccomp.libseccomp.version" is runc's key.  */
static void
add_annotations (struct oci_features *f)
{
  const struct scmp_version *v = seccomp_version ();
  char version[64];

  if (v != NULL)
    {
      snprintf (version, sizeof version, "%u.%u.%u", v->major, v->minor, v->micro);
      oci_string_map_set (&f->annotations, "io.github.seccomp.libseccomp.version", version);
    }
  oci_string_map_set (&f->annotations, "io.estiba.checkpoint.enabled",
                      works ("estiba", "checkpoint") ? "true" : "false");
  oci_string_map_set (&f->annotations, "io.estiba.commit", GIT_COMMIT);
  oci_string_map_set (&f->annotations, "io.estiba.version", PACKAGE_VERSION);
}

struct oci_features *
estiba_features (estiba_error_t *err)
{
  struct oci_features *f = oci_features_new ();

  if (f == NULL)
    {
      estiba_error (err, ENOMEM, "create the features document");
      return NULL;
    }
  f->oci_version_min = oci_strdup (ESTIBA_OCI_VERSION_MIN);
  f->oci_version_max = oci_strdup (ESTIBA_OCI_VERSION_MAX);
  f->hooks = working_names ("hooks", &f->hooks_len);
  f->mount_options = working_names ("mountOptions", &f->mount_options_len);
  f->linux_ = linux_features ();
  add_annotations (f);
  return f;
}
