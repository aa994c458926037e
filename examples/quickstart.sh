#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine, as root, from the repository:
# installs the build dependencies, builds estiba and muelle in _build/default,
# then runs a busybox container (Debian's busybox-static) with `estiba run`.
#
#   examples/quickstart.sh [--no-deps]
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

if [ "$(id -u)" -ne 0 ]; then
  echo "$0: run as root (it installs packages and runs a container)" >&2
  exit 1
fi

if [ "${1:-}" != --no-deps ]; then
  echo "== installing build dependencies (tests/deps.txt)"
  ./tests/install-deps.sh --build-only
fi

echo "== building in _build/default"
./autogen.sh
mkdir -p _build/default
(cd _build/default && "$top/configure" && make -j"$(nproc)")
estiba=$top/_build/default/estiba

work=$(mktemp -d /tmp/estiba-quickstart.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== making a busybox bundle in $work/bundle"
bash tests/lib/busybox-rootfs.sh "$work/bundle/rootfs"
"$estiba" spec --bundle "$work/bundle"
jq '.process.terminal = false | .hostname = "quickstart"
    | .process.args = ["/bin/sh", "-c", "echo \"Hello from a busybox container run by estiba: I am pid $$ on host $(hostname)\""]' \
  "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

echo "== estiba run"
"$estiba" --root "$work/state" run --bundle "$work/bundle" "quickstart-$$"
