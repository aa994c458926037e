/* The container's stage 1 and init: see init.h.  */
#include <config.h>
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/keyctl.h>

#include "cleanup.h"
#include "devices.h"
#include "mounts.h"
#include "process.h"
#include "rootfs.h"
#include "rootless.h"
#include "sync.h"
#include "terminal.h"
#if __has_include("hooks.h")
#include "hooks.h"
#define HAVE_HOOKS 1
#endif
#if __has_include("process_attrs.h")                                                                         \
                  && __has_include(                                                                          \
                    "capabilities.h")                                                                        \
                    && __has_include("rlimits.h")                                                            \
                                     && __has_include("scheduling.h") && __has_include("sysctl.h")
#include "process_attrs.h"
#define HAVE_PROCESS_ATTRS 1
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define FAIL(ic, err) sync_fail ((ic)->sync_fd, (err))

static int
set_names (const struct oci_config *c, const struct ns_plan *ns, estiba_error_t *err)
{
  bool own_uts = (ns->new_flags & CLONE_NEWUTS) != 0;
  size_t i;

  for (i = 0; i < ns->n_join; i++)
    own_uts = own_uts || ns->join[i].type == CLONE_NEWUTS;
  if ((c->hostname && *c->hostname) || (c->domainname && *c->domainname))
    if (!own_uts)
      return estiba_error (err, 0, "hostname: setting it needs a uts namespace in linux.namespaces");
  if (c->hostname && *c->hostname && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return estiba_error_errno (err, "hostname: set '%s'", c->hostname);
  if (c->domainname && *c->domainname && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return estiba_error_errno (err, "domainname: set '%s'", c->domainname);
  return 0;
}

static bool
dev_is_bind_mounted (const struct oci_config *c)
{
  size_t i, j;
  for (i = 0; i < c->mounts_len; i++)
    {
      const struct oci_mount *m = &c->mounts[i];
      if (m->destination == NULL || strcmp (m->destination, "/dev") != 0)
        continue;
      if (m->type && strcmp (m->type, "bind") == 0)
        return true;
      for (j = 0; j < m->options_len; j++)
        if (strcmp (m->options[j], "bind") == 0 || strcmp (m->options[j], "rbind") == 0)
          return true;
    }
  return false;
}

/* The pty for process.terminal: made in the container's own devpts so the
 * slave is visible inside, bound on /dev/console, sent to the runtime
 * (which passes it to --console-socket or proxies it), and made the init's
 * controlling terminal and stdio.  */
static int
setup_console (const struct init_config *ic, int rootfd, estiba_error_t *err)
{
  const struct oci_process *p = ic->config->process;
  cleanup_close int ptmx = resolve_in_root (rootfd, "/dev/pts/ptmx", O_PATH);
  cleanup_close int master = -1, console = -1;
  int slave = -1;
  char path[64], target[64];

  if (ptmx < 0)
    return estiba_error_errno (err, "process.terminal: no /dev/pts/ptmx in the container (mount devpts)");
  if (terminal_open_pty_in (fd_path (ptmx, path, sizeof path), &master, &slave, err) < 0)
    return -1;
  console = mkdir_in_root (rootfd, "/dev/console", true, 0600, err);
  if (console < 0)
    {
      close (slave);
      return -1;
    }
  if (mount (fd_path (slave, path, sizeof path), fd_path (console, target, sizeof target), NULL, MS_BIND,
             NULL)
      < 0)
    {
      close (slave);
      return estiba_error_errno (err, "bind the console on /dev/console");
    }
  if (p->console_size && terminal_set_size (master, p->console_size->height, p->console_size->width, err) < 0)
    {
      close (slave);
      return -1;
    }
  if (terminal_make_controlling (slave, err) < 0)
    return -1;
  return sync_send_fd (ic->sync_fd, master, err);
}

static int
do_mounts (const struct init_config *ic, int rootfd, estiba_error_t *err)
{
  const struct oci_config *c = ic->config;
  size_t i;

  for (i = 0; i < c->mounts_len; i++)
    if (mount_one_prepared (rootfd, &c->mounts[i], i, c->linux_, ic->cgroup_dirs,
                            ic->idmap_trees ? ic->idmap_trees[i] : -1, err)
        < 0)
      return -1;
  if (!dev_is_bind_mounted (c))
    {
      bool in_userns = ic->ns->has_user;
      if (devices_setup (rootfd, c->linux_, in_userns, err) < 0)
        return -1;
    }
  return 0;
}

static int
run_container_hooks (const struct oci_hook *hooks, size_t n, const char *phase, const char *state_json,
                     estiba_error_t *err)
{
#ifdef HAVE_HOOKS
  if (n == 0)
    return 0;
  return hooks_run (hooks, n, phase, state_json, err);
#else
  (void) hooks;
  (void) state_json;
  if (n > 0)
    return estiba_error (err, ENOSYS, "hooks.%s: hooks are not supported yet", phase);
  return 0;
#endif
}

/* A page the init first writes after the join (it still shares them all
 * with the runtime, copy-on-write) is charged to the container: the stack
 * and the heap are touched before, while charged to the runtime.  Without
 * this, perf shows three such faults between the join and the exec (the
 * stack, malloc's state in libc): 12 KiB of a 64 KiB limit.  */
#define PREFAULT_STACK (32 * 1024)
#define PREFAULT_HEAP  (32 * 1024)

__attribute__ ((noinline)) static void
prefault_stack (void)
{
  char buf[PREFAULT_STACK];

  explicit_bzero (buf, sizeof buf);
}

static void
prefault_heap (void)
{
  void *p = malloc (PREFAULT_HEAP);

  if (p == NULL)
    return;
  explicit_bzero (p, PREFAULT_HEAP);
  free (p);
}

/* The init joins the container's cgroups as late as it can: the kernel
 * memory of the namespaces, mounts and page tables made before stays
 * charged to the runtime's cgroup, so a container starts under a memory
 * limit of 64 KiB (docs/performance.md).  The runtime moves us (in a user
 * namespace we could not); the new cgroup namespace is made only then, so
 * that its root is the container's cgroup.  */
static int
join_cgroups (const struct init_config *ic, estiba_error_t *err)
{
  struct sync_msg msg;

  prefault_stack ();
  prefault_heap ();
  if (sync_send (ic->sync_fd, SYNC_CGROUP, 0, NULL, err) < 0
      || sync_expect (ic->sync_fd, SYNC_CGROUP_DONE, &msg, err) < 0)
    return -1;
  sync_msg_release (&msg);
  if ((ic->ns->new_flags & CLONE_NEWCGROUP) && unshare (CLONE_NEWCGROUP) < 0)
    return estiba_error_errno (err, "create the cgroup namespace");
  return 0;
}

static bool
has_create_hooks (const struct oci_hooks *h)
{
  return h && (h->prestart_len > 0 || h->create_runtime_len > 0 || h->create_container_len > 0);
}

/* prestart and createRuntime run in the runtime's namespaces; the runtime
 * answers with the state for createContainer, which runs here.  The
 * container is in its cgroups by then: hooks find them from its pid (as
 * with runc and crun), and createContainer's processes count in them.  */
static int
run_create_hooks (const struct init_config *ic, estiba_error_t *err)
{
  const struct oci_hooks *h = ic->config->hooks;
  struct sync_msg msg;
  int ret;

  if (join_cgroups (ic, err) < 0 || sync_send (ic->sync_fd, SYNC_HOOKS, 0, NULL, err) < 0
      || sync_expect (ic->sync_fd, SYNC_HOOKS_DONE, &msg, err) < 0)
    return -1;
  ret =
    run_container_hooks (h->create_container, h->create_container_len, "createContainer", msg.payload, err);
  sync_msg_release (&msg);
  return ret;
}

/* Everything up to "created".  Returns the listening start socket.  */
static int
init_create (const struct init_config *ic, estiba_error_t *err)
{
  const struct oci_config *c = ic->config;
  bool hooks = has_create_hooks (c->hooks);
  cleanup_close int rootfd = -1, devnull = -1;
  cleanup_free char *exe = NULL;
  int listen_fd;

  if (fchdir (ic->bundle_fd) < 0)
    return estiba_error_errno (err, "chdir to the bundle '%s'", ic->bundle);
  if (set_names (c, ic->ns, err) < 0)
    return -1;
  devnull = open ("/dev/null", O_PATH | O_CLOEXEC);
  if (devnull < 0)
    return estiba_error_errno (err, "open /dev/null");
  if (rootfs_prepare (c->linux_, ic->rootfs_parent_fd, ic->rootfs_name, &rootfd, err) < 0)
    return -1;
  if (do_mounts (ic, rootfd, err) < 0)
    return -1;
  if (c->process && c->process->terminal && setup_console (ic, rootfd, err) < 0)
    return -1;
  listen_fd = ic->start_listen_fd;
  if (hooks && run_create_hooks (ic, err) < 0)
    goto fail;
#ifdef HAVE_PROCESS_ATTRS
  /* Before readonlyPaths makes /proc/sys read-only (as runc).  Sysctls
   * apply to the writer's namespaces, whatever procfs is used.  */
  if (apply_sysctl (c->linux_, err) < 0)
    goto fail;
#endif
  if (rootfs_protect_paths (c, rootfd, devnull, err) < 0 || rootfs_enter (rootfd, ic->no_pivot, err) < 0
      || rootfs_finalize (c, err) < 0)
    goto fail;
  if (ic->ns->inherit_mount && rootfs_return_to_mount_ns (ic->runtime_mntns_fd, err) < 0)
    goto fail;
  /* Fail create, not start, for a cwd or program that is not there (no
   * process: start fails instead).  */
  if (c->process && process_check_cwd (c->process, err) < 0)
    goto fail;
  if (c->process && c->process->args_len > 0
      && process_find_executable (c->process->args[0], ic->env, &exe, err) < 0)
    goto fail;
  /* Without hooks, the cgroups are joined only now: before the scheduler
   * is set (an RT policy must fit the cpu cgroup's rt_runtime_us, as
   * with runc) and before "created", so every limit binds the process.  */
  if (!hooks && join_cgroups (ic, err) < 0)
    goto fail;
  /* As runc: rlimits (and the other attributes) are set before "created",
   * so one the host refuses fails create and leaves nothing behind.  */
  if (c->process && process_apply_attributes (c->process, c->linux_, err) < 0)
    goto fail;
  return listen_fd;
fail:
  return -1;
}

/* Wait for `start`, then become the container process.  */
__attribute__ ((noreturn)) static void
init_wait_start (const struct init_config *ic, int listen_fd)
{
  const struct oci_config *c = ic->config;
  cleanup_error estiba_error_t err = NULL;
  struct process_setup setup = { .process = c->process,
                                 .linux_config = c->linux_,
                                 .env = ic->env,
                                 .preserve_fds = ic->preserve_fds,
                                 .setgroups_allowed = rootless_setgroups_allowed (),
                                 .seccomp = ic->seccomp,
                                 .attributes_applied = true };
  struct sync_msg msg;
  int conn;

  for (;;)
    {
      conn = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0 && errno == EINTR)
        continue;
      if (conn < 0)
        _exit (1);
      if (sync_expect (conn, SYNC_GO, &msg, &err) == 0)
        break;
      estiba_error_release (&err);
      close (conn);
    }
  close (listen_fd);
  /* runtime.md: start fails without a process; the init ends with it,
   * so the container is stopped rather than created forever.  */
  if (c->process == NULL)
    {
      estiba_error (&err, 0, "process: missing in the config, nothing to start");
      sync_fail (conn, &err);
    }
  if (c->hooks
      && run_container_hooks (c->hooks->start_container, c->hooks->start_container_len, "startContainer",
                              msg.payload, &err)
           < 0)
    sync_fail (conn, &err);
  sync_msg_release (&msg);
  setup.sync_fd = conn;
  process_setup_and_exec (&setup, &err);
  sync_fail (conn, &err);
}

/* Close every fd >= first except keep.  */
static void
drop_fds_but (int first, int keep)
{
  if (keep > first)
    syscall (SYS_close_range, first, keep - 1, 0);
  syscall (SYS_close_range, keep + 1 > first ? keep + 1 : first, ~0U, 0);
}

__attribute__ ((noreturn)) static void
init_main (const struct init_config *ic)
{
  cleanup_error estiba_error_t err = NULL;
  int listen_fd;
  mode_t caller_umask;
  struct sync_msg msg;

  /* Die with the runtime while create is under way.  */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* Stage 1 and the init share the socket: wait until the runtime has
   * our pid before saying anything.  */
  if (sync_expect (ic->sync_fd, SYNC_GO, &msg, &err) < 0)
    _exit (1);
  sync_msg_release (&msg);
  if (setsid () < 0)
    {
      estiba_error_errno (&err, "setsid");
      FAIL (ic, &err);
    }
  /* The setup runs with umask 0 (modes given are meant as is); the
   * process gets the caller's back unless process.user.umask says.  */
  caller_umask = umask (0);
  /* A session keyring of its own, so the container cannot read the host's
   * (runc does the same unless --no-new-keyring).  */
  if (!ic->no_new_keyring && syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, ic->id) < 0 && errno != ENOSYS)
    {
      estiba_error_errno (&err, "join a new session keyring");
      FAIL (ic, &err);
    }
  listen_fd = init_create (ic, &err);
  if (listen_fd < 0)
    FAIL (ic, &err);
  umask (caller_umask);
  /* From here the init outlives the runtime.  */
  prctl (PR_SET_PDEATHSIG, 0);
  if (sync_send (ic->sync_fd, SYNC_CREATED, 0, NULL, &err) < 0)
    _exit (1);
  /* While it waits for start, the init holds nothing of the host but what
   * the process will get: a process exec'd into the container meanwhile
   * must not find host fds in /proc/1/fd.  */
  drop_fds_but (3 + ic->preserve_fds, listen_fd);
  init_wait_start (ic, listen_fd);
}

