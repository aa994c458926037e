#!/usr/bin/env bash
# muelle build: every metadata instruction lands in the image config and
# history as docker writes them, and the built image runs with estiba.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-build-helpers.bash"
require_root
build_setup

dockerfile "$TEST_TMP/base-ctx" <<'EOF2'
FROM busybox
ENV KEEP=1
CMD ["echo", "inherited"]
ONBUILD ENV TRIGGERED=yes
ONBUILD RUN echo onbuild-ran >/onbuild
EOF2
build -q -t parent "$TEST_TMP/base-ctx"
is "$status" 0 "the parent image builds"
is "$(config parent .config.OnBuild)" '["ENV TRIGGERED=yes","RUN echo onbuild-ran >/onbuild"]' "ONBUILD is stored"

dockerfile "$TEST_TMP/ctx" <<'EOF2'
FROM parent
ARG NAME=world
ENV GREETING="hello ${NAME}" EMPTY=""
LABEL org.example.title="a title" version=1
LABEL multi.word="x y z"
EXPOSE 80 53/udp 8000-8001/tcp
USER tester:testers
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD ["true"]
VOLUME ["/data", "/cache"]
VOLUME /logs
MAINTAINER someone@example.com
SHELL ["/bin/sh", "-ec"]
WORKDIR /srv
WORKDIR app
CMD echo "$GREETING from $(pwd) as $(id -u):$(id -g)"
EOF2
build -q --build-arg NAME=muelle -t child "$TEST_TMP/ctx"
is "$status" 0 "the child image builds"
like "$IMAGE" '^sha256:' "and prints the image id"
is "$(config child '.config.Env')" '["KEEP=1","TRIGGERED=yes","GREETING=hello muelle","EMPTY="]' \
  "Env: inherited, ONBUILD's, and ENV with a build arg expanded"
is "$(config child '.config.Labels')" '{"multi.word":"x y z","org.example.title":"a title","version":"1"}' \
  "Labels, sorted as docker writes them"
is "$(config child '.config.ExposedPorts | keys')" '["53/udp","80/tcp","8000/tcp","8001/tcp"]' \
  "ExposedPorts, a range expanded"
is "$(config child '.config.User')" '"tester:testers"' "User"
is "$(config child '.config.StopSignal')" '"SIGINT"' "StopSignal"
is "$(config child '.config.Healthcheck')" \
  '{"Test":["CMD","true"],"Interval":5000000000,"Timeout":2000000000,"Retries":4}' "Healthcheck"
is "$(config child '.config.Volumes | keys')" '["/cache","/data","/logs"]' "Volumes"
is "$(config child '.author')" '"someone@example.com"' "MAINTAINER is the author"
is "$(config child '.config.Shell')" '["/bin/sh","-ec"]' "Shell"
is "$(config child '.config.WorkingDir')" '"/srv/app"' "a relative WORKDIR continues the previous one"
is "$(config child '.config.Cmd')" \
  '["/bin/sh","-ec","echo \"$GREETING from $(pwd) as $(id -u):$(id -g)\""]' "shell-form CMD uses SHELL"
is "$(config child '.config.OnBuild')" 'null' "ONBUILD triggers are not passed on"
is "$(config child '[.history[] | select(.empty_layer != true)] | length')" \
  "$(config child '.rootfs.diff_ids | length')" "one non-empty history entry per layer"
is "$(config child '[.history[].created_by | select(startswith("ENV GREETING"))] | length')" 1 \
  "metadata steps have history"
is "$(config child '[.history[] | select(.created_by | startswith("ENV GREETING")) | .empty_layer][0]')" true \
  "marked empty_layer"
is "$(config child '.created')" '"1970-01-01T00:00:00Z"' "created is the build timestamp (0 by default)"

run_image child
is "$status" 0 "the image runs"
is "$output" "hello muelle from /srv/app as 1000:1001" "with its env, workdir, user and CMD"
run_image child /bin/sh -c 'cat /onbuild; stat -c "%u:%g %a" /srv/app'
is "$output" "$(printf 'onbuild-ran\n1000:1001 755')" \
  "the ONBUILD RUN trigger ran; WORKDIR created the directory, owned by USER"
