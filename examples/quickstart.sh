#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine, as root, from the repository:
# installs the build dependencies, builds estiba and muelle in _build/default,
# then does the main job end to end:
#
#   1. imports Debian's busybox-static as the image busybox:latest
#      (a root filesystem tar -> `muelle import`; nothing is downloaded),
#   2. builds examples/hello/Dockerfile with `muelle build` (a COPY, a RUN
#      run by estiba over overlayfs, a CMD),
#   3. turns the image into an OCI bundle with `muelle bundle`,
#   4. runs it with `estiba run`.
#
#   examples/quickstart.sh [--no-deps]
#
# The image store is a scratch directory (muelle --root), removed at the end
# with everything else this script made.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

if [ "$(id -u)" -ne 0 ]; then
  echo "$0: run as root (it installs packages and runs containers)" >&2
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
muelle=$top/_build/default/muelle

work=$(mktemp -d /tmp/estiba-quickstart.XXXXXX)
cleanup ()
{
  "$estiba" --root "$work/state" delete --force "quickstart-$$" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
store=$work/store

echo "== importing Debian's busybox-static as busybox:latest"
bash tests/lib/busybox-rootfs.sh "$work/busybox"
tar -C "$work/busybox" --numeric-owner -cf "$work/busybox.tar" .
"$muelle" --root "$store" import "$work/busybox.tar" busybox:latest

echo "== muelle build -t hello examples/hello"
"$muelle" --root "$store" build -t hello --build-arg WHO=quickstart examples/hello

echo "== muelle bundle hello $work/bundle"
"$muelle" --root "$store" bundle hello "$work/bundle"

echo "== estiba run"
"$estiba" --root "$work/state" run --bundle "$work/bundle" "quickstart-$$"
