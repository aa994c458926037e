/* The OCI documents described as tables (X-macros).
 *
 * Each OCI_<TYPE>_FIELDS (F, T) table lists the JSON members of one object,
 * in the order the serializer writes them, as
 *   F (T, KIND, c_name, "jsonName", element_type, OCI_REQ | OCI_OPT)
 * From these tables ocispec.h generates the struct definitions and
 * descriptors.c the field descriptors that drive the one generic JSON
 * parser, serializer, free and validation walk (json-engine.c).
 *
 * KIND and the C members it produces:
 *   STR     char *x;                                        NULL = absent
 *   BOOL    bool x; bool has_x;
 *   INT UINT I32 U32 I64 U64 U16
 *           int / unsigned int / int32_t / ... x; bool has_x;
 *   STRARR  char **x; size_t x_len;      NULL-terminated; NULL = absent
 *   U32ARR  uint32_t *x; size_t x_len;
 *   OBJ     struct elem *x;                                  NULL = absent
 *   OBJARR  struct elem *x; size_t x_len;                    contiguous
 *   STRMAP  struct oci_string_map *x;
 *   OBJMAP  struct elem_map *x;     (keys + contiguous values, input order)
 *   RAW     struct oci_json *x;     any JSON kept verbatim (other platforms)
 * element_type is `_` when the kind has none.  */
#ifndef OCISPEC_TABLES_H
#define OCISPEC_TABLES_H

/* ------------------------------------------------------------------ */
/* Runtime spec 1.3.0: config.md                                        */

#define OCI_CONFIG_FIELDS(F, T)                                                                              \
  F (T, STR, oci_version, "ociVersion", _, OCI_REQ)                                                          \
  F (T, OBJ, process, "process", oci_process, OCI_OPT)                                                       \
  F (T, OBJ, root, "root", oci_root, OCI_OPT)                                                                \
  F (T, STR, hostname, "hostname", _, OCI_OPT)                                                               \
  F (T, STR, domainname, "domainname", _, OCI_OPT)                                                           \
  F (T, OBJARR, mounts, "mounts", oci_mount, OCI_OPT)                                                        \
  F (T, OBJ, hooks, "hooks", oci_hooks, OCI_OPT)                                                             \
  F (T, STRMAP, annotations, "annotations", _, OCI_OPT)                                                      \
  F (T, OBJ, linux_, "linux", oci_linux, OCI_OPT)                                                            \
  F (T, RAW, solaris, "solaris", _, OCI_OPT)                                                                 \
  F (T, RAW, windows, "windows", _, OCI_OPT)                                                                 \
  F (T, RAW, vm, "vm", _, OCI_OPT)                                                                           \
  F (T, RAW, zos, "zos", _, OCI_OPT)                                                                         \
  F (T, RAW, freebsd, "freebsd", _, OCI_OPT)

#define OCI_ROOT_FIELDS(F, T)                                                                                \
  F (T, STR, path, "path", _, OCI_REQ)                                                                       \
  F (T, BOOL, readonly, "readonly", _, OCI_OPT)

#define OCI_MOUNT_FIELDS(F, T)                                                                               \
  F (T, STR, destination, "destination", _, OCI_REQ)                                                         \
  F (T, STR, type, "type", _, OCI_OPT)                                                                       \
  F (T, STR, source, "source", _, OCI_OPT)                                                                   \
  F (T, STRARR, options, "options", _, OCI_OPT)                                                              \
  F (T, OBJARR, uid_mappings, "uidMappings", oci_id_mapping, OCI_OPT)                                        \
  F (T, OBJARR, gid_mappings, "gidMappings", oci_id_mapping, OCI_OPT)

#define OCI_ID_MAPPING_FIELDS(F, T)                                                                          \
  F (T, U32, container_id, "containerID", _, OCI_REQ)                                                        \
  F (T, U32, host_id, "hostID", _, OCI_REQ)                                                                  \
  F (T, U32, size, "size", _, OCI_REQ)

#define OCI_PROCESS_FIELDS(F, T)                                                                             \
  F (T, BOOL, terminal, "terminal", _, OCI_OPT)                                                              \
  F (T, OBJ, console_size, "consoleSize", oci_console_size, OCI_OPT)                                         \
  F (T, OBJ, user, "user", oci_user, OCI_OPT)                                                                \
  F (T, STRARR, args, "args", _, OCI_OPT)                                                                    \
  F (T, STR, command_line, "commandLine", _, OCI_OPT)                                                        \
  F (T, STRARR, env, "env", _, OCI_OPT)                                                                      \
  F (T, STR, cwd, "cwd", _, OCI_REQ)                                                                         \
  F (T, OBJ, capabilities, "capabilities", oci_capabilities, OCI_OPT)                                        \
  F (T, OBJARR, rlimits, "rlimits", oci_rlimit, OCI_OPT)                                                     \
  F (T, BOOL, no_new_privileges, "noNewPrivileges", _, OCI_OPT)                                              \
  F (T, STR, apparmor_profile, "apparmorProfile", _, OCI_OPT)                                                \
  F (T, INT, oom_score_adj, "oomScoreAdj", _, OCI_OPT)                                                       \
  F (T, OBJ, scheduler, "scheduler", oci_scheduler, OCI_OPT)                                                 \
  F (T, STR, selinux_label, "selinuxLabel", _, OCI_OPT)                                                      \
  F (T, OBJ, io_priority, "ioPriority", oci_io_priority, OCI_OPT)                                            \
  F (T, OBJ, exec_cpu_affinity, "execCPUAffinity", oci_cpu_affinity, OCI_OPT)

