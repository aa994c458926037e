/* estiba update: change the resource limits of a running container, from
 * runc's flags or from a linux.resources JSON file (-r).  */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "commands.h"
#include "ocispec.h"

/* A signed number with an optional binary unit (runc's RAMInBytes: k, m,
 * g, t, p, with or without "b"/"ib", any case).  */
static int
parse_bytes (const char *flag, const char *s, int64_t *out, estiba_error_t *err)
{
  static const char units[] = "kmgtp";
  char *end;
  long long v;
  const char *u;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s)
    return estiba_error (err, 0, "update: --%s: invalid value '%s'", flag, s);
  if (*end)
    {
      u = strchr (units, end[0] | 0x20);
      if (u == NULL || (end[1] && strcasecmp (end + 1, "b") != 0 && strcasecmp (end + 1, "ib") != 0))
        return estiba_error (err, 0, "update: --%s: invalid value '%s'", flag, s);
      for (int i = 0; i <= u - units; i++)
        {
          if (v > INT64_MAX / 1024 || v < INT64_MIN / 1024)
            return estiba_error (err, 0, "update: --%s: '%s' is too large", flag, s);
          v *= 1024;
        }
    }
  *out = v;
  return 0;
}

static int
parse_i64 (const char *flag, const char *s, int64_t *out, estiba_error_t *err)
{
  char *end;
  errno = 0;
  *out = strtoll (s, &end, 10);
  if (errno || end == s || *end)
    return estiba_error (err, 0, "update: --%s: invalid number '%s'", flag, s);
  return 0;
}

static int
parse_u64 (const char *flag, const char *s, uint64_t *out, estiba_error_t *err)
{
  int64_t v;
  if (parse_i64 (flag, s, &v, err) < 0)
    return -1;
  if (v < 0)
    return estiba_error (err, 0, "update: --%s: '%s' must not be negative", flag, s);
  *out = (uint64_t) v;
  return 0;
}

struct update_flags
{
  const char *resources, *blkio_weight, *cpu_period, *cpu_quota, *cpu_burst, *cpu_share, *cpu_rt_period,
    *cpu_rt_runtime, *cpuset_cpus, *cpuset_mems, *memory, *memory_reservation, *memory_swap, *kernel_memory,
    *kernel_memory_tcp, *cpu_idle, *pids_limit, *l3_cache_schema, *mem_bw_schema;
};

