/* The value conversions between the v1 and v2 cgroup files, used where a
 * field is written for the other version's controller: linux.resources
 * v1-style fields on a cgroup2 controller, unified (v2) keys on a v1
 * controller.  */
#ifndef ESTIBA_CGROUP_CONVERT_H
#define ESTIBA_CGROUP_CONVERT_H

#include <stdint.h>

/* cpu.shares [2, 262144] -> cpu.weight [1, 10000] with the curve crun and
 * runc use since 2025, which maps the default 1024 to the default 100:
 * weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares).  0
 * stays 0 (unset).  */
uint64_t cgroup_shares_to_weight (uint64_t shares);

/* The inverse, for a unified cpu.weight on a v1 cpu controller.  */
uint64_t cgroup_weight_to_shares (uint64_t weight);

/* blkio.weight [10, 1000] -> io.weight [1, 10000] (linear, as runc), and
 * back.  */
uint64_t cgroup_blkio_to_io_weight (uint64_t weight);
uint64_t cgroup_io_to_blkio_weight (uint64_t weight);

#endif