#define OCI_CONSOLE_SIZE_FIELDS(F, T)                                                                        \
  F (T, UINT, height, "height", _, OCI_REQ)                                                                  \
  F (T, UINT, width, "width", _, OCI_REQ)

#define OCI_USER_FIELDS(F, T)                                                                                \
  F (T, U32, uid, "uid", _, OCI_REQ)                                                                         \
  F (T, U32, gid, "gid", _, OCI_REQ)                                                                         \
  F (T, U32, umask, "umask", _, OCI_OPT)                                                                     \
  F (T, U32ARR, additional_gids, "additionalGids", _, OCI_OPT)                                               \
  F (T, STR, username, "username", _, OCI_OPT)

#define OCI_CAPABILITIES_FIELDS(F, T)                                                                        \
  F (T, STRARR, bounding, "bounding", _, OCI_OPT)                                                            \
  F (T, STRARR, effective, "effective", _, OCI_OPT)                                                          \
  F (T, STRARR, inheritable, "inheritable", _, OCI_OPT)                                                      \
  F (T, STRARR, permitted, "permitted", _, OCI_OPT)                                                          \
  F (T, STRARR, ambient, "ambient", _, OCI_OPT)

#define OCI_RLIMIT_FIELDS(F, T)                                                                              \
  F (T, STR, type, "type", _, OCI_REQ)                                                                       \
  F (T, U64, hard, "hard", _, OCI_REQ)                                                                       \
  F (T, U64, soft, "soft", _, OCI_REQ)

#define OCI_SCHEDULER_FIELDS(F, T)                                                                           \
  F (T, STR, policy, "policy", _, OCI_REQ)                                                                   \
  F (T, I32, nice, "nice", _, OCI_OPT)                                                                       \
  F (T, I32, priority, "priority", _, OCI_OPT)                                                               \
  F (T, STRARR, flags, "flags", _, OCI_OPT)                                                                  \
  F (T, U64, runtime, "runtime", _, OCI_OPT)                                                                 \
  F (T, U64, deadline, "deadline", _, OCI_OPT)                                                               \
  F (T, U64, period, "period", _, OCI_OPT)

#define OCI_IO_PRIORITY_FIELDS(F, T)                                                                         \
  F (T, STR, class, "class", _, OCI_REQ)                                                                     \
  F (T, INT, priority, "priority", _, OCI_REQ)

#define OCI_CPU_AFFINITY_FIELDS(F, T)                                                                        \
  F (T, STR, initial, "initial", _, OCI_OPT)                                                                 \
  F (T, STR, final, "final", _, OCI_OPT)

#define OCI_HOOKS_FIELDS(F, T)                                                                               \
  F (T, OBJARR, prestart, "prestart", oci_hook, OCI_OPT)                                                     \
  F (T, OBJARR, create_runtime, "createRuntime", oci_hook, OCI_OPT)                                          \
  F (T, OBJARR, create_container, "createContainer", oci_hook, OCI_OPT)                                      \
  F (T, OBJARR, start_container, "startContainer", oci_hook, OCI_OPT)                                        \
  F (T, OBJARR, poststart, "poststart", oci_hook, OCI_OPT)                                                   \
  F (T, OBJARR, poststop, "poststop", oci_hook, OCI_OPT)

#define OCI_HOOK_FIELDS(F, T)                                                                                \
  F (T, STR, path, "path", _, OCI_REQ)                                                                       \
  F (T, STRARR, args, "args", _, OCI_OPT)                                                                    \
  F (T, STRARR, env, "env", _, OCI_OPT)                                                                      \
  F (T, INT, timeout, "timeout", _, OCI_OPT)

