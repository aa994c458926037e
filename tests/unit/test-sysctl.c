/* TAP tests for sysctl.c: values written in fresh namespaces of a forked
 * child, and the namespace rules.  */
#include <config.h>
#include "sysctl.h"
#include "cleanup.h"
#include "leaf-tap.h"

#include <sched.h>
#include <string.h>

static struct oci_namespace all_ns[] = {
  { .type = (char *) "network" },
  { .type = (char *) "ipc" },
  { .type = (char *) "uts" },
  { .type = (char *) "mount" },
};

static char *sysctl_keys[] = { (char *) "net.ipv4.ip_forward", (char *) "kernel.shmmax",
                               (char *) "kernel.domainname", (char *) "fs.mqueue.msg_max",
                               (char *) "net/ipv4/conf/lo/forwarding" };
static char *sysctl_values[] = { (char *) "1", (char *) "123456789", (char *) "leaf.example", (char *) "20",
                                 (char *) "1" };
static const char *sysctl_files[] = { "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmax",
                                      "/proc/sys/kernel/domainname", "/proc/sys/fs/mqueue/msg_max",
                                      "/proc/sys/net/ipv4/conf/lo/forwarding" };

static const char *
read_value (const char *path)
{
  static char buf[256];
  FILE *f = fopen (path, "r");

  buf[0] = '\0';
  if (f)
    {
      if (fgets (buf, sizeof (buf), f))
        buf[strcspn (buf, "\n")] = '\0';
      fclose (f);
    }
  return buf;
}

static int
apply_child (void *arg)
{
  struct oci_linux *l = arg;
  estiba_error_t err = NULL;
  size_t i;

  if (unshare (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
    return 2;
  if (apply_sysctl (l, &err) < 0)
    return child_fail (&err, "apply_sysctl");
  for (i = 0; i < l->sysctl->len; i++)
    if (strcmp (read_value (sysctl_files[i]), l->sysctl->values[i]) != 0)
      {
        printf ("# %s = %s\n", sysctl_files[i], read_value (sysctl_files[i]));
        return 3;
      }
  return 0;
}

/* A config of one sysctl.  */
static struct oci_linux
one (struct oci_string_map *map, const char *key, size_t n_ns)
{
  static char *keys[1], *values[1] = { (char *) "1" };
  struct oci_linux l = { .sysctl = map, .namespaces = all_ns, .namespaces_len = n_ns };

  keys[0] = (char *) key;
  map->keys = keys;
  map->values = values;
  map->len = 1;
  return l;
}

int
main (void)
{
  estiba_error_t err = NULL;
  struct oci_string_map map = { .keys = sysctl_keys, .values = sysctl_values, .len = 5 };
  struct oci_linux l = { .sysctl = &map, .namespaces = all_ns, .namespaces_len = 4 };
  char host_domain[256];
  int ret;

  snprintf (host_domain, sizeof (host_domain), "%s", read_value ("/proc/sys/kernel/domainname"));
  ret = sysctl_validate (&l, &err);
  ok_call (ret, &err, "net.*, kernel.shmmax, kernel.domainname, fs.mqueue.* with their namespaces are valid");
  ok (in_child (apply_child, &l) == 0, "they are written in the container's namespaces and read back");
  ok (strcmp (read_value ("/proc/sys/kernel/domainname"), host_domain) == 0,
      "the host's domainname is unchanged");

  l = one (&map, "net.ipv4.ip_forward", 0);
  ret = sysctl_validate (&l, &err);
  ok_fails_with (ret, &err,
                 "linux.sysctl \"net.ipv4.ip_forward\": not allowed in the host's network namespace",
                 "net.* without a network namespace");
  l = one (&map, "kernel.msgmax", 1);
  ret = apply_sysctl (&l, &err);
  ok_fails_with (ret, &err, "\"kernel.msgmax\": not allowed in the host's ipc namespace",
                 "kernel.msgmax without ipc");
  l = one (&map, "fs.mqueue.queues_max", 1);
  ret = apply_sysctl (&l, &err);
  ok_fails_with (ret, &err, "\"fs.mqueue.queues_max\": not allowed in the host's ipc namespace",
                 "fs.mqueue.* without ipc");
  l = one (&map, "kernel.domainname", 2);
  ret = apply_sysctl (&l, &err);
  ok_fails_with (ret, &err, "not allowed in the host's uts namespace", "kernel.domainname without uts");
  l = one (&map, "kernel.hostname", 4);
  ret = sysctl_validate (&l, &err);
  ok_fails_with (ret, &err, "\"kernel.hostname\": not allowed, it conflicts with the hostname field",
                 "kernel.hostname is refused");
  l = one (&map, "vm.swappiness", 4);
  ret = sysctl_validate (&l, &err);
  ok_fails_with (ret, &err, "\"vm.swappiness\": not in a separate kernel namespace",
                 "a host-wide sysctl is refused");
  l = one (&map, "net/../kernel/core_pattern", 4);
  ret = sysctl_validate (&l, &err);
  ok_fails_with (ret, &err, "not a valid sysctl name", "a key escaping with .. is refused");
  l = one (&map, "net..ipv4", 4);
  ret = sysctl_validate (&l, &err);
  ok_fails_with (ret, &err, "not a valid sysctl name", "an empty component is refused");

  all_ns[0].path = (char *) "/proc/self/ns/net";
  l = one (&map, "net.ipv4.ip_forward", 1);
  ret = sysctl_validate (&l, &err);
  ok_fails_with (ret, &err, "not allowed in the host's network namespace",
                 "a network namespace joined by path that is the host's is refused");
  all_ns[0].path = NULL;
  l = one (&map, "net.ipv4.no_such_thing", 1);
  ret = apply_sysctl (&l, &err);
  ok_fails_with (ret, &err, "linux.sysctl \"net.ipv4.no_such_thing\": open /proc/sys/net/ipv4/no_such_thing",
                 "a sysctl the kernel does not have names the file");
  return tap_done ();
}