run_image child /bin/sh -c 'stat -c "%n %u:%g %a %F" /data /cache /logs; ls -A /data'
is "$output" "$(printf '/data 0:0 755 directory\n/cache 0:0 755 directory\n/logs 0:0 755 directory')" \
  "VOLUME created its directories, empty, root's, 755 (as buildah)"
is "$(config child '[.history[] | select(.created_by | startswith("VOLUME")) | .empty_layer]')" '[null,null]' \
  "each VOLUME that creates a directory is a layer"

# A VOLUME on existing directories leaves them alone and adds no layer.
dockerfile "$TEST_TMP/vol" <<'EOF2'
FROM busybox
VOLUME /tmp ./home/tester/
EOF2
build -q -t vol "$TEST_TMP/vol"
is "$status" 0 "VOLUME on existing directories builds"
is "$(config vol '[.history[-1].empty_layer, (.rootfs.diff_ids | length)]')" \
  "[true,$(config busybox '.rootfs.diff_ids | length')]" "and adds no layer"
run_image vol /bin/sh -c 'stat -c "%n %u:%g %a" /tmp /home/tester'
is "$output" "$(printf '/tmp 0:0 1777\n/home/tester 1000:1000 755')" "the directories are unchanged"

# ENTRYPOINT resets an inherited CMD, not one set before it in the stage.
dockerfile "$TEST_TMP/ep" <<'EOF2'
FROM parent
ENTRYPOINT ["/bin/echo"]
EOF2
build -q -t ep "$TEST_TMP/ep"
is "$(config ep '.config.Cmd')" 'null' "ENTRYPOINT resets the inherited CMD"
dockerfile "$TEST_TMP/ep2" <<'EOF2'
FROM busybox
CMD ["kept"]
ENTRYPOINT ["/bin/echo"]
EOF2
build -q -t ep2 "$TEST_TMP/ep2"
is "$(config ep2 '.config.Cmd')" '["kept"]' "but keeps a CMD of the same stage"
is "$(config ep2 '.config.Entrypoint')" '["/bin/echo"]' "Entrypoint"
run_image ep2
is "$output" "kept" "ENTRYPOINT + CMD run together"

# --label, several -t, -f, --target, FROM scratch.
dockerfile "$TEST_TMP/misc" <<'EOF2'
FROM scratch AS empty
LABEL stage=empty
FROM busybox AS second
LABEL stage=second
EOF2
mv "$TEST_TMP/misc/Dockerfile" "$TEST_TMP/misc/Other.dockerfile"
build -q -f "$TEST_TMP/misc/Other.dockerfile" --target empty --label extra=yes -t one -t two:v2 "$TEST_TMP/misc"
is "$status" 0 "-f, --target, --label and two tags"
is "$(config one '.config.Labels')" '{"extra":"yes","stage":"empty"}' "--target built the first stage, --label added"
is "$(config one '.rootfs.diff_ids')" '[]' "FROM scratch has no layers"
is "$(config two:v2 '.config.Labels.stage')" '"empty"' "the second tag names the same image"
build -q --target nosuch "$TEST_TMP/misc" -f "$TEST_TMP/misc/Other.dockerfile"
is "$status" 1 "an unknown --target fails"
like "$output" "nosuch" "naming the stage"

build -q --platform linux/arm64 -t arm -f "$TEST_TMP/misc/Other.dockerfile" --target empty "$TEST_TMP/misc"
is "$(config arm '.architecture')" '"arm64"' "--platform sets a scratch image's architecture"

# The README's example.
build -q -t hello "$SRCDIR/examples/hello"
is "$status" 0 "examples/hello builds"
run_image hello
is "$output" "$(printf 'Hello, world! This image was built by muelle and runs on estiba.\nbuilt on Linux')" \
  "and greets"

done_testing