/* config-linux.md */
#define OCI_LINUX_FIELDS(F, T)                                                                               \
  F (T, OBJARR, uid_mappings, "uidMappings", oci_id_mapping, OCI_OPT)                                        \
  F (T, OBJARR, gid_mappings, "gidMappings", oci_id_mapping, OCI_OPT)                                        \
  F (T, STRMAP, sysctl, "sysctl", _, OCI_OPT)                                                                \
  F (T, OBJ, resources, "resources", oci_linux_resources, OCI_OPT)                                           \
  F (T, STR, cgroups_path, "cgroupsPath", _, OCI_OPT)                                                        \
  F (T, OBJARR, namespaces, "namespaces", oci_namespace, OCI_OPT)                                            \
  F (T, OBJARR, devices, "devices", oci_linux_device, OCI_OPT)                                               \
  F (T, OBJMAP, net_devices, "netDevices", oci_linux_net_device, OCI_OPT)                                    \
  F (T, OBJ, seccomp, "seccomp", oci_seccomp, OCI_OPT)                                                       \
  F (T, STR, rootfs_propagation, "rootfsPropagation", _, OCI_OPT)                                            \
  F (T, STRARR, masked_paths, "maskedPaths", _, OCI_OPT)                                                     \
  F (T, STRARR, readonly_paths, "readonlyPaths", _, OCI_OPT)                                                 \
  F (T, STR, mount_label, "mountLabel", _, OCI_OPT)                                                          \
  F (T, OBJ, intel_rdt, "intelRdt", oci_linux_intel_rdt, OCI_OPT)                                            \
  F (T, OBJ, memory_policy, "memoryPolicy", oci_linux_memory_policy, OCI_OPT)                                \
  F (T, OBJ, personality, "personality", oci_linux_personality, OCI_OPT)                                     \
  F (T, OBJMAP, time_offsets, "timeOffsets", oci_linux_time_offset, OCI_OPT)

#define OCI_NAMESPACE_FIELDS(F, T)                                                                           \
  F (T, STR, type, "type", _, OCI_REQ)                                                                       \
  F (T, STR, path, "path", _, OCI_OPT)

#define OCI_LINUX_TIME_OFFSET_FIELDS(F, T)                                                                   \
  F (T, I64, secs, "secs", _, OCI_OPT)                                                                       \
  F (T, U32, nanosecs, "nanosecs", _, OCI_OPT)

#define OCI_LINUX_DEVICE_FIELDS(F, T)                                                                        \
  F (T, STR, path, "path", _, OCI_REQ)                                                                       \
  F (T, STR, type, "type", _, OCI_REQ)                                                                       \
  F (T, I64, major, "major", _, OCI_OPT)                                                                     \
  F (T, I64, minor, "minor", _, OCI_OPT)                                                                     \
  F (T, U32, file_mode, "fileMode", _, OCI_OPT)                                                              \
  F (T, U32, uid, "uid", _, OCI_OPT)                                                                         \
  F (T, U32, gid, "gid", _, OCI_OPT)

#define OCI_LINUX_NET_DEVICE_FIELDS(F, T) F (T, STR, name, "name", _, OCI_OPT)

#define OCI_LINUX_RESOURCES_FIELDS(F, T)                                                                     \
  F (T, OBJARR, devices, "devices", oci_linux_device_cgroup, OCI_OPT)                                        \
  F (T, OBJ, memory, "memory", oci_linux_memory, OCI_OPT)                                                    \
  F (T, OBJ, cpu, "cpu", oci_linux_cpu, OCI_OPT)                                                             \
  F (T, OBJ, pids, "pids", oci_linux_pids, OCI_OPT)                                                          \
  F (T, OBJ, block_io, "blockIO", oci_linux_block_io, OCI_OPT)                                               \
  F (T, OBJARR, hugepage_limits, "hugepageLimits", oci_linux_hugepage_limit, OCI_OPT)                        \
  F (T, OBJ, network, "network", oci_linux_network, OCI_OPT)                                                 \
  F (T, OBJMAP, rdma, "rdma", oci_linux_rdma, OCI_OPT)                                                       \
  F (T, STRMAP, unified, "unified", _, OCI_OPT)

#define OCI_LINUX_DEVICE_CGROUP_FIELDS(F, T)                                                                 \
  F (T, BOOL, allow, "allow", _, OCI_REQ)                                                                    \
  F (T, STR, type, "type", _, OCI_OPT)                                                                       \
  F (T, I64, major, "major", _, OCI_OPT)                                                                     \
  F (T, I64, minor, "minor", _, OCI_OPT)                                                                     \
  F (T, STR, access, "access", _, OCI_OPT)

#define OCI_LINUX_MEMORY_FIELDS(F, T)                                                                        \
  F (T, I64, limit, "limit", _, OCI_OPT)                                                                     \
  F (T, I64, reservation, "reservation", _, OCI_OPT)                                                         \
  F (T, I64, swap, "swap", _, OCI_OPT)                                                                       \
  F (T, I64, kernel, "kernel", _, OCI_OPT)                                                                   \
  F (T, I64, kernel_tcp, "kernelTCP", _, OCI_OPT)                                                            \
  F (T, U64, swappiness, "swappiness", _, OCI_OPT)                                                           \
  F (T, BOOL, disable_oom_killer, "disableOOMKiller", _, OCI_OPT)                                            \
  F (T, BOOL, use_hierarchy, "useHierarchy", _, OCI_OPT)                                                     \
  F (T, BOOL, check_before_update, "checkBeforeUpdate", _, OCI_OPT)

#define OCI_LINUX_CPU_FIELDS(F, T)                                                                           \
  F (T, U64, shares, "shares", _, OCI_OPT)                                                                   \
  F (T, I64, quota, "quota", _, OCI_OPT)                                                                     \
  F (T, U64, burst, "burst", _, OCI_OPT)                                                                     \
  F (T, U64, period, "period", _, OCI_OPT)                                                                   \
  F (T, I64, realtime_runtime, "realtimeRuntime", _, OCI_OPT)                                                \
  F (T, U64, realtime_period, "realtimePeriod", _, OCI_OPT)                                                  \
  F (T, STR, cpus, "cpus", _, OCI_OPT)                                                                       \
  F (T, STR, mems, "mems", _, OCI_OPT)                                                                       \
  F (T, I64, idle, "idle", _, OCI_OPT)

