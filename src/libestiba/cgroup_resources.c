/* linux.resources -> cgroup files, v1 and v2: see cgroup_resources.h.  */
#include <config.h>
#include "cgroup_resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_convert.h"
#include "cgroup_devices.h"
#include "cgroup_files.h"
#include "cleanup.h"
#include "log.h"

#define FIELD "linux.resources."

static int
write_i64 (char *const *dirs, const char *field, const char *name, long long v, estiba_error_t *err)
{
  char value[32];
  snprintf (value, sizeof value, "%lld", v);
  return cgroup_file_write (dirs, field, name, value, err);
}

/* v2 files say "max" where v1 files say -1.  */
static int
write_v2_limit (char *const *dirs, const char *field, const char *name, long long v, estiba_error_t *err)
{
  if (v < 0)
    return cgroup_file_write (dirs, field, name, "max", err);
  return write_i64 (dirs, field, name, v, err);
}

/* The v1 file when its controller is mounted as v1, else the v2 one.  */
static bool
is_v1 (char *const *dirs, const char *v1_name)
{
  return cgroup_file_exists (dirs, v1_name);
}

/* runc's conversion of memory.swap (memory + swap) to memory.swap.max
 * (swap alone).  */
static int
swap_v2_value (const struct oci_linux_memory *m, long long *out, estiba_error_t *err)
{
  if (m->swap == -1)
    {
      *out = -1;
      return 0;
    }
  if (!m->has_limit || m->limit == 0)
    return estiba_error (err, 0, FIELD "memory.swap: needs memory.limit on cgroup v2");
  if (m->limit == -1)
    return estiba_error (err, 0, FIELD "memory.swap: cannot be set with an unlimited memory.limit");
  if (m->swap < m->limit)
    return estiba_error (
      err, 0, FIELD "memory.swap: %" PRId64 " is below memory.limit %" PRId64 " (it counts memory + swap)",
      m->swap, m->limit);
  *out = m->swap - m->limit;
  return 0;
}

/* v1 refuses a memory limit above memsw and a memsw below the memory
 * limit: write them in the order the current values allow.  */
static int
memory_limits_v1 (char *const *dirs, const struct oci_linux_memory *m, estiba_error_t *err)
{
  long long cur = 0;
  bool swap_first = false;

  if (m->has_swap && m->swap != 0)
    {
      if (!cgroup_file_exists (dirs, "memory.memsw.limit_in_bytes"))
        return estiba_error (err, 0,
                             FIELD "memory.swap: not supported on this host (no memory.memsw.limit_in_bytes: "
                                   "swap accounting is off)");
      swap_first = m->swap == -1
                   || (cgroup_file_read_i64 (dirs, "memory.memsw.limit_in_bytes", &cur) == 0 && cur != -1
                       && m->swap > cur);
    }
  if (swap_first && write_i64 (dirs, FIELD "memory.swap", "memory.memsw.limit_in_bytes", m->swap, err) < 0)
    return -1;
  if (m->has_limit && m->limit != 0
      && write_i64 (dirs, FIELD "memory.limit", "memory.limit_in_bytes", m->limit, err) < 0)
    return -1;
  if (m->has_swap && m->swap != 0 && !swap_first
      && write_i64 (dirs, FIELD "memory.swap", "memory.memsw.limit_in_bytes", m->swap, err) < 0)
    return -1;
  return 0;
}

