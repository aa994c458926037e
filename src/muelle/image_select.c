#include <config.h>
#include "image_select.h"
#include "cleanup.h"

#include <errno.h>
#include <stdlib.h>

/* Indexes may nest (image-index.md allows an index entry); a loop of
 * digests is impossible, a deep chain is hostile.  */
#define MAX_INDEX_DEPTH 8

static struct oci_image_index *
load_index (struct muelle_store *store, const char *digest, estiba_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *perr = NULL;
  struct oci_image_index *index;
  size_t len;

  if (store_read_blob (store, digest, &data, &len, err) < 0)
    return NULL;
  index = oci_image_index_parse_data (data, len, digest, &perr);
  if (index == NULL)
    {
      estiba_error (err, 0, "image index %s: %s", digest, perr ? perr : "malformed");
      return NULL;
    }
  if (oci_image_index_validate (index, &perr) < 0)
    {
      estiba_error (err, 0, "image index %s", perr ? perr : digest);
      oci_image_index_free (index);
      return NULL;
    }
  return index;
}

int
image_select_platform (struct muelle_store *store, const struct oci_image_descriptor *desc,
                       const struct image_platform *want, struct oci_image_descriptor **out,
                       estiba_error_t *err)
{
  struct image_platform host = { 0 };
  struct oci_image_descriptor *cur;
  int depth, ret = 0;

  cur = descriptor_copy (desc, err);
  if (cur == NULL)
    return -1;
  for (depth = 0; pull_is_index_media_type (cur->media_type); depth++)
    {
      cleanup_free char *what = NULL;
      const struct oci_image_descriptor *chosen = NULL;
      struct oci_image_index *index;
      struct oci_image_descriptor *next;

      if (depth == MAX_INDEX_DEPTH)
        {
          ret = estiba_error (err, 0, "image index %s: indexes nested more than %d deep", cur->digest,
                              MAX_INDEX_DEPTH);
          break;
        }
      if (want == NULL)
        {
          if (platform_host (&host, err) < 0)
            {
              ret = -1;
              break;
            }
          want = &host;
        }
      index = load_index (store, cur->digest, err);
      if (index == NULL)
        {
          ret = -1;
          break;
        }
      if (asprintf (&what, "image index %s", cur->digest) < 0)
        what = NULL;
      ret = platform_choose (index, want, what ? what : cur->digest, &chosen, err);
      next = ret == 0 ? descriptor_copy (chosen, err) : NULL;
      oci_image_index_free (index);
      if (next == NULL)
        {
          ret = -1;
          break;
        }
      oci_image_descriptor_free (cur);
      cur = next;
    }
  platform_clear (&host);
  if (ret < 0)
    {
      oci_image_descriptor_free (cur);
      return -1;
    }
  *out = cur;
  return 0;
}