#define OCI_LINUX_PIDS_FIELDS(F, T) F (T, I64, limit, "limit", _, OCI_OPT)

#define OCI_LINUX_BLOCK_IO_FIELDS(F, T)                                                                      \
  F (T, U16, weight, "weight", _, OCI_OPT)                                                                   \
  F (T, U16, leaf_weight, "leafWeight", _, OCI_OPT)                                                          \
  F (T, OBJARR, weight_device, "weightDevice", oci_linux_weight_device, OCI_OPT)                             \
  F (T, OBJARR, throttle_read_bps_device, "throttleReadBpsDevice", oci_linux_throttle_device, OCI_OPT)       \
  F (T, OBJARR, throttle_write_bps_device, "throttleWriteBpsDevice", oci_linux_throttle_device, OCI_OPT)     \
  F (T, OBJARR, throttle_read_iops_device, "throttleReadIOPSDevice", oci_linux_throttle_device, OCI_OPT)     \
  F (T, OBJARR, throttle_write_iops_device, "throttleWriteIOPSDevice", oci_linux_throttle_device, OCI_OPT)

#define OCI_LINUX_WEIGHT_DEVICE_FIELDS(F, T)                                                                 \
  F (T, I64, major, "major", _, OCI_REQ)                                                                     \
  F (T, I64, minor, "minor", _, OCI_REQ)                                                                     \
  F (T, U16, weight, "weight", _, OCI_OPT)                                                                   \
  F (T, U16, leaf_weight, "leafWeight", _, OCI_OPT)

#define OCI_LINUX_THROTTLE_DEVICE_FIELDS(F, T)                                                               \
  F (T, I64, major, "major", _, OCI_REQ)                                                                     \
  F (T, I64, minor, "minor", _, OCI_REQ)                                                                     \
  F (T, U64, rate, "rate", _, OCI_REQ)

#define OCI_LINUX_HUGEPAGE_LIMIT_FIELDS(F, T)                                                                \
  F (T, STR, page_size, "pageSize", _, OCI_REQ)                                                              \
  F (T, U64, limit, "limit", _, OCI_REQ)

#define OCI_LINUX_NETWORK_FIELDS(F, T)                                                                       \
  F (T, U32, class_id, "classID", _, OCI_OPT)                                                                \
  F (T, OBJARR, priorities, "priorities", oci_linux_interface_priority, OCI_OPT)

#define OCI_LINUX_INTERFACE_PRIORITY_FIELDS(F, T)                                                            \
  F (T, STR, name, "name", _, OCI_REQ)                                                                       \
  F (T, U32, priority, "priority", _, OCI_REQ)

#define OCI_LINUX_RDMA_FIELDS(F, T)                                                                          \
  F (T, U32, hca_handles, "hcaHandles", _, OCI_OPT)                                                          \
  F (T, U32, hca_objects, "hcaObjects", _, OCI_OPT)

#define OCI_SECCOMP_FIELDS(F, T)                                                                             \
  F (T, STR, default_action, "defaultAction", _, OCI_REQ)                                                    \
  F (T, UINT, default_errno_ret, "defaultErrnoRet", _, OCI_OPT)                                              \
  F (T, STRARR, architectures, "architectures", _, OCI_OPT)                                                  \
  F (T, STRARR, flags, "flags", _, OCI_OPT)                                                                  \
  F (T, STR, listener_path, "listenerPath", _, OCI_OPT)                                                      \
  F (T, STR, listener_metadata, "listenerMetadata", _, OCI_OPT)                                              \
  F (T, OBJARR, syscalls, "syscalls", oci_seccomp_syscall, OCI_OPT)

#define OCI_SECCOMP_SYSCALL_FIELDS(F, T)                                                                     \
  F (T, STRARR, names, "names", _, OCI_REQ)                                                                  \
  F (T, STR, action, "action", _, OCI_REQ)                                                                   \
  F (T, UINT, errno_ret, "errnoRet", _, OCI_OPT)                                                             \
  F (T, OBJARR, args, "args", oci_seccomp_arg, OCI_OPT)

#define OCI_SECCOMP_ARG_FIELDS(F, T)                                                                         \
  F (T, UINT, index, "index", _, OCI_REQ)                                                                    \
  F (T, U64, value, "value", _, OCI_REQ)                                                                     \
  F (T, U64, value_two, "valueTwo", _, OCI_OPT)                                                              \
  F (T, STR, op, "op", _, OCI_REQ)

