/* TAP tests for scheduling.c: scheduler, I/O priority and CPU affinity,
 * applied in forked children and read back from the kernel.  */
#include <config.h>
#include "scheduling.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <linux/ioprio.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

struct attr_readback
{
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t util_min, util_max;
};

static int
get_attr (struct attr_readback *a)
{
  memset (a, 0, sizeof (*a));
  return (int) syscall (SYS_sched_getattr, 0, a, sizeof (*a), 0U);
}

static int
scheduler_child (void *arg)
{
  const struct oci_process *p = arg;
  estiba_error_t err = NULL;
  struct attr_readback a;

  if (apply_scheduler (p, &err) < 0)
    return child_fail (&err, "apply_scheduler");
  if (get_attr (&a) < 0)
    return 2;
  printf ("# policy %u nice %d priority %u runtime %llu deadline %llu period %llu\n", a.policy, a.nice,
          a.priority, (unsigned long long) a.runtime, (unsigned long long) a.deadline,
          (unsigned long long) a.period);
  if (strcmp (p->scheduler->policy, "SCHED_BATCH") == 0)
    return a.policy == SCHED_BATCH && a.nice == 7 && getpriority (PRIO_PROCESS, 0) == 7 ? 0 : 3;
  if (strcmp (p->scheduler->policy, "SCHED_FIFO") == 0)
    return a.policy == SCHED_FIFO && a.priority == 10
               && sched_getscheduler (0) == (SCHED_FIFO | SCHED_RESET_ON_FORK)
             ? 0
             : 4;
  if (strcmp (p->scheduler->policy, "SCHED_DEADLINE") == 0)
    return a.policy == 6 && a.runtime == 10000000 && a.deadline == 30000000 && a.period == 30000000 ? 0 : 5;
  return 6;
}

static void
test_scheduler (void)
{
  estiba_error_t err = NULL;
  char *reset[] = { (char *) "SCHED_FLAG_RESET_ON_FORK", NULL };
  char *bogus[] = { (char *) "SCHED_FLAG_TURBO", NULL };
  struct oci_scheduler s = { .policy = (char *) "SCHED_BATCH" };
  struct oci_process p = { .scheduler = &s };
  int ret;

  OCI_SET (&s, nice, 7);
  ok (in_child (scheduler_child, &p) == 0, "SCHED_BATCH nice 7 reads back");
  s.policy = (char *) "SCHED_FIFO";
  s.nice = 0;
  OCI_SET (&s, priority, 10);
  s.flags = reset;
  s.flags_len = 1;
  ok (in_child (scheduler_child, &p) == 0, "SCHED_FIFO priority 10 with SCHED_FLAG_RESET_ON_FORK reads back");

  /* SCHED_DEADLINE needs the task to be allowed on every CPU of its root
   * domain: fine in a fresh child of an unpinned test.  */
  s.policy = (char *) "SCHED_DEADLINE";
  s.priority = 0;
  s.flags = NULL;
  s.flags_len = 0;
  OCI_SET (&s, runtime, 10000000);
  OCI_SET (&s, deadline, 30000000);
  OCI_SET (&s, period, 30000000);
  ok (in_child (scheduler_child, &p) == 0, "SCHED_DEADLINE runtime 10ms, deadline and period 30ms read back");

  s.policy = (char *) "SCHED_FAST";
  ret = apply_scheduler (&p, &err);
  ok_fails_with (ret, &err, "process.scheduler.policy \"SCHED_FAST\": unknown policy",
                 "unknown policy refused");
  s.policy = (char *) "SCHED_ISO";
  ret = apply_scheduler (&p, &err);
  ok_fails_with (ret, &err, "SCHED_ISO: not implemented by Linux", "SCHED_ISO refused with the reason");
  s.policy = (char *) "SCHED_OTHER";
  s.flags = bogus;
  s.flags_len = 1;
  ret = apply_scheduler (&p, &err);
  ok_fails_with (ret, &err, "process.scheduler.flags[0] \"SCHED_FLAG_TURBO\": unknown flag",
                 "unknown flag refused");
  s.flags_len = 0;
  s.flags = NULL;
  s.policy = (char *) "SCHED_FIFO";
  s.priority = 1000;
  ret = apply_scheduler (&p, &err);
  ok_fails_with (ret, &err, "process.scheduler: sched_setattr policy SCHED_FIFO, nice 0, priority 1000",
                 "a priority the kernel refuses gives the kernel's reason");
}

