#!/usr/bin/env bash
# Pull benchmark: `muelle pull` against `skopeo copy docker://... oci:...`
# of the same multi-layer image from a loopback docker-registry, each run
# into an empty destination, runs interleaved, medians reported.
#
#   bench/pull.sh [--muelle PATH] [--baseline PATH] [--runs N] [--layers N] [--layer-mb N]
#
# --baseline adds a row for another muelle build (e.g. before a change),
# run in the same interleaved loop.  Two floor rows show what the machine
# allows: one `curl -Z` process fetching the same blobs in parallel into
# /dev/null (no store at all), and into files followed by `sync -f` (no
# digest, no index, one sync instead of one per blob).
#
# Needs: docker-registry skopeo umoci python3 curl bc (all Debian packages).
set -euo pipefail

MUELLE=${MUELLE:-./muelle}
RUNS=7
LAYERS=6
LAYER_MB=8
BASE=
while [ $# -gt 0 ]; do
  case $1 in
    --muelle) MUELLE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --baseline) BASE=$2; shift 2 ;;
    --layers) LAYERS=$2; shift 2 ;;
    --layer-mb) LAYER_MB=$2; shift 2 ;;
    *) echo "usage: $0 [--muelle PATH] [--baseline PATH] [--runs N] [--layers N] [--layer-mb N]" >&2; exit 2 ;;
  esac
done
[ -x "$MUELLE" ] || { echo "$0: $MUELLE is not an executable muelle (use --muelle)" >&2; exit 2; }
for c in /usr/bin/docker-registry skopeo umoci python3 curl bc; do
  command -v "$c" >/dev/null || { echo "$0: $c is missing" >&2; exit 2; }
done

work=$(mktemp -d /tmp/muelle-bench.XXXXXX)
reg_pid=
cleanup ()
{
  [ -z "$reg_pid" ] || kill "$reg_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
/usr/bin/docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
  sleep 0.1
done

# An image of LAYERS layers, each LAYER_MB of half-compressible data.
echo "building a $LAYERS-layer image ($LAYER_MB MiB per layer)..." >&2
umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:bench" >/dev/null
for i in $(seq "$LAYERS"); do
  rm -rf "$work/bundle"
  umoci unpack --image "$work/oci:bench" "$work/bundle" >/dev/null
  mkdir -p "$work/bundle/rootfs/data"
  { head -c $((LAYER_MB * 512 * 1024)) /dev/urandom; head -c $((LAYER_MB * 512 * 1024)) /dev/zero; } \
    >"$work/bundle/rootfs/data/layer-$i"
  umoci repack --image "$work/oci:bench" "$work/bundle" >/dev/null
done
rm -rf "$work/bundle"
image=127.0.0.1:$port/bench/image:latest
skopeo copy --quiet --dest-tls-verify=false "oci:$work/oci:bench" "docker://$image" >/dev/null

# The blob URLs (config and layers), for the curl floor rows.
curl_to_null=()
curl_to_files=()
while read -r d; do
  curl_to_null+=("http://127.0.0.1:$port/v2/bench/image/blobs/$d" -o /dev/null)
  curl_to_files+=("http://127.0.0.1:$port/v2/bench/image/blobs/$d" -o "$work/curl-out/${d#sha256:}")
done < <(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://127.0.0.1:$port/v2/bench/image/manifests/latest" |
  python3 -c 'import json,sys; m=json.load(sys.stdin); [print(d["digest"]) for d in [m["config"]]+m["layers"]]')
[ ${#curl_to_null[@]} -gt 0 ] || { echo "$0: cannot list the image's blobs" >&2; exit 1; }

now () { date +%s.%N; }
stats ()
{
  sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}

: >"$work/muelle.times"
: >"$work/skopeo.times"
: >"$work/base.times"
: >"$work/null.times"
: >"$work/files.times"
for run in $(seq "$RUNS"); do
  rm -rf "$work/store" "$work/skopeo-out" "$work/base-store" "$work/curl-out"
  mkdir "$work/curl-out"
  sync
  t0=$(now)
  "$MUELLE" --root "$work/store" pull -q --tls-verify=false "$image" >/dev/null
  t1=$(now)
  skopeo copy --quiet --src-tls-verify=false "docker://$image" "oci:$work/skopeo-out:bench" >/dev/null
  t2=$(now)
  echo "$t1 - $t0" | bc >>"$work/muelle.times"
  echo "$t2 - $t1" | bc >>"$work/skopeo.times"
  if [ -n "$BASE" ]; then
    t0=$(now)
    "$BASE" --root "$work/base-store" pull -q --tls-verify=false "$image" >/dev/null
    t1=$(now)
    echo "$t1 - $t0" | bc >>"$work/base.times"
  fi
  t0=$(now)
  curl -sf -Z "${curl_to_null[@]}"
  t1=$(now)
  curl -sf -Z "${curl_to_files[@]}"
  sync -f "$work/curl-out"
  t2=$(now)
  echo "$t1 - $t0" | bc >>"$work/null.times"
  echo "$t2 - $t1" | bc >>"$work/files.times"
  printf 'run %d: muelle %.3fs, skopeo %.3fs\n' "$run" "$(tail -1 "$work/muelle.times")" "$(tail -1 "$work/skopeo.times")" >&2
done

read -r m mmin mmax < <(stats <"$work/muelle.times")
read -r s smin smax < <(stats <"$work/skopeo.times")
printf '%d runs; image: %d layers x %d MiB\n' "$RUNS" "$LAYERS" "$LAYER_MB"
printf '| %-28s | %8s | %15s | %9s |\n' tool median min-max "vs skopeo"
printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %9s |\n' "skopeo copy" "$s" "$smin" "$smax" 1.00
printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %9.2f |\n' "muelle pull" "$m" "$mmin" "$mmax" "$(echo "$m / $s" | bc -l)"
if [ -n "$BASE" ]; then
  read -r m mmin mmax < <(stats <"$work/base.times")
  printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %9.2f |\n' "baseline muelle pull" "$m" "$mmin" "$mmax" \
    "$(echo "$m / $s" | bc -l)"
fi
read -r m mmin mmax < <(stats <"$work/null.times")
printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %9.2f |\n' "floor: curl -Z to /dev/null" "$m" "$mmin" "$mmax" \
  "$(echo "$m / $s" | bc -l)"
read -r m mmin mmax < <(stats <"$work/files.times")
printf '| %-28s | %7.3fs | %6.3f-%6.3fs | %9.2f |\n' "floor: curl -Z to files+sync" "$m" "$mmin" "$mmax" \
  "$(echo "$m / $s" | bc -l)"