#define SET_NUM(parse, obj, field, flag, str)                                                                \
  do                                                                                                         \
    {                                                                                                        \
      if ((str) != NULL)                                                                                     \
        {                                                                                                    \
          if (parse (flag, str, &(obj)->field, err) < 0)                                                     \
            return -1;                                                                                       \
          (obj)->has_##field = true;                                                                         \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

static int
resources_from_flags (const struct update_flags *f, struct oci_linux_resources *r, estiba_error_t *err)
{
  struct oci_linux_memory *m = r->memory = oci_xzalloc (sizeof *m);
  struct oci_linux_cpu *c = r->cpu = oci_xzalloc (sizeof *c);
  struct oci_linux_pids *p = r->pids = oci_xzalloc (sizeof *p);

  if (f->l3_cache_schema || f->mem_bw_schema)
    return estiba_error (err, 0, "update: Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported");
  SET_NUM (parse_bytes, m, limit, "memory", f->memory);
  SET_NUM (parse_bytes, m, reservation, "memory-reservation", f->memory_reservation);
  SET_NUM (parse_bytes, m, swap, "memory-swap", f->memory_swap);
  SET_NUM (parse_bytes, m, kernel, "kernel-memory", f->kernel_memory);
  SET_NUM (parse_bytes, m, kernel_tcp, "kernel-memory-tcp", f->kernel_memory_tcp);
  SET_NUM (parse_u64, c, shares, "cpu-share", f->cpu_share);
  SET_NUM (parse_i64, c, quota, "cpu-quota", f->cpu_quota);
  SET_NUM (parse_u64, c, period, "cpu-period", f->cpu_period);
  SET_NUM (parse_u64, c, burst, "cpu-burst", f->cpu_burst);
  SET_NUM (parse_i64, c, realtime_runtime, "cpu-rt-runtime", f->cpu_rt_runtime);
  SET_NUM (parse_u64, c, realtime_period, "cpu-rt-period", f->cpu_rt_period);
  SET_NUM (parse_i64, c, idle, "cpu-idle", f->cpu_idle);
  SET_NUM (parse_i64, p, limit, "pids-limit", f->pids_limit);
  c->cpus = oci_strdup (f->cpuset_cpus);
  c->mems = oci_strdup (f->cpuset_mems);
  if (f->blkio_weight)
    {
      uint64_t w = 0;
      if (parse_u64 ("blkio-weight", f->blkio_weight, &w, err) < 0)
        return -1;
      if (w > 1000)
        return estiba_error (err, 0, "update: --blkio-weight: %" PRIu64 " is above 1000", w);
      r->block_io = oci_xzalloc (sizeof *r->block_io);
      OCI_SET (r->block_io, weight, (uint16_t) w);
    }
  return 0;
}

static void
config_free (struct oci_config **c)
{
  oci_config_free (*c);
}

int
command_update (struct estiba_context *ctx, int argc, char **argv, estiba_error_t *err)
{
  __attribute__ ((cleanup (config_free))) struct oci_config *holder = NULL;
  cleanup_free char **args = NULL;
  struct update_flags f = { 0 };
  size_t nargs;
  int ret;
  const struct cli_option options[] = {
    { "resources", 'r', CLI_STRING, &f.resources, "FILE",
      "path to a JSON file with the resources to update (runtime-spec linux.resources), or '-' for stdin; "
      "the other options are then ignored" },
    { "blkio-weight", 0, CLI_STRING, &f.blkio_weight, "N", "per cgroup block IO weight, from 10 to 1000" },
    { "cpu-period", 0, CLI_STRING, &f.cpu_period, "USECS",
      "CPU CFS period for hardcapping, 0 for the system default" },
    { "cpu-quota", 0, CLI_STRING, &f.cpu_quota, "USECS",
      "CPU CFS hardcap limit: allowed cpu time in a period" },
    { "cpu-burst", 0, CLI_STRING, &f.cpu_burst, "USECS", "CPU CFS hardcap burst limit" },
    { "cpu-share", 0, CLI_STRING, &f.cpu_share, "N", "CPU shares (relative weight vs. other containers)" },
    { "cpu-rt-period", 0, CLI_STRING, &f.cpu_rt_period, "USECS",
      "CPU realtime period, 0 for the system default" },
    { "cpu-rt-runtime", 0, CLI_STRING, &f.cpu_rt_runtime, "USECS", "CPU realtime hardcap limit in a period" },
    { "cpuset-cpus", 0, CLI_STRING, &f.cpuset_cpus, "LIST", "CPU(s) to use" },
    { "cpuset-mems", 0, CLI_STRING, &f.cpuset_mems, "LIST", "memory node(s) to use" },
    { "memory", 0, CLI_STRING, &f.memory, "BYTES", "memory limit" },
    { "memory-reservation", 0, CLI_STRING, &f.memory_reservation, "BYTES",
      "memory reservation or soft limit" },
    { "memory-swap", 0, CLI_STRING, &f.memory_swap, "BYTES",
      "total memory usage (memory + swap); '-1' for unlimited swap" },
    { "kernel-memory", 0, CLI_STRING, &f.kernel_memory, "BYTES",
      "kernel memory limit (ignored with a warning: the kernel dropped it)" },
    { "kernel-memory-tcp", 0, CLI_STRING, &f.kernel_memory_tcp, "BYTES",
      "kernel TCP buffer memory limit (ignored with a warning: the kernel dropped it)" },
    { "cpu-idle", 0, CLI_STRING, &f.cpu_idle, "0|1", "cgroup SCHED_IDLE: 0 default behaviour, 1 SCHED_IDLE" },
    { "pids-limit", 0, CLI_STRING, &f.pids_limit, "N", "maximum number of pids allowed in the container" },
    { "l3-cache-schema", 0, CLI_STRING, &f.l3_cache_schema, "SCHEMA", "Intel RDT/CAT L3 cache schema" },
    { "mem-bw-schema", 0, CLI_STRING, &f.mem_bw_schema, "SCHEMA", "Intel RDT/MBA memory bandwidth schema" },
    { NULL, 0, 0, NULL, NULL, NULL },
  };
  const struct cli_command cmd = {
    .name = argv[0],
    .args = ARGS_CONTAINER_ID,
    .summary = "update container resource constraints",
    .options = options,
    .min_args = 1,
    .max_args = 1,
  };

  ret = cli_parse_command (&cmd, argc, argv, &args, &nargs, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (f.resources)
    holder = estiba_resources_parse (f.resources, err);
  else
    {
      holder = oci_config_new ();
      holder->linux_ = oci_xzalloc (sizeof *holder->linux_);
      holder->linux_->resources = oci_xzalloc (sizeof *holder->linux_->resources);
      if (resources_from_flags (&f, holder->linux_->resources, err) < 0)
        return -1;
    }
  if (holder == NULL)
    return -1;
  ret = estiba_container_update (ctx, args[0], holder->linux_->resources, err);
  return ret < 0 ? ret : 0;
}
