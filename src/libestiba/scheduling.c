#include <config.h>
#include "scheduling.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct sched_attr (linux/sched/types.h clashes with
 * <sched.h>); SCHED_ATTR_SIZE_VER1 layout.  */
struct sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif

struct named_value
{
  const char *name;
  unsigned long value;
};

static const struct named_value sched_policies[] = {
  { "SCHED_OTHER", SCHED_NORMAL },      { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH },       { "SCHED_ISO", SCHED_ISO },   { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const struct named_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK },
  { "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
  { "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN },
  { "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
  { "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
};

static const struct named_value ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
  { "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
  { "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};

#define N_OF(a) (sizeof (a) / sizeof ((a)[0]))

static int
lookup (const struct named_value *table, size_t n, const char *name, unsigned long *value)
{
  size_t i;

  for (i = 0; name && i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      {
        *value = table[i].value;
        return 0;
      }
  return -1;
}

static int
scheduler_attr (const struct oci_scheduler *s, struct sched_attr *attr, estiba_error_t *err)
{
  unsigned long policy, flag;
  size_t i;

  if (lookup (sched_policies, N_OF (sched_policies), s->policy, &policy) < 0)
    return estiba_error (err, 0, "process.scheduler.policy \"%s\": unknown policy",
                         s->policy ? s->policy : "");
  if (policy == SCHED_ISO)
    return estiba_error (err, 0, "process.scheduler.policy SCHED_ISO: not implemented by Linux");
  memset (attr, 0, sizeof (*attr));
  attr->size = sizeof (*attr);
  attr->sched_policy = (uint32_t) policy;
  attr->sched_nice = s->nice;
  attr->sched_priority = (uint32_t) s->priority;
  attr->sched_runtime = s->runtime;
  attr->sched_deadline = s->deadline;
  attr->sched_period = s->period;
  if (s->nice < -20 || s->nice > 19)
    return estiba_error (err, 0, "process.scheduler.nice %d: must be between -20 and 19", s->nice);
  if (s->priority < 0)
    return estiba_error (err, 0, "process.scheduler.priority %d: must not be negative", s->priority);
  for (i = 0; i < s->flags_len; i++)
    {
      if (lookup (sched_flags, N_OF (sched_flags), s->flags[i], &flag) < 0)
        return estiba_error (err, 0, "process.scheduler.flags[%zu] \"%s\": unknown flag", i, s->flags[i]);
      attr->sched_flags |= flag;
    }
  return 0;
}

int
apply_scheduler (const struct oci_process *p, estiba_error_t *err)
{
  struct sched_attr attr;

  if (p == NULL || p->scheduler == NULL)
    return 0;
  if (scheduler_attr (p->scheduler, &attr, err) < 0)
    return -1;
  if (syscall (SYS_sched_setattr, 0, &attr, 0U) < 0)
    return estiba_error_errno (err, "process.scheduler: sched_setattr policy %s, nice %d, priority %d",
                               p->scheduler->policy, p->scheduler->nice, p->scheduler->priority);
  return 0;
}

int
apply_io_priority (const struct oci_process *p, estiba_error_t *err)
{
  const struct oci_io_priority *io = p ? p->io_priority : NULL;
  unsigned long cls;

  if (io == NULL)
    return 0;
  if (lookup (ioprio_classes, N_OF (ioprio_classes), io->class, &cls) < 0)
    return estiba_error (
      err, 0,
      "process.ioPriority.class \"%s\": must be IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE",
      io->class ? io->class : "");
  if (io->priority < 0 || io->priority > 7)
    return estiba_error (err, 0, "process.ioPriority.priority %d: must be between 0 and 7", io->priority);
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE (cls, io->priority)) < 0)
    return estiba_error_errno (err, "process.ioPriority: ioprio_set %s %d", io->class, io->priority);
  return 0;
}

/* One "N" or "N-M" of a CPU list; *end is past it.  */
static int
parse_range (const char *s, const char **end, long *first, long *last)
{
  char *e;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  *first = strtol (s, &e, 10);
  *last = *first;
  if (*e == '-')
    {
      if (e[1] < '0' || e[1] > '9')
        return -1;
      *last = strtol (e + 1, &e, 10);
    }
  if (errno != 0 || *last < *first || *last >= INT_MAX / 2)
    return -1;
  *end = e;
  return 0;
}

int
cpu_list_parse (const char *cpus, cpu_set_t **set, size_t *setsize, estiba_error_t *err)
{
  const char *s;
  long first, last, highest = -1, cpu;

  /* Two passes: find the highest CPU to size the set, then fill it.  */
  for (s = cpus; *s;)
    {
      if (parse_range (s, &s, &first, &last) < 0 || (*s != ',' && *s != '\0') || (*s == ',' && s[1] == '\0'))
        return estiba_error (err, 0, "CPU list \"%s\": expected numbers and ranges like 0-3,7", cpus);
      if (last > highest)
        highest = last;
      if (*s == ',')
        s++;
    }
  if (highest < 0)
    return estiba_error (err, 0, "CPU list \"%s\": empty", cpus);
  *set = CPU_ALLOC (highest + 1);
  if (*set == NULL)
    return estiba_error_errno (err, "allocate a CPU set");
  *setsize = CPU_ALLOC_SIZE (highest + 1);
  CPU_ZERO_S (*setsize, *set);
  for (s = cpus; *s;)
    {
      parse_range (s, &s, &first, &last);
      for (cpu = first; cpu <= last; cpu++)
        CPU_SET_S ((size_t) cpu, *setsize, *set);
      if (*s == ',')
        s++;
    }
  return 0;
}

int
apply_cpu_affinity_pid (pid_t pid, const char *cpus, estiba_error_t *err)
{
  cpu_set_t *set = NULL;
  size_t size;
  int ret = 0;

  if (cpus == NULL || *cpus == '\0')
    return 0;
  if (cpu_list_parse (cpus, &set, &size, err) < 0)
    return estiba_error_wrap (err, "process.execCPUAffinity");
  if (sched_setaffinity (pid, size, set) < 0)
    ret = estiba_error_errno (err, "process.execCPUAffinity: set CPU affinity to %s", cpus);
  CPU_FREE (set);
  return ret;
}

int
apply_cpu_affinity (const char *cpus, estiba_error_t *err)
{
  return apply_cpu_affinity_pid (0, cpus, err);
}
