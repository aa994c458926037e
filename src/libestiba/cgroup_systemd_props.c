/* The properties of estiba's systemd units, a(sv): what the unit is,
 * where it goes, and the limits systemd knows, so that systemd's view of
 * the unit matches the cgroup files the cgroupfs code writes afterwards.
 * See cgroup_systemd_props.h.  */
#include <config.h>
#include "cgroup_systemd_props.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cgroup_convert.h"
#include "cgroup_systemd.h"
#include "cleanup.h"

static void
prop_begin (struct dbus_writer *w, const char *name, const char *sig)
{
  dbus_struct_begin (w);
  dbus_put_string (w, name);
  dbus_variant_begin (w, sig);
}

static void
prop_string (struct dbus_writer *w, const char *name, const char *value)
{
  prop_begin (w, name, "s");
  dbus_put_string (w, value);
}

static void
prop_bool (struct dbus_writer *w, const char *name, bool value)
{
  prop_begin (w, name, "b");
  dbus_put_bool (w, value);
}

static void
prop_u64 (struct dbus_writer *w, const char *name, uint64_t value)
{
  prop_begin (w, name, "t");
  dbus_put_u64 (w, value);
}

static int
prop_cpu_mask (struct dbus_writer *w, const char *name, const char *field, const char *list,
               estiba_error_t *err)
{
  unsigned char mask[1024];
  int n = cgroup_systemd_cpu_mask (list, mask, sizeof mask), i;
  size_t a;

  if (n < 0)
    return estiba_error (err, 0, "linux.resources.cpu.%s '%s': not a list of numbers and ranges below %zu",
                         field, list, sizeof mask * 8);
  prop_begin (w, name, "ay");
  a = dbus_array_begin (w, 1);
  for (i = 0; i < n; i++)
    dbus_put_byte (w, mask[i]);
  dbus_array_end (w, a);
  return 0;
}

/* A limit in the OCI sense (<0 unlimited) as systemd's (UINT64_MAX is
 * "infinity").  */
static uint64_t
systemd_limit (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v;
}

static void
prop_memory (struct dbus_writer *w, const struct oci_linux_memory *m)
{
  if (m == NULL)
    return;
  if (m->has_limit && m->limit != 0)
    prop_u64 (w, "MemoryMax", systemd_limit (m->limit));
  if (m->has_reservation && m->reservation > 0)
    prop_u64 (w, "MemoryLow", (uint64_t) m->reservation);
  /* cgroup2's swap limit excludes the memory: runc's swap - limit.  */
  if (m->has_swap && m->swap != 0 && m->has_limit && m->limit > 0)
    prop_u64 (w, "MemorySwapMax",
              m->swap < 0          ? UINT64_MAX
              : m->swap > m->limit ? (uint64_t) (m->swap - m->limit)
                                   : 0);
}

/* systemd takes the quota per second and rounds it to 10 ms (1%), so
 * round up as runc does to never give less than asked.  */
static uint64_t
quota_per_sec_usec (int64_t quota, uint64_t period)
{
  uint64_t q = (uint64_t) quota * 1000000 / period;

  return q % 10000 ? (q / 10000 + 1) * 10000 : q;
}

static int
prop_cpu (struct dbus_writer *w, const struct oci_linux_cpu *c, estiba_error_t *err)
{
  if (c == NULL)
    return 0;
  if (c->has_shares && c->shares != 0)
    prop_u64 (w, "CPUWeight", cgroup_shares_to_weight (c->shares));
  if (c->has_period && c->period != 0)
    prop_u64 (w, "CPUQuotaPeriodUSec", c->period);
  if (c->has_quota && c->quota != 0)
    prop_u64 (w, "CPUQuotaPerSecUSec",
              c->quota < 0 ? UINT64_MAX : quota_per_sec_usec (c->quota, c->period ? c->period : 100000));
  if (c->cpus && *c->cpus && prop_cpu_mask (w, "AllowedCPUs", "cpus", c->cpus, err) < 0)
    return -1;
  if (c->mems && *c->mems && prop_cpu_mask (w, "AllowedMemoryNodes", "mems", c->mems, err) < 0)
    return -1;
  return 0;
}

int
systemd_resource_properties (struct dbus_writer *w, const struct oci_linux_resources *res,
                             estiba_error_t *err)
{
  if (res == NULL)
    return 0;
  prop_memory (w, res->memory);
  if (res->pids && res->pids->has_limit && res->pids->limit != 0)
    prop_u64 (w, "TasksMax", systemd_limit (res->pids->limit));
  return prop_cpu (w, res->cpu, err);
}

int
systemd_unit_properties (struct dbus_writer *w, const char *id, const char *slice, bool unit_is_slice,
                         pid_t pid, const struct oci_linux_resources *res, estiba_error_t *err)
{
  cleanup_free char *description = NULL;
  size_t a = dbus_array_begin (w, 8);

  if (asprintf (&description, "estiba container %s", id) < 0)
    return estiba_error_errno (err, "asprintf");
  prop_string (w, "Description", description);
  prop_bool (w, "DefaultDependencies", false);
  if (unit_is_slice)
    {
      /* A slice's parent is in its name; it wants the slice asked for.  */
      size_t s;
      prop_begin (w, "Wants", "as");
      s = dbus_array_begin (w, 4);
      dbus_put_string (w, slice);
      dbus_array_end (w, s);
    }
  else
    {
      size_t p;
      prop_string (w, "Slice", slice);
      prop_bool (w, "Delegate", true);
      prop_begin (w, "PIDs", "au");
      p = dbus_array_begin (w, 4);
      dbus_put_u32 (w, (uint32_t) pid);
      dbus_array_end (w, p);
    }
  if (systemd_resource_properties (w, res, err) < 0)
    return -1;
  dbus_array_end (w, a);
  return w->failed ? estiba_error (err, ENOMEM, "D-Bus: unit properties") : 0;
}
