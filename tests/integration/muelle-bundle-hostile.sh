#!/usr/bin/env bash
# Hostile layers: extraction never writes outside the bundle.  Every case
# is refused with one line naming the layer and the entry, nothing is
# written outside, and no partial bundle is left.  Layers are put in the
# store by hand (it is an OCI layout) so they reach `muelle bundle` without
# `muelle import`'s own checks, which are tested too.
. "$(dirname "$0")/../lib/common.sh"
require_root
require_file "$MUELLE" "muelle is not built"
require_cmd jq python3

ROOT=$TEST_TMP/store
M=("$MUELLE" --root "$ROOT")
OUT=$TEST_TMP/outside
mkdir -p "$OUT"
"${M[@]}" images >/dev/null || bail "cannot create the store"

# mkimage NAME SPEC...: an image whose layers are tars made from SPECs,
# each a python list of entries (type, name, arg).
mkimage ()
{
  python3 - "$ROOT" "$@" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile, time
root, name, specs = sys.argv[1], sys.argv[2], sys.argv[3:]

def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs/sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d

layers, diff_ids = [], []
for i, spec in enumerate(specs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for kind, path, arg in eval(spec):
            ti = tarfile.TarInfo(path)
            ti.mtime = 1000000000
            data = None
            if kind == "file":
                data = arg.encode(); ti.size = len(data); ti.mode = 0o644
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE; ti.mode = 0o755
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE; ti.linkname = arg
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE; ti.linkname = arg
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    raw = buf.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    if i % 2:
        blob, mt = gzip.compress(raw, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    else:
        blob, mt = raw, "application/vnd.oci.image.layer.v1.tar"
    layers.append({"mediaType": mt, "digest": put(blob), "size": len(blob)})
if os.environ.get("BAD_DIFF_ID"):
    diff_ids[-1] = "sha256:" + "0" * 64
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": put(config), "size": len(config)},
                       "layers": layers}).encode()
index_path = os.path.join(root, "index.json")
index = json.load(open(index_path))
index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": put(manifest), "size": len(manifest),
                           "annotations": {"org.opencontainers.image.ref.name": name}})
json.dump(index, open(index_path, "w"))
for l in layers:
    print(l["digest"])
PY
}

# refused NAME ENTRY DESC: bundle NAME fails naming ENTRY, nothing left.
refused ()
{
  local name=$1 entry=$2 desc=$3 b=$TEST_TMP/bundle-$1
  run_cmd "${M[@]}" bundle "$name" "$b"
  if [ "$status" -eq 1 ] && [[ $output == *"entry \`$entry\`"* ]] && [[ $output == *"layer sha256:"* ]] &&
    [ "$(wc -l <<<"$output")" -eq 1 ]; then
    pass "$desc: refused, naming the layer and the entry"
  else
    fail "$desc: refused, naming the layer and the entry" "status $status" "$output"
  fi
  if [ -z "$(ls -A "$OUT")" ] && [ ! -e "$b" ]; then
    pass "$desc: nothing written outside, no partial bundle"
  else
    fail "$desc: nothing written outside, no partial bundle" "$(ls -lA "$OUT" "$b" 2>&1)"
  fi
}

