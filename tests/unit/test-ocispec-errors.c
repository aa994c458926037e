/* One test per kind of malformed input: each document must be refused
 * (by the parser or by validation) with exactly the expected one-line
 * message "SOURCE: json.path: reason".  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec.h"
#include "test-ocispec-tap.h"

struct kind
{
  const char *name;
  void *(*parse_data) (const char *data, size_t len, const char *source, char **err);
  int (*validate) (const void *x, char **err);
  void (*free) (void *x);
};

#define KIND(X, T)                                                                                           \
  { #X, (void *(*) (const char *, size_t, const char *, char **) ) oci_##X##_parse_data,                     \
    (int (*) (const void *, char **)) oci_##X##_validate, (void (*) (void *)) oci_##X##_free },

static const struct kind kinds[] = { OCI_DOCUMENTS (KIND) };

static const struct kind *
kind (const char *name)
{
  for (size_t i = 0; i < sizeof (kinds) / sizeof (kinds[0]); i++)
    if (strcmp (kinds[i].name, name) == 0)
      return &kinds[i];
  abort ();
}

/* A valid base config the validation cases modify: "%s" is replaced by
 * the members under test (inside "linux").  */
#define CFG_HEAD "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"},"
#define PROC_OK  "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}"
#define SHA_A    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DESC_OK                                                                                              \
  "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" SHA_A "\",\"size\":2"
#define MANIFEST_HEAD "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","

struct error_case
{
  const char *kind;
  const char *json;
  const char *expected; /* the whole message; a trailing '*' matches any rest */
};

