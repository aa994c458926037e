#!/usr/bin/env bash
# muelle build: multi-stage builds (COPY --from a stage, an index, an
# image; FROM an earlier stage; --target skips what it does not need;
# independent stages run at the same time), --squash, --secret, --network.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-build-helpers.bash"
require_root
build_setup

ctx=$TEST_TMP/ctx
# Stages a and b wait (up to 10 s) for each other through a shared cache
# mount: both see the other only if they run at the same time.
dockerfile "$ctx" <<'EOF2'
ARG TOKEN
FROM busybox AS a
ARG TOKEN
RUN --mount=type=cache,target=/sync,id=sync-${TOKEN} touch /sync/a; \
    i=0; while [ ! -e /sync/b ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; \
    if [ -e /sync/b ]; then echo together; else echo alone; fi >/a.txt

FROM busybox AS b
ARG TOKEN
RUN --mount=type=cache,target=/sync,id=sync-${TOKEN} touch /sync/b; \
    i=0; while [ ! -e /sync/a ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; \
    if [ -e /sync/a ]; then echo together; else echo alone; fi >/b.txt

FROM busybox AS unused
RUN echo unused-stage-ran; exit 1

FROM a AS derived
ARG TOKEN
RUN echo "derived from a, token ${TOKEN}" >/derived.txt

FROM busybox
COPY --from=derived /a.txt /derived.txt /out/
COPY --from=1 /b.txt /out/b.txt
COPY --from=busybox /etc/passwd /out/passwd
RUN --mount=type=bind,from=b,source=/b.txt,target=/mnt/b.txt cp /mnt/b.txt /out/b-mounted.txt
CMD ["cat", "/out/a.txt", "/out/b.txt", "/out/derived.txt", "/out/b-mounted.txt"]
EOF2
build --build-arg TOKEN=$$ -t multi "$ctx"
is "$status" 0 "the multi-stage build succeeds"
unlike "$output" "unused-stage-ran" "a stage the target does not need is not built"
run_image multi
is "$output" "$(printf 'together\ntogether\nderived from a, token %s\ntogether' $$)" \
  "independent stages ran at the same time; COPY --from a stage name and index, FROM a stage with its ARG"
run_image multi cmp /out/passwd /etc/passwd
is "$status" 0 "COPY --from an image"

build --build-arg TOKEN=$$ --target b -t only-b "$ctx"
is "$status" 0 "--target b"
is "$(printf '%s\n' "$output" | grep -c '^STEP')" 3 "builds only what b needs"

# --squash: the layers the build adds become one on top of the base.
dockerfile "$TEST_TMP/sq" <<'EOF2'
FROM busybox
RUN mkdir -p /d/sub && echo one >/d/one && echo gone >/d/gone && echo base-file >/d/sub/x
RUN rm /d/gone && echo two >/d/two
RUN rm -rf /d/sub && mkdir /d/sub && echo fresh >/d/sub/y
EOF2
build -q --squash -t squashed "$TEST_TMP/sq"
is "$status" 0 "--squash builds"
base_layers=$(config busybox '.rootfs.diff_ids | length')
is "$(config squashed '.rootfs.diff_ids | length')" $((base_layers + 1)) "one layer on top of the base"
is "$(config squashed '[.history[] | select(.empty_layer != true)] | length')" $((base_layers + 1)) \
  "the history agrees"
run_image squashed sh -c 'cd /d && find . | sort | tr "\n" " "; cat one two sub/y'
is "$output" "$(printf '. ./one ./sub ./sub/y ./two one\ntwo\nfresh')" \
  "files removed by later steps are gone, replaced directories hold only the new content"

# --secret reaches RUN --mount=type=secret but not the layer.
echo s3cret >"$TEST_TMP/secret"
dockerfile "$TEST_TMP/sec" <<'EOF2'
FROM busybox
RUN --mount=type=secret,id=tok wc -c </run/secrets/tok >/secret-size
EOF2
build -q --secret id=tok,src="$TEST_TMP/secret" -t secret "$TEST_TMP/sec"
is "$status" 0 "a build with --secret"
run_image secret sh -c 'cat /secret-size; ls -A /run/secrets 2>/dev/null | wc -l'
is "$output" "$(printf '7\n0')" "the step read the secret; the image has no /run/secrets/tok"
found=0
for layer in $("${M[@]}" inspect --type manifest secret | jq -r '.layers[].digest'); do
  zcat "$ROOT/blobs/sha256/${layer#sha256:}" | grep -q s3cret && found=1
done
is "$found" 0 "no layer holds the secret's content"

# --network none gives RUN steps only a loopback device.
dockerfile "$TEST_TMP/net" <<'EOF2'
FROM busybox
RUN grep -c : /proc/net/dev >/devices
EOF2
build -q --network none -t net-none "$TEST_TMP/net"
run_image net-none cat /devices
is "$output" 1 "--network none: only lo"
build -q --network host -t net-host "$TEST_TMP/net"
is "$(config net-host '.rootfs.diff_ids[-1]')" "$(config net-host '.rootfs.diff_ids[-1]')" "--network host builds"
run_image net-host cat /devices
is "$output" "$(grep -c : /proc/net/dev)" "--network host: the host's devices"

done_testing