mkimage dotdot '[("file", "../escaped", "x")]' >/dev/null
refused dotdot ../escaped "entry ../escaped"
mkimage dotdot2 '[("dir", "a", None), ("file", "a/../../escaped", "x")]' >/dev/null
refused dotdot2 a/../../escaped "entry a/../../escaped"
mkimage absolute "[(\"file\", \"$OUT/abs\", \"x\")]" >/dev/null
refused absolute "$OUT/abs" "absolute entry name"
mkimage symparent "[(\"symlink\", \"a\", \"$OUT\"), (\"file\", \"a/pwned\", \"x\")]" >/dev/null
refused symparent a/pwned "file below a symlink to an outside directory"
mkimage symroot '[("symlink", "a", "/"), ("file", "a/etc/muelle-pwned", "x")]' >/dev/null
refused symroot a/etc/muelle-pwned "file below a symlink to /"
check "/etc/muelle-pwned was not created" test ! -e /etc/muelle-pwned
mkimage symrel '[("symlink", "a", "../../../../../../.."), ("file", "a/tmp/muelle-pwned", "x")]' >/dev/null
refused symrel a/tmp/muelle-pwned "file below a relative symlink escaping"
# The extractor keeps the previous entry's parent directory open: a
# directory replaced by a symlink between two of its files must be noticed.
mkimage dirswap "[(\"dir\", \"a\", None), (\"file\", \"a/one\", \"x\"), (\"symlink\", \"a\", \"$OUT\"), (\"file\", \"a/two\", \"x\")]" >/dev/null
refused dirswap a/two "file below a directory just replaced by a symlink"
check "nothing was written through the swapped directory" test ! -e "$OUT/two"
mkimage symlayer "[(\"symlink\", \"a\", \"$OUT\"),]" "[(\"file\", \"a/pwned\", \"x\"),]" >/dev/null
refused symlayer a/pwned "symlink in one layer, file through it in the next"
mkimage hardabs '[("hardlink", "h", "/etc/passwd")]' >/dev/null
refused hardabs h "hardlink to /etc/passwd"
mkimage hardrel '[("hardlink", "h", "../../../../etc/passwd")]' >/dev/null
refused hardrel h "hardlink to ../../../../etc/passwd"
mkimage hardsym "[(\"symlink\", \"a\", \"/etc\"), (\"hardlink\", \"h\", \"a/passwd\")]" >/dev/null
refused hardsym h "hardlink through a symlinked directory"
mkimage whdotdot '[("dir", "d", None), ("file", "d/.wh...", "")]' >/dev/null
refused whdotdot d/.wh... "whiteout of .."
mkimage whdot '[("file", ".wh..", "")]' >/dev/null
refused whdot .wh.. "whiteout of ."
mkimage whsym "[(\"symlink\", \"a\", \"$OUT\"),]" '[("file", "a/.wh.x", "")]' >/dev/null
touch "$OUT/x"
run_cmd "${M[@]}" bundle whsym "$TEST_TMP/bundle-whsym"
is "$status" 1 "a whiteout below a symlink is refused"
check "and the outside file is still there" test -e "$OUT/x"
rm -f "$OUT/x"

# Whiteouts of ordinary layers.
mkimage opaque '[("dir", "d", None), ("file", "d/x", "1"), ("file", "d/y", "2"), ("file", "keep", "k")]' \
  '[("file", "d/z", "3"), ("file", "d/.wh..wh..opq", ""), ("file", ".wh.keep", "")]' >/dev/null
run_cmd "${M[@]}" bundle opaque "$TEST_TMP/ob"
is "$status" 0 "opaque whiteout layer extracts"
is "$(ls -A "$TEST_TMP/ob/rootfs/d")" z "opaque whiteout hides the lower layer's entries, keeps its own"
check "the whiteout removed keep" test ! -e "$TEST_TMP/ob/rootfs/keep"
check "whiteout files are not materialised" test ! -e "$TEST_TMP/ob/rootfs/d/.wh..wh..opq"

# A whiteout and a new entry at the same path in one layer: the whiteout
# hides only the lower layer's content (layer.md), whatever order the
# cached tree is walked in (20 names, so both orders occur).
lower='[' upper='['
for i in $(seq 20); do
  lower+="(\"dir\", \"d$i\", None), (\"file\", \"d$i/old\", \"o\"), (\"file\", \"f$i\", \"o\"), "
  upper+="(\"file\", \".wh.d$i\", \"\"), (\"dir\", \"d$i\", None), (\"file\", \"d$i/new\", \"n\"), "
  upper+="(\"file\", \".wh.f$i\", \"\"), (\"file\", \"f$i\", \"n\"), "
done
mkimage samelayer "$lower]" "$upper]" >/dev/null
run_cmd "${M[@]}" bundle samelayer "$TEST_TMP/sl"
is "$status" 0 "whiteout plus re-creation in one layer extracts"
is "$(cd "$TEST_TMP/sl/rootfs" && ls d*/ | grep -c '^new$')" 20 "every re-created directory keeps this layer's file"
is "$(cd "$TEST_TMP/sl/rootfs" && find . -name old | wc -l)" 0 "and loses the lower layer's"
is "$(cat "$TEST_TMP"/sl/rootfs/f* | tr -d '\n')" "$(printf 'n%.0s' $(seq 20))" "re-created files have this layer's content"