#define OCI_LINUX_INTEL_RDT_FIELDS(F, T)                                                                     \
  F (T, STR, clos_id, "closID", _, OCI_OPT)                                                                  \
  F (T, STRARR, schemata, "schemata", _, OCI_OPT)                                                            \
  F (T, STR, l3_cache_schema, "l3CacheSchema", _, OCI_OPT)                                                   \
  F (T, STR, mem_bw_schema, "memBwSchema", _, OCI_OPT)                                                       \
  F (T, BOOL, enable_monitoring, "enableMonitoring", _, OCI_OPT)

#define OCI_LINUX_MEMORY_POLICY_FIELDS(F, T)                                                                 \
  F (T, STR, mode, "mode", _, OCI_REQ)                                                                       \
  F (T, STR, nodes, "nodes", _, OCI_OPT)                                                                     \
  F (T, STRARR, flags, "flags", _, OCI_OPT)

#define OCI_LINUX_PERSONALITY_FIELDS(F, T)                                                                   \
  F (T, STR, domain, "domain", _, OCI_REQ)                                                                   \
  F (T, STRARR, flags, "flags", _, OCI_OPT)

/* ------------------------------------------------------------------ */
/* Runtime spec 1.3.0: runtime.md state, and the seccomp notify state  */

#define OCI_STATE_FIELDS(F, T)                                                                               \
  F (T, STR, oci_version, "ociVersion", _, OCI_REQ)                                                          \
  F (T, STR, id, "id", _, OCI_REQ)                                                                           \
  F (T, STR, status, "status", _, OCI_REQ)                                                                   \
  F (T, INT, pid, "pid", _, OCI_OPT)                                                                         \
  F (T, STR, bundle, "bundle", _, OCI_REQ)                                                                   \
  F (T, STRMAP, annotations, "annotations", _, OCI_OPT)

/* Sent over the seccomp listenerPath socket (config-linux.md).  */
#define OCI_CONTAINER_PROCESS_STATE_FIELDS(F, T)                                                             \
  F (T, STR, oci_version, "ociVersion", _, OCI_REQ)                                                          \
  F (T, STRARR, fds, "fds", _, OCI_REQ)                                                                      \
  F (T, INT, pid, "pid", _, OCI_REQ)                                                                         \
  F (T, STR, metadata, "metadata", _, OCI_OPT)                                                               \
  F (T, OBJ, state, "state", oci_state, OCI_REQ)

/* ------------------------------------------------------------------ */
/* Runtime spec 1.3.0: features.md, features-linux.md                   */

#define OCI_FEATURES_FIELDS(F, T)                                                                            \
  F (T, STR, oci_version_min, "ociVersionMin", _, OCI_REQ)                                                   \
  F (T, STR, oci_version_max, "ociVersionMax", _, OCI_REQ)                                                   \
  F (T, STRARR, hooks, "hooks", _, OCI_OPT)                                                                  \
  F (T, STRARR, mount_options, "mountOptions", _, OCI_OPT)                                                   \
  F (T, OBJ, linux_, "linux", oci_features_linux, OCI_OPT)                                                   \
  F (T, STRMAP, annotations, "annotations", _, OCI_OPT)                                                      \
  F (T, STRARR, potentially_unsafe_config_annotations, "potentiallyUnsafeConfigAnnotations", _, OCI_OPT)

#define OCI_FEATURES_LINUX_FIELDS(F, T)                                                                      \
  F (T, STRARR, namespaces, "namespaces", _, OCI_OPT)                                                        \
  F (T, STRARR, capabilities, "capabilities", _, OCI_OPT)                                                    \
  F (T, OBJ, cgroup, "cgroup", oci_features_cgroup, OCI_OPT)                                                 \
  F (T, OBJ, seccomp, "seccomp", oci_features_seccomp, OCI_OPT)                                              \
  F (T, OBJ, apparmor, "apparmor", oci_features_enabled, OCI_OPT)                                            \
  F (T, OBJ, selinux, "selinux", oci_features_enabled, OCI_OPT)                                              \
  F (T, OBJ, intel_rdt, "intelRdt", oci_features_intel_rdt, OCI_OPT)                                         \
  F (T, OBJ, memory_policy, "memoryPolicy", oci_features_memory_policy, OCI_OPT)                             \
  F (T, OBJ, mount_extensions, "mountExtensions", oci_features_mount_extensions, OCI_OPT)                    \
  F (T, OBJ, net_devices, "netDevices", oci_features_enabled, OCI_OPT)

#define OCI_FEATURES_CGROUP_FIELDS(F, T)                                                                     \
  F (T, BOOL, v1, "v1", _, OCI_OPT)                                                                          \
  F (T, BOOL, v2, "v2", _, OCI_OPT)                                                                          \
  F (T, BOOL, systemd, "systemd", _, OCI_OPT)                                                                \
  F (T, BOOL, systemd_user, "systemdUser", _, OCI_OPT)                                                       \
  F (T, BOOL, rdma, "rdma", _, OCI_OPT)

#define OCI_FEATURES_SECCOMP_FIELDS(F, T)                                                                    \
  F (T, BOOL, enabled, "enabled", _, OCI_OPT)                                                                \
  F (T, STRARR, actions, "actions", _, OCI_OPT)                                                              \
  F (T, STRARR, operators, "operators", _, OCI_OPT)                                                          \
  F (T, STRARR, archs, "archs", _, OCI_OPT)                                                                  \
  F (T, STRARR, known_flags, "knownFlags", _, OCI_OPT)                                                       \
  F (T, STRARR, supported_flags, "supportedFlags", _, OCI_OPT)

