/* Where and how the container process runs: process.scheduler,
 * process.ioPriority and process.execCPUAffinity (config.md "Linux
 * Process").  */
#ifndef ESTIBA_SCHEDULING_H
#define ESTIBA_SCHEDULING_H

#include <sched.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec.h"

/* process.scheduler through sched_setattr(2): policy, nice, priority,
 * flags and the SCHED_DEADLINE runtime/deadline/period.  */
int apply_scheduler (const struct oci_process *p, estiba_error_t *err);

/* process.ioPriority through ioprio_set(2): IOPRIO_CLASS_RT/BE/IDLE and
 * a priority 0 (highest) to 7 (lowest).  */
int apply_io_priority (const struct oci_process *p, estiba_error_t *err);

/* Parse a CPU list such as "0-3,7" into a CPU set sized for the highest
 * CPU listed (free with CPU_FREE; *setsize is its size in bytes).  */
int cpu_list_parse (const char *cpus, cpu_set_t **set, size_t *setsize, estiba_error_t *err);

/* Pin the calling thread to `cpus` (execCPUAffinity.initial in the
 * runtime's process that joins the container, .final in the process just
 * before exec).  NULL or "" changes nothing.  */
int apply_cpu_affinity (const char *cpus, estiba_error_t *err);

/* Same for another process.  */
int apply_cpu_affinity_pid (pid_t pid, const char *cpus, estiba_error_t *err);

#endif