# A truncated layer blob is detected before extraction.
digest=$(mkimage truncated '[("file", "big", "'"$(head -c 3000 /dev/zero | tr '\0' a)"'")]')
truncate -s 1024 "$ROOT/blobs/sha256/${digest#sha256:}"
run_cmd "${M[@]}" bundle truncated "$TEST_TMP/tb"
is "$status" 1 "a truncated layer fails"
like "$output" "$digest" "and names the layer"
check "and leaves no bundle" test ! -e "$TEST_TMP/tb"

# A layer whose uncompressed content does not match the config's diff_id.
BAD_DIFF_ID=1 mkimage baddiff '[("file", "f", "x")]' >/dev/null
run_cmd "${M[@]}" bundle baddiff "$TEST_TMP/bd"
is "$status" 1 "a layer not matching its diff_id fails"
like "$output" "diff_id is sha256:0000" "and says so"
check "and leaves no bundle" test ! -e "$TEST_TMP/bd"

# Malformed manifests and configs: one line naming the blob.
python3 - "$ROOT" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(root, "blobs/sha256", d), "wb").write(data)
    return "sha256:" + d, len(data)
def tag(name, data):
    d, n = put(data)
    index = json.load(open(os.path.join(root, "index.json")))
    index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": n,
                               "annotations": {"org.opencontainers.image.ref.name": name}})
    json.dump(index, open(os.path.join(root, "index.json"), "w"))
    print(name, d)
tag("badmanifest", b"{not json")
cd, cn = put(b'{"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": "nope"}}')
tag("badconfig", json.dumps({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": cd, "size": cn}, "layers": []}).encode())
PY
for n in badmanifest badconfig; do
  run_cmd "${M[@]}" bundle "$n" "$TEST_TMP/bundle-$n"
  if [ "$status" -eq 1 ] && [[ $output == *"sha256:"* ]] && [ "$(wc -l <<<"$output")" -eq 1 ] &&
    [ ! -e "$TEST_TMP/bundle-$n" ]; then
    pass "bundle of a $n fails in one line naming the blob, leaving nothing"
  else
    fail "bundle of a $n fails in one line naming the blob, leaving nothing" "$output"
  fi
  run_cmd "${M[@]}" inspect "$n"
  is "$status" 1 "inspect of a $n fails"
done
run_cmd "${M[@]}" images
is "$status" 0 "images still lists the store with broken images in it"

# muelle import refuses hostile tars before they reach the store.
blobs=$(find "$ROOT/blobs" -type f | wc -l)
python3 - "$TEST_TMP" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
for name, entries in {"imp-dotdot": [("../x", tarfile.REGTYPE, "")],
                      "imp-abs": [("/etc/x", tarfile.REGTYPE, "")],
                      "imp-hard": [("h", tarfile.LNKTYPE, "/etc/passwd")],
                      "imp-wh": [(".wh...", tarfile.REGTYPE, "")]}.items():
    with tarfile.open(f"{d}/{name}.tar", "w") as t:
        for n, ty, link in entries:
            ti = tarfile.TarInfo(n); ti.type = ty; ti.linkname = link
            t.addfile(ti, io.BytesIO(b""))
PY
for n in imp-dotdot imp-abs imp-hard imp-wh; do
  run_cmd "${M[@]}" import "$TEST_TMP/$n.tar" "$n"
  if [ "$status" -eq 1 ] && [[ $output == *"entry \`"* ]]; then pass "import refuses $n naming the entry"; else
    fail "import refuses $n naming the entry" "$output"; fi
done
is "$(find "$ROOT/blobs" -type f | wc -l)" "$blobs" "refused imports add no blob"
is "$(find "$ROOT/tmp" -mindepth 1 | wc -l)" 0 "refused imports leave no temp file"

done_testing
