#!/usr/bin/env bash
# estiba features: a runtime-spec 1.3 features structure (features.md,
# features-linux.md, schema/features-schema.json), checked member by member.
# shellcheck source=tests/lib/common.sh disable=SC2016 # $names in single quotes are jq variables
. "$(dirname "$0")/../lib/common.sh"
require_cmd jq
require_file "$ESTIBA" "estiba is not built"

run_cmd "$ESTIBA" features
is "$status" 0 "features exits 0"
f=$TEST_TMP/features.json
"$ESTIBA" features >"$f" 2>"$TEST_TMP/stderr"
check "features prints valid JSON" jq -e . "$f"
is "$(cat "$TEST_TMP/stderr")" "" "features writes nothing on stderr"

# jq_true "desc" FILTER: FILTER must be true on the document.
jq_true ()
{
  local out
  if out=$(jq -e "$2" "$f" 2>&1); then
    pass "$1"
  else
    fail "$1" "filter: $2" "result: $out"
  fi
}

# The schema's rules: required members, types, and the enums of defs-linux.json.
jq_true "ociVersionMin and ociVersionMax are required strings" \
  '(.ociVersionMin | type == "string") and (.ociVersionMax | type == "string")'
jq_true "ociVersionMax is 1.3.0" '.ociVersionMax == "1.3.0"'
jq_true "ociVersionMin is not greater than ociVersionMax" \
  '[.ociVersionMin, .ociVersionMax] | map(split(".") | map(tonumber)) | .[0] <= .[1]'
jq_true "only members features.md defines" \
  'keys - ["ociVersionMin","ociVersionMax","hooks","mountOptions","annotations","potentiallyUnsafeConfigAnnotations","linux"] == []'
jq_true "hooks is an array of hook names" \
  '(.hooks // []) | all(IN("prestart","createRuntime","createContainer","startContainer","poststart","poststop"))'
jq_true "mountOptions is an array of strings" '(.mountOptions // []) | all(type == "string")'
jq_true "annotations is a string map" '(.annotations // {}) | to_entries | all(.value | type == "string")'
jq_true "linux has only the members features-linux.md defines" \
  '(.linux // {}) | keys - ["namespaces","capabilities","cgroup","seccomp","apparmor","selinux","intelRdt","memoryPolicy","mountExtensions","netDevices"] == []'
jq_true "namespaces are NamespaceType values" \
  '(.linux.namespaces // []) | all(IN("mount","pid","network","uts","ipc","user","cgroup","time"))'
jq_true "capabilities match ^CAP_[A-Z_]+$" '(.linux.capabilities // []) | all(test("^CAP_[A-Z_]+$"))'
jq_true "cgroup members are booleans" \
  '(.linux.cgroup // {}) | (keys - ["v1","v2","systemd","systemdUser","rdma"] == []) and (map_values(type) | all(. == "boolean"))'
jq_true "seccomp.enabled is a boolean" '(.linux.seccomp.enabled // false) | type == "boolean"'
jq_true "seccomp actions are SeccompAction values" \
  '(.linux.seccomp.actions // []) | all(IN("SCMP_ACT_KILL","SCMP_ACT_KILL_PROCESS","SCMP_ACT_KILL_THREAD","SCMP_ACT_TRAP","SCMP_ACT_ERRNO","SCMP_ACT_TRACE","SCMP_ACT_ALLOW","SCMP_ACT_LOG","SCMP_ACT_NOTIFY"))'
jq_true "seccomp operators are SeccompOperators values" \
  '(.linux.seccomp.operators // []) | all(IN("SCMP_CMP_NE","SCMP_CMP_LT","SCMP_CMP_LE","SCMP_CMP_EQ","SCMP_CMP_GE","SCMP_CMP_GT","SCMP_CMP_MASKED_EQ"))'
jq_true "seccomp archs are SeccompArch values" \
  '(.linux.seccomp.archs // []) | all(test("^SCMP_ARCH_(X86|X86_64|X32|ARM|AARCH64|LOONGARCH64|M68K|MIPS|MIPS64|MIPS64N32|MIPSEL|MIPSEL64|MIPSEL64N32|PPC|PPC64|PPC64LE|S390|S390X|SH|SHEB|PARISC|PARISC64|RISCV64)$"))'
jq_true "seccomp flags are SeccompFlag values, supported ones known" \
  '(.linux.seccomp // {}) as $s | (($s.knownFlags // []) + ($s.supportedFlags // [])) | all(IN("SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW","SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")) and ((($s.supportedFlags // []) - ($s.knownFlags // [])) == [])'
jq_true "a disabled seccomp lists nothing" \
  '(.linux.seccomp // {}) | (.enabled == true) or ((.actions // []) + (.operators // []) + (.archs // []) + (.knownFlags // []) == [])'
jq_true "an enabled seccomp lists libseccomp's actions, operators and this machine's arch" \
  '(.linux.seccomp // {}) | (.enabled != true) or ((.actions | index("SCMP_ACT_ERRNO")) and (.operators | length == 7) and (.archs | index("SCMP_ARCH_X86_64")))'
jq_true "apparmor, selinux, netDevices, intelRdt, mountExtensions.idmap are {enabled: bool}" \
  '[.linux.apparmor, .linux.selinux, .linux.netDevices, .linux.intelRdt, .linux.mountExtensions.idmap] | map(select(. != null) | .enabled | type) | all(. == "boolean")'
jq_true "apparmor is not claimed (estiba has no AppArmor support)" '.linux.apparmor.enabled != true'
jq_true "memoryPolicy modes and flags are arrays of MPOL names" \
  '(.linux.memoryPolicy // {}) | ((.modes // []) + (.flags // [])) | all(test("^MPOL_"))'
jq_true "cgroup v1, v2 and systemd are claimed (tested on this host and in the VM tier)" \
  '.linux.cgroup.v1 == true and .linux.cgroup.v2 == true and .linux.cgroup.systemd == true'
jq_true "systemd user (rootless) cgroups are not claimed" '.linux.cgroup.systemdUser != true'

# The annotations runc also gives, with estiba's own keys.
lsv=$(pkg-config --modversion libseccomp 2>/dev/null || true)
if [ -n "$lsv" ]; then
  is "$(jq -r '.annotations["io.github.seccomp.libseccomp.version"]' "$f")" "$lsv" "libseccomp version annotation"
else
  skip "pkg-config cannot tell the libseccomp version"
fi
is "$(jq -r '.annotations["io.estiba.version"]' "$f")" "$("$ESTIBA" --version | sed -n 's/^estiba version //p')" \
  "estiba version annotation matches --version"
is "$(jq -r '.annotations["io.estiba.commit"]' "$f")" "$("$ESTIBA" --version | sed -n 's/^commit: //p')" \
  "estiba commit annotation matches --version"
jq_true "checkpoint is not claimed (criu cannot run here)" '.annotations["io.estiba.checkpoint.enabled"] == "false"'

# Capabilities, when listed, are the full list up to the kernel headers' last.
if jq -e '.linux.capabilities | length > 0' "$f" >/dev/null; then
  jq_true "capabilities start with CAP_CHOWN and have no duplicates" \
    '.linux.capabilities | (.[0] == "CAP_CHOWN") and (length == (unique | length))'
else
  pass "no capabilities claimed yet"
fi

done_testing