static int
enter_user_namespace (const struct init_config *ic, estiba_error_t *err)
{
  struct sync_msg msg;

  if (unshare (CLONE_NEWUSER) < 0)
    return estiba_error_errno (err, "create the user namespace");
  /* An unprivileged runtime can only open our /proc/PID/uid_map while we
   * are dumpable: for that moment only, as runc does.  Nothing else is in
   * the new namespace yet.  */
  if (rootless_euid ())
    prctl (PR_SET_DUMPABLE, 1);
  if (sync_send (ic->sync_fd, SYNC_USERMAP, 0, NULL, err) < 0
      || sync_expect (ic->sync_fd, SYNC_USERMAP_DONE, &msg, err) < 0)
    return -1;
  if (rootless_euid ())
    prctl (PR_SET_DUMPABLE, 0);
  sync_msg_release (&msg);
  return 0;
}

/* The bundle and the rootfs's parent, opened in the new mount namespace
 * (fds from the old one would name mounts the init cannot use) and while
 * we still have the host's uid (the namespace's root may not be allowed to
 * walk the host path down to the bundle).  */
static int
open_bundle_fds (struct init_config *ic, estiba_error_t *err)
{
  cleanup_free char *parent = strdup (ic->rootfs);
  char *slash;

  if (parent == NULL)
    return estiba_error_errno (err, "strdup");
  slash = strrchr (parent, '/');
  ic->rootfs_name = ic->rootfs + (slash - parent) + 1;
  *slash = '\0';
  ic->rootfs_parent_fd = open (*parent ? parent : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ic->rootfs_parent_fd < 0)
    return estiba_error_errno (err, "root.path: open '%s'", *parent ? parent : "/");
  ic->bundle_fd = open (ic->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ic->bundle_fd < 0)
    return estiba_error_errno (err, "open the bundle '%s'", ic->bundle);
  return 0;
}

