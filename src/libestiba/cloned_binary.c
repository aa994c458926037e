#include <config.h>
#include "cloned_binary.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/prctl.h>
#include <unistd.h>

extern char **environ;

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

bool
cloned_binary_is_sealed (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);

  return seals >= 0 && (seals & CLONED_BINARY_SEALS) == CLONED_BINARY_SEALS;
}

/* ---- a sealed memfd copy ---- */

static int
create_memfd (estiba_error_t *err)
{
  /* MFD_EXEC states the intent on kernels with vm.memfd_noexec (6.3+);
   * older kernels reject the unknown flag.  */
  int fd = memfd_create ("estiba", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("estiba", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return estiba_error_errno (err, "memfd_create for the estiba binary copy");
  return fd;
}

static int
copy_contents (int from, int to, estiba_error_t *err)
{
  struct stat st;
  off_t done = 0;

  if (fstat (from, &st) < 0)
    return estiba_error_errno (err, "stat /proc/self/exe");
  if (ftruncate (to, st.st_size) < 0)
    return estiba_error_errno (err, "size the estiba binary copy");
  while (done < st.st_size)
    {
      ssize_t n = sendfile (to, from, &done, (size_t) (st.st_size - done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return estiba_error_errno (err, "copy /proc/self/exe");
      if (n == 0)
        return estiba_error (err, EIO, "copy /proc/self/exe: file shrank while copying");
    }
  return 0;
}

int
cloned_binary_make_copy (int fd, estiba_error_t *err)
{
  cleanup_close int copy = create_memfd (err);

  if (copy < 0)
    return -1;
  if (copy_contents (fd, copy, err) < 0)
    return -1;
  if (fcntl (copy, F_ADD_SEALS, CLONED_BINARY_SEALS) < 0)
    return estiba_error_errno (err, "seal the estiba binary copy");
  return steal_fd (&copy);
}

/* ---- no re-exec: move this very process onto the copy ----
 *
 * A re-exec costs a whole execve plus a second dynamic-link pass (about
 * 6 ms of CPU per start on the benchmark machine, docs/performance.md).
 * The same protection is had without it: what a container can reach of
 * the runtime is the mm's exe_file (/proc/PID/exe, and the
 * "/proc/self/exe" an execve resolves) and the file mappings
 * (/proc/PID/map_files).  So every mapping of the binary is replaced, at
 * the same address, by the same bytes: code and read-only data are mapped
 * again from the sealed copy, data and RELRO (which the dynamic loader
 * wrote) become anonymous copies of themselves.  Then exe_file is pointed
 * at the sealed copy with PR_SET_MM_MAP, which the kernel allows only once
 * the old file is no longer mapped.  Each replacement is a single mmap or
 * mremap, so the code that calls it finds the same bytes when the call
 * returns.  Afterwards nothing of this process refers to the file on disk
 * (which can then be replaced without disturbing us, as after a re-exec).
 * Any failure (no CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, an unexpected
 * layout) leaves the caller to re-exec instead.  */

struct exe_region
{
  uintptr_t start, end;
  off_t offset;
  int prot;
};

#define MAX_EXE_REGIONS 16

/* The mappings of the file (dev, ino) in /proc/self/maps.  */
static ssize_t
find_exe_regions (dev_t dev, ino_t ino, struct exe_region *regions)
{
  cleanup_fclose FILE *maps = fopen ("/proc/self/maps", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0, n = 0;

  if (maps == NULL)
    return -1;
  while (getline (&line, &cap, maps) > 0)
    {
      unsigned long start, end, offset, inode;
      unsigned int major, minor;
      char perms[5];

      if (sscanf (line, "%lx-%lx %4s %lx %x:%x %lu", &start, &end, perms, &offset, &major, &minor, &inode)
            != 7
          || inode != ino || makedev (major, minor) != dev)
        continue;
      if (n == MAX_EXE_REGIONS)
        return -1;
      regions[n].start = start;
      regions[n].end = end;
      regions[n].offset = (off_t) offset;
      regions[n].prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0)
                        | (perms[2] == 'x' ? PROT_EXEC : 0);
      n++;
    }
  return (ssize_t) n;
}

struct relro
{
  uintptr_t start, end;
};

/* The main program's PT_GNU_RELRO range: read-only now, but written by the
 * dynamic loader, so it differs from the file.  */
static int
find_relro (struct dl_phdr_info *info, size_t size, void *data)
{
  struct relro *relro = data;
  int i;

  (void) size;
  for (i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO)
      {
        relro->start = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
        relro->end = relro->start + info->dlpi_phdr[i].p_memsz;
      }
  return 1; /* the first entry is the main program: stop.  */
}

static int
copy_own_memory (void *to, uintptr_t from, size_t len)
{
  struct iovec local = { to, len };
  struct iovec remote = { (void *) from, len };

  return process_vm_readv (getpid (), &local, 1, &remote, 1, 0) == (ssize_t) len ? 0 : -1;
}

/* Replace one mapping by an anonymous copy of its current contents, in
 * one mremap.  */
static int
replace_by_copy (const struct exe_region *r)
{
  size_t len = r->end - r->start;
  void *copy = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

  if (copy == MAP_FAILED)
    return -1;
  /* Copied by the kernel: a memcpy would read across the redzones a
   * sanitizer build puts between globals.  */
  if ((r->prot & PROT_READ) && copy_own_memory (copy, r->start, len) < 0)
    {
      munmap (copy, len);
      return -1;
    }
  if (mprotect (copy, len, r->prot) < 0
      || mremap (copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *) r->start) == MAP_FAILED)
    {
      munmap (copy, len);
      return -1;
    }
  return 0;
}

/* Replace one never-written mapping by the same range of the sealed copy
 * (no copying: its pages are faulted in from the copy when used).  */
static int
replace_by_file (const struct exe_region *r, int fd)
{
  void *p = mmap ((void *) r->start, r->end - r->start, r->prot, MAP_PRIVATE | MAP_FIXED, fd, r->offset);

  return p == MAP_FAILED ? -1 : 0;
}

/* Fields 26-28 and 45-51 of /proc/self/stat: the layout PR_SET_MM_MAP
 * wants restated unchanged.  */
static int
read_mm_layout (struct prctl_mm_map *map)
{
  char buf[1024];
  cleanup_close int fd = open ("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, sizeof buf - 1);
  unsigned long long v[52] = { 0 };
  char *p;
  int field;

  if (n <= 0)
    return -1;
  buf[n] = '\0';
  p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return -1;
  p += 2;
  /* p is at field 3 (state), a letter.  */
  p = strchr (p, ' ');
  for (field = 4; field <= 51 && p; field++)
    {
      char *end;
      v[field] = strtoull (p, &end, 10);
      if (end == p)
        return -1;
      p = end;
    }
  if (field != 52)
    return -1;
  map->start_code = v[26];
  map->end_code = v[27];
  map->start_stack = v[28];
  map->start_data = v[45];
  map->end_data = v[46];
  map->start_brk = v[47];
  map->arg_start = v[48];
  map->arg_end = v[49];
  map->env_start = v[50];
  map->env_end = v[51];
  map->brk = (uint64_t) syscall (SYS_brk, 0);
  return 0;
}

static int
set_exe_file (int fd)
{
  struct prctl_mm_map map;
  unsigned int size = 0;

  memset (&map, 0, sizeof map);
  if (prctl (PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0) < 0 || size != sizeof map
      || read_mm_layout (&map) < 0)
    return -1;
  map.exe_fd = (uint32_t) fd;
  return prctl (PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0);
}

int
cloned_binary_rehome (int self, int protected_fd)
{
  struct exe_region regions[MAX_EXE_REGIONS];
  struct relro relro = { 0, 0 };
  struct stat st;
  ssize_t n, i;

  if (fstat (self, &st) < 0)
    return -1;
  n = find_exe_regions (st.st_dev, st.st_ino, regions);
  if (n <= 0)
    return -1;
  dl_iterate_phdr (find_relro, &relro);
  for (i = 0; i < n; i++)
    {
      const struct exe_region *r = &regions[i];
      bool written = (r->prot & PROT_WRITE) || (r->start < relro.end && relro.start < r->end);

      if ((written ? replace_by_copy (r) : replace_by_file (r, protected_fd)) < 0)
        return -1;
    }
  return set_exe_file (protected_fd);
}

/* envp plus the marker, for the re-exec.  */
static char **
env_with_marker (char **envp)
{
  size_t n = 0;
  char **env;

  while (envp[n])
    n++;
  env = malloc ((n + 2) * sizeof (char *));
  if (env == NULL)
    return NULL;
  memcpy (env, envp, n * sizeof (char *));
  env[n] = (char *) CLONED_BINARY_ENV "=1";
  env[n + 1] = NULL;
  return env;
}

int
cloned_binary_ensure (int argc, char **argv, char **envp, estiba_error_t *err)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int copy = -1;
  cleanup_free char **env = NULL;

  (void) argc;
  if (envp == NULL)
    envp = environ;
  if (self < 0)
    return estiba_error_errno (err, "open /proc/self/exe");
  if (cloned_binary_is_sealed (self))
    {
      unsetenv (CLONED_BINARY_ENV);
      return 0;
    }
  /* We were re-executed from a sealed copy and yet are not running from
   * one: stop rather than loop.  */
  if (getenv (CLONED_BINARY_ENV))
    return estiba_error (err, 0, "re-executing from a sealed copy of the estiba binary did not take effect");
  copy = cloned_binary_make_copy (self, err);
  if (copy < 0)
    return -1;
  /* In place if the kernel lets us, else by a re-exec.  */
  if (cloned_binary_rehome (self, copy) == 0)
    return 0;
  env = env_with_marker (envp);
  if (env == NULL)
    return estiba_error_errno (err, "allocate the environment for the re-exec");
  syscall (SYS_execveat, copy, "", argv, env, AT_EMPTY_PATH);
  return estiba_error_errno (err, "re-execute from the sealed copy of the estiba binary");
}
