/* The container's device rules (linux.resources.devices, then the devices
 * of linux.devices, then runc's default set) and how they are enforced:
 * the v1 devices controller's devices.allow/deny lists where it is
 * mounted, else an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE
 * attached to the cgroup2 directory (cgroup_bpf_devices.c).  */
#ifndef ESTIBA_CGROUP_DEVICES_H
#define ESTIBA_CGROUP_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "ocispec.h"

struct cgroup_device_rule
{
  bool allow;
  char type;      /* 'a' (all devices), 'c' or 'b' */
  int64_t major;  /* -1: any */
  int64_t minor;  /* -1: any */
  char access[4]; /* some of "rwm" */
};

/* The rules in the order v1 would apply them after "deny a" (malloc'd).  */
int cgroup_device_rules (const struct oci_linux_resources *res, const struct oci_linux *lnx,
                         struct cgroup_device_rule **rules, size_t *n, estiba_error_t *err);

/* Enforce the rules on the container's cgroups (the v1 lists, else the
 * eBPF program on the cgroup2 directory).  */
int cgroup_apply_devices (char *const *dirs, const struct oci_linux_resources *res,
                          const struct oci_linux *lnx, estiba_error_t *err);

/* Generate the eBPF program for the rules: the last matching rule
 * decides, no match denies (allow when the first rule is "allow a", as
 * v1 would).  *insns is a malloc'd array of struct bpf_insn.  */
int cgroup_bpf_devices_program (const struct cgroup_device_rule *rules, size_t n, void **insns, size_t *count,
                                estiba_error_t *err);

/* Load the program for rules and attach it to the cgroup2 directory dir
 * (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI: the parents' programs still
 * apply).  The program lives as long as the cgroup.  */
int cgroup_bpf_devices_attach (const char *dir, const struct cgroup_device_rule *rules, size_t n,
                               estiba_error_t *err);

#endif
