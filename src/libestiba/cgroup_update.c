/* Merging update's limits into the saved config: see cgroup_update.h.
 * The update is first copied (through its JSON) so its members can be
 * swapped into the config: the config's old values end up in the copy and
 * are freed with it.  */
#include <config.h>
#include "cgroup_update.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define SWAP(a, b)                                                                                           \
  do                                                                                                         \
    {                                                                                                        \
      __typeof__ (a) tmp_ = (a);                                                                             \
      (a) = (b);                                                                                             \
      (b) = tmp_;                                                                                            \
    }                                                                                                        \
  while (0)

/* A scalar the update carries replaces the saved one.  */
#define TAKE(dst, src, field)                                                                                \
  do                                                                                                         \
    {                                                                                                        \
      if ((src)->has_##field)                                                                                \
        OCI_SET (dst, field, (src)->field);                                                                  \
    }                                                                                                        \
  while (0)

/* An array the update carries (non-empty) replaces the saved one.  */
#define TAKE_ARRAY(dst, src, field)                                                                          \
  do                                                                                                         \
    {                                                                                                        \
      if ((src)->field##_len > 0)                                                                            \
        {                                                                                                    \
          SWAP ((dst)->field, (src)->field);                                                                 \
          SWAP ((dst)->field##_len, (src)->field##_len);                                                     \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

static void
merge_memory (struct oci_linux_memory *d, struct oci_linux_memory *s)
{
  TAKE (d, s, limit);
  TAKE (d, s, reservation);
  TAKE (d, s, swap);
  TAKE (d, s, kernel);
  TAKE (d, s, kernel_tcp);
  TAKE (d, s, swappiness);
  TAKE (d, s, disable_oom_killer);
  TAKE (d, s, use_hierarchy);
  TAKE (d, s, check_before_update);
}

static void
merge_cpu (struct oci_linux_cpu *d, struct oci_linux_cpu *s)
{
  TAKE (d, s, shares);
  TAKE (d, s, quota);
  TAKE (d, s, burst);
  TAKE (d, s, period);
  TAKE (d, s, realtime_runtime);
  TAKE (d, s, realtime_period);
  TAKE (d, s, idle);
  if (s->cpus)
    SWAP (d->cpus, s->cpus);
  if (s->mems)
    SWAP (d->mems, s->mems);
}

static void
merge_block_io (struct oci_linux_block_io *d, struct oci_linux_block_io *s)
{
  TAKE (d, s, weight);
  TAKE (d, s, leaf_weight);
  TAKE_ARRAY (d, s, weight_device);
  TAKE_ARRAY (d, s, throttle_read_bps_device);
  TAKE_ARRAY (d, s, throttle_write_bps_device);
  TAKE_ARRAY (d, s, throttle_read_iops_device);
  TAKE_ARRAY (d, s, throttle_write_iops_device);
}

static void
merge_hugepages (struct oci_linux_resources *d, const struct oci_linux_resources *s)
{
  size_t i, k;

  for (i = 0; i < s->hugepage_limits_len; i++)
    {
      const struct oci_linux_hugepage_limit *h = &s->hugepage_limits[i];
      struct oci_linux_hugepage_limit *found = NULL;

      for (k = 0; k < d->hugepage_limits_len && !found; k++)
        if (d->hugepage_limits[k].page_size && h->page_size
            && strcmp (d->hugepage_limits[k].page_size, h->page_size) == 0)
          found = &d->hugepage_limits[k];
      if (found == NULL)
        {
          found = OCI_APPEND (d->hugepage_limits, d->hugepage_limits_len);
          found->page_size = oci_strdup (h->page_size);
        }
      found->limit = h->limit;
    }
}

/* Merge an optional object: swapped in whole when the config has none.  */
#define MERGE_OBJ(d, s, field, fn)                                                                           \
  do                                                                                                         \
    {                                                                                                        \
      if ((s)->field && (d)->field == NULL)                                                                  \
        SWAP ((d)->field, (s)->field);                                                                       \
      else if ((s)->field)                                                                                   \
        fn ((d)->field, (s)->field);                                                                         \
    }                                                                                                        \
  while (0)

static void
merge_pids (struct oci_linux_pids *d, struct oci_linux_pids *s)
{
  TAKE (d, s, limit);
}

static void
merge_network (struct oci_linux_network *d, struct oci_linux_network *s)
{
  TAKE (d, s, class_id);
  TAKE_ARRAY (d, s, priorities);
}

/* A private copy of the update (the caller's stays untouched).  */
static struct oci_config *
copy_update (const struct oci_linux_resources *update, estiba_error_t *err)
{
  struct oci_linux lnx = { .resources = (struct oci_linux_resources *) update };
  struct oci_config wrapper = { .oci_version = (char *) "1.0.0", .linux_ = &lnx };
  cleanup_free char *json = NULL;
  char *perr = NULL;
  struct oci_config *copy;

  json = oci_config_generate (&wrapper, false, &perr);
  copy = json ? oci_config_parse_data (json, strlen (json), "update", &perr) : NULL;
  if (copy == NULL || copy->linux_ == NULL || copy->linux_->resources == NULL)
    {
      estiba_error (err, 0, "update: copy the resources: %s", perr ? perr : "empty");
      free (perr);
      oci_config_free (copy);
      return NULL;
    }
  return copy;
}

int
cgroup_resources_merge (struct oci_config *config, const struct oci_linux_resources *update,
                        estiba_error_t *err)
{
  struct oci_config *copy;
  struct oci_linux_resources *d, *s;
  size_t i;

  if (update == NULL)
    return 0;
  copy = copy_update (update, err);
  if (copy == NULL)
    return -1;
  if (config->linux_ == NULL)
    config->linux_ = oci_xzalloc (sizeof (*config->linux_));
  if (config->linux_->resources == NULL)
    config->linux_->resources = oci_xzalloc (sizeof (*config->linux_->resources));
  d = config->linux_->resources;
  s = copy->linux_->resources;
  MERGE_OBJ (d, s, memory, merge_memory);
  MERGE_OBJ (d, s, cpu, merge_cpu);
  MERGE_OBJ (d, s, pids, merge_pids);
  MERGE_OBJ (d, s, block_io, merge_block_io);
  MERGE_OBJ (d, s, network, merge_network);
  merge_hugepages (d, s);
  if (s->rdma)
    SWAP (d->rdma, s->rdma);
  for (i = 0; s->unified && i < s->unified->len; i++)
    oci_string_map_set (&d->unified, s->unified->keys[i], s->unified->values[i]);
  oci_config_free (copy);
  return 0;
}
