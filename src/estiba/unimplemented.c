/* Commands runc has and libestiba does not implement yet: checkpoint,
 * restore.  Their flags are parsed
 * (so --help and usage errors behave as for every command) and then they
 * fail, never succeed silently.  Move a command to its own file when the
 * library gains it.  */
#include <config.h>
#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"

#define END_OF_OPTIONS                                                                                       \
  {                                                                                                          \
    NULL, 0, 0, NULL, NULL, NULL                                                                             \
  }

/* Parse like every command, then refuse.  */
static int
not_implemented (const struct cli_command *cmd, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  size_t nargs;
  int ret = cli_parse_command (cmd, argc, argv, &args, &nargs, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  return estiba_error (err, 0, "%s: not implemented yet", cmd->name);
}

/* Flags both checkpoint and restore take.  */
struct criu_flags
{
  const char *image_path, *work_path, *manage_cgroups_mode;
  bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup, lazy_pages;
};

int
command_checkpoint (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  struct criu_flags c = { 0 };
  cleanup_cli_list struct cli_list empty_ns = { 0 };
  const char *parent_path = NULL, *page_server = NULL, *status_fd = NULL;
  bool leave_running = false, tcp_skip_in_flight = false, link_remap = false, pre_dump = false;
  const struct cli_option options[] = {
    { "image-path", 0, CLI_STRING, &c.image_path, "DIR", "path for saving criu image files" },
    { "work-path", 0, CLI_STRING, &c.work_path, "DIR", "path for saving work files and logs" },
    { "parent-path", 0, CLI_STRING, &parent_path, "DIR", "path for previous criu image files in pre-dump" },
    { "leave-running", 0, CLI_BOOL, &leave_running, NULL, "leave the process running after checkpointing" },
    { "tcp-established", 0, CLI_BOOL, &c.tcp_established, NULL, "allow open tcp connections" },
    { "tcp-skip-in-flight", 0, CLI_BOOL, &tcp_skip_in_flight, NULL, "skip in-flight tcp connections" },
    { "link-remap", 0, CLI_BOOL, &link_remap, NULL, "allow one to link unlinked files back when possible" },
    { "ext-unix-sk", 0, CLI_BOOL, &c.ext_unix_sk, NULL, "allow external unix sockets" },
    { "shell-job", 0, CLI_BOOL, &c.shell_job, NULL, "allow shell jobs" },
    { "lazy-pages", 0, CLI_BOOL, &c.lazy_pages, NULL, "use userfaultfd to lazily restore memory pages" },
    { "status-fd", 0, CLI_STRING, &status_fd, "FD", "criu writes \\0 to this FD once lazy-pages is ready" },
    { "page-server", 0, CLI_STRING, &page_server, "ADDRESS:PORT", "ADDRESS:PORT of the page server" },
    { "file-locks", 0, CLI_BOOL, &c.file_locks, NULL, "handle file locks, for safety" },
    { "pre-dump", 0, CLI_BOOL, &pre_dump, NULL, "dump the container's memory only, leaving it running" },
    { "manage-cgroups-mode", 0, CLI_STRING, &c.manage_cgroups_mode, "MODE",
      "cgroups mode: soft (default), full, strict or ignore" },
    { "empty-ns", 0, CLI_STRING_LIST, &empty_ns, "NS",
      "create a namespace, but don't restore its properties" },
    { "auto-dedup", 0, CLI_BOOL, &c.auto_dedup, NULL, "enable auto deduplication of memory images" },
    END_OF_OPTIONS,
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = "checkpoint a running container",
    .description = "The checkpoint command saves the state of the container instance with criu.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };
  return not_implemented (&cmd, argc, argv, err);
}

int
command_restore (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  struct criu_flags c = { 0 };
  cleanup_cli_list struct cli_list empty_ns = { 0 };
  const char *console_socket = NULL, *bundle = NULL, *pid_file = NULL, *lsm_profile = NULL,
             *lsm_mount_context = NULL;
  bool detach = false, no_subreaper = false, no_pivot = false;
  const struct cli_option options[] = {
    { "console-socket", 0, CLI_STRING, &console_socket, "PATH", HELP_CONSOLE_SOCKET },
    { "image-path", 0, CLI_STRING, &c.image_path, "DIR", "path to criu image files for restoring" },
    { "work-path", 0, CLI_STRING, &c.work_path, "DIR", "path for saving work files and logs" },
    { "tcp-established", 0, CLI_BOOL, &c.tcp_established, NULL, "allow open tcp connections" },
    { "ext-unix-sk", 0, CLI_BOOL, &c.ext_unix_sk, NULL, "allow external unix sockets" },
    { "shell-job", 0, CLI_BOOL, &c.shell_job, NULL, "allow shell jobs" },
    { "file-locks", 0, CLI_BOOL, &c.file_locks, NULL, "handle file locks, for safety" },
    { "manage-cgroups-mode", 0, CLI_STRING, &c.manage_cgroups_mode, "MODE",
      "cgroups mode: soft (default), full, strict or ignore" },
    { "bundle", 'b', CLI_STRING, &bundle, "DIR", "path to the root of the bundle directory" },
    { "detach", 'd', CLI_BOOL, &detach, NULL, "detach from the container's process" },
    { "pid-file", 0, CLI_STRING, &pid_file, "PATH", HELP_PID_FILE },
    { "no-subreaper", 0, CLI_BOOL, &no_subreaper, NULL, HELP_NO_SUBREAPER },
    { "no-pivot", 0, CLI_BOOL, &no_pivot, NULL, HELP_NO_PIVOT },
    { "empty-ns", 0, CLI_STRING_LIST, &empty_ns, "NS",
      "create a namespace, but don't restore its properties" },
    { "auto-dedup", 0, CLI_BOOL, &c.auto_dedup, NULL, "enable auto deduplication of memory images" },
    { "lazy-pages", 0, CLI_BOOL, &c.lazy_pages, NULL, "use userfaultfd to lazily restore memory pages" },
    { "lsm-profile", 0, CLI_STRING, &lsm_profile, "TYPE:NAME", "LSM profile to use during restore" },
    { "lsm-mount-context", 0, CLI_STRING, &lsm_mount_context, "CONTEXT",
      "LSM mount context to use during restore" },
    END_OF_OPTIONS,
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = "restore a container from a previous checkpoint",
    .description = "Restores the saved state of the container instance that was previously saved\n"
                   "using the estiba checkpoint command.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };
  return not_implemented (&cmd, argc, argv, err);
}
