#!/usr/bin/env bash
# muelle build's COPY and ADD: Docker's source/dest rules, .dockerignore,
# every flag (--from --chown --chmod --link --parents --exclude
# --checksum), heredocs, archives unpacked safely, URLs, escape attempts
# refused with one-line errors, and bit-identical layers for equal inputs.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd jq tar python3 gzip bzip2 xz zstd

ROOT=$TEST_TMP/store
M=("$MUELLE" --root "$ROOT")
CTX=$TEST_TMP/ctx
mkdir -p "$CTX"

make_rootfs "$TEST_TMP/rootfs"
mkdir -p "$TEST_TMP/rootfs/target" && ln -s /target "$TEST_TMP/rootfs/lnk" && echo x >"$TEST_TMP/rootfs/afile"
tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/rootfs.tar" .
run_cmd "${M[@]}" import "$TEST_TMP/rootfs.tar" base
is "$status" 0 "base image imported" || bail "no base image: $output"

# build NAME DOCKERFILE-TEXT [BUILD FLAGS...]: builds $CTX, output in
# $output; the image's manifest is kept in $TEST_TMP/manifest-NAME.
build () {
  local name=$1 text=$2
  shift 2
  printf '%s\n' "$text" >"$CTX/Dockerfile"
  rm -f "$TEST_TMP/manifest-$name"
  run_cmd timeout 120 "${M[@]}" build -t "$name" "$@" "$CTX"
  [ "$status" = 0 ] || return 0
  local digest
  digest=$(jq -r --arg n "$name" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] | test("(^|/)" + $n + ":latest$")) | .digest' "$ROOT/index.json" | head -n1)
  cp "$ROOT/blobs/sha256/${digest#sha256:}" "$TEST_TMP/manifest-$name"
}
manifest_of () {
  cat "$TEST_TMP/manifest-$1" 2>/dev/null
}
# layer NAME [INDEX]: "mode uid/gid path[ -> target]" of a layer (default: the last).
layer () {
  local l
  l=$(manifest_of "$1" | jq -r ".layers[${2:--1}].digest")
  [ -n "$l" ] && [ "$l" != null ] && tar --numeric-owner -tvzf "$ROOT/blobs/sha256/${l#sha256:}" |
    awk '{ $3 = ""; $4 = ""; $5 = ""; print }' | sed 's/   */ /g'
}
# file NAME [INDEX] PATH: a file's contents from a layer.
file () {
  local l
  l=$(manifest_of "$1" | jq -r ".layers[$2].digest")
  tar -xzOf "$ROOT/blobs/sha256/${l#sha256:}" "$3"
}
assert_clean () {
  is "$(ls -A "$ROOT/build/tmp" 2>/dev/null)" "" "$1: nothing left under build/tmp"
  is "$(grep -c "$ROOT" /proc/self/mountinfo)" 0 "$1: no mount of the store left"
}

# ---- the build context ----
echo hello >"$CTX/a.txt"
echo bee >"$CTX/b.txt"
chmod 0640 "$CTX/b.txt"
echo secret >"$CTX/ignored.txt"
mkdir -p "$CTX/dir/sub" "$CTX/p/q" "$CTX/p/r"
echo s >"$CTX/dir/sub/s"
ln -s ../a.txt "$CTX/dir/rel-link"
ln -s /etc/shadow "$CTX/dir/abs-link"
ln -s ../../../../../../etc/hostname "$CTX/escape-link"
ln -s a.txt "$CTX/inside-link"
echo 1 >"$CTX/p/q/one.go"
echo 2 >"$CTX/p/r/two.txt"
echo 3 >"$CTX/p/top.txt"
printf 'ignored.txt\n*.tmp\n' >"$CTX/.dockerignore"
echo t >"$CTX/x.tmp"

