/* The default config.json (see default_spec.h), as data: change a table
 * below, not the code that turns it into a document.  */
#include <config.h>
#include "default_spec.h"

#include <errno.h>
#include <string.h>

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const default_args[] = { "sh", NULL };
static const char *const default_env[] = { DEFAULT_PATH, "TERM=xterm", NULL };

/* bounding, effective, permitted and ambient all get these; inheritable
 * stays absent, as in runc.  */
static const char *const default_capabilities[] = {
  "CAP_AUDIT_WRITE",
  "CAP_KILL",
  "CAP_NET_BIND_SERVICE",
  NULL,
};

struct mount_entry
{
  const char *destination, *type, *source;
  const char *options[8]; /* NULL-terminated; none at all: no "options" member */
};

static const struct mount_entry default_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts",
    "devpts",
    "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
  { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

/* Without a network namespace of its own, a rootless container cannot
 * mount a new sysfs: it gets the host's, read-only.  */
static const struct mount_entry rootless_sys_mount = {
  "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL }
};

static const char *const default_namespaces[] = { "pid", "network", "ipc", "uts", "mount", NULL };
static const char *const rootless_namespaces[] = { "pid", "ipc", "uts", "mount", "user", NULL };

static const char *const default_masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
  NULL,
};

static const char *const default_readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static char **
strv_from (const char *const *list, size_t *len)
{
  char **v = NULL;
  *len = 0;
  for (; *list; list++)
    oci_strv_append (&v, len, *list);
  return v;
}

static bool
is_id_option (const char *option)
{
  return strncmp (option, "uid=", 4) == 0 || strncmp (option, "gid=", 4) == 0;
}

static void
add_mount (struct oci_config *config, const struct mount_entry *entry, bool rootless)
{
  struct oci_mount *m = OCI_APPEND (config->mounts, config->mounts_len);
  const char *const *o;

  m->destination = oci_strdup (entry->destination);
  m->type = oci_strdup (entry->type);
  m->source = oci_strdup (entry->source);
  for (o = entry->options; *o; o++)
    {
      /* The ids would name groups the user namespace does not map.  */
      if (rootless && is_id_option (*o))
        continue;
      oci_strv_append (&m->options, &m->options_len, *o);
    }
}

static struct oci_process *
default_process (void)
{
  struct oci_process *p = oci_xzalloc (sizeof *p);
  struct oci_capabilities *caps = oci_xzalloc (sizeof *caps);
  struct oci_rlimit *nofile;

  OCI_SET (p, terminal, true);
  p->user = oci_xzalloc (sizeof *p->user);
  p->args = strv_from (default_args, &p->args_len);
  p->env = strv_from (default_env, &p->env_len);
  p->cwd = oci_strdup ("/");
  caps->bounding = strv_from (default_capabilities, &caps->bounding_len);
  caps->effective = strv_from (default_capabilities, &caps->effective_len);
  caps->permitted = strv_from (default_capabilities, &caps->permitted_len);
  caps->ambient = strv_from (default_capabilities, &caps->ambient_len);
  p->capabilities = caps;
  nofile = OCI_APPEND (p->rlimits, p->rlimits_len);
  nofile->type = oci_strdup ("RLIMIT_NOFILE");
  nofile->hard = 1024;
  nofile->soft = 1024;
  OCI_SET (p, no_new_privileges, true);
  return p;
}

static void
add_id_mapping (struct oci_id_mapping **mappings, size_t *len, uint32_t host_id)
{
  struct oci_id_mapping *m = OCI_APPEND (*mappings, *len);
  m->container_id = 0;
  m->host_id = host_id;
  m->size = 1;
}

static struct oci_linux *
default_linux (bool rootless, uid_t uid, gid_t gid)
{
  struct oci_linux *l = oci_xzalloc (sizeof *l);
  const char *const *ns;

  if (rootless)
    {
      add_id_mapping (&l->uid_mappings, &l->uid_mappings_len, (uint32_t) uid);
      add_id_mapping (&l->gid_mappings, &l->gid_mappings_len, (uint32_t) gid);
    }
  else
    {
      /* Deny every device; the runtime adds the defaults it creates.
       * Rootless containers have no cgroup to hold the rule.  */
      struct oci_linux_device_cgroup *deny_all;
      l->resources = oci_xzalloc (sizeof *l->resources);
      deny_all = OCI_APPEND (l->resources->devices, l->resources->devices_len);
      OCI_SET (deny_all, allow, false);
      deny_all->access = oci_strdup ("rwm");
    }
  for (ns = rootless ? rootless_namespaces : default_namespaces; *ns; ns++)
    OCI_APPEND (l->namespaces, l->namespaces_len)->type = oci_strdup (*ns);
  l->masked_paths = strv_from (default_masked_paths, &l->masked_paths_len);
  l->readonly_paths = strv_from (default_readonly_paths, &l->readonly_paths_len);
  return l;
}

struct oci_config *
estiba_default_spec (bool rootless, uid_t uid, gid_t gid, estiba_error_t *err)
{
  struct oci_config *config = oci_config_new ();
  size_t i;

  if (config == NULL)
    {
      estiba_error (err, ENOMEM, "create the default spec");
      return NULL;
    }
  config->oci_version = oci_strdup (OCI_RUNTIME_SPEC_VERSION);
  config->process = default_process ();
  config->root = oci_xzalloc (sizeof *config->root);
  config->root->path = oci_strdup ("rootfs");
  OCI_SET (config->root, readonly, true);
  config->hostname = oci_strdup ("runc");
  for (i = 0; i < sizeof default_mounts / sizeof default_mounts[0]; i++)
    {
      bool is_sys = strcmp (default_mounts[i].destination, "/sys") == 0;
      add_mount (config, rootless && is_sys ? &rootless_sys_mount : &default_mounts[i], rootless);
    }
  config->linux_ = default_linux (rootless, uid, gid);
  return config;
}