static const struct error_case cases[] = {
  /* ---- syntax ---- */
  { "config", "{\"ociVersion\": \"1.0.0\",\n \"root\": {]}", "t.json: invalid JSON at line 2, column 11 (*" },
  { "config", "", "t.json: invalid JSON at line 1, column 1 (*" },
  { "config", "{} {}", "t.json: invalid JSON at line 1, column 4 (*" },
  { "config", "{\"a\": \"\\u12\"}", "t.json: invalid JSON at line 1*" },
  { "config", "{\"a\": \"\xff\"}", "t.json: invalid JSON at line 1*" },
  { "state",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "t.json: invalid JSON: nested deeper than 128 levels" },
  /* ---- wrong JSON types at various depths ---- */
  { "config", "[]", "t.json: expected an object, got an array" },
  { "config", "{\"ociVersion\": 1}", "t.json: ociVersion: expected a string, got a number" },
  { "config", "{\"process\":{\"args\":[\"a\",1]}}",
    "t.json: process.args[1]: expected a string, got a number" },
  { "config", "{\"process\":{\"terminal\":\"yes\"}}",
    "t.json: process.terminal: expected a boolean, got a string" },
  { "config", "{\"process\":{\"user\":{\"uid\":-1}}}",
    "t.json: process.user.uid: -1 is out of range for an unsigned 32-bit integer" },
  { "config", "{\"process\":{\"user\":{\"uid\":4294967296}}}",
    "t.json: process.user.uid: 4294967296 is out of range for an unsigned 32-bit integer" },
  { "config", "{\"process\":{\"user\":{\"uid\":1.5}}}",
    "t.json: process.user.uid: expected an unsigned 32-bit integer, got 1.5" },
  { "config", "{\"process\":{\"user\":{\"gid\":1e3}}}",
    "t.json: process.user.gid: expected an unsigned 32-bit integer, got 1e3" },
  { "config", "{\"process\":{\"user\":{\"additionalGids\":[1,\"2\"]}}}",
    "t.json: process.user.additionalGids[1]: expected an unsigned 32-bit integer, got a string" },
  { "config",
    "{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551616,\"soft\":0}]}}",
    "t.json: process.rlimits[0].hard: 18446744073709551616 is out of range for an unsigned 64-bit integer" },
  { "config", "{\"process\":{\"oomScoreAdj\":2147483648}}",
    "t.json: process.oomScoreAdj: 2147483648 is out of range for a 32-bit integer" },
  { "config", "{\"linux\": []}", "t.json: linux: expected an object, got an array" },
  { "config", "{\"mounts\":[{\"destination\":\"/a\"}, \"x\"]}",
    "t.json: mounts[1]: expected an object, got a string" },
  { "config", "{\"mounts\":{}}", "t.json: mounts: expected an array of objects, got an object" },
  { "config", "{\"annotations\":{\"a\":1}}", "t.json: annotations.a: expected a string, got a number" },
  { "config", "{\"linux\":{\"resources\":{\"blockIO\":{\"weight\":65536}}}}",
    "t.json: linux.resources.blockIO.weight: 65536 is out of range for an unsigned 16-bit integer" },
  { "config", "{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[\"read\"],\"args\":[{\"index\":true}]}]}}}",
    "t.json: linux.seccomp.syscalls[0].args[0].index: expected an unsigned 32-bit integer, got a boolean" },
  { "image_manifest", "{\"layers\":[{\"size\":\"12\"}]}",
    "t.json: layers[0].size: expected a 64-bit integer, got a string" },
  { "image_config", "{\"config\":{\"ExposedPorts\":{\"80/tcp\":[]}}}",
    "t.json: config.ExposedPorts.80/tcp: expected an object, got an array" },
  /* ---- config.md rules ---- */
  { "config", "{\"root\":{\"path\":\"r\"}}", "t.json: ociVersion: REQUIRED but missing" },
  { "config", "{\"ociVersion\":\"1.0\",\"root\":{\"path\":\"r\"}}",
    "t.json: ociVersion: \"1.0\" is not in SemVer 2.0.0 format" },
  { "config", "{\"ociVersion\":\"1.3.0\"}", "t.json: root: REQUIRED but missing" },
  { "config", CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"}}",
    "t.json: process.cwd: \"tmp\" is not an absolute path" },
  { "config", CFG_HEAD "\"process\":{\"args\":[],\"cwd\":\"/\"}}",
    "t.json: process.args: MUST have at least one entry" },
  { "config", CFG_HEAD "\"process\":{\"cwd\":\"/\"}}", "t.json: process.args: REQUIRED but missing" },
  { "config", CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0}}}",
    "t.json: process.user.gid: REQUIRED but missing" },
  { "config", CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"A=1\",\"B\"]}}",
    "t.json: process.env[1]: \"B\" is not in KEY=value form" },
  { "config",
    CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/"
             "\",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"hard\":1,\"soft\":1}]}}",
    "t.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"" },
  { "config",
    CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/"
             "\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":1},"
             "{\"type\":\"RLIMIT_NOFILE\",\"hard\":2,\"soft\":2}]}}",
    "t.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"" },
  { "config",
    CFG_HEAD
    "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1}]}}",
    "t.json: process.rlimits[0].hard: REQUIRED but missing" },
  { "config", CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":1001}}",
    "t.json: process.oomScoreAdj: 1001 is not between -1000 and 1000" },
  { "config",
    CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/"
             "\",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_X\",\"priority\":1}}}",
    "t.json: process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_X\"" },
  { "config",
    CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"scheduler\":{\"policy\":\"SCHED_X\"}}}",
    "t.json: process.scheduler.policy: unknown scheduling policy \"SCHED_X\"" },
  { "config",
    CFG_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"execCPUAffinity\":{\"initial\":\"0-\"}}}",
    "t.json: process.execCPUAffinity.initial: \"0-\" is not a CPU list such as \"0-3,7\"" },
  { "config", CFG_HEAD "\"hooks\":{\"prestart\":[{\"path\":\"hook\"}]}}",
    "t.json: hooks.prestart[0].path: \"hook\" is not an absolute path" },
  { "config", CFG_HEAD "\"hooks\":{\"poststop\":[{\"path\":\"/h\",\"timeout\":0}]}}",
    "t.json: hooks.poststop[0].timeout: MUST be greater than zero, got 0" },
  { "config", CFG_HEAD "\"annotations\":{\"\":\"x\"}}", "t.json: annotations: keys MUST NOT be empty" },
  { "config",
    CFG_HEAD
    "\"mounts\":[{\"destination\":\"/a\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]}",
    "t.json: mounts[0].gidMappings: MUST be specified along with uidMappings" },
  { "config", CFG_HEAD "\"mounts\":[{\"source\":\"/a\"}]}",
    "t.json: mounts[0].destination: REQUIRED but missing" },
  /* ---- config-linux.md rules ---- */
  { "config", CFG_HEAD "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"foo\"}]}}",
    "t.json: linux.namespaces[1].type: unknown namespace type \"foo\"" },
  { "config", CFG_HEAD "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
    "t.json: linux.namespaces[1].type: duplicate namespace type \"pid\"" },
  /* Found by fuzzing: the duplicate check met a namespace without a type.  */
  { "config", CFG_HEAD "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"path\":\"/proc/1/ns/pid\"}]}}",
    "t.json: linux.namespaces[1].type: REQUIRED but missing" },
  { "config", CFG_HEAD "\"linux\":{\"namespaces\":[{\"type\":\"net\"}]}}",
    "t.json: linux.namespaces[0].type: unknown namespace type \"net\"" },
  { "config", CFG_HEAD "\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"proc/1/ns/net\"}]}}",
    "t.json: linux.namespaces[0].path: \"proc/1/ns/net\" is not an absolute path" },
  { "config", CFG_HEAD "\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":0}]}}",
    "t.json: linux.uidMappings[0].size: an ID mapping must map at least one ID" },
  { "config", CFG_HEAD "\"linux\":{\"gidMappings\":[{\"containerID\":4294967295,\"hostID\":0,\"size\":2}]}}",
    "t.json: linux.gidMappings[0].size: mapping of 2 IDs from 4294967295 (host 0) goes past 4294967295" },
  { "config", CFG_HEAD "\"linux\":{\"uidMappings\":[{\"containerID\":0,\"size\":1}]}}",
    "t.json: linux.uidMappings[0].hostID: REQUIRED but missing" },
  { "config", CFG_HEAD "\"linux\":{\"cgroupsPath\":\"/a/../../b\"}}",
    "t.json: linux.cgroupsPath: \"/a/../../b\" must not contain \"..\"" },
  { "config",
    CFG_HEAD "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\",\"major\":1,\"minor\":1}]}}",
    "t.json: linux.devices[0].type: unknown device type \"x\" (expected c, b, u or p)" },
  { "config",
    CFG_HEAD "\"linux\":{\"devices\":[{\"path\":\"dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1}]}}",
    "t.json: linux.devices[0].path: \"dev/x\" is not an absolute path" },
  { "config", CFG_HEAD "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"minor\":1}]}}",
    "t.json: linux.devices[0].major: REQUIRED unless type is p" },
  { "config", CFG_HEAD "\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}}",
    "t.json: linux.resources.devices[0].access: \"rwx\" is not a combination of r, w and m" },
  { "config", CFG_HEAD "\"linux\":{\"resources\":{\"devices\":[{\"access\":\"r\"}]}}}",
    "t.json: linux.resources.devices[0].allow: REQUIRED but missing" },
  { "config",
    CFG_HEAD "\"linux\":{\"resources\":{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0}]}}}}",
    "t.json: linux.resources.blockIO.weightDevice[0]: MUST specify at least one of weight or leafWeight" },
  { "config", CFG_HEAD "\"linux\":{\"resources\":{\"rdma\":{\"mlx5_1\":{}}}}}",
    "t.json: linux.resources.rdma.mlx5_1: MUST specify at least one of hcaHandles or hcaObjects" },
  { "config", CFG_HEAD "\"linux\":{\"rootfsPropagation\":\"bogus\"}}",
    "t.json: linux.rootfsPropagation: unknown propagation \"bogus\"" },
  { "config", CFG_HEAD "\"linux\":{\"maskedPaths\":[\"/proc/kcore\",\"proc/keys\"]}}",
    "t.json: linux.maskedPaths[1]: \"proc/keys\" is not an absolute path" },
  { "config", CFG_HEAD "\"linux\":{\"readonlyPaths\":[\"sys\"]}}",
    "t.json: linux.readonlyPaths[0]: \"sys\" is not an absolute path" },
  { "config", CFG_HEAD "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_BOGUS\"}}}",
    "t.json: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_BOGUS\"" },
  { "config",
    CFG_HEAD
    "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}}}",
    "t.json: linux.seccomp.architectures[0]: unknown seccomp architecture \"SCMP_ARCH_Z80\"" },
  { "config",
    CFG_HEAD "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}}}",
    "t.json: linux.seccomp.defaultErrnoRet: not allowed with action SCMP_ACT_ALLOW" },
  { "config",
    CFG_HEAD "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"x\"}}}",
    "t.json: linux.seccomp.listenerMetadata: MUST NOT be set without listenerPath" },
  { "config",
    CFG_HEAD "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],"
             "\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
    "t.json: linux.seccomp.syscalls[0].names: MUST contain at least one entry" },
  { "config",
    CFG_HEAD "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
             "\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
             "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
    "t.json: linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument index (0-5)" },
  { "config",
    CFG_HEAD "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
             "\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
             "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}}}",
    "t.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_XX\"" },
  { "config", CFG_HEAD "\"linux\":{\"personality\":{\"domain\":\"BSD\"}}}",
    "t.json: linux.personality.domain: unknown personality domain \"BSD\" (expected LINUX or LINUX32)" },
  { "config", CFG_HEAD "\"linux\":{\"timeOffsets\":{\"realtime\":{\"secs\":1}}}}",
    "t.json: linux.timeOffsets: unknown clock \"realtime\" (expected boottime or monotonic)" },
  { "config", CFG_HEAD "\"linux\":{\"netDevices\":{\"eth0\":{\"name\":\"../x\"}}}}",
    "t.json: linux.netDevices.eth0.name: \"../x\" is not a valid network interface name" },
  { "config", CFG_HEAD "\"linux\":{\"intelRdt\":{\"closID\":\"..\"}}}",
    "t.json: linux.intelRdt.closID: \"..\" is not a valid CLOS name" },
  { "config", CFG_HEAD "\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"flags\":[\"MPOL_F_X\"]}}}",
    "t.json: linux.memoryPolicy.flags[0]: unknown memory policy flag \"MPOL_F_X\"" },
  { "config", CFG_HEAD "\"hostname\":\"h\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}",
    "t.json: hostname: cannot be set without a uts namespace" },
  { "config", CFG_HEAD "\"linux\":{\"timeOffsets\":{\"monotonic\":{\"secs\":1}}}}",
    "t.json: linux.timeOffsets: cannot be set without a time namespace" },
  /* ---- state, features ---- */
  { "state", "{\"ociVersion\":\"1.3.0\",\"id\":\"a\",\"status\":\"paused\",\"bundle\":\"/b\"}",
    "t.json: status: unknown status \"paused\"" },
  { "state", "{\"ociVersion\":\"1.3.0\",\"id\":\"a\",\"status\":\"running\",\"bundle\":\"/b\"}",
    "t.json: pid: REQUIRED (and positive) when status is running" },
  { "state", "{\"ociVersion\":\"1.3.0\",\"id\":\"a\",\"status\":\"stopped\",\"bundle\":\"b\"}",
    "t.json: bundle: \"b\" is not an absolute path" },
  { "features", "{\"ociVersionMin\":\"1.0.0\"}", "t.json: ociVersionMax: REQUIRED but missing" },
  /* ---- image spec ---- */
  { "image_descriptor",
    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:ABC\",\"size\":1}",
    "t.json: digest: \"sha256:ABC\" is not a valid digest (algorithm:encoded)" },
  { "image_descriptor",
    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"size\":1}",
    "t.json: digest: \"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\" is not a "
    "valid digest "
    "(algorithm:encoded)" },
  { "image_descriptor",
    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:../../etc\",\"size\":1}",
    "t.json: digest: \"sha256:../../etc\" is not a valid digest (algorithm:encoded)" },
  { "image_descriptor", "{\"mediaType\":\"tar\",\"digest\":\"" SHA_A "\",\"size\":1}",
    "t.json: mediaType: \"tar\" is not a valid media type" },
  { "image_descriptor", "{\"mediaType\":\"a/b\",\"digest\":\"" SHA_A "\",\"size\":-1}",
    "t.json: size: -1 is negative" },
  { "image_descriptor", "{\"mediaType\":\"a/b\",\"digest\":\"" SHA_A "\",\"size\":3,\"data\":\"e30=\"}",
    "t.json: data: decodes to 2 bytes but size is 3" },
  { "image_descriptor",
    "{\"mediaType\":\"a/b\",\"digest\":\"" SHA_A "\",\"size\":1,\"urls\":[\"no-scheme\"]}",
    "t.json: urls[0]: \"no-scheme\" is not a URL" },
  { "image_descriptor",
    "{\"mediaType\":\"a/b\",\"digest\":\"" SHA_A "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}",
    "t.json: platform.architecture: REQUIRED but missing" },
  { "image_manifest",
    MANIFEST_HEAD "\"config\":{" DESC_OK "},\"layers\":[{\"mediaType\":\"a/b\",\"size\":1}]}",
    "t.json: layers[0].digest: REQUIRED but missing" },
  { "image_manifest", "{\"schemaVersion\":1,\"config\":{" DESC_OK "},\"layers\":[]}",
    "t.json: schemaVersion: MUST be 2, got 1" },
  { "image_manifest", "{\"schemaVersion\":2,\"config\":{" DESC_OK "}}",
    "t.json: layers: REQUIRED but missing" },
  { "image_manifest",
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"config\":{" DESC_OK
    "},\"layers\":[]}",
    "t.json: mediaType: \"application/vnd.oci.image.index.v1+json\" is not "
    "application/vnd.oci.image.manifest.v1+json" },
  { "image_manifest",
    MANIFEST_HEAD "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" SHA_A
                  "\",\"size\":2},\"layers\":[]}",
    "t.json: artifactType: MUST be set when config.mediaType is application/vnd.oci.empty.v1+json" },
  { "image_index", "{\"schemaVersion\":2,\"mediaType\":\"application/json\",\"manifests\":[]}",
    "t.json: mediaType: \"application/json\" is not application/vnd.oci.image.index.v1+json" },
  { "image_index", "{\"schemaVersion\":2}", "t.json: manifests: REQUIRED but missing" },
  { "image_config",
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"tar\",\"diff_ids\":[]}}",
    "t.json: rootfs.type: MUST be \"layers\", got \"tar\"" },
  { "image_config",
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:1\"]"
    "}}",
    "t.json: rootfs.diff_ids[0]: \"sha256:1\" is not a valid digest (algorithm:encoded)" },
  { "image_config",
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"yesterday\",\"rootfs\":{\"type\":\"layers\","
    "\"diff_ids\":[]}}",
    "t.json: created: \"yesterday\" is not an RFC 3339 date-time" },
  { "image_config", "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
    "t.json: architecture: REQUIRED but missing" },
  { "image_layout", "{\"imageLayoutVersion\":\"2.0.0\"}",
    "t.json: imageLayoutVersion: unsupported version \"2.0.0\" (expected 1.x.y)" },
  { "image_layout", "{}", "t.json: imageLayoutVersion: REQUIRED but missing" },
};