static int
apply_memory (char *const *dirs, const struct oci_linux_memory *m, estiba_error_t *err)
{
  bool v1 = is_v1 (dirs, "memory.limit_in_bytes");

  if (m == NULL)
    return 0;
  if (v1)
    {
      if (memory_limits_v1 (dirs, m, err) < 0)
        return -1;
    }
  else
    {
      long long swap = 0;
      if (m->has_limit && m->limit != 0
          && write_v2_limit (dirs, FIELD "memory.limit", "memory.max", m->limit, err) < 0)
        return -1;
      if (m->has_swap && m->swap != 0
          && (swap_v2_value (m, &swap, err) < 0
              || write_v2_limit (dirs, FIELD "memory.swap", "memory.swap.max", swap, err) < 0))
        return -1;
    }
  if (m->has_reservation && m->reservation != 0
      && (v1 ? write_i64 (dirs, FIELD "memory.reservation", "memory.soft_limit_in_bytes", m->reservation, err)
             : write_v2_limit (dirs, FIELD "memory.reservation", "memory.low", m->reservation, err))
           < 0)
    return -1;
  if (m->has_swappiness)
    {
      if (m->swappiness > 100)
        return estiba_error (err, 0, FIELD "memory.swappiness: %" PRIu64 " is above 100", m->swappiness);
      if (write_i64 (dirs, FIELD "memory.swappiness", "memory.swappiness", (long long) m->swappiness, err)
          < 0)
        return -1;
    }
  if (m->has_disable_oom_killer && m->disable_oom_killer
      && cgroup_file_write (dirs, FIELD "memory.disableOOMKiller", "memory.oom_control", "1", err) < 0)
    return -1;
  /* Kernels since 5.x keep every memory cgroup hierarchical and refuse
   * turning it off; runc writes it only when asked for.  */
  if (m->has_use_hierarchy
      && cgroup_file_write (dirs, FIELD "memory.useHierarchy", "memory.use_hierarchy",
                            m->use_hierarchy ? "1" : "0", err)
           < 0)
    return -1;
  /* v1 still limits TCP buffer memory (memory.kmem.tcp.limit_in_bytes,
   * as runc); cgroup2 has no such file.  */
  if (m->has_kernel_tcp && m->kernel_tcp != 0)
    {
      if (v1 && cgroup_file_exists (dirs, "memory.kmem.tcp.limit_in_bytes"))
        {
          if (write_i64 (dirs, FIELD "memory.kernelTCP", "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, err)
              < 0)
            return -1;
        }
      else
        estiba_warn (FIELD "memory.kernelTCP: ignored, this cgroup has no TCP memory limit");
    }
  if (m->has_kernel && m->kernel != 0)
    estiba_warn (FIELD "memory.kernel: ignored, the kernel no longer limits kernel memory separately");
  return 0;
}

static int
apply_cpu_bandwidth (char *const *dirs, const struct oci_linux_cpu *c, bool v1, estiba_error_t *err)
{
  bool quota = c->has_quota && c->quota != 0, period = c->has_period && c->period != 0;

  if (!quota && !period)
    return 0;
  if (v1)
    {
      /* The period first: a quota is checked against the current period.  */
      if (period && write_i64 (dirs, FIELD "cpu.period", "cpu.cfs_period_us", (long long) c->period, err) < 0)
        return -1;
      if (quota && write_i64 (dirs, FIELD "cpu.quota", "cpu.cfs_quota_us", c->quota, err) < 0)
        return -1;
      return 0;
    }
  else
    {
      char value[64];
      cleanup_free char *cur = cgroup_file_read (dirs, "cpu.max");
      char cur_quota[32] = "max";
      unsigned long long cur_period = 100000;

      if (cur)
        sscanf (cur, "%31s %llu", cur_quota, &cur_period);
      if (quota && c->quota > 0)
        snprintf (cur_quota, sizeof cur_quota, "%" PRId64, c->quota);
      else if (quota)
        strcpy (cur_quota, "max");
      snprintf (value, sizeof value, "%s %llu", cur_quota,
                period ? (unsigned long long) c->period : cur_period);
      return cgroup_file_write (dirs, quota ? FIELD "cpu.quota" : FIELD "cpu.period", "cpu.max", value, err);
    }
}

static int
apply_cpu (char *const *dirs, const struct oci_linux_cpu *c, estiba_error_t *err)
{
  bool v1 = is_v1 (dirs, "cpu.shares");

  if (c == NULL)
    return 0;
  if (c->has_shares && c->shares != 0)
    {
      int ret = v1 ? write_i64 (dirs, FIELD "cpu.shares", "cpu.shares", (long long) c->shares, err)
                   : write_i64 (dirs, FIELD "cpu.shares", "cpu.weight",
                                (long long) cgroup_shares_to_weight (c->shares), err);
      if (ret < 0)
        return -1;
    }
  if (apply_cpu_bandwidth (dirs, c, v1, err) < 0)
    return -1;
  if (c->has_burst
      && write_i64 (dirs, FIELD "cpu.burst", v1 ? "cpu.cfs_burst_us" : "cpu.max.burst", (long long) c->burst,
                    err)
           < 0)
    return -1;
  /* The rt period first, for the same reason as the CFS period.  */
  if (c->has_realtime_period && c->realtime_period != 0
      && write_i64 (dirs, FIELD "cpu.realtimePeriod", "cpu.rt_period_us", (long long) c->realtime_period, err)
           < 0)
    return -1;
  if (c->has_realtime_runtime && c->realtime_runtime != 0
      && write_i64 (dirs, FIELD "cpu.realtimeRuntime", "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
    return -1;
  if (c->has_idle && write_i64 (dirs, FIELD "cpu.idle", "cpu.idle", c->idle, err) < 0)
    return -1;
  if (c->cpus && *c->cpus && cgroup_file_write (dirs, FIELD "cpu.cpus", "cpuset.cpus", c->cpus, err) < 0)
    return -1;
  if (c->mems && *c->mems && cgroup_file_write (dirs, FIELD "cpu.mems", "cpuset.mems", c->mems, err) < 0)
    return -1;
  return 0;
}

static int
apply_pids (char *const *dirs, const struct oci_linux_pids *p, estiba_error_t *err)
{
  /* As runc: 0 leaves the limit alone, a negative value means no limit.  */
  if (p == NULL || !p->has_limit || p->limit == 0)
    return 0;
  return write_v2_limit (dirs, FIELD "pids.limit", "pids.max", p->limit, err);
}

static int
apply_blkio_weight (char *const *dirs, const struct oci_linux_block_io *b, estiba_error_t *err)
{
  size_t i;

  if (b->has_weight && b->weight != 0)
    {
      int ret;
      if (b->weight < 10 || b->weight > 1000)
        return estiba_error (err, 0, FIELD "blockIO.weight: %u is outside [10, 1000]", b->weight);
      if (cgroup_file_exists (dirs, "blkio.weight"))
        ret = write_i64 (dirs, FIELD "blockIO.weight", "blkio.weight", b->weight, err);
      else if (cgroup_file_exists (dirs, "io.bfq.weight"))
        ret = write_i64 (dirs, FIELD "blockIO.weight", "io.bfq.weight", b->weight, err);
      else
        ret = write_i64 (dirs, FIELD "blockIO.weight", "io.weight",
                         (long long) cgroup_blkio_to_io_weight (b->weight), err);
      if (ret < 0)
        return -1;
    }
  if (b->has_leaf_weight && b->leaf_weight != 0
      && write_i64 (dirs, FIELD "blockIO.leafWeight", "blkio.leaf_weight", b->leaf_weight, err) < 0)
    return -1;
  for (i = 0; i < b->weight_device_len; i++)
    {
      const struct oci_linux_weight_device *d = &b->weight_device[i];
      char value[64];
      if (d->has_weight)
        {
          bool v1 = cgroup_file_exists (dirs, "blkio.weight_device");
          snprintf (value, sizeof value, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                    v1 ? d->weight : (unsigned) cgroup_blkio_to_io_weight (d->weight));
          if (cgroup_file_write (dirs, FIELD "blockIO.weightDevice", v1 ? "blkio.weight_device" : "io.weight",
                                 value, err)
              < 0)
            return -1;
        }
      if (d->has_leaf_weight)
        {
          snprintf (value, sizeof value, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor, d->leaf_weight);
          if (cgroup_file_write (dirs, FIELD "blockIO.weightDevice", "blkio.leaf_weight_device", value, err)
              < 0)
            return -1;
        }
    }
  return 0;
}

static int
apply_throttle (char *const *dirs, const char *field, const struct oci_linux_throttle_device *t, size_t n,
                const char *v1_name, const char *v2_key, estiba_error_t *err)
{
  bool v1 = cgroup_file_exists (dirs, v1_name);
  size_t i;

  for (i = 0; i < n; i++)
    {
      char value[96];
      if (v1)
        snprintf (value, sizeof value, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor, t[i].rate);
      else
        snprintf (value, sizeof value, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major, t[i].minor, v2_key,
                  t[i].rate);
      if (cgroup_file_write (dirs, field, v1 ? v1_name : "io.max", value, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_blkio (char *const *dirs, const struct oci_linux_block_io *b, estiba_error_t *err)
{
  if (b == NULL)
    return 0;
  return apply_blkio_weight (dirs, b, err) < 0
             || apply_throttle (dirs, FIELD "blockIO.throttleReadBpsDevice", b->throttle_read_bps_device,
                                b->throttle_read_bps_device_len, "blkio.throttle.read_bps_device", "rbps",
                                err)
                  < 0
             || apply_throttle (dirs, FIELD "blockIO.throttleWriteBpsDevice", b->throttle_write_bps_device,
                                b->throttle_write_bps_device_len, "blkio.throttle.write_bps_device", "wbps",
                                err)
                  < 0
             || apply_throttle (dirs, FIELD "blockIO.throttleReadIOPSDevice", b->throttle_read_iops_device,
                                b->throttle_read_iops_device_len, "blkio.throttle.read_iops_device", "riops",
                                err)
                  < 0
             || apply_throttle (dirs, FIELD "blockIO.throttleWriteIOPSDevice", b->throttle_write_iops_device,
                                b->throttle_write_iops_device_len, "blkio.throttle.write_iops_device",
                                "wiops", err)
                  < 0
           ? -1
           : 0;
}

static int
apply_hugetlb (char *const *dirs, const struct oci_linux_hugepage_limit *h, size_t n, estiba_error_t *err)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      cleanup_free char *v1 = NULL, *v2 = NULL, *rsvd = NULL, *field = NULL;
      const char *size = h[i].page_size ? h[i].page_size : "";

      if (*size == '\0' || strchr (size, '/') || strchr (size, '.'))
        return estiba_error (err, 0, FIELD "hugepageLimits[%zu].pageSize: invalid '%s'", i, size);
      if (asprintf (&v1, "hugetlb.%s.limit_in_bytes", size) < 0 || asprintf (&v2, "hugetlb.%s.max", size) < 0
          || asprintf (&rsvd, "hugetlb.%s.rsvd.max", size) < 0
          || asprintf (&field, FIELD "hugepageLimits[%zu] (pageSize %s)", i, size) < 0)
        return estiba_error_errno (err, "asprintf");
      if (cgroup_file_exists (dirs, v1))
        {
          if (write_i64 (dirs, field, v1, (long long) h[i].limit, err) < 0)
            return -1;
          continue;
        }
      if (write_i64 (dirs, field, v2, (long long) h[i].limit, err) < 0)
        return -1;
      /* Reservations are accounted separately; runc limits both.  */
      if (cgroup_file_exists (dirs, rsvd) && write_i64 (dirs, field, rsvd, (long long) h[i].limit, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_network (char *const *dirs, const struct oci_linux_network *net, estiba_error_t *err)
{
  size_t i;

  if (net == NULL)
    return 0;
  if (net->has_class_id
      && write_i64 (dirs, FIELD "network.classID", "net_cls.classid", net->class_id, err) < 0)
    return -1;
  for (i = 0; i < net->priorities_len; i++)
    {
      cleanup_free char *value = NULL;
      if (asprintf (&value, "%s %u", net->priorities[i].name, net->priorities[i].priority) < 0)
        return estiba_error_errno (err, "asprintf");
      if (cgroup_file_write (dirs, FIELD "network.priorities", "net_prio.ifpriomap", value, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_rdma (char *const *dirs, const struct oci_linux_rdma_map *rdma, estiba_error_t *err)
{
  size_t i;

  for (i = 0; rdma && i < rdma->len; i++)
    {
      const struct oci_linux_rdma *r = &rdma->values[i];
      char handles[32] = "max", objects[32] = "max";
      cleanup_free char *value = NULL;

      if (r->has_hca_handles)
        snprintf (handles, sizeof handles, "%u", r->hca_handles);
      if (r->has_hca_objects)
        snprintf (objects, sizeof objects, "%u", r->hca_objects);
      if (asprintf (&value, "%s hca_handle=%s hca_object=%s", rdma->keys[i], handles, objects) < 0)
        return estiba_error_errno (err, "asprintf");
      if (cgroup_file_write (dirs, FIELD "rdma", "rdma.max", value, err) < 0)
        return -1;
    }
  return 0;
}

/* The well-known unified keys and the v1 file each becomes where its
 * controller is mounted as v1.  */
enum unified_kind
{
  UNIFIED_LIMIT,      /* "max" -> -1 */
  UNIFIED_CPU_WEIGHT, /* cpu.weight -> cpu.shares */
  UNIFIED_CPU_MAX,    /* "quota period" -> cfs_period_us, cfs_quota_us */
  UNIFIED_IO_WEIGHT,  /* "[default ]N" -> blkio.weight */
};

static const struct
{
  const char *key, *v1;
  enum unified_kind kind;
} unified_v1[] = {
  { "memory.max", "memory.limit_in_bytes", UNIFIED_LIMIT },
  { "memory.low", "memory.soft_limit_in_bytes", UNIFIED_LIMIT },
  { "pids.max", "pids.max", UNIFIED_LIMIT },
  { "cpu.weight", "cpu.shares", UNIFIED_CPU_WEIGHT },
  { "cpu.max", "cpu.cfs_quota_us", UNIFIED_CPU_MAX },
  { "cpu.max.burst", "cpu.cfs_burst_us", UNIFIED_LIMIT },
  { "cpu.idle", "cpu.idle", UNIFIED_LIMIT },
  { "cpuset.cpus", "cpuset.cpus", UNIFIED_LIMIT },
  { "cpuset.mems", "cpuset.mems", UNIFIED_LIMIT },
  { "io.weight", "blkio.weight", UNIFIED_IO_WEIGHT },
};

static int
parse_u64 (const char *field, const char *s, unsigned long long *out, estiba_error_t *err)
{
  char *end = NULL;

  errno = 0;
  *out = strtoull (s, &end, 10);
  if (errno || end == s || *end != '\0' || *s == '-')
    return estiba_error (err, 0, "%s: '%s' is not a number", field, s);
  return 0;
}

static int
unified_to_v1 (char *const *dirs, const char *field, enum unified_kind kind, const char *v1,
               const char *value, estiba_error_t *err)
{
  unsigned long long n, period;
  char quota[32] = "";
  int fields;

  switch (kind)
    {
      case UNIFIED_LIMIT:
        return cgroup_file_write (dirs, field, v1, strcmp (value, "max") == 0 ? "-1" : value, err);
      case UNIFIED_CPU_WEIGHT:
        if (parse_u64 (field, value, &n, err) < 0)
          return -1;
        if (n < 1 || n > 10000)
          return estiba_error (err, 0, "%s: %llu is outside [1, 10000]", field, n);
        return write_i64 (dirs, field, v1, (long long) cgroup_weight_to_shares (n), err);
      case UNIFIED_CPU_MAX:
        fields = sscanf (value, "%31s %llu", quota, &period);
        if (fields < 1)
          return estiba_error (err, 0, "%s: '%s' is not \"QUOTA [PERIOD]\"", field, value);
        if (fields == 2 && write_i64 (dirs, field, "cpu.cfs_period_us", (long long) period, err) < 0)
          return -1;
        return cgroup_file_write (dirs, field, v1, strcmp (quota, "max") == 0 ? "-1" : quota, err);
      case UNIFIED_IO_WEIGHT:
        if (strncmp (value, "default ", 8) == 0)
          value += 8;
        if (parse_u64 (field, value, &n, err) < 0)
          return -1;
        if (n < 1 || n > 10000)
          return estiba_error (err, 0, "%s: %llu is outside [1, 10000]", field, n);
        return write_i64 (dirs, field, v1, (long long) cgroup_io_to_blkio_weight (n), err);
    }
  return 0;
}

/* unified keys are cgroup2 file names, written in the cgroup2 directory
 * when it has the file.  Where the controller is mounted as v1 instead
 * (pure v1, or hybrid with the controller in v1), the well-known keys are
 * converted to their v1 file; any other key fails naming it.  */
static int
apply_unified (char *const *dirs, const struct oci_string_map *u, estiba_error_t *err)
{
  const char *v2 = cgroup_v2_dir (dirs);
  size_t i, k;

  for (i = 0; u && i < u->len; i++)
    {
      char *only[2] = { (char *) v2, NULL };
      cleanup_free char *field = NULL;
      bool converted = false;

      if (asprintf (&field, FIELD "unified[\"%s\"]", u->keys[i]) < 0)
        return estiba_error_errno (err, "asprintf");
      if (strchr (u->keys[i], '/') || u->keys[i][0] == '.' || u->keys[i][0] == '\0')
        return estiba_error (err, 0, "%s: not a cgroup file name", field);
      if (v2 && cgroup_file_exists (only, u->keys[i]))
        {
          if (cgroup_file_write (only, field, u->keys[i], u->values[i], err) < 0)
            return -1;
          continue;
        }
      for (k = 0; k < sizeof unified_v1 / sizeof unified_v1[0] && !converted; k++)
        if (strcmp (u->keys[i], unified_v1[k].key) == 0 && cgroup_file_exists (dirs, unified_v1[k].v1))
          {
            if (unified_to_v1 (dirs, field, unified_v1[k].kind, unified_v1[k].v1, u->values[i], err) < 0)
              return -1;
            converted = true;
          }
      if (converted)
        continue;
      if (v2 == NULL)
        return estiba_error (
          err, 0, "%s: not supported on this host (no cgroup2 hierarchy, no v1 equivalent)", field);
      if (cgroup_file_write (only, field, u->keys[i], u->values[i], err) < 0)
        return -1;
    }
  return 0;
}

int
cgroup_apply_resources (char *const *dirs, const struct oci_linux_resources *res, const struct oci_linux *lnx,
                        bool devices, estiba_error_t *err)
{
  if (devices && cgroup_apply_devices (dirs, res, lnx, err) < 0)
    return -1;
  if (res == NULL)
    return 0;
  if (apply_memory (dirs, res->memory, err) < 0 || apply_cpu (dirs, res->cpu, err) < 0
      || apply_pids (dirs, res->pids, err) < 0 || apply_blkio (dirs, res->block_io, err) < 0
      || apply_hugetlb (dirs, res->hugepage_limits, res->hugepage_limits_len, err) < 0
      || apply_network (dirs, res->network, err) < 0 || apply_rdma (dirs, res->rdma, err) < 0
      || apply_unified (dirs, res->unified, err) < 0)
    return -1;
  return 0;
}
