#!/usr/bin/env bash
# muelle build and Debian's buildah bud, given the same Dockerfile and the
# same busybox base, make images with the same config semantics and the
# same files.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/muelle-build-helpers.bash"
require_root
require_cmd buildah python3
build_setup

ctx=$TEST_TMP/ctx
mkdir -p "$ctx/dir/sub"
echo "hello" >"$ctx/hello.txt"
echo "nested" >"$ctx/dir/sub/nested.txt"
chmod 0640 "$ctx/dir/sub/nested.txt"
ln -s hello.txt "$ctx/dir/link"
dockerfile "$ctx" <<'EOF2'
ARG BASE=busybox
FROM ${BASE}
ARG GREETING=hi
ENV PATH=/usr/local/bin:/usr/bin:/bin APP_HOME=/srv/app GREETING=${GREETING}
LABEL org.example.name="same" version=2
EXPOSE 8080 53/udp
VOLUME ["/data"]
WORKDIR $APP_HOME
COPY hello.txt ./
COPY dir /srv/dir/
COPY --chown=1000:1001 --chmod=0600 hello.txt /srv/owned.txt
RUN mkdir -p /srv/made && echo "$GREETING" >/srv/made/greeting && rm -f /etc/group- && ln -s ../made /srv/made-link
RUN rm /srv/dir/link
USER tester
STOPSIGNAL SIGUSR1
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /srv/made/greeting"]
EOF2

build -q --build-arg GREETING=hello-both -t ours "$ctx"
is "$status" 0 "muelle builds it"

bstore=(--root "$TEST_TMP/buildah/root" --runroot "$TEST_TMP/buildah/run" --storage-driver vfs)
"${M[@]}" save --format oci-archive -o "$TEST_TMP/busybox-oci.tar" busybox ||
  bail "cannot save busybox"
run_cmd buildah "${bstore[@]}" bud --isolation chroot --layers=false \
  --build-arg BASE="oci-archive:$TEST_TMP/busybox-oci.tar" --build-arg GREETING=hello-both \
  -t theirs -f "$ctx/Dockerfile" "$ctx"
is "$status" 0 "buildah builds it" || diag "$output"
run_cmd buildah "${bstore[@]}" push theirs "oci-archive:$TEST_TMP/theirs.tar:theirs"
is "$status" 0 "buildah exports it"
"${M[@]}" load -i "$TEST_TMP/theirs.tar" >/dev/null || bail "cannot load buildah's image"
theirs=$("${M[@]}" images --format json | jq -r '.[] | select(.name // "" | test("theirs")) | .name' | head -1)
[ -n "$theirs" ] || theirs=theirs

for field in Env Cmd Entrypoint WorkingDir User ExposedPorts Volumes StopSignal; do
  is "$(config ours ".config.$field")" "$(config "$theirs" ".config.$field")" "same $field"
done
is "$(config ours '.config.Labels')" "$(config "$theirs" '.config.Labels | del(."io.buildah.version")')" \
  "same Labels (but buildah's own)"
is "$(config ours '.os + "/" + .architecture')" "$(config "$theirs" '.os + "/" + .architecture')" "same platform"

# Both create the VOLUME directory /data in the image (BuildKit does not).
tree ()
{
  (cd "$1" && find . -path ./proc -prune -o -path ./sys -prune -o -path ./dev -prune \
    -o -printf '%p %y %m %U:%G %l\n' | sort
   find . -type f -path './srv/*' -exec sha256sum {} + | sort)
}
"${M[@]}" bundle ours "$TEST_TMP/b-ours" >/dev/null
"${M[@]}" bundle "$theirs" "$TEST_TMP/b-theirs" >/dev/null
is "$(tree "$TEST_TMP/b-ours/rootfs")" "$(tree "$TEST_TMP/b-theirs/rootfs")" \
  "the same files, types, modes, owners, link targets and contents"

run_image ours
is "$output" "hello-both" "our image runs"

done_testing
