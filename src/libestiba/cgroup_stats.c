/* Statistics in runc's schema: see cgroup_stats.h.  */
#include <config.h>
#include "cgroup_stats.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "cgroup_files.h"
#include "cleanup.h"

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_num (yajl_gen g, const char *key, unsigned long long v)
{
  gen_str (g, key);
  yajl_gen_integer (g, (long long) v);
}

static unsigned long long
read_u64 (char *const *dirs, const char *name)
{
  long long v = 0;
  if (cgroup_file_read_i64 (dirs, name, &v) < 0 || v < 0)
    return 0;
  return (unsigned long long) v;
}

/* The value of "key N" in a flat-keyed file (cpu.stat, memory.stat...).  */
static unsigned long long
keyed_u64 (char *const *dirs, const char *name, const char *key)
{
  cleanup_free char *s = cgroup_file_read (dirs, name);
  size_t klen = strlen (key);
  char *line, *save = NULL;

  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, key, klen) == 0 && line[klen] == ' ')
      return strtoull (line + klen + 1, NULL, 10);
  return 0;
}

static void
gen_u64_list (yajl_gen g, const char *key, char *const *dirs, const char *name)
{
  cleanup_free char *s = cgroup_file_read (dirs, name);
  char *tok, *save = NULL;

  gen_str (g, key);
  yajl_gen_array_open (g);
  for (tok = s ? strtok_r (s, " \n", &save) : NULL; tok; tok = strtok_r (NULL, " \n", &save))
    yajl_gen_integer (g, (long long) strtoull (tok, NULL, 10));
  yajl_gen_array_close (g);
}

