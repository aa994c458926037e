/* libocispec: the OCI runtime-spec 1.3.0 and image-spec 1.1 JSON documents
 * as typed C structs.  The one header users include.
 *
 * Types (every struct is generated from its table in ocispec-tables.h;
 * read the table to see the members):
 *   runtime config:  oci_config, oci_root, oci_mount, oci_id_mapping,
 *                    oci_process, oci_console_size, oci_user,
 *                    oci_capabilities, oci_rlimit, oci_scheduler,
 *                    oci_io_priority, oci_cpu_affinity, oci_hooks, oci_hook,
 *                    oci_linux, oci_namespace, oci_linux_time_offset,
 *                    oci_linux_device, oci_linux_net_device,
 *                    oci_linux_resources, oci_linux_device_cgroup,
 *                    oci_linux_memory, oci_linux_cpu, oci_linux_pids,
 *                    oci_linux_block_io, oci_linux_weight_device,
 *                    oci_linux_throttle_device, oci_linux_hugepage_limit,
 *                    oci_linux_network, oci_linux_interface_priority,
 *                    oci_linux_rdma, oci_seccomp, oci_seccomp_syscall,
 *                    oci_seccomp_arg, oci_linux_intel_rdt,
 *                    oci_linux_memory_policy, oci_linux_personality
 *   runtime state:   oci_state, oci_container_process_state
 *   features.json:   oci_features, oci_features_linux, oci_features_cgroup,
 *                    oci_features_seccomp, oci_features_enabled
 *                    (apparmor, selinux, netDevices, mountExtensions.idmap),
 *                    oci_features_intel_rdt, oci_features_memory_policy,
 *                    oci_features_mount_extensions
 *   image spec:      oci_image_descriptor, oci_image_platform,
 *                    oci_image_index, oci_image_manifest, oci_image_config,
 *                    oci_image_exec_config (the image config's "config"),
 *                    oci_image_healthcheck, oci_image_rootfs,
 *                    oci_image_history, oci_image_layout (oci-layout)
 *   helpers:         oci_string_map, oci_<type>_map (JSON object of
 *                    objects), oci_empty ({} values), oci_json (raw JSON)
 *
 * Representation (see ocispec-tables.h for the per-kind members):
 *   - strings: char *, NULL = absent;
 *   - bool/integer x: the value and `bool has_x`.  The serializer writes x
 *     when has_x is set OR x is non-zero OR the field is REQUIRED, so
 *     callers building a document may just assign x;
 *   - nested objects: pointer, NULL = absent;
 *   - string arrays: `char **x; size_t x_len;`, NULL-terminated
 *     (x[x_len] == NULL), NULL = absent;
 *   - object arrays: `struct T *x; size_t x_len;` contiguous;
 *   - members the tables do not know are kept (unknown_fields) and written
 *     back in their original order after the known ones.
 *   Note: process.user is OPTIONAL in the spec (absent = uid 0, gid 0).
 *   All memory is owned by the document and released by oci_<doc>_free;
 *   assign only malloc'd memory to members (see oci_strdup, oci_strv_*).
 *
 * Errors: functions fill *err with a malloc'd one-line message
 * "SOURCE: json.path: reason" (caller frees) and return NULL / -1.  */
#ifndef OCISPEC_H
#define OCISPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ocispec-tables.h"

/* String to string map (annotations, sysctl, unified, Labels...), in
 * input order.  Keys are unique.  */
struct oci_string_map
{
  char **keys;
  char **values;
  size_t len;
};

/* Raw JSON kept as parsed (other platforms' sections, unknown members).  */
struct oci_json;

/* Unknown members of an object, kept for the serializer.  */
struct oci_unknown_fields;

/* ---- struct generation from the tables ---- */
#define OCI_REQ 1
#define OCI_OPT 0

#define OCI_MEMBER_STR(c, e) char *c;
#define OCI_MEMBER_BOOL(c, e)                                                                                \
  bool c;                                                                                                    \
  bool has_##c;
#define OCI_MEMBER_INT(c, e)                                                                                 \
  int c;                                                                                                     \
  bool has_##c;
#define OCI_MEMBER_UINT(c, e)                                                                                \
  unsigned int c;                                                                                            \
  bool has_##c;
#define OCI_MEMBER_I32(c, e)                                                                                 \
  int32_t c;                                                                                                 \
  bool has_##c;