void
init_stage1 (const struct init_config *config)
{
  cleanup_error estiba_error_t err = NULL;
  struct init_config local = *config;
  struct init_config *ic = &local;
  struct sync_msg msg;
  long pid;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* Until the exec, we are the runtime with its fds: nothing in the
   * container may ptrace us or open our /proc files (as runc).  */
  prctl (PR_SET_DUMPABLE, 0);
  /* The runtime has set our CPU affinity.  We stay in the runtime's
   * cgroups: the init joins the container's late (join_cgroups).  */
  if (sync_expect (ic->sync_fd, SYNC_GO, &msg, &err) < 0)
    _exit (1);
  sync_msg_release (&msg);
  /* Still the host's root: the id-mapped trees the init, in its user
   * namespace, would not be allowed to make (see mounts.h).  */
  if (ic->ns->has_user && (ic->idmap_trees = mount_idmap_prepare (ic->bundle, ic->config, &err)) == NULL)
    FAIL (ic, &err);
  if (namespaces_join (ic->ns, &err) < 0)
    FAIL (ic, &err);
  if ((ic->ns->new_flags & CLONE_NEWUSER) && enter_user_namespace (ic, &err) < 0)
    FAIL (ic, &err);
  if (ic->ns->inherit_mount && (ic->runtime_mntns_fd = open ("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
    {
      estiba_error_errno (&err, "open the runtime's mount namespace");
      FAIL (ic, &err);
    }
  /* The cgroup namespace is made by the init once in its cgroups.  */
  if (unshare (ic->ns->new_flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP)) < 0)
    {
      estiba_error_errno (&err, "create the namespaces");
      FAIL (ic, &err);
    }
  if (open_bundle_fds (ic, &err) < 0)
    FAIL (ic, &err);
  /* Act as the user namespace's root for the setup.  */
  if ((ic->ns->new_flags & CLONE_NEWUSER) && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    {
      estiba_error_errno (&err, "linux.uidMappings: become root in the user namespace (is 0 mapped?)");
      FAIL (ic, &err);
    }
  if ((ic->ns->new_flags & CLONE_NEWTIME) && ic->config->linux_ && ic->config->linux_->time_offsets)
    {
      if (sync_send (ic->sync_fd, SYNC_TIMENS, 0, NULL, &err) < 0
          || sync_expect (ic->sync_fd, SYNC_TIMENS_DONE, &msg, &err) < 0)
        FAIL (ic, &err);
      sync_msg_release (&msg);
    }
  /* The init is a sibling (CLONE_PARENT): the runtime's child, in the new
   * pid and time namespaces.  */
  pid = syscall (SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      estiba_error_errno (&err, "fork the container init");
      FAIL (ic, &err);
    }
  if (pid == 0)
    init_main (ic);
  sync_send (ic->sync_fd, SYNC_PID, (int32_t) pid, NULL, NULL);
  _exit (0);
}