/* apparmor, selinux, netDevices, mountExtensions.idmap: {"enabled": bool} */
#define OCI_FEATURES_ENABLED_FIELDS(F, T) F (T, BOOL, enabled, "enabled", _, OCI_OPT)

#define OCI_FEATURES_INTEL_RDT_FIELDS(F, T)                                                                  \
  F (T, BOOL, enabled, "enabled", _, OCI_OPT)                                                                \
  F (T, BOOL, schemata, "schemata", _, OCI_OPT)                                                              \
  F (T, BOOL, monitoring, "monitoring", _, OCI_OPT)

#define OCI_FEATURES_MEMORY_POLICY_FIELDS(F, T)                                                              \
  F (T, STRARR, modes, "modes", _, OCI_OPT)                                                                  \
  F (T, STRARR, flags, "flags", _, OCI_OPT)

#define OCI_FEATURES_MOUNT_EXTENSIONS_FIELDS(F, T) F (T, OBJ, idmap, "idmap", oci_features_enabled, OCI_OPT)

/* ------------------------------------------------------------------ */
/* Image spec 1.1: descriptor.md, image-index.md, manifest.md,          */
/* config.md, image-layout.md                                           */

#define OCI_IMAGE_DESCRIPTOR_FIELDS(F, T)                                                                    \
  F (T, STR, media_type, "mediaType", _, OCI_REQ)                                                            \
  F (T, STR, digest, "digest", _, OCI_REQ)                                                                   \
  F (T, I64, size, "size", _, OCI_REQ)                                                                       \
  F (T, STRARR, urls, "urls", _, OCI_OPT)                                                                    \
  F (T, STRMAP, annotations, "annotations", _, OCI_OPT)                                                      \
  F (T, STR, data, "data", _, OCI_OPT)                                                                       \
  F (T, STR, artifact_type, "artifactType", _, OCI_OPT)                                                      \
  F (T, OBJ, platform, "platform", oci_image_platform, OCI_OPT)

#define OCI_IMAGE_PLATFORM_FIELDS(F, T)                                                                      \
  F (T, STR, architecture, "architecture", _, OCI_REQ)                                                       \
  F (T, STR, os, "os", _, OCI_REQ)                                                                           \
  F (T, STR, os_version, "os.version", _, OCI_OPT)                                                           \
  F (T, STRARR, os_features, "os.features", _, OCI_OPT)                                                      \
  F (T, STR, variant, "variant", _, OCI_OPT)                                                                 \
  F (T, STRARR, features, "features", _, OCI_OPT)

#define OCI_IMAGE_INDEX_FIELDS(F, T)                                                                         \
  F (T, INT, schema_version, "schemaVersion", _, OCI_REQ)                                                    \
  F (T, STR, media_type, "mediaType", _, OCI_OPT)                                                            \
  F (T, STR, artifact_type, "artifactType", _, OCI_OPT)                                                      \
  F (T, OBJARR, manifests, "manifests", oci_image_descriptor, OCI_REQ)                                       \
  F (T, OBJ, subject, "subject", oci_image_descriptor, OCI_OPT)                                              \
  F (T, STRMAP, annotations, "annotations", _, OCI_OPT)

#define OCI_IMAGE_MANIFEST_FIELDS(F, T)                                                                      \
  F (T, INT, schema_version, "schemaVersion", _, OCI_REQ)                                                    \
  F (T, STR, media_type, "mediaType", _, OCI_OPT)                                                            \
  F (T, STR, artifact_type, "artifactType", _, OCI_OPT)                                                      \
  F (T, OBJ, config, "config", oci_image_descriptor, OCI_REQ)                                                \
  F (T, OBJARR, layers, "layers", oci_image_descriptor, OCI_REQ)                                             \
  F (T, OBJ, subject, "subject", oci_image_descriptor, OCI_OPT)                                              \
  F (T, STRMAP, annotations, "annotations", _, OCI_OPT)

#define OCI_IMAGE_CONFIG_FIELDS(F, T)                                                                        \
  F (T, STR, created, "created", _, OCI_OPT)                                                                 \
  F (T, STR, author, "author", _, OCI_OPT)                                                                   \
  F (T, STR, architecture, "architecture", _, OCI_REQ)                                                       \
  F (T, STR, os, "os", _, OCI_REQ)                                                                           \
  F (T, STR, os_version, "os.version", _, OCI_OPT)                                                           \
  F (T, STRARR, os_features, "os.features", _, OCI_OPT)                                                      \
  F (T, STR, variant, "variant", _, OCI_OPT)                                                                 \
  F (T, OBJ, config, "config", oci_image_exec_config, OCI_OPT)                                               \
  F (T, OBJ, rootfs, "rootfs", oci_image_rootfs, OCI_REQ)                                                    \
  F (T, OBJARR, history, "history", oci_image_history, OCI_OPT)

