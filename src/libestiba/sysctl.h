/* linux.sysctl (config-linux.md "Sysctl").
 *
 * Only namespaced sysctls may be set, and only in a namespace the
 * container has of its own, so a container cannot change the host's
 * kernel settings (runc's rules): net.* needs a new network namespace,
 * kernel.msg*, kernel.sem, kernel.shm* and fs.mqueue.* an IPC namespace,
 * kernel.domainname a UTS namespace (kernel.hostname conflicts with the
 * hostname field and is refused).  Keys use dots ("net.ipv4.ip_forward")
 * or slashes ("net/ipv4/conf/eth0.100/forwarding").  */
#ifndef ESTIBA_SYSCTL_H
#define ESTIBA_SYSCTL_H

#include "error.h"
#include "ocispec.h"

/* Check every key against the namespaces of linux.namespaces.  For a
 * namespace joined by path, check also that the path is not the host's
 * (the runtime's own) namespace: call this in the runtime before
 * creating the container.  */
int sysctl_validate (const struct oci_linux *l, estiba_error_t *err);

/* In the container init, once in its namespaces and with the container's
 * /proc mounted: check the keys (namespace presence only) and write each
 * value to /proc/sys.  */
int apply_sysctl (const struct oci_linux *l, estiba_error_t *err);

#endif
