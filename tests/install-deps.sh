#!/usr/bin/env bash
# Installs the Debian 12 packages listed in tests/deps.txt (all of them, or
# with --build-only the "# build" section plus busybox-static, which is all
# the quick start needs).
#
# Packages such as docker-registry ship a service that Debian starts on
# install, with a stock configuration listening on every interface.  Nothing
# here may run a service we did not start ourselves, so installs happen
# under a policy-rc.d that forbids service starts (the standard Debian
# mechanism, invoke-rc.d(8)); it is removed again afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(sed 's/#.*//' tests/deps.txt)
if [ "${1:-}" = --build-only ]; then
  packages="$(sed -n '/^# build/,/^# /{s/#.*//;p}' tests/deps.txt) busybox-static"
fi

policy=/usr/sbin/policy-rc.d
had_policy=no
[ ! -e "$policy" ] || had_policy=yes
if [ $had_policy = no ]; then
  printf '#!/bin/sh\n# estiba tests/install-deps.sh: no service starts during installs\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $packages

# The VM test tier boots Debian's own kernel: fetch it now (70 MB, cached
# in /var/cache/estiba-vm), so a slow mirror costs set-up time rather than
# the time limit of a test.  A failure here is not fatal: the tier retries
# and says why it is skipped.
if [ "${1:-}" != --build-only ]; then
  tests/vm/kernel.sh >/dev/null || echo "install-deps: could not fetch the VM kernel now; vm-* tests will retry" >&2
fi
