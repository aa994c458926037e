#!/usr/bin/env bash
# Multi-platform images: an OCI image index and a Docker manifest list
# (of Docker schema2 manifests) made by hand from single-platform images;
# muelle pull picks the host's platform by default, --platform picks
# another, and an absent platform is an error listing the ones there are.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-registry-helpers.bash"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd /usr/bin/docker-registry skopeo umoci jq python3 curl

[ "$(uname -m)" == x86_64 ] || skip_all "the expected default platform is written for amd64 hosts"

start_registry reg
layout=$TEST_TMP/oci
make_oci_image "$layout" amd64 amd64
make_oci_image "$layout" arm64 arm64
make_oci_image "$layout" armv7 arm

# put_index NAME MEDIATYPE FORMAT: push the three images to REG/NAME by
# digest (skopeo --format FORMAT) and PUT an index of them as NAME:multi.
put_index ()
{
  local name=$1 mt=$2 format=$3 arch entries=() d size mmt variant
  mkdir -p "$(dirname "$TEST_TMP/$name")"
  for arch in amd64 arm64 armv7; do
    skopeo copy --quiet --dest-tls-verify=false --format "$format" "oci:$layout:$arch" \
      "docker://$REG/$name:$arch" >/dev/null 2>&1 || bail "skopeo copy $arch failed"
    skopeo inspect --raw --tls-verify=false "docker://$REG/$name:$arch" >"$TEST_TMP/$name-$arch.json"
    d=sha256:$(sha256sum <"$TEST_TMP/$name-$arch.json" | cut -d' ' -f1)
    size=$(stat -c %s "$TEST_TMP/$name-$arch.json")
    # skopeo 1.9 writes OCI manifests without their (optional) mediaType.
    mmt=$(jq -r '.mediaType // "application/vnd.oci.image.manifest.v1+json"' "$TEST_TMP/$name-$arch.json")
    eval "DIGEST_${arch}=$d"
    case $arch in
      amd64) variant='{os: "linux", architecture: "amd64"}' ;;
      arm64) variant='{os: "linux", architecture: "arm64", variant: "v8"}' ;;
      armv7) variant='{os: "linux", architecture: "arm", variant: "v7"}' ;;
    esac
    entries+=("$(jq -n --arg d "$d" --argjson s "$size" --arg m "$mmt" "{mediaType: \$m, digest: \$d, size: \$s, platform: $variant}")")
  done
  printf '%s\n' "${entries[@]}" | jq -s --arg mt "$mt" '{schemaVersion: 2, mediaType: $mt, manifests: .}' \
    >"$TEST_TMP/$name-index.json"
  curl -sf -X PUT -H "Content-Type: $mt" --data-binary "@$TEST_TMP/$name-index.json" \
    "http://$REG/v2/$name/manifests/multi" >/dev/null || bail "PUT of the index failed"
}

for kind in oci docker; do
  if [ $kind == oci ]; then
    put_index multi/oci application/vnd.oci.image.index.v1+json oci
  else
    put_index multi/docker application/vnd.docker.distribution.manifest.list.v2+json v2s2
  fi
  name=$REG/multi/$kind:multi
  store=$TEST_TMP/store-$kind

  run_cmd muelle_r "$store" pull --tls-verify=false "$name"
  is "$status" 0 "$kind index: pull picks a platform"
  [ "$status" -eq 0 ] || diag "$output"
  is "$(store_digest "$store" "$name")" "$DIGEST_amd64" "$kind index: the default is the host's platform (linux/amd64)"
  is "$(jq -r '.manifests[0].platform.architecture' "$store/index.json")" amd64 \
    "$kind index: the store records the platform"

  run_cmd muelle_r "$store" pull --tls-verify=false --platform linux/arm64 "$name"
  is "$(store_digest "$store" "$name")" "$DIGEST_arm64" "$kind index: --platform linux/arm64 matches variant v8"
  run_cmd muelle_r "$store" pull --tls-verify=false --platform linux/arm/v7 "$name"
  is "$(store_digest "$store" "$name")" "$DIGEST_armv7" "$kind index: --platform linux/arm/v7"
  config=$(jq -r .config.digest "$store/blobs/sha256/${DIGEST_armv7#sha256:}")
  is "$(jq -r .architecture "$store/blobs/sha256/${config#sha256:}")" arm "$kind index: the arm image's config is stored"

  run_cmd muelle_r "$store" pull --tls-verify=false --platform linux/s390x "$name"
  is "$status" 1 "$kind index: an absent platform fails"
  like "$output" "no image for platform linux/s390x \(available: linux/amd64, linux/arm64/v8, linux/arm/v7\)" \
    "$kind index: the error lists the available platforms"
  run_cmd muelle_r "$store" pull --tls-verify=false --platform linux/arm/v6 "$name"
  is "$status" 1 "$kind index: a variant that is not there fails"
done

run_cmd muelle_r "$TEST_TMP/s" pull --tls-verify=false --platform linux "$REG/multi/oci:multi"
is "$status" 1 "a malformed --platform is rejected"
like "$output" 'invalid platform "linux"' "the error names the value"

# Single-platform image for another architecture: refused unless asked for.
run_cmd muelle_r "$TEST_TMP/s" pull --tls-verify=false --platform linux/amd64 "$REG/multi/oci:arm64"
is "$status" 1 "an explicit --platform refuses a single image of another platform"
like "$output" 'image is for linux/arm64, not linux/amd64' "the error names both platforms"

# Push the index back: all platforms and the index keep their digests.
idx_store=$TEST_TMP/store-index
skopeo copy --quiet --src-tls-verify=false --all "docker://$REG/multi/oci:multi" "oci:$idx_store:x" >/dev/null 2>&1 ||
  bail "skopeo could not copy the index to an OCI layout"
jq '.manifests[0].annotations["org.opencontainers.image.ref.name"] = "localhost/multi:x"' "$idx_store/index.json" \
  >"$idx_store/index.new" && mv "$idx_store/index.new" "$idx_store/index.json"
mkdir -p "$idx_store/tmp"
index_digest=$(jq -r '.manifests[0].digest' "$idx_store/index.json")
child_digest=$(jq -r '.manifests[1].digest' "$idx_store/blobs/sha256/${index_digest#sha256:}")
run_cmd muelle_r "$idx_store" push --tls-verify=false localhost/multi:x "$REG/pushed/index:all"
is "$status" 0 "push an image index"
[ "$status" -eq 0 ] || diag "$output"
is "$(registry_digest "$REG/pushed/index:all")" "$index_digest" "the pushed index keeps its digest"
is "$(registry_digest "$REG/pushed/index@$child_digest")" "$child_digest" "its manifests were pushed by digest"

done_testing
