#!/usr/bin/env bash
# buildah bud --isolation oci --runtime estiba builds a Dockerfile with RUN
# steps (user, workdir, env, network, failure) exactly as it does with runc.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/engines.sh"
require_root
require_cmd buildah podman runc jq nsenter unshare iptables
require_file /usr/lib/podman/netavark "netavark is not installed (RUN steps' network)"

engine_setup
base=localhost/estiba-base
engine_image "$base"

ctx=$TEST_TMP/ctx
mkdir -p "$ctx" && echo from-context >"$ctx/file.txt"
cat >"$ctx/Dockerfile" <<EOF
FROM $base
ENV GREETING=hello
COPY file.txt /copied.txt
RUN echo "built \$GREETING" >/built && cat /copied.txt >>/built
RUN ["/probe", "ids"]
USER 1000:1000
WORKDIR /home/tester
RUN echo "step uid=\$(id -u) cwd=\$PWD" && touch mine
USER 0
RUN echo "step ifaces=\$(ls /sys/class/net | tr '\n' ' ')"
RUN /probe limits && /probe caps | grep -i bnd
CMD ["cat", "/built"]
EOF

# bud RUNTIME TAG [ARGS...]: buildah bud of ctx with RUNTIME.  buildah uses
# its --cgroup-parent as the RUN containers' cgroup itself: a leaf of its
# own, as runc cannot deny devices in a cgroup that has children (podman's).
bud ()
{
  local runtime=$1 tag=$2
  # shellcheck disable=SC2034 # _engine_state reads it
  local ENGINE_RUNTIME=$runtime
  shift 2
  bh bud --isolation oci --runtime "$runtime" --runtime-flag "root=$(_engine_state)" --cgroup-parent "$ENGINE_CGROUP/buildah" \
    --signature-policy "$ENGINE_DIR/policy.json" --pull=never --layers=false -t "$tag" "$@"
}

# The RUN steps' own output, without buildah's step lines and ids.
run_output ()
{
  grep -vE '^(STEP|COMMIT|Getting|Copying|Writing|Storing|--> |Successfully|[0-9a-f]{64}$)' <<<"$1"
}

run_cmd bud "$ESTIBA" localhost/built-estiba "$ctx"
is "$status" 0 "bud: the build succeeds"
built=$output
like "$built" "uid=0" "bud: RUN runs (exec form)"
like "$built" "step uid=1000 cwd=/home/tester" "bud: RUN honours USER and WORKDIR"
like "$built" "step ifaces=" "bud: RUN with the default network runs"

run_cmd pm run --rm --net none localhost/built-estiba
is "$output" "$(printf 'built hello\nfrom-context')" "the image holds what RUN wrote, ENV and COPY applied"
run_cmd pm run --rm --net none localhost/built-estiba stat -c %u /home/tester/mine
is "$output" 1000 "a file made by a USER 1000 step belongs to 1000"

run_cmd bud runc localhost/built-runc "$ctx"
is "$status" 0 "bud with runc: the reference build succeeds"
is "$(run_output "$built")" "$(run_output "$output")" "bud: every RUN step prints what it prints under runc"
run_cmd pm run --rm --net none localhost/built-runc
is "$output" "$(printf 'built hello\nfrom-context')" "the runc-built image holds the same"

# A failing RUN fails the build with its status, and no image appears.
mkdir -p "$TEST_TMP/bad"
printf 'FROM %s\nRUN echo before-failure && exit 7\nRUN echo never-reached\n' "$base" >"$TEST_TMP/bad/Dockerfile"
run_cmd bud "$ESTIBA" localhost/bad "$TEST_TMP/bad"
isnt "$status" 0 "bud: a failing RUN fails the build"
like "$output" "exit status 7" "bud: the failing step's exit status is reported"
unlike "$output" "never-reached" "bud: the build stops at the failing step"
check_fails "bud: no image is tagged" pm image exists localhost/bad

# buildah run, outside bud, with the same runtime.
run_cmd bh from --pull=never --cgroup-parent "$ENGINE_CGROUP/buildah" --name bctr "$base"
is "$status" 0 "buildah from: a working container"
run_cmd bh run --isolation oci --runtime "$ESTIBA" --runtime-flag "root=$ENGINE_STATE/estiba" bctr -- sh -c 'echo run-ok; exit 3'
is "$status" 3 "buildah run: the exit status comes back"
like "$output" "run-ok" "buildah run: the output comes back"
run_cmd bh rm bctr
is "$status" 0 "buildah rm"

done_testing
