#!/usr/bin/env bash
# muelle build's RUN steps: each runs in a container over an overlay of the
# stage, its layer is exactly what it changed (whiteouts, opaque dirs,
# metadata), with the image's env/user/workdir, host or no network,
# RUN --mount types, and nothing left behind when a step fails or is killed.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd jq tar

ROOT=$TEST_TMP/store
M=("$MUELLE" --root "$ROOT")
CTX=$TEST_TMP/ctx
mkdir -p "$CTX"

make_rootfs "$TEST_TMP/rootfs"
tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/rootfs.tar" .
run_cmd "${M[@]}" import "$TEST_TMP/rootfs.tar" base
is "$status" 0 "base image imported" || bail "no base image: $output"

# The step containers' cgroups (muelle-build-*) that exist before we start.
cgroups_before=$(ls -d /sys/fs/cgroup/*/muelle-build-* /sys/fs/cgroup/unified/*/muelle-build-* 2>/dev/null | sort)
new_cgroups () {
  comm -13 <(printf '%s\n' "$cgroups_before") \
    <(ls -d /sys/fs/cgroup/*/muelle-build-* /sys/fs/cgroup/unified/*/muelle-build-* 2>/dev/null | sort) | grep .
}

# build NAME DOCKERFILE-TEXT [BUILD FLAGS...]: builds $CTX, output in $output.
build () {
  local name=$1 text=$2
  shift 2
  printf '%s\n' "$text" >"$CTX/Dockerfile"
  run_cmd timeout 120 "${M[@]}" build -t "$name" "$@" "$CTX"
}