/* The image config's "config": how to run a container from the image.
 * Healthcheck, OnBuild and Shell are Docker's, found in real images.  */
#define OCI_IMAGE_EXEC_CONFIG_FIELDS(F, T)                                                                   \
  F (T, STR, user, "User", _, OCI_OPT)                                                                       \
  F (T, OBJMAP, exposed_ports, "ExposedPorts", oci_empty, OCI_OPT)                                           \
  F (T, STRARR, env, "Env", _, OCI_OPT)                                                                      \
  F (T, STRARR, entrypoint, "Entrypoint", _, OCI_OPT)                                                        \
  F (T, STRARR, cmd, "Cmd", _, OCI_OPT)                                                                      \
  F (T, OBJMAP, volumes, "Volumes", oci_empty, OCI_OPT)                                                      \
  F (T, STR, working_dir, "WorkingDir", _, OCI_OPT)                                                          \
  F (T, STRMAP, labels, "Labels", _, OCI_OPT)                                                                \
  F (T, STR, stop_signal, "StopSignal", _, OCI_OPT)                                                          \
  F (T, BOOL, args_escaped, "ArgsEscaped", _, OCI_OPT)                                                       \
  F (T, OBJ, healthcheck, "Healthcheck", oci_image_healthcheck, OCI_OPT)                                     \
  F (T, STRARR, on_build, "OnBuild", _, OCI_OPT)                                                             \
  F (T, STRARR, shell, "Shell", _, OCI_OPT)

/* Docker's healthcheck; durations are nanoseconds.  */
#define OCI_IMAGE_HEALTHCHECK_FIELDS(F, T)                                                                   \
  F (T, STRARR, test, "Test", _, OCI_OPT)                                                                    \
  F (T, I64, interval, "Interval", _, OCI_OPT)                                                               \
  F (T, I64, timeout, "Timeout", _, OCI_OPT)                                                                 \
  F (T, I64, start_period, "StartPeriod", _, OCI_OPT)                                                        \
  F (T, I64, start_interval, "StartInterval", _, OCI_OPT)                                                    \
  F (T, INT, retries, "Retries", _, OCI_OPT)

#define OCI_IMAGE_ROOTFS_FIELDS(F, T)                                                                        \
  F (T, STR, type, "type", _, OCI_REQ)                                                                       \
  F (T, STRARR, diff_ids, "diff_ids", _, OCI_REQ)

#define OCI_IMAGE_HISTORY_FIELDS(F, T)                                                                       \
  F (T, STR, created, "created", _, OCI_OPT)                                                                 \
  F (T, STR, created_by, "created_by", _, OCI_OPT)                                                           \
  F (T, STR, author, "author", _, OCI_OPT)                                                                   \
  F (T, STR, comment, "comment", _, OCI_OPT)                                                                 \
  F (T, BOOL, empty_layer, "empty_layer", _, OCI_OPT)

#define OCI_IMAGE_LAYOUT_FIELDS(F, T) F (T, STR, image_layout_version, "imageLayoutVersion", _, OCI_REQ)

/* An object whose members are all unknown to us, e.g. the {} values of
 * ExposedPorts and Volumes (kept and written back like any unknown field).  */
#define OCI_EMPTY_FIELDS(F, T)

