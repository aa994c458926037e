# shellcheck shell=bash
# Helpers of the muelle-registry-*.sh tests (sourced after common.sh):
# a private docker-registry on loopback, test images built with umoci and
# copied with skopeo, and the fault-injecting proxy.

# free_port: a TCP port nobody listens on right now.
free_port ()
{
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_registry NAME [EXTRA_YAML]: a docker-registry on 127.0.0.1 with its
# storage under $TEST_TMP/NAME; sets REG_PORT and REG (host:port).  Stopped
# by pid at exit.
start_registry ()
{
  local name=$1 extra=${2:-} dir=$TEST_TMP/$1 pid
  REG_PORT=$(free_port)
  REG=127.0.0.1:$REG_PORT
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REG_PORT
$extra
EOF
  /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  pid=$!
  on_exit "kill $pid"
  wait_for 10 curl -s -o /dev/null "http://$REG/v2/" || bail "docker-registry did not start: $(cat "$dir/log")"
}

# start_proxy UPSTREAM: the fault-injecting proxy in front of UPSTREAM
# (host:port); its behaviour is the word in $PROXY_MODE_FILE.  Sets PROXY.
start_proxy ()
{
  local port pid
  port=$(free_port)
  PROXY=127.0.0.1:$port
  PROXY_MODE_FILE=$TEST_TMP/proxy-mode
  echo pass >"$PROXY_MODE_FILE"
  python3 "$SRCDIR/tests/integration/muelle-registry-proxy.py" "$port" "$1" "$PROXY_MODE_FILE" \
    >"$TEST_TMP/proxy.log" 2>&1 &
  pid=$!
  on_exit "kill $pid"
  wait_for 10 curl -s -o /dev/null "http://$PROXY/ping" || bail "proxy did not start: $(cat "$TEST_TMP/proxy.log")"
}

proxy_mode ()
{
  echo "$1" >"$PROXY_MODE_FILE"
}

# make_oci_image LAYOUT TAG [ARCH] [LAYERS]: an OCI image in LAYOUT (an OCI
# layout directory) from a small busybox root filesystem, with LAYERS
# layers (default 1) and the given architecture (default amd64).
make_oci_image ()
{
  local layout=$1 tag=$2 arch=${3:-amd64} layers=${4:-1} bundle=$TEST_TMP/umoci-bundle i
  [ -d "$layout" ] || umoci init --layout "$layout" || bail "umoci init failed"
  umoci new --image "$layout:$tag" || bail "umoci new failed"
  umoci config --image "$layout:$tag" --architecture "$arch" --os linux --config.cmd /bin/sh ||
    bail "umoci config failed"
  for ((i = 1; i <= layers; i++)); do
    rm -rf "$bundle"
    umoci unpack --image "$layout:$tag" "$bundle" >/dev/null || bail "umoci unpack failed"
    if [ "$i" -eq 1 ]; then
      mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/etc"
      cp /bin/busybox "$bundle/rootfs/bin/busybox"
      ln -s busybox "$bundle/rootfs/bin/sh"
      echo 'root:x:0:0:root:/root:/bin/sh' >"$bundle/rootfs/etc/passwd"
    fi
    echo "layer $i of $tag ($arch) $RANDOM" >"$bundle/rootfs/etc/layer-$i"
    umoci repack --image "$layout:$tag" "$bundle" || bail "umoci repack failed"
  done
  rm -rf "$bundle"
}

# push_with_skopeo LAYOUT TAG DEST: copy an OCI layout image to docker://DEST.
push_with_skopeo ()
{
  skopeo copy --quiet --dest-tls-verify=false "oci:$1:$2" "docker://$3" >/dev/null 2>&1 ||
    bail "skopeo copy oci:$1:$2 docker://$3 failed"
}

# registry_digest REF: the manifest digest the registry serves (skopeo).
registry_digest ()
{
  skopeo inspect --raw --tls-verify=false "docker://$1" 2>/dev/null | sha256sum | sed 's/^/sha256:/; s/ .*//'
}

# store_tags STORE: the ref names in STORE/index.json, one per line, sorted.
store_tags ()
{
  jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] // empty' "$1/index.json" 2>/dev/null | sort
}

# store_digest STORE NAME: the manifest digest tagged NAME in STORE.
store_digest ()
{
  jq -r --arg n "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' \
    "$1/index.json"
}

# store_clean STORE: no temp files left behind by a write.
store_tmp_empty ()
{
  [ -z "$(ls -A "$1/tmp" 2>/dev/null)" ]
}

muelle_r ()
{
  local root=$1
  shift
  "$MUELLE" --root "$root" "$@"
}