# ---- sources and destinations ----
build rules 'FROM base
WORKDIR /app
COPY a.txt .
COPY *.txt /multi/
COPY dir /d
COPY dir/ /d2/
COPY inside-link escape-link /links/
COPY a.txt /lnk/
COPY a.txt /new/parents/file'
is "$status" 0 "COPY rules build" || diag "$output"
is "$(layer rules 2)" "-rw-r--r-- 0/0 app/a.txt" "relative dest is relative to WORKDIR, owner 0:0, mode kept"
is "$(layer rules 3)" "drwxr-xr-x 0/0 multi/
-rw-r--r-- 0/0 multi/a.txt
-rw-r----- 0/0 multi/b.txt" "a glob copies every match into the dir, .dockerignore'd files do not exist"
is "$(layer rules 4)" "drwxr-xr-x 0/0 d/
lrwxrwxrwx 0/0 d/abs-link -> /etc/shadow
lrwxrwxrwx 0/0 d/rel-link -> ../a.txt
drwxr-xr-x 0/0 d/sub/
-rw-r--r-- 0/0 d/sub/s" "a directory is copied by content; symlinks inside stay symlinks"
is "$(layer rules 5 | tr '\n' ' ')" "$(layer rules 4 | sed 's,d/,d2/,' | tr '\n' ' ')" "dir and dir/ copy the same"
is "$(layer rules 6)" "drwxr-xr-x 0/0 links/
lrwxrwxrwx 0/0 links/escape-link -> ../../../../../../etc/hostname
-rw-r--r-- 0/0 links/inside-link" "a source symlink is followed inside the context, copied as a symlink when it points outside"
is "$(file rules 6 links/inside-link)" hello "the followed symlink's content"
is "$(layer rules 7)" "-rw-r--r-- 0/0 target/a.txt" "an existing symlink to a directory in the stage is followed"
is "$(layer rules 8)" "drwxr-xr-x 0/0 new/
drwxr-xr-x 0/0 new/parents/
-rw-r--r-- 0/0 new/parents/file" "missing parents of dest are created 0755 root"
assert_clean "rules"

# ---- flags ----
build flags 'FROM base AS first
COPY --chown=1000:1001 a.txt /owned.txt
FROM base
COPY --chown=tester a.txt /c1
COPY --chown=tester:testers --chmod=0600 a.txt /c2
COPY --chmod=u+x,g-r,o= b.txt /c3
COPY --from=first /owned.txt /etc/hostname /got/
COPY --parents p/*/one.go /par/
COPY --exclude=*.txt --exclude=**/one.go p /ex/
COPY --link a.txt /lnk/
COPY <<EOF /etc/heredoc.conf
line one
EOF'
is "$status" 0 "COPY flags build" || diag "$output"
is "$(layer flags 1)" "-rw-r--r-- 1000/1000 c1" "--chown=NAME: uid from /etc/passwd, gid = uid as Docker documents"
is "$(layer flags 2)" "-rw------- 1000/1001 c2" "--chown=NAME:GROUP by name, --chmod octal"
is "$(layer flags 3)" "-rwx------ 0/0 c3" "--chmod symbolic"
is "$(layer flags 4)" "drwxr-xr-x 0/0 got/
-rw-r--r-- 0/0 got/hostname
-rw-r--r-- 1000/1001 got/owned.txt" "--from copies from the stage and keeps its owners"
is "$(layer flags 5)" "drwxr-xr-x 0/0 par/
drwxr-xr-x 0/0 par/p/
drwxr-xr-x 0/0 par/p/q/
-rw-r--r-- 0/0 par/p/q/one.go" "--parents keeps the source's path"
is "$(layer flags 6)" "drwxr-xr-x 0/0 ex/
drwxr-xr-x 0/0 ex/q/
drwxr-xr-x 0/0 ex/r/
-rw-r--r-- 0/0 ex/r/two.txt" "--exclude patterns match below the source like .dockerignore lines"
is "$(layer flags 7)" "drwxr-xr-x 0/0 lnk/
-rw-r--r-- 0/0 lnk/a.txt" "--link does not look at the stage: lnk/ is a new directory"
is "$(layer flags 8)" "-rw-r--r-- 0/0 etc/heredoc.conf" "a heredoc becomes a 0644 file"
is "$(file flags 8 etc/heredoc.conf)" "line one" "with the heredoc's content"