/* ------------------------------------------------------------------ */
/* Every type: X (struct tag, field table).                              */
#define OCI_ALL_TYPES(X)                                                                                     \
  X (oci_config, OCI_CONFIG_FIELDS)                                                                          \
  X (oci_root, OCI_ROOT_FIELDS)                                                                              \
  X (oci_mount, OCI_MOUNT_FIELDS)                                                                            \
  X (oci_id_mapping, OCI_ID_MAPPING_FIELDS)                                                                  \
  X (oci_process, OCI_PROCESS_FIELDS)                                                                        \
  X (oci_console_size, OCI_CONSOLE_SIZE_FIELDS)                                                              \
  X (oci_user, OCI_USER_FIELDS)                                                                              \
  X (oci_capabilities, OCI_CAPABILITIES_FIELDS)                                                              \
  X (oci_rlimit, OCI_RLIMIT_FIELDS)                                                                          \
  X (oci_scheduler, OCI_SCHEDULER_FIELDS)                                                                    \
  X (oci_io_priority, OCI_IO_PRIORITY_FIELDS)                                                                \
  X (oci_cpu_affinity, OCI_CPU_AFFINITY_FIELDS)                                                              \
  X (oci_hooks, OCI_HOOKS_FIELDS)                                                                            \
  X (oci_hook, OCI_HOOK_FIELDS)                                                                              \
  X (oci_linux, OCI_LINUX_FIELDS)                                                                            \
  X (oci_namespace, OCI_NAMESPACE_FIELDS)                                                                    \
  X (oci_linux_time_offset, OCI_LINUX_TIME_OFFSET_FIELDS)                                                    \
  X (oci_linux_device, OCI_LINUX_DEVICE_FIELDS)                                                              \
  X (oci_linux_net_device, OCI_LINUX_NET_DEVICE_FIELDS)                                                      \
  X (oci_linux_resources, OCI_LINUX_RESOURCES_FIELDS)                                                        \
  X (oci_linux_device_cgroup, OCI_LINUX_DEVICE_CGROUP_FIELDS)                                                \
  X (oci_linux_memory, OCI_LINUX_MEMORY_FIELDS)                                                              \
  X (oci_linux_cpu, OCI_LINUX_CPU_FIELDS)                                                                    \
  X (oci_linux_pids, OCI_LINUX_PIDS_FIELDS)                                                                  \
  X (oci_linux_block_io, OCI_LINUX_BLOCK_IO_FIELDS)                                                          \
  X (oci_linux_weight_device, OCI_LINUX_WEIGHT_DEVICE_FIELDS)                                                \
  X (oci_linux_throttle_device, OCI_LINUX_THROTTLE_DEVICE_FIELDS)                                            \
  X (oci_linux_hugepage_limit, OCI_LINUX_HUGEPAGE_LIMIT_FIELDS)                                              \
  X (oci_linux_network, OCI_LINUX_NETWORK_FIELDS)                                                            \
  X (oci_linux_interface_priority, OCI_LINUX_INTERFACE_PRIORITY_FIELDS)                                      \
  X (oci_linux_rdma, OCI_LINUX_RDMA_FIELDS)                                                                  \
  X (oci_seccomp, OCI_SECCOMP_FIELDS)                                                                        \
  X (oci_seccomp_syscall, OCI_SECCOMP_SYSCALL_FIELDS)                                                        \
  X (oci_seccomp_arg, OCI_SECCOMP_ARG_FIELDS)                                                                \
  X (oci_linux_intel_rdt, OCI_LINUX_INTEL_RDT_FIELDS)                                                        \
  X (oci_linux_memory_policy, OCI_LINUX_MEMORY_POLICY_FIELDS)                                                \
  X (oci_linux_personality, OCI_LINUX_PERSONALITY_FIELDS)                                                    \
  X (oci_state, OCI_STATE_FIELDS)                                                                            \
  X (oci_container_process_state, OCI_CONTAINER_PROCESS_STATE_FIELDS)                                        \
  X (oci_features, OCI_FEATURES_FIELDS)                                                                      \
  X (oci_features_linux, OCI_FEATURES_LINUX_FIELDS)                                                          \
  X (oci_features_cgroup, OCI_FEATURES_CGROUP_FIELDS)                                                        \
  X (oci_features_seccomp, OCI_FEATURES_SECCOMP_FIELDS)                                                      \
  X (oci_features_enabled, OCI_FEATURES_ENABLED_FIELDS)                                                      \
  X (oci_features_intel_rdt, OCI_FEATURES_INTEL_RDT_FIELDS)                                                  \
  X (oci_features_memory_policy, OCI_FEATURES_MEMORY_POLICY_FIELDS)                                          \
  X (oci_features_mount_extensions, OCI_FEATURES_MOUNT_EXTENSIONS_FIELDS)                                    \
  X (oci_image_descriptor, OCI_IMAGE_DESCRIPTOR_FIELDS)                                                      \
  X (oci_image_platform, OCI_IMAGE_PLATFORM_FIELDS)                                                          \
  X (oci_image_index, OCI_IMAGE_INDEX_FIELDS)                                                                \
  X (oci_image_manifest, OCI_IMAGE_MANIFEST_FIELDS)                                                          \
  X (oci_image_config, OCI_IMAGE_CONFIG_FIELDS)                                                              \
  X (oci_image_exec_config, OCI_IMAGE_EXEC_CONFIG_FIELDS)                                                    \
  X (oci_image_healthcheck, OCI_IMAGE_HEALTHCHECK_FIELDS)                                                    \
  X (oci_image_rootfs, OCI_IMAGE_ROOTFS_FIELDS)                                                              \
  X (oci_image_history, OCI_IMAGE_HISTORY_FIELDS)                                                            \
  X (oci_image_layout, OCI_IMAGE_LAYOUT_FIELDS)                                                              \
  X (oci_empty, OCI_EMPTY_FIELDS)

/* Types that appear as values of a JSON object used as a map (OBJMAP).  */
#define OCI_MAP_TYPES(X)                                                                                     \
  X (oci_linux_net_device)                                                                                   \
  X (oci_linux_time_offset)                                                                                  \
  X (oci_linux_rdma)                                                                                         \
  X (oci_empty)

/* Top-level documents: X (short name, struct tag).  Each gets
 * oci_<name>_{new,parse_file,parse_data,generate,validate,free}.  */
#define OCI_DOCUMENTS(X)                                                                                     \
  X (config, oci_config)                                                                                     \
  X (state, oci_state)                                                                                       \
  X (container_process_state, oci_container_process_state)                                                   \
  X (features, oci_features)                                                                                 \
  X (image_index, oci_image_index)                                                                           \
  X (image_manifest, oci_image_manifest)                                                                     \
  X (image_config, oci_image_config)                                                                         \
  X (image_descriptor, oci_image_descriptor)                                                                 \
  X (image_layout, oci_image_layout)

#endif