#define OCI_MEMBER_U32(c, e)                                                                                 \
  uint32_t c;                                                                                                \
  bool has_##c;
#define OCI_MEMBER_I64(c, e)                                                                                 \
  int64_t c;                                                                                                 \
  bool has_##c;
#define OCI_MEMBER_U64(c, e)                                                                                 \
  uint64_t c;                                                                                                \
  bool has_##c;
#define OCI_MEMBER_U16(c, e)                                                                                 \
  uint16_t c;                                                                                                \
  bool has_##c;
#define OCI_MEMBER_STRARR(c, e)                                                                              \
  char **c;                                                                                                  \
  size_t c##_len;
#define OCI_MEMBER_U32ARR(c, e)                                                                              \
  uint32_t *c;                                                                                               \
  size_t c##_len;
#define OCI_MEMBER_OBJ(c, e) struct e *c;
#define OCI_MEMBER_OBJARR(c, e)                                                                              \
  struct e *c;                                                                                               \
  size_t c##_len;
#define OCI_MEMBER_STRMAP(c, e) struct oci_string_map *c;
#define OCI_MEMBER_OBJMAP(c, e) struct e##_map *c;
#define OCI_MEMBER_RAW(c, e)    struct oci_json *c;

#define OCI_MEMBER(T, kind, c, json, e, flags) OCI_MEMBER_##kind (c, e)
#define OCI_FORWARD_DECLARE(name, FIELDS)      struct name;
#define OCI_DEFINE_STRUCT(name, FIELDS)                                                                      \
  struct name                                                                                                \
  {                                                                                                          \
    FIELDS (OCI_MEMBER, name)                                                                                \
    struct oci_unknown_fields *unknown_fields;                                                               \
  };
#define OCI_DEFINE_MAP_STRUCT(name)                                                                          \
  struct name##_map                                                                                          \
  {                                                                                                          \
    char **keys;                                                                                             \
    struct name *values;                                                                                     \
    size_t len;                                                                                              \
  };

OCI_ALL_TYPES (OCI_FORWARD_DECLARE)
OCI_MAP_TYPES (OCI_DEFINE_MAP_STRUCT)
OCI_ALL_TYPES (OCI_DEFINE_STRUCT)

/* ---- documents ----
 * For each document X in config, state, container_process_state, features,
 * image_index, image_manifest, image_config, image_descriptor, image_layout:
 *
 *   struct oci_X *oci_X_new (void);      zeroed (aborts on ENOMEM)
 *   struct oci_X *oci_X_parse_file (const char *path, char **err);
 *   struct oci_X *oci_X_parse_data (const char *data, size_t len,
 *                                   const char *source, char **err);
 *       source names the input in errors ("config.json"); wrong JSON types
 *       are errors, unknown members are kept.  Parsing does not check the
 *       spec's rules: call oci_X_validate.
 *   char *oci_X_generate (const struct oci_X *x, bool pretty, char **err);
 *       malloc'd, NUL-terminated JSON text (no trailing newline).
 *   int oci_X_validate (const struct oci_X *x, char **err);
 *       0 when x follows the spec's MUST rules, -1 and *err otherwise.
 *   void oci_X_free (struct oci_X *x);   NULL is fine.
 */
#define OCI_DECLARE_DOCUMENT_API(X, T)                                                                       \
  struct T *oci_##X##_new (void);                                                                            \
  struct T *oci_##X##_parse_file (const char *path, char **err);                                             \
  struct T *oci_##X##_parse_data (const char *data, size_t len, const char *source, char **err);             \
  char *oci_##X##_generate (const struct T *x, bool pretty, char **err);                                     \
  int oci_##X##_validate (const struct T *x, char **err);                                                    \
  void oci_##X##_free (struct T *x);

OCI_DOCUMENTS (OCI_DECLARE_DOCUMENT_API)

/* Parse a single runtime-spec "process" object (`runc exec --process`).  */
struct oci_process *oci_process_parse_file (const char *path, char **err);
struct oci_process *oci_process_parse_data (const char *data, size_t len, const char *source, char **err);
char *oci_process_generate (const struct oci_process *x, bool pretty, char **err);
int oci_process_validate (const struct oci_process *x, char **err);
void oci_process_free (struct oci_process *x);

/* ---- building documents ----
 * Allocation failures abort: these are for building small documents.  */