# ---- ADD: archives ----
mkdir -p "$TEST_TMP/arc/x" && echo in-tar >"$TEST_TMP/arc/x/f" && chown 7:8 "$TEST_TMP/arc/x/f"
tar -C "$TEST_TMP/arc" -cf "$CTX/plain.tar" x
for z in gzip bzip2 xz zstd; do $z -c "$CTX/plain.tar" >"$CTX/arc.$z"; done
python3 - "$CTX" <<'PY'
import io, sys, tarfile
def evil(path, entries):
    with tarfile.open(path, "w") as t:
        for name, kind, target in entries:
            i = tarfile.TarInfo(name)
            if kind == "sym":
                i.type, i.linkname = tarfile.SYMTYPE, target
                t.addfile(i)
            elif kind == "hard":
                i.type, i.linkname = tarfile.LNKTYPE, target
                t.addfile(i)
            else:
                i.size = 1
                t.addfile(i, io.BytesIO(b"x"))
ctx = sys.argv[1]
evil(ctx + "/dotdot.tar", [("ok", "file", None), ("../escape", "file", None)])
evil(ctx + "/symlink.tar", [("l", "sym", "/tmp"), ("l/owned", "file", None)])
evil(ctx + "/hardlink.tar", [("h", "hard", "../../etc/passwd")])
PY
build add 'FROM base
ADD plain.tar /a0/
ADD arc.gzip /a1
ADD arc.bzip2 /a2/
ADD arc.xz /a3/
ADD arc.zstd /a4/
ADD --chown=1:2 arc.gzip /a5/'
is "$status" 0 "ADD of archives builds" || diag "$output"
for i in 1 2 3 4 5; do
  is "$(layer add $i | grep f$)" "-rw-r--r-- 7/8 a$((i - 1))/x/f" "archive $i unpacked with its owners" 
done
is "$(layer add 6 | grep f$)" "-rw-r--r-- 1/2 a5/x/f" "ADD --chown applies to unpacked files"
for t in dotdot symlink hardlink; do
  build "evil-$t" "FROM base
ADD $t.tar /e/"
  isnt "$status" 0 "hostile $t.tar is refused"
  like "$output" "ADD: $t.tar: " "the error names the archive"
  assert_clean "evil $t"
done
ls /tmp/owned >/dev/null 2>&1
isnt "$?" 0 "nothing was written through the archive's symlink"