static bool
matches (const char *got, const char *expected)
{
  size_t n = strlen (expected);
  if (n > 0 && expected[n - 1] == '*')
    return strncmp (got, expected, n - 1) == 0;
  return strcmp (got, expected) == 0;
}

static void
run_case (const struct error_case *c)
{
  const struct kind *k = kind (c->kind);
  char *err = NULL;
  void *doc = k->parse_data (c->json, strlen (c->json), "t.json", &err);
  int r = doc ? k->validate (doc, &err) : -1;
  bool ok = r < 0 && err && matches (err, c->expected) && strchr (err, '\n') == NULL;
  tap_ok (ok, "%s refused: %s", c->kind, c->expected);
  if (!ok)
    tap_diag ("got: %s", err ? err : "(accepted)");
  free (err);
  k->free (doc);
}

int
main (void)
{
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    run_case (&cases[i]);

  /* Errors not about content.  */
  char *err = NULL;
  struct oci_config *c = oci_config_parse_file ("/nonexistent/config.json", &err);
  tap_ok (c == NULL && err
            && strcmp (err, "/nonexistent/config.json: cannot open: No such file or directory") == 0,
          "a missing file is named in the error");
  free (err);
  err = NULL;
  c = oci_config_parse_file ("/", &err);
  tap_ok (c == NULL && err && strcmp (err, "/: not a regular file") == 0, "a directory is refused");
  free (err);
  err = NULL;
  static const char nul[] = "{\"ociVersion\":\"1.0.0\"}\0{}";
  c = oci_config_parse_data (nul, sizeof (nul) - 1, "nul.json", &err);
  tap_ok (c == NULL && err && strcmp (err, "nul.json: invalid JSON: contains a NUL byte") == 0,
          "a NUL byte is refused");
  free (err);
  err = NULL;
  /* Control characters of the input never split the message.  */
  c = oci_config_parse_data ("{\"annotations\":{\"a\\nb\":1}}", 26, "t.json", &err);
  tap_ok (c == NULL && err && strcmp (err, "t.json: annotations.a?b: expected a string, got a number") == 0,
          "control characters in keys are neutralised");
  free (err);
  return tap_done ();
}