static void
gen_cpu (yajl_gen g, char *const *dirs)
{
  bool v1 = cgroup_file_exists (dirs, "cpuacct.usage");

  gen_str (g, "cpu");
  yajl_gen_map_open (g);
  gen_str (g, "usage");
  yajl_gen_map_open (g);
  if (v1)
    {
      gen_num (g, "total", read_u64 (dirs, "cpuacct.usage"));
      gen_u64_list (g, "percpu", dirs, "cpuacct.usage_percpu");
      gen_u64_list (g, "percpu_kernel", dirs, "cpuacct.usage_percpu_sys");
      gen_u64_list (g, "percpu_user", dirs, "cpuacct.usage_percpu_user");
      gen_num (g, "kernel", read_u64 (dirs, "cpuacct.usage_sys"));
      gen_num (g, "user", read_u64 (dirs, "cpuacct.usage_user"));
    }
  else
    {
      /* cgroup2 counts microseconds; runc reports nanoseconds.  */
      gen_num (g, "total", keyed_u64 (dirs, "cpu.stat", "usage_usec") * 1000);
      gen_num (g, "kernel", keyed_u64 (dirs, "cpu.stat", "system_usec") * 1000);
      gen_num (g, "user", keyed_u64 (dirs, "cpu.stat", "user_usec") * 1000);
    }
  yajl_gen_map_close (g);
  gen_str (g, "throttling");
  yajl_gen_map_open (g);
  gen_num (g, "periods", keyed_u64 (dirs, "cpu.stat", "nr_periods"));
  gen_num (g, "throttled_periods", keyed_u64 (dirs, "cpu.stat", "nr_throttled"));
  gen_num (g, "throttled_time",
           cgroup_file_exists (dirs, "cpu.cfs_quota_us")
             ? keyed_u64 (dirs, "cpu.stat", "throttled_time")
             : keyed_u64 (dirs, "cpu.stat", "throttled_usec") * 1000);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

/* runc's MemoryData: usage, max usage, failcnt and limit of one counter.  */
static void
gen_memory_data (yajl_gen g, const char *key, char *const *dirs, const char *prefix, bool v1)
{
  char name[128];
  long long limit = 0;

  gen_str (g, key);
  yajl_gen_map_open (g);
  if (v1)
    {
      snprintf (name, sizeof name, "%susage_in_bytes", prefix);
      gen_num (g, "usage", read_u64 (dirs, name));
      snprintf (name, sizeof name, "%smax_usage_in_bytes", prefix);
      gen_num (g, "max_usage", read_u64 (dirs, name));
      snprintf (name, sizeof name, "%sfailcnt", prefix);
      gen_num (g, "failcnt", read_u64 (dirs, name));
      snprintf (name, sizeof name, "%slimit_in_bytes", prefix);
      cgroup_file_read_i64 (dirs, name, &limit);
    }
  else
    {
      snprintf (name, sizeof name, "%scurrent", prefix);
      gen_num (g, "usage", read_u64 (dirs, name));
      snprintf (name, sizeof name, "%speak", prefix);
      gen_num (g, "max_usage", read_u64 (dirs, name));
      snprintf (name, sizeof name, "%sevents", prefix);
      gen_num (g, "failcnt", keyed_u64 (dirs, name, "max"));
      snprintf (name, sizeof name, "%smax", prefix);
      if (cgroup_file_read_i64 (dirs, name, &limit) == 0 && limit < 0)
        limit = (long long) (~0ULL >> 1); /* "max" */
    }
  gen_num (g, "limit", limit < 0 ? 0 : (unsigned long long) limit);
  yajl_gen_map_close (g);
}

static void
gen_memory (yajl_gen g, char *const *dirs)
{
  bool v1 = cgroup_file_exists (dirs, "memory.usage_in_bytes");
  cleanup_free char *stat = cgroup_file_read (dirs, "memory.stat");
  char *line, *save = NULL;

  if (!v1 && !cgroup_file_exists (dirs, "memory.current"))
    return;
  gen_str (g, "memory");
  yajl_gen_map_open (g);
  gen_num (g, "cache", keyed_u64 (dirs, "memory.stat", v1 ? "cache" : "file"));
  gen_memory_data (g, "usage", dirs, "memory.", v1);
  gen_memory_data (g, "swap", dirs, v1 ? "memory.memsw." : "memory.swap.", v1);
  if (v1)
    {
      gen_memory_data (g, "kernel", dirs, "memory.kmem.", v1);
      gen_memory_data (g, "kernelTCP", dirs, "memory.kmem.tcp.", v1);
    }
  gen_str (g, "raw");
  yajl_gen_map_open (g);
  for (line = stat ? strtok_r (stat, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      gen_num (g, line, strtoull (sp + 1, NULL, 10));
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static void
gen_pids (yajl_gen g, char *const *dirs)
{
  if (!cgroup_file_exists (dirs, "pids.current"))
    return;
  gen_str (g, "pids");
  yajl_gen_map_open (g);
  gen_num (g, "current", read_u64 (dirs, "pids.current"));
  gen_num (g, "limit", read_u64 (dirs, "pids.max")); /* "max" reads as 0, as runc prints it */
  yajl_gen_map_close (g);
}

/* v1 blkio "MAJ:MIN Op value" lines as runc's BlkioStatEntry list.  */
static void
gen_blkio_list (yajl_gen g, const char *key, char *const *dirs, const char *name)
{
  cleanup_free char *s = cgroup_file_read (dirs, name);
  char *line, *save = NULL;

  gen_str (g, key);
  yajl_gen_array_open (g);
  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned major, minor;
      unsigned long long value;
      char op[32];
      if (sscanf (line, "%u:%u %31s %llu", &major, &minor, op, &value) != 4)
        continue;
      yajl_gen_map_open (g);
      gen_num (g, "major", major);
      gen_num (g, "minor", minor);
      gen_str (g, "op");
      gen_str (g, op);
      gen_num (g, "value", value);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

static void
gen_blkio (yajl_gen g, char *const *dirs)
{
  gen_str (g, "blkio");
  yajl_gen_map_open (g);
  gen_blkio_list (g, "io_service_bytes_recursive", dirs, "blkio.throttle.io_service_bytes_recursive");
  gen_blkio_list (g, "io_serviced_recursive", dirs, "blkio.throttle.io_serviced_recursive");
  yajl_gen_map_close (g);
}

/* The huge page sizes the kernel has, as cgroup file names spell them
 * ("hugepages-2048kB" -> "2MB").  */
static void
gen_hugetlb (yajl_gen g, char *const *dirs)
{
  cleanup_closedir DIR *d = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *e;

  gen_str (g, "hugetlb");
  yajl_gen_map_open (g);
  while (d && (e = readdir (d)))
    {
      unsigned long kb;
      char size[32], name[96];
      bool v1;

      if (sscanf (e->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      if (kb >= 1024 * 1024)
        snprintf (size, sizeof size, "%luGB", kb / (1024 * 1024));
      else if (kb >= 1024)
        snprintf (size, sizeof size, "%luMB", kb / 1024);
      else
        snprintf (size, sizeof size, "%luKB", kb);
      snprintf (name, sizeof name, "hugetlb.%s.usage_in_bytes", size);
      v1 = cgroup_file_exists (dirs, name);
      gen_str (g, size);
      yajl_gen_map_open (g);
      if (v1)
        {
          gen_num (g, "usage", read_u64 (dirs, name));
          snprintf (name, sizeof name, "hugetlb.%s.max_usage_in_bytes", size);
          gen_num (g, "max_usage", read_u64 (dirs, name));
          snprintf (name, sizeof name, "hugetlb.%s.failcnt", size);
          gen_num (g, "failcnt", read_u64 (dirs, name));
        }
      else
        {
          snprintf (name, sizeof name, "hugetlb.%s.current", size);
          gen_num (g, "usage", read_u64 (dirs, name));
          snprintf (name, sizeof name, "hugetlb.%s.events", size);
          gen_num (g, "failcnt", keyed_u64 (dirs, name, "max"));
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

int
cgroup_stats_event (char *const *dirs, const char *id, char **json, estiba_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;

  if (g == NULL)
    return estiba_error (err, ENOMEM, "yajl_gen_alloc");
  yajl_gen_map_open (g);
  gen_str (g, "type");
  gen_str (g, "stats");
  gen_str (g, "id");
  gen_str (g, id);
  gen_str (g, "data");
  yajl_gen_map_open (g);
  gen_cpu (g, dirs);
  gen_memory (g, dirs);
  gen_pids (g, dirs);
  gen_blkio (g, dirs);
  gen_hugetlb (g, dirs);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  *json = strndup ((const char *) buf, len);
  yajl_gen_free (g);
  if (*json == NULL)
    return estiba_error_errno (err, "strndup");
  return 0;
}

long long
cgroup_oom_kills (char *const *dirs)
{
  const char *file = cgroup_file_exists (dirs, "memory.oom_control") ? "memory.oom_control" : "memory.events";

  if (!cgroup_file_exists (dirs, file))
    return -1;
  return (long long) keyed_u64 (dirs, file, "oom_kill");
}