# ---- ADD: URLs ----
mkdir -p "$TEST_TMP/www" && echo downloaded >"$TEST_TMP/www/file.bin" && touch -d @1600000000 "$TEST_TMP/www/file.bin"
python3 - "$TEST_TMP/www" >"$TEST_TMP/http.port" 2>/dev/null <<'PY' &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.HTTPServer(("127.0.0.1", 0), h)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
http_pid=$!
on_exit "kill $http_pid 2>/dev/null; wait $http_pid 2>/dev/null"
wait_for 20 test -s "$TEST_TMP/http.port" || bail "the HTTP server did not start"
URL=http://127.0.0.1:$(cat "$TEST_TMP/http.port")
sum=$(sha256sum "$TEST_TMP/www/file.bin" | cut -d' ' -f1)
build url "FROM base
ADD $URL/file.bin /dl/
ADD --checksum=sha256:$sum $URL/file.bin?x=1 /dl2
ADD --checksum=sha512:$(sha512sum "$TEST_TMP/www/file.bin" | cut -d' ' -f1) $URL/file.bin /dl3" --timestamp-now
is "$status" 0 "ADD URL builds" || diag "$output"
like "$(layer url 1)" "-rw------- 0/0 dl/file.bin" "download named after the URL, mode 0600"
is "$(file url 1 dl/file.bin)" downloaded "download content"
l=$(manifest_of url | jq -r '.layers[1].digest')
is "$(tar --full-time -tvzf "$ROOT/blobs/sha256/${l#sha256:}" dl/file.bin | awk '{print $4 " " $5}')" \
  "$(date -u -d @1600000000 '+%Y-%m-%d %H:%M:%S')" "without a build timestamp the mtime is Last-Modified"
is "$(layer url 2)" "-rw------- 0/0 dl2" "--checksum verified"
is "$(layer url 3)" "-rw------- 0/0 dl3" "--checksum=sha512 verified"
build url-bad "FROM base
ADD --checksum=sha256:$(printf '%064d' 0) $URL/file.bin /dl"
isnt "$status" 0 "a wrong --checksum fails"
like "$output" "checksum mismatch" "and says so"
build url-bad "FROM base
ADD --checksum=sha384:$(printf '%096d' 0) $URL/file.bin /dl"
like "$output" "checksum mismatch: expected sha384:0+, got sha384:[0-9a-f]{96}" "a wrong sha384 --checksum fails"
build url384 "FROM base
ADD --checksum=sha384:$(sha384sum "$TEST_TMP/www/file.bin" | cut -d' ' -f1) $URL/file.bin /dl4"
is "$status" 0 "a right sha384 --checksum builds" || diag "$output"
build url-bad "FROM base
ADD --checksum=sha256:$sum a.txt /dl"
like "$output" "ADD: a.txt: --checksum is only for http\(s\) sources" "--checksum on a local file is refused"
build url-404 "FROM base
ADD $URL/missing /dl"
isnt "$status" 0 "a 404 fails"
like "$output" "ADD $URL/missing: .*404" "the error names the URL and the status"
assert_clean "url"

# ---- errors ----
for src in missing.txt ignored.txt x.tmp; do
  build err "FROM base
COPY $src /"
  is "$status" 1 "COPY $src fails"
  like "$output" "Dockerfile:2: COPY: $src: no such file or directory in the build context" "one-line error naming $src"
done
build err 'FROM base
COPY ../x /'
like "$output" "COPY: ../x: outside the build context" "COPY ../x is refused"
build err 'FROM base
COPY a.txt b.txt /x'
like "$output" "more than one source" "several sources need a dir dest"
build err 'FROM base
COPY a.txt /afile/'
like "$output" "exists and is not a directory" "a file cannot be a dest dir"
is "$(jq '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] | test("/err:"))] | length' "$ROOT/index.json")" 0 \
  "failed builds tag nothing"
assert_clean "errors"

# ---- reproducibility and the cache ----
df='FROM base
COPY dir /d
COPY --chown=tester *.txt /m/
ADD arc.gzip /z/'
build r1 "$df" --no-cache
d1=$(manifest_of r1 | jq -r '.layers[-3:][].digest' | tr '\n' ' ')
touch "$CTX/dir/sub/s"
build r2 "$df" --no-cache
is "$(manifest_of r2 | jq -r '.layers[-3:][].digest' | tr '\n' ' ')" "$d1" "two builds give bit-identical layers"
build r3 "$df"
like "$output" "STEP 2/4: COPY dir /d.*CACHED" "an mtime change alone keeps the COPY cached"
echo changed >"$CTX/dir/sub/s"
build r4 "$df"
unlike "$output" "STEP 2/4: COPY dir /d[^\n]*CACHED" "a content change re-runs the COPY"
SOURCE_DATE_EPOCH=1700000000 build r5 "$df"
l=$(manifest_of r5 | jq -r '.layers[-3].digest')
is "$(tar -tvzf "$ROOT/blobs/sha256/${l#sha256:}" --full-time | awk '{print $4 $5}' | sort -u)" \
  "$(date -u -d @1700000000 '+%Y-%m-%d%H:%M:%S')" "SOURCE_DATE_EPOCH is every entry's mtime"
assert_clean "cache"

done_testing