static int
ioprio_child (void *arg)
{
  const struct oci_process *p = arg;
  estiba_error_t err = NULL;
  long v;

  if (apply_io_priority (p, &err) < 0)
    return child_fail (&err, "apply_io_priority");
  v = syscall (SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
  printf ("# ioprio class %ld data %ld\n", IOPRIO_PRIO_CLASS (v), IOPRIO_PRIO_DATA (v));
  return IOPRIO_PRIO_CLASS (v) == IOPRIO_CLASS_IDLE && IOPRIO_PRIO_DATA (v) == 4 ? 0 : 2;
}

static void
test_io_priority (void)
{
  estiba_error_t err = NULL;
  struct oci_io_priority io = { .class = (char *) "IOPRIO_CLASS_IDLE", .priority = 4 };
  struct oci_process p = { .io_priority = &io };
  int ret;

  ok (in_child (ioprio_child, &p) == 0, "IOPRIO_CLASS_IDLE 4 reads back");
  io.priority = 8;
  ret = apply_io_priority (&p, &err);
  ok_fails_with (ret, &err, "process.ioPriority.priority 8: must be between 0 and 7", "priority 8 refused");
  io.class = (char *) "IOPRIO_CLASS_NONE";
  ret = apply_io_priority (&p, &err);
  ok_fails_with (ret, &err, "process.ioPriority.class \"IOPRIO_CLASS_NONE\"", "unknown class refused");
}

static int
affinity_child (void *arg)
{
  estiba_error_t err = NULL;
  cpu_set_t got;

  if (apply_cpu_affinity (arg, &err) < 0)
    return child_fail (&err, "apply_cpu_affinity");
  sched_getaffinity (0, sizeof (got), &got);
  return CPU_COUNT (&got) == 1 && CPU_ISSET (0, &got) ? 0 : 2;
}

static void
test_affinity (void)
{
  estiba_error_t err = NULL;
  cpu_set_t *set = NULL;
  size_t size;
  const char *bad[] = { "a", "1-", "3-1", "1,,2", ",1", "1,", "0-3 ", "-1" };
  size_t i;
  int ret;

  ret = cpu_list_parse ("0-3,7,100", &set, &size, &err);
  ok_call (ret, &err, "parse 0-3,7,100");
  ok (ret == 0 && CPU_COUNT_S (size, set) == 6 && CPU_ISSET_S (0, size, set) && CPU_ISSET_S (3, size, set)
        && CPU_ISSET_S (7, size, set) && CPU_ISSET_S (100, size, set) && !CPU_ISSET_S (4, size, set),
      "it holds 0,1,2,3,7,100");
  if (set)
    CPU_FREE (set);
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      set = NULL;
      ret = cpu_list_parse (bad[i], &set, &size, &err);
      ok_fails_with (ret, &err, "expected numbers and ranges", "CPU list \"%s\" is refused", bad[i]);
    }
  ok (in_child (affinity_child, (void *) "0") == 0, "affinity \"0\" pins to CPU 0");
  ok (apply_cpu_affinity ("", &err) == 0 && apply_cpu_affinity (NULL, &err) == 0,
      "empty or absent: no change");
  ret = apply_cpu_affinity ("4000", &err);
  ok_fails_with (ret, &err, "process.execCPUAffinity: set CPU affinity to 4000",
                 "a CPU that does not exist fails");
}

int
main (void)
{
  test_scheduler ();
  test_io_priority ();
  test_affinity ();
  return tap_done ();
}