# The manifest of a tag, then its last layer's entry names.
manifest_of () {
  local digest
  digest=$(jq -r --arg n "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] | test("(^|/)" + $n + ":latest$")) | .digest' "$ROOT/index.json" | head -n1)
  [ -n "$digest" ] && cat "$ROOT/blobs/sha256/${digest#sha256:}"
}
last_layer_entries () {
  local layer
  layer=$(manifest_of "$1" | jq -r '.layers[-1].digest')
  [ -n "$layer" ] && [ "$layer" != null ] && tar -tzf "$ROOT/blobs/sha256/${layer#sha256:}" | sed 's,^\./,,' | sort
}
# The content of PATH in the image NAME, from the newest layer holding it.
image_file () {
  local l
  for l in $(manifest_of "$1" | jq -r '.layers | reverse | .[].digest'); do
    tar -xzOf "$ROOT/blobs/sha256/${l#sha256:}" "$2" 2>/dev/null && return 0
  done
  return 1
}
# The image unpacked by muelle bundle in $TEST_TMP/b-NAME.
bundle_of () {
  rm -rf "$TEST_TMP/b-$1"
  "${M[@]}" bundle "$1" "$TEST_TMP/b-$1" >/dev/null 2>&1
}
# Nothing of the build may remain: no mounts in any process, no scratch.
assert_clean () {
  local what=$1 leftovers
  leftovers=$(grep -l "$ROOT" /proc/[0-9]*/mountinfo 2>/dev/null | head -n3)
  is "$leftovers" "" "$what: no mount of the store left in any process"
  is "$(ls -A "$ROOT/build/tmp" 2>/dev/null)" "" "$what: nothing left under build/tmp"
  is "$(pgrep -f "$ROOT/build" | head -n3)" "" "$what: no process left"
}

# ---- the layer is the diff of the upper directory ----
build diff 'FROM base
RUN echo hi-from-run && echo hello >/hello && rm /etc/group && rm -rf /home && mkdir /home && touch /home/new && chmod 0700 /tmp && mknod /nul c 1 3'
is "$status" 0 "RUN step builds" || diag "$output"
like "$output" "hi-from-run" "the step's output is streamed"
entries=$(last_layer_entries diff)
like "$entries" $'(^|\n)hello(\n|$)' "new file in the layer"
like "$entries" $'(^|\n)etc/\\.wh\\.group(\n|$)' "deleted file: whiteout"
like "$entries" $'(^|\n)home/\\.wh\\.\\.wh\\.\\.opq(\n|$)' "rm -rf + mkdir: opaque directory"
like "$entries" $'(^|\n)home/new(\n|$)' "with its new content"
like "$entries" $'(^|\n)tmp/?(\n|$)' "chmod only: the directory entry"
unlike "$entries" $'(^|\n)etc/(hosts|resolv\\.conf|hostname)(\n|$)' "no /etc/hosts or resolv.conf in the layer"
unlike "$entries" $'(^|\n)(proc|sys|dev)/' "nothing of /proc /sys /dev in the layer"
unlike "$entries" $'(^|\n)etc/passwd(\n|$)' "untouched files are not in the layer"
layer=$(manifest_of diff | jq -r '.layers[-1].digest')
like "$(tar -tvzf "$ROOT/blobs/sha256/${layer#sha256:}" nul 2>/dev/null)" '^c' "a step may make device nodes (as docker build)"
if bundle_of diff; then
  r=$TEST_TMP/b-diff/rootfs
  is "$(cat "$r/hello")" hello "the image has the new file"
  check "the image lacks the deleted file" test ! -e "$r/etc/group"
  check "the opaque dir hides the old content" test ! -e "$r/home/tester"
  is "$(stat -c %a "$r/tmp")" 700 "the new mode"
else
  fail "bundle of the built image"
fi
assert_clean "after a step"

build minimal 'FROM base
RUN echo x >/only'
is "$status" 0 "a one-file step builds" || diag "$output"
is "$(last_layer_entries minimal | tr '\n' ' ')" "only " \
  "its layer holds that file only (no mount points, no parents copied up for them)"

# ---- the container: env, user, workdir, hostname, caps, network ----
build envs 'FROM base
ENV FOO=bar
USER tester
WORKDIR /home/tester/w
RUN id -u >/tmp/uid; pwd >/tmp/pwd; echo "$FOO" >/tmp/foo; hostname >/tmp/host; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " | sort >/tmp/net; [ -t 0 ] || echo notty >/tmp/tty'
is "$status" 0 "RUN as a user in a workdir" || diag "$output"
is "$(image_file envs tmp/uid)" 1000 "USER applies"
is "$(image_file envs tmp/pwd)" /home/tester/w "WORKDIR applies"
is "$(image_file envs tmp/foo)" bar "ENV applies"
is "$(image_file envs tmp/host)" buildkitsandbox "fixed hostname"
is "$(image_file envs tmp/tty)" notty "no terminal"
host_ifs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort)
is "$(image_file envs tmp/net)" "$host_ifs" "default network: the host's"

# A relative --root, and an image WorkingDir that does not exist yet.
run_cmd "${M[@]}" import -c 'WORKDIR /nowhere/deep' "$TEST_TMP/rootfs.tar" base-wd
printf 'FROM base-wd\nRUN pwd >here\n' >"$CTX/Dockerfile"
run_cmd bash -c "cd '$TEST_TMP' && timeout 120 '$MUELLE' --root store build -t wd ctx"
is "$status" 0 "relative --root, missing working directory" || diag "$output"
is "$(image_file wd nowhere/deep/here)" /nowhere/deep "the working directory is made, and kept in the layer"
# Relative --root, context and secret src: every mount source still resolves.
echo rel-ctx >"$CTX/rel.txt" && echo rel-secret >"$TEST_TMP/rel-secret"
printf '%s\n' 'FROM base' 'RUN --mount=type=bind,target=/c cat /c/rel.txt >/ro' \
  'RUN --mount=type=bind,target=/c,rw --mount=type=cache,target=/k sh -c "cat /c/rel.txt >/rw; touch /k/x"' \
  'RUN --mount=type=secret,id=s cat /run/secrets/s >/sec' >"$CTX/Dockerfile"
run_cmd bash -c "cd '$TEST_TMP' && timeout 120 '$MUELLE' --root store build --secret id=s,src=rel-secret -t relmounts ctx"
is "$status" 0 "relative --root, context and secret with RUN --mount" || diag "$output"
is "$(image_file relmounts ro)$(image_file relmounts rw)$(image_file relmounts sec)" "rel-ctxrel-ctxrel-secret" \
  "bind, rw bind and secret sources found"
rm -f "$CTX/rel.txt" "$TEST_TMP/rel-secret"

build netnone 'FROM base
RUN --network=none cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " >/net; cat /sys/class/net/lo/flags >/loflags'
is "$status" 0 "RUN --network=none" || diag "$output"
build netnone2 'FROM base
RUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " >/net' --network none
is "$status" 0 "build --network none" || diag "$output"
is "$(image_file netnone net)" lo "--network=none: only lo"
is "$(( $(image_file netnone loflags) & 1 ))" 1 "and lo is up"
is "$(image_file netnone2 net)" lo "build --network none: only lo"

# ---- RUN --mount ----
mkdir -p "$CTX/data"
echo from-context >"$CTX/data/x"
build binds 'FROM base
RUN --mount=type=bind,source=data,target=/mnt/data cat /mnt/data/x >/bound
RUN --mount=type=bind,source=data,target=/w,rw echo scribble >/w/x && cat /w/x >/rw
RUN --mount=type=tmpfs,target=/scratch echo t >/scratch/f && grep " /scratch tmpfs" /proc/mounts >/tmpfs'
is "$status" 0 "bind and tmpfs mounts" || diag "$output"
is "$(image_file binds bound)" from-context "bind mount of the context"
is "$(image_file binds rw)" scribble "rw bind is writable"
like "$(image_file binds tmpfs)" "/scratch tmpfs" "tmpfs mounted"
entries=$(for l in $(manifest_of binds | jq -r '.layers[1:][].digest'); do tar -tzf "$ROOT/blobs/sha256/${l#sha256:}"; done)
unlike "$entries" $'(^|\n)(\\./)?(mnt/data|w|scratch)/?(\n|$)' "mount targets created for the steps are not in the image"
is "$(cat "$CTX/data/x")" from-context "rw bind writes never reach the context"

build bindfrom 'FROM base AS stage
RUN echo from-stage >/s
FROM base
RUN --mount=type=bind,from=stage,source=/s,target=/m cat /m >/got'
is "$status" 0 "bind mount from an earlier stage" || diag "$output"
is "$(image_file bindfrom got)" from-stage "the stage's file is readable"
build bindescape 'FROM base
RUN --mount=type=bind,source=../../../../../../etc/shadow,target=/m cat /m >/got'
if [ "$status" = 0 ]; then
  isnt "$(image_file bindescape got)" "$(cat /etc/shadow)" "a bind source cannot leave the context"
else
  pass "a bind source cannot leave the context"
fi

cache_df='FROM base
RUN --mount=type=cache,target=/var/cache/t,sharing=locked echo run >>/var/cache/t/log && wc -l </var/cache/t/log >/count'
build cache1 "$cache_df" --no-cache
is "$status" 0 "cache mount, first build" || diag "$output"
build cache2 "$cache_df" --no-cache
is "$status" 0 "cache mount, second build" || diag "$output"
is "$(image_file cache1 count | tr -d ' ')" 1 "first build sees an empty cache"
is "$(image_file cache2 count | tr -d ' ')" 2 "the cache persists between builds"
check_fails "the cache is not in the image" image_file cache2 var/cache/t/log

build cacheshare 'FROM base
RUN --mount=type=cache,id=c,target=/a --mount=type=cache,id=c,target=/b sh -c "touch /a/x; test -e /b/x && echo shared >/shared"
RUN --mount=type=cache,id=p,target=/a,sharing=private --mount=type=cache,id=p,target=/b,sharing=private sh -c "touch /a/x; test -e /b/x || echo private >/private"
RUN --mount=type=cache,id=l,target=/a,sharing=locked --mount=type=cache,id=l,target=/b,sharing=locked sh -c "touch /a/x; test -e /b/x && echo locked >/locked"'
is "$status" 0 "cache sharing modes" || diag "$output"
is "$(image_file cacheshare shared)" shared "sharing=shared: one directory"
is "$(image_file cacheshare private)" private "sharing=private: a busy cache gives a fresh one"
is "$(image_file cacheshare locked)" locked "sharing=locked: one step may mount it twice"

echo s3cr3t-value >"$TEST_TMP/secret"
build secret 'FROM base
RUN --mount=type=secret,id=tok cat /run/secrets/tok >/copy && stat -c %a /run/secrets/tok >/mode
RUN --mount=type=secret,id=tok,env=TOK echo "$TOK" >/envcopy
RUN --mount=type=secret,target=/etc/tok cat /etc/tok >/bytarget' --secret "id=tok,src=$TEST_TMP/secret"
is "$status" 0 "secret mount" || diag "$output"
is "$(image_file secret copy)" s3cr3t-value "secret readable at /run/secrets/ID"
is "$(image_file secret mode)" 400 "mode 0400"
is "$(image_file secret envcopy)" s3cr3t-value "env= exposes it"
is "$(image_file secret bytarget)" s3cr3t-value "the id defaults to the target's name"
entries=$(for l in $(manifest_of secret | jq -r '.layers[].digest'); do tar -tzf "$ROOT/blobs/sha256/${l#sha256:}"; done)
unlike "$entries" $'(^|\n)(\\./)?(run/secrets|etc/tok)' "no layer holds the secret files or their mount points"
build nosecret 'FROM base
RUN --mount=type=secret,id=missing,required=true true'
isnt "$status" 0 "a required secret that was not given fails"
like "$output" "missing" "naming the secret"

# ---- failures leave nothing behind ----
build fails 'FROM base
RUN echo before; exit 3'
isnt "$status" 0 "a failing step fails the build"
like "$output" 'exited with status 3' "the error names the exit status"
assert_clean "after a failing step"

build noshell 'FROM scratch
RUN true'
isnt "$status" 0 "a step without a shell fails"
assert_clean "after a step without a shell"

printf 'FROM base\nRUN sleep 7654\n' >"$CTX/Dockerfile"
"${M[@]}" build -t killed "$CTX" >"$TEST_TMP/killed.out" 2>&1 &
mpid=$!
if wait_for 30 pgrep -f "sleep 765[4]"; then
  kill -TERM "$mpid"
  wait_for 20 bash -c "! kill -0 $mpid 2>/dev/null"
  ok_if "SIGTERM ends muelle" $?
  wait "$mpid" 2>/dev/null
  check "the step's process is gone" bash -c '! pgrep -f "sleep 765[4]"'
  assert_clean "after SIGTERM"
else
  fail "the step did not start" "$(cat "$TEST_TMP/killed.out")"
  kill -KILL "$mpid" 2>/dev/null
fi

# Waiting for a locked cache another build holds: a signal still ends it.
mkdir -p "$ROOT/build/run-cache"
lockfile=$ROOT/build/run-cache/$(printf lk | sha256sum | cut -d' ' -f1).lock
flock "$lockfile" sleep 60 &
holder=$!
on_exit "kill $holder 2>/dev/null"
wait_for 10 bash -c "! flock -n '$lockfile' true"
printf 'FROM base\nRUN --mount=type=cache,id=lk,target=/c,sharing=locked true\n' >"$CTX/Dockerfile"
"${M[@]}" build --no-cache -t waits "$CTX" >"$TEST_TMP/waits.out" 2>&1 &
mpid=$!
sleep 0.5
kill -0 "$mpid" 2>/dev/null
ok_if "the build waits for the locked cache" $?
kill -TERM "$mpid" 2>/dev/null
wait_for 10 bash -c "! kill -0 $mpid 2>/dev/null"
ok_if "SIGTERM ends a build waiting for a cache lock" $?
wait "$mpid" 2>/dev/null
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
assert_clean "after SIGTERM while waiting for a lock"
# (another build running on this machine meanwhile has its own for a moment)
for _ in $(seq 50); do
  left=$(new_cgroups)
  [ -z "$left" ] && break
  sleep 0.1
done
is "$left" "" "no step left a cgroup behind"

done_testing
