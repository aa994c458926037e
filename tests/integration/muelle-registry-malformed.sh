#!/usr/bin/env bash
# Registries serving documents that parse but break the image-spec
# (validated with libocispec), or configs of the wrong shape: muelle pull
# refuses each with one error line naming the image and the member, and
# neither a tag nor a blob (not even the config) enters the store.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-registry-helpers.bash"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd /usr/bin/docker-registry skopeo umoci jq python3 curl

start_registry reg
make_oci_image "$TEST_TMP/oci" v1 amd64 2
push_with_skopeo "$TEST_TMP/oci" v1 "$REG/bad/base:v1"
curl -sf -o "$TEST_TMP/base-manifest.json" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$REG/v2/bad/base/manifests/v1" || bail "cannot read the pushed manifest"
manifest=$(cat "$TEST_TMP/base-manifest.json")
config=$(curl -sf "http://$REG/v2/bad/base/blobs/$(jq -r .config.digest <<<"$manifest")") || bail "cannot read the config"

# push_blob REPO FILE: upload FILE as a blob of REPO (monolithic), print its digest.
push_blob ()
{
  local d location
  d=sha256:$(sha256sum <"$2" | cut -d' ' -f1)
  location=$(curl -sf -X POST -D - -o /dev/null "http://$REG/v2/$1/blobs/uploads/" | tr -d '\r' |
    sed -n 's/^[Ll]ocation: //p')
  [ -n "$location" ] || bail "blob upload to $1 did not start"
  case $location in http*) ;; *) location=http://$REG$location ;; esac
  case $location in *\?*) location=$location\&digest=$d ;; *) location=$location?digest=$d ;; esac
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$2" "$location" >/dev/null ||
    bail "blob upload of $2 to $1 failed"
  echo "$d"
}
# put_manifest REPO TAG MEDIATYPE FILE
put_manifest ()
{
  curl -sSf -X PUT -H "Content-Type: $3" --data-binary "@$4" "http://$REG/v2/$1/manifests/$2" >/dev/null ||
    bail "the registry refused the manifest $4 for $1:$2: $(curl -s -X PUT -H "Content-Type: $3" --data-binary "@$4" "http://$REG/v2/$1/manifests/$2")"
}
# with_config REPO TAG CONFIG_JSON: push the base layers with another config.
with_config ()
{
  local d f=$TEST_TMP/${1//\//-}
  skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://$REG/bad/base:v1" \
    "docker://$REG/$1:base" >/dev/null 2>&1 || bail "skopeo copy to $1 failed"
  printf '%s' "$3" >"$f-config.json"
  d=$(push_blob "$1" "$f-config.json")
  jq --arg d "$d" --argjson s "$(stat -c %s "$f-config.json")" '.config.digest = $d | .config.size = $s' \
    <<<"$manifest" >"$f-manifest.json"
  put_manifest "$1" "$2" application/vnd.oci.image.manifest.v1+json "$f-manifest.json"
  CONFIG_DIGEST=$d
}

# pull_refused REF DESC REGEX
pull_refused ()
{
  local store=$TEST_TMP/store-${2// /-}
  run_cmd muelle_r "$store" pull --tls-verify=false "$REG/$1"
  is "$status" 1 "$2: pull exits 1"
  like "$output" "$3" "$2: the error names the image and what is wrong"
  is "$(printf '%s\n' "$output" | grep -c '^muelle:')" 1 "$2: one error line"
  is "$(store_tags "$store")" "" "$2: nothing is tagged"
  # Not even the config: it is checked before anything is committed.
  is "$(find "$store/blobs" -type f 2>/dev/null | wc -l)" 0 "$2: no blob entered the store"
  check "$2: no temp files are left" store_tmp_empty "$store"
}

with_config bad/norootfs v1 "$(jq -c 'del(.rootfs)' <<<"$config")"
pull_refused bad/norootfs:v1 "config without rootfs" \
  "pull $REG/bad/norootfs:v1: malformed image config: $CONFIG_DIGEST: rootfs: REQUIRED"

with_config bad/cfgtype v1 "$(jq -c '.architecture = 5' <<<"$config")"
pull_refused bad/cfgtype:v1 "config member of the wrong type" \
  "pull $REG/bad/cfgtype:v1: malformed image config: .*architecture"

with_config bad/difftype v1 "$(jq -c '.rootfs.type = "zfs"' <<<"$config")"
pull_refused bad/difftype:v1 "config rootfs.type not layers" \
  "pull $REG/bad/difftype:v1: malformed image config: $CONFIG_DIGEST: rootfs.type"

# An index whose artifactType is not a media type (image-index.md).
skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://$REG/bad/base:v1" \
  "docker://$REG/bad/index:base" >/dev/null 2>&1 || bail "skopeo copy to bad/index failed"
jq -n --arg d "sha256:$(sha256sum <"$TEST_TMP/base-manifest.json" | cut -d' ' -f1)" \
  --argjson s "$(stat -c %s "$TEST_TMP/base-manifest.json")" \
  '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", artifactType: "not a type",
    manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
                 platform: {os: "linux", architecture: "amd64"}}]}' >"$TEST_TMP/bad-index.json"
put_manifest bad/index v1 application/vnd.oci.image.index.v1+json "$TEST_TMP/bad-index.json"
pull_refused bad/index:v1 "index with a bad artifactType" \
  "pull $REG/bad/index:v1: malformed image index: .*artifactType"

# A manifest whose artifactType is not a media type (manifest.md).
jq '.artifactType = "not a type"' <<<"$manifest" >"$TEST_TMP/bad-annotations.json"
skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://$REG/bad/base:v1" \
  "docker://$REG/bad/annot:base" >/dev/null 2>&1 || bail "skopeo copy to bad/annot failed"
put_manifest bad/annot v1 application/vnd.oci.image.manifest.v1+json "$TEST_TMP/bad-annotations.json"
pull_refused bad/annot:v1 "manifest with a bad artifactType" \
  "pull $REG/bad/annot:v1: malformed manifest: .*artifactType"

# The well-formed base still pulls (the checks are not over-eager).
run_cmd muelle_r "$TEST_TMP/store-ok" pull --tls-verify=false "$REG/bad/base:v1"
is "$status" 0 "the well-formed image pulls"

done_testing
