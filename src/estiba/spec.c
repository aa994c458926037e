/* estiba spec: write a starter config.json into a bundle directory.  */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"
#include "default_spec.h"

#define SPEC_FILE "config.json"

static const char spec_description[] =
  "The spec command creates the new specification file named \"" SPEC_FILE "\" for the\n"
  "bundle; it refuses to overwrite an existing one.\n"
  "\n"
  "The spec generated is just a starter file: edit it to get the container you want.\n"
  "For example, its process args run \"sh\", which works for a busybox or debian root\n"
  "filesystem but not for an image without a shell.  To run docker's hello-world:\n"
  "\n"
  "    mkdir -p hello/rootfs && cd hello\n"
  "    docker export $(docker create hello-world) | tar -C rootfs -xf -\n"
  "    estiba spec\n"
  "    sed -i 's;\"sh\";\"/hello\";' " SPEC_FILE "\n"
  "    estiba run container1\n"
  "\n"
  "With --rootless the spec runs the container in a user namespace that maps the\n"
  "container's root to the calling user, for use without root privileges.";

static int
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, data, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      data += w;
      len -= (size_t) w;
    }
  return 0;
}

/* Create bundle/config.json, never replacing anything: O_EXCL also refuses
 * a symlink planted there.  A partial file is removed.  */
static int
write_spec_file (const char *bundle, const char *json, estiba_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_close int fd = -1;
  size_t len = strlen (json);

  dirfd = open (bundle ? bundle : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return estiba_error_errno (err, "spec: open bundle directory '%s'", bundle ? bundle : ".");
  fd = openat (dirfd, SPEC_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
  if (fd < 0 && errno == EEXIST)
    return estiba_error (err, 0, "File %s exists. Remove it first", SPEC_FILE);
  if (fd < 0)
    return estiba_error_errno (err, "spec: create %s%s" SPEC_FILE, bundle ? bundle : "", bundle ? "/" : "");
  if (write_all (fd, json, len) < 0 || write_all (fd, "\n", 1) < 0 || close (steal_fd (&fd)) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, SPEC_FILE, 0);
      return estiba_error (err, saved, "spec: write %s%s" SPEC_FILE, bundle ? bundle : "", bundle ? "/" : "");
    }
  return 0;
}

int
command_spec (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  cleanup_free char **args = NULL;
  cleanup_free char *json = NULL;
  cleanup_free char *oci_err = NULL;
  const char *bundle = NULL;
  bool rootless = false;
  struct oci_config *spec;
  size_t nargs;
  int ret;
  const struct cli_option options[] = {
    { "bundle", 'b', CLI_STRING, &bundle, "DIR",
      "path to the root of the bundle directory (default: current directory)" },
    { "rootless", 0, CLI_BOOL, &rootless, NULL, "generate a configuration for a rootless container" },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = "",
    .summary = "create a new specification file",
    .description = spec_description,
    .options = options,
    .min_args = 0,
    .max_args = 0,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;

  spec = estiba_default_spec (rootless, geteuid (), getegid (), err);
  if (spec == NULL)
    return -1;
  json = oci_config_generate (spec, true, &oci_err);
  oci_config_free (spec);
  if (json == NULL)
    return estiba_error (err, 0, "spec: generate " SPEC_FILE ": %s", oci_err ? oci_err : "unknown error");
  return write_spec_file (bundle, json, err);
}