void *oci_xzalloc (size_t size);  /* zeroed */
char *oci_strdup (const char *s); /* NULL stays NULL */
/* Append a copy of s to a NULL-terminated string array (*v may be NULL).  */
void oci_strv_append (char ***v, size_t *len, const char *s);
/* A malloc'd, NULL-terminated copy of a NULL-terminated array.  */
char **oci_strv_dup (char *const *v, size_t *len_out);
void oci_strv_free (char **v);
/* Set an optional scalar and mark it present: OCI_SET (user, uid, 0).  */
#define OCI_SET(obj, field, value) ((obj)->field = (value), (obj)->has_##field = true)
/* Grow an object array by one zeroed element; returns it.  */
void *oci_array_append (void *array_ptr, size_t *len, size_t elem_size);
#define OCI_APPEND(array, len)                                                                               \
  ((__typeof__ (&(array)[0])) oci_array_append (&(array), &(len), sizeof ((array)[0])))

struct oci_string_map *oci_string_map_new (void);
/* Value for key, NULL when absent (map may be NULL).  */
const char *oci_string_map_get (const struct oci_string_map *map, const char *key);
/* Set (copying key and value), replacing an existing value in place.
 * *map is created when NULL.  */
void oci_string_map_set (struct oci_string_map **map, const char *key, const char *value);
/* Remove key; returns whether it was there.  */
bool oci_string_map_remove (struct oci_string_map *map, const char *key);
void oci_string_map_free (struct oci_string_map *map);

/* Raw JSON text of a kept value (e.g. config->windows); malloc'd.  */
char *oci_json_to_string (const struct oci_json *json);
/* The string a kept value holds, NULL when it is not a JSON string.  */
const char *oci_json_string (const struct oci_json *json);

/* Members outside the spec (runc's "created"/"owner" in state, vendor
 * extensions), read and written through any object's unknown_fields:
 *   oci_extra_set_string (&state->unknown_fields, "owner", "");
 * Setting replaces an existing member of that name in place, otherwise
 * appends.  Extras are written after the known members; one named like a
 * known member is written only while that member is absent.  */
const struct oci_json *oci_extra_get (const struct oci_unknown_fields *fields, const char *key);
void oci_extra_set_string (struct oci_unknown_fields **fields, const char *key, const char *value);
/* json is the text of one JSON value ("42", "{\"a\":1}"); -1 and *err when
 * it is not.  */
int oci_extra_set_json (struct oci_unknown_fields **fields, const char *key, const char *json, char **err);
bool oci_extra_remove (struct oci_unknown_fields *fields, const char *key);

/* Spec helpers shared by the runtime and image tools.  */
/* Whether s is "algorithm:encoded" per image-spec descriptor.md, with
 * sha256/sha512 encodings of the right length in lowercase hex.  */
bool oci_digest_is_valid (const char *s);
/* Whether s is a valid RFC 6838 media type "type/subtype[+suffix]".  */
bool oci_media_type_is_valid (const char *s);

/* Well-known image-spec media types.  */
#define OCI_MEDIA_TYPE_DESCRIPTOR         "application/vnd.oci.descriptor.v1+json"
#define OCI_MEDIA_TYPE_LAYOUT_HEADER      "application/vnd.oci.layout.header.v1+json"
#define OCI_MEDIA_TYPE_IMAGE_INDEX        "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_TYPE_IMAGE_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_TYPE_IMAGE_CONFIG       "application/vnd.oci.image.config.v1+json"
#define OCI_MEDIA_TYPE_EMPTY              "application/vnd.oci.empty.v1+json"
#define OCI_MEDIA_TYPE_LAYER              "application/vnd.oci.image.layer.v1.tar"
#define OCI_MEDIA_TYPE_LAYER_GZIP         "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MEDIA_TYPE_LAYER_ZSTD         "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MEDIA_TYPE_LAYER_NONDIST      "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define OCI_MEDIA_TYPE_LAYER_NONDIST_GZIP "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define OCI_MEDIA_TYPE_LAYER_NONDIST_ZSTD "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define DOCKER_MEDIA_TYPE_MANIFEST        "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MEDIA_TYPE_MANIFEST_LIST   "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MEDIA_TYPE_IMAGE_CONFIG    "application/vnd.docker.container.image.v1+json"
#define DOCKER_MEDIA_TYPE_LAYER_GZIP      "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define OCI_IMAGE_LAYOUT_VERSION          "1.0.0"
#define OCI_IMAGE_ANNOTATION_REF_NAME     "org.opencontainers.image.ref.name"

#endif
