/* The v1 <-> v2 cgroup value conversions (cgroup_convert.c) and the unified
 * keys converted for v1 controllers (cgroup_resources.c): shares -> weight
 * is checked for every shares value against the crun/runc formula computed
 * with libm, the inverse and the blkio/io weights at their edges, and the
 * conversions through cgroup_apply_resources on plain directories laid out
 * like a v1 and a v2 cgroup (regular files stand for the control files).  */
#include <config.h>

#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cgroup_convert.h"
#include "cgroup_resources.h"
#include "cleanup.h"
#include "leaf-tap.h"
#include "ocispec.h"

/* crun's and runc's curve: ceil(10^((l^2 + 125 l) / 612 - 7/34)),
 * l = log2(shares), with slack so that the exact 100 for 1024 (computed as
 * 100.000...01) stays 100.  */
static uint64_t
reference_weight (uint64_t shares)
{
  long double l = log2l ((long double) shares);
  long double w = powl (10.0L, (l * l + 125 * l) / 612 - 7.0L / 34);
  return (uint64_t) ceill (w - 1e-9L);
}

static void
test_shares_to_weight (void)
{
  uint64_t s, first_bad = 0, got_bad = 0, bad = 0, prev = 0, not_monotonic = 0;

  ok (cgroup_shares_to_weight (0) == 0, "shares 0 (unset) stays 0");
  ok (cgroup_shares_to_weight (1) == 1, "shares 1 (below the minimum 2) gives weight 1");
  ok (cgroup_shares_to_weight (2) == 1, "shares 2 (minimum) gives weight 1");
  ok (cgroup_shares_to_weight (1024) == 100, "shares 1024 (default) gives weight 100 (default), got %llu",
      (unsigned long long) cgroup_shares_to_weight (1024));
  ok (cgroup_shares_to_weight (262144) == 10000, "shares 262144 (maximum) gives weight 10000");
  ok (cgroup_shares_to_weight (262145) == 10000, "shares above the maximum give weight 10000");
  ok (cgroup_shares_to_weight (UINT64_MAX) == 10000, "shares UINT64_MAX gives weight 10000");
  for (s = 2; s <= 262144; s++)
    {
      uint64_t w = cgroup_shares_to_weight (s);
      if (w != reference_weight (s) && bad++ == 0)
        {
          first_bad = s;
          got_bad = w;
        }
      if (w < prev)
        not_monotonic++;
      prev = w;
    }
  if (!ok (bad == 0, "every shares value in [2, 262144] matches the libm reference"))
    printf ("# %llu mismatches, first shares %llu: got %llu, expected %llu\n", (unsigned long long) bad,
            (unsigned long long) first_bad, (unsigned long long) got_bad,
            (unsigned long long) reference_weight (first_bad));
  ok (not_monotonic == 0, "weight never decreases as shares grow");
}

static void
test_weight_to_shares (void)
{
  uint64_t w, bad = 0, first_bad = 0;

  ok (cgroup_weight_to_shares (0) == 0, "weight 0 (unset) stays 0");
  ok (cgroup_weight_to_shares (1) == 2, "weight 1 (minimum) gives shares 2");
  ok (cgroup_weight_to_shares (100) == 1024, "weight 100 (default) gives shares 1024, got %llu",
      (unsigned long long) cgroup_weight_to_shares (100));
  ok (cgroup_weight_to_shares (10000) == 262144, "weight 10000 (maximum) gives shares 262144");
  ok (cgroup_weight_to_shares (20000) == 262144, "weight above the maximum gives shares 262144");
  /* Writing the shares back as a weight (what a v2 reader of the same
   * setting would see) must give the weight asked for.  */
  for (w = 1; w <= 10000; w++)
    {
      uint64_t s = cgroup_weight_to_shares (w);
      if ((s < 2 || s > 262144 || cgroup_shares_to_weight (s) != w) && bad++ == 0)
        first_bad = w;
    }
  if (!ok (bad == 0, "every weight in [1, 10000] converts to shares that convert back to it"))
    printf ("# %llu mismatches, first weight %llu -> shares %llu -> weight %llu\n", (unsigned long long) bad,
            (unsigned long long) first_bad, (unsigned long long) cgroup_weight_to_shares (first_bad),
            (unsigned long long) cgroup_shares_to_weight (cgroup_weight_to_shares (first_bad)));
}

static void
test_blkio_weights (void)
{
  uint64_t b, prev = 0, bad = 0;

  /* runc: 1 + (blkio - 10) * 9999 / 990.  */
  ok (cgroup_blkio_to_io_weight (10) == 1, "blkio weight 10 (minimum) gives io.weight 1");
  ok (cgroup_blkio_to_io_weight (100) == 910, "blkio weight 100 gives io.weight 910");
  ok (cgroup_blkio_to_io_weight (500) == 4950, "blkio weight 500 gives io.weight 4950");
  ok (cgroup_blkio_to_io_weight (1000) == 10000, "blkio weight 1000 (maximum) gives io.weight 10000");
  ok (cgroup_blkio_to_io_weight (5) == 1, "blkio weight below the minimum gives io.weight 1");
  for (b = 10; b <= 1000; b++)
    {
      uint64_t w = cgroup_blkio_to_io_weight (b);
      if ((w < 1 || w > 10000 || w <= prev) && bad++ == 0)
        printf ("# blkio weight %llu gives io.weight %llu\n", (unsigned long long) b, (unsigned long long) w);
      prev = w;
    }
  ok (bad == 0, "blkio weights [10, 1000] map to strictly growing io.weights in [1, 10000]");

  ok (cgroup_io_to_blkio_weight (1) == 10, "io.weight 1 gives blkio weight 10");
  ok (cgroup_io_to_blkio_weight (10000) == 1000, "io.weight 10000 gives blkio weight 1000");
  ok (cgroup_io_to_blkio_weight (0) == 10, "io.weight 0 gives blkio weight 10");
  bad = 0;
  for (b = 10; b <= 1000; b++)
    {
      uint64_t back = cgroup_io_to_blkio_weight (cgroup_blkio_to_io_weight (b));
      if ((back + 1 < b || back > b) && bad++ == 0)
        printf ("# blkio %llu -> io %llu -> blkio %llu\n", (unsigned long long) b,
                (unsigned long long) cgroup_blkio_to_io_weight (b), (unsigned long long) back);
    }
  ok (bad == 0, "blkio -> io -> blkio loses at most 1 (integer division)");
}

/* ---- the conversions through cgroup_apply_resources ---- */

static char tmpdir[] = "/tmp/test-cgroup-convert.XXXXXX";

/* A fresh directory holding empty files with these names.  */
static char *
make_dir (const char *name, const char *const *files)
{
  char *dir = NULL;
  size_t i;

  if (asprintf (&dir, "%s/%s", tmpdir, name) < 0 || mkdir (dir, 0700) < 0)
    abort ();
  for (i = 0; files[i]; i++)
    {
      cleanup_free char *path = NULL;
      int fd;
      if (asprintf (&path, "%s/%s", dir, files[i]) < 0)
        abort ();
      fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0)
        abort ();
      close (fd);
    }
  return dir;
}

static char *
read_file (const char *dir, const char *name)
{
  cleanup_free char *path = NULL;
  char buf[256];
  ssize_t n;
  int fd;

  if (asprintf (&path, "%s/%s", dir, name) < 0)
    abort ();
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return strdup ("(missing)");
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  buf[n < 0 ? 0 : n] = '\0';
  return strdup (buf);
}

static void
remove_dir (char *dir)
{
  cleanup_free char *cmd = NULL;
  if (asprintf (&cmd, "rm -rf '%s'", dir) >= 0 && system (cmd) != 0)
    diag ("rm -rf failed");
  free (dir);
}

/* Apply the linux.resources JSON object to a directory with these files;
 * returns the directory (the caller removes it) or NULL when the apply
 * failed, with *msg holding the error.  */
static char *
apply (const char *name, const char *const *files, const char *resources, char **msg)
{
  static int counter;
  cleanup_free char *json = NULL, *parse_err = NULL, *dirname = NULL;
  struct oci_config *cfg;
  estiba_error_t err = NULL;
  char *dir, *dirs[2];
  int ret;

  *msg = NULL;
  if (asprintf (&dirname, "%s-%d", name, counter++) < 0)
    abort ();
  dir = make_dir (dirname, files);
  if (asprintf (&json, "{\"ociVersion\": \"1.3.0\", \"linux\": {\"resources\": %s}}", resources) < 0)
    abort ();
  cfg = oci_config_parse_data (json, strlen (json), "test", &parse_err);
  if (cfg == NULL)
    {
      printf ("# %s\n", parse_err);
      abort ();
    }
  dirs[0] = dir;
  dirs[1] = NULL;
  ret = cgroup_apply_resources (dirs, cfg->linux_->resources, NULL, false, &err);
  oci_config_free (cfg);
  if (ret < 0)
    {
      *msg = estiba_error_string (err);
      estiba_error_release (&err);
    }
  return dir;
}

static const char *const v1_cpu[] = { "cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", NULL };
static const char *const v1_blkio[] = { "blkio.weight", NULL };
static const char *const v1_memory[] = { "memory.limit_in_bytes", "memory.soft_limit_in_bytes", NULL };
static const char *const v2_files[] = { "cgroup.controllers", "cpu.weight", "cpu.max", "io.weight", NULL };

/* File `file` of the directory holds `expected` after applying resources.  */
static void
check_written (const char *const *files, const char *resources, const char *file, const char *expected)
{
  cleanup_free char *msg = NULL, *got = NULL;
  char *dir = apply ("ok", files, resources, &msg);

  got = read_file (dir, file);
  if (!ok (msg == NULL && strcmp (got, expected) == 0, "%s writes %s = %s", resources, file, expected))
    printf ("# error: %s; %s holds '%s'\n", msg ? msg : "none", file, got);
  remove_dir (dir);
}

/* Applying resources fails with an error containing needle.  */
static void
check_refused (const char *const *files, const char *resources, const char *needle)
{
  cleanup_free char *msg = NULL;
  char *dir = apply ("bad", files, resources, &msg);

  if (!ok (msg && strstr (msg, needle), "%s is refused naming \"%s\"", resources, needle))
    printf ("# error: %s\n", msg ? msg : "(success)");
  remove_dir (dir);
}

static void
test_unified_on_v1 (void)
{
  check_written (v1_cpu, "{\"unified\": {\"cpu.weight\": \"100\"}}", "cpu.shares", "1024");
  check_written (v1_cpu, "{\"unified\": {\"cpu.weight\": \"1\"}}", "cpu.shares", "2");
  check_written (v1_cpu, "{\"unified\": {\"cpu.weight\": \"10000\"}}", "cpu.shares", "262144");
  check_written (v1_cpu, "{\"unified\": {\"cpu.max\": \"50000 200000\"}}", "cpu.cfs_quota_us", "50000");
  check_written (v1_cpu, "{\"unified\": {\"cpu.max\": \"50000 200000\"}}", "cpu.cfs_period_us", "200000");
  check_written (v1_cpu, "{\"unified\": {\"cpu.max\": \"max\"}}", "cpu.cfs_quota_us", "-1");
  check_written (v1_blkio, "{\"unified\": {\"io.weight\": \"default 10000\"}}", "blkio.weight", "1000");
  check_written (v1_blkio, "{\"unified\": {\"io.weight\": \"1\"}}", "blkio.weight", "10");
  check_written (v1_memory, "{\"unified\": {\"memory.max\": \"max\"}}", "memory.limit_in_bytes", "-1");
  check_written (v1_memory, "{\"unified\": {\"memory.max\": \"1048576\"}}", "memory.limit_in_bytes",
                 "1048576");
  check_written (v1_memory, "{\"unified\": {\"memory.low\": \"4096\"}}", "memory.soft_limit_in_bytes",
                 "4096");

  check_refused (v1_cpu, "{\"unified\": {\"cpu.weight\": \"0\"}}", "unified[\"cpu.weight\"]: 0 is outside");
  check_refused (v1_cpu, "{\"unified\": {\"cpu.weight\": \"10001\"}}", "10001 is outside [1, 10000]");
  check_refused (v1_cpu, "{\"unified\": {\"cpu.weight\": \"-5\"}}", "'-5' is not a number");
  check_refused (v1_cpu, "{\"unified\": {\"cpu.weight\": \"12abc\"}}", "'12abc' is not a number");
  check_refused (v1_blkio, "{\"unified\": {\"io.weight\": \"0\"}}", "unified[\"io.weight\"]: 0 is outside");
  check_refused (v1_memory, "{\"unified\": {\"memory.high\": \"4096\"}}",
                 "unified[\"memory.high\"]: not supported");
  check_refused (v1_memory, "{\"unified\": {\"../memory.max\": \"4096\"}}", "not a cgroup file name");
}

static void
test_v1_fields_on_v2 (void)
{
  check_written (v2_files, "{\"cpu\": {\"shares\": 1024}}", "cpu.weight", "100");
  check_written (v2_files, "{\"cpu\": {\"shares\": 2}}", "cpu.weight", "1");
  check_written (v2_files, "{\"cpu\": {\"shares\": 262144}}", "cpu.weight", "10000");
  check_written (v2_files, "{\"blockIO\": {\"weight\": 10}}", "io.weight", "1");
  check_written (v2_files, "{\"blockIO\": {\"weight\": 1000}}", "io.weight", "10000");
  check_refused (v2_files, "{\"blockIO\": {\"weight\": 1001}}", "blockIO.weight: 1001 is outside [10, 1000]");
  check_refused (v2_files, "{\"blockIO\": {\"weight\": 9}}", "blockIO.weight: 9 is outside [10, 1000]");
  /* v2 keys are written as given where the v2 directory has them.  */
  check_written (v2_files, "{\"unified\": {\"cpu.weight\": \"77\"}}", "cpu.weight", "77");
}

int
main (void)
{
  test_shares_to_weight ();
  test_weight_to_shares ();
  test_blkio_weights ();
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return EXIT_FAILURE;
    }
  test_unified_on_v1 ();
  test_v1_fields_on_v2 ();
  if (rmdir (tmpdir) < 0)
    ok (false, "the temporary directory is empty at the end");
  return tap_done ();
}
