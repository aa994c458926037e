#!/usr/bin/env python3
"""Fault-injecting HTTP proxy in front of a registry, for muelle's tests.

    muelle-registry-proxy.py PORT UPSTREAM(host:port) MODE_FILE

Listens on 127.0.0.1:PORT and forwards to http://UPSTREAM.  The word in
MODE_FILE (re-read on every request) chooses the fault:

  pass           forward unchanged
  corrupt-blob   blob GETs: same length, one byte flipped
  truncate-blob  blob GETs: full Content-Length, half the body, then close
  oversize-blob  blob GETs: the body plus extra bytes (Content-Length too)
  flaky          the first request for each path answers 500, later ones pass
  rate-limit     like flaky, but 429 with "Retry-After: 1"
  always-500     every /v2/ request but the ping answers 500
  bad-manifest   manifest GETs answer malformed JSON
  swap-manifest  manifest GETs by digest answer another (valid) manifest
  token          Docker token auth: /v2/ needs "Bearer <token>", tokens come
                 from /token (basic auth tester:secret required) and are
                 tied to the scope asked for
  stall-blob     blob GETs: headers and 10 bytes, then silence for 5 s
  redirect-blob  blob GETs answer 307 to /redirected/... on this proxy,
                 which serves the blob without requiring credentials

Every request is logged to stderr as "METHOD PATH -> STATUS [auth]".
"""
import base64
import http.client
import http.server
import json
import sys
import threading
import time
import urllib.parse

PORT = int(sys.argv[1])
UPSTREAM = sys.argv[2]
MODE_FILE = sys.argv[3]
seen_paths = set()
lock = threading.Lock()
TOKEN_USER = "tester:secret"


def mode():
    try:
        with open(MODE_FILE) as f:
            return f.read().strip()
    except OSError:
        return "pass"


def token_for(scopes):
    return "tok-" + base64.urlsafe_b64encode(" ".join(sorted(scopes)).encode()).decode()


def scope_needed(path, method):
    # /v2/<name>/(manifests|blobs|tags)/...
    parts = path.split("?")[0].split("/")
    for i, p in enumerate(parts):
        if p in ("manifests", "blobs", "tags") and i > 2:
            name = "/".join(parts[2:i])
            action = "pull" if method in ("GET", "HEAD") else "push"
            return "repository:%s:%s" % (name, action)
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, status, extra=""):
        sys.stderr.write("%s %s -> %s %s\n" % (self.command, self.path, status, extra))
        sys.stderr.flush()

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.note(status)

    def upstream(self, path=None, headers_override=None):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
        if headers_override:
            headers.update(headers_override)
        conn.request(self.command, path or self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        rheaders = [(k, v) for k, v in resp.getheaders() if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        conn.close()
        return resp.status, rheaders, data

    def send_upstream(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            if k.lower() == "location" and v.startswith("http://" + UPSTREAM):
                v = "http://127.0.0.1:%d%s" % (PORT, v[len("http://" + UPSTREAM):])
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.note(status)

    def check_token(self):
        """Token mode: True when the request may pass."""
        if self.path == "/v2/" or self.path.startswith("/v2/?"):
            need = None
        else:
            need = scope_needed(self.path, self.command)
        auth = self.headers.get("Authorization", "")
        realm = "http://127.0.0.1:%d/token" % PORT
        challenge = 'Bearer realm="%s",service="muelle-test"' % realm
        if need:
            challenge += ',scope="%s"' % need
        if not auth.startswith("Bearer "):
            self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                       {"WWW-Authenticate": challenge, "Content-Type": "application/json"})
            return False
        token = auth[len("Bearer "):]
        try:
            granted = base64.urlsafe_b64decode(token[len("tok-"):]).decode().split(" ")
        except Exception:
            granted = []
        ok = token.startswith("tok-") and (need is None or any(
            g.rsplit(":", 1)[0] == need.rsplit(":", 1)[0] and need.rsplit(":", 1)[1] in g.rsplit(":", 1)[1].split(",")
            for g in granted))
        if not ok:
            self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"insufficient scope"}]}',
                       {"WWW-Authenticate": challenge + ',error="insufficient_scope"', "Content-Type": "application/json"})
            return False
        return True

    def serve_token(self):
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(TOKEN_USER.encode()).decode():
            self.reply(401, b'{"details":"bad credentials"}', {"Content-Type": "application/json"})
            return
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if q.get("service") != ["muelle-test"]:
            self.reply(400, b'{"details":"wrong service"}')
            return
        scopes = q.get("scope", [])
        body = json.dumps({"access_token": token_for(scopes), "expires_in": 300}).encode()
        sys.stderr.write("token for %s\n" % scopes)
        self.reply(200, body, {"Content-Type": "application/json"})

    def handle_any(self):
        m = mode()
        path = self.path
        if path == "/ping":
            return self.reply(200, b"pong")
        if path.startswith("/token"):
            return self.serve_token()
        if path.startswith("/redirected/"):
            status, headers, data = self.upstream(path[len("/redirected"):])
            return self.send_upstream(status, headers, data)
        if m == "token" and not self.check_token():
            return
        is_blob_get = self.command == "GET" and "/blobs/sha256:" in path
        is_manifest_get = self.command == "GET" and "/manifests/" in path
        if m == "always-500" and path != "/v2/":
            return self.reply(500, b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}')
        if m in ("flaky", "rate-limit") and path != "/v2/":
            with lock:
                first = (m, self.command, path) not in seen_paths
                seen_paths.add((m, self.command, path))
            if first and m == "flaky":
                return self.reply(500, b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}')
            if first:
                return self.reply(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                                  {"Retry-After": "1"})
        if m == "redirect-blob" and is_blob_get:
            return self.reply(307, b"", {"Location": "http://127.0.0.1:%d/redirected%s" % (PORT, path)})
        if m == "bad-manifest" and is_manifest_get:
            return self.reply(200, b'{"schemaVersion": 2, "config": ', {
                "Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        # Registry credentials never go upstream: the proxy is the auth boundary.
        status, headers, data = self.upstream()
        if status == 200 and is_blob_get and m in ("corrupt-blob", "truncate-blob", "oversize-blob"):
            if m == "corrupt-blob":
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            elif m == "oversize-blob":
                data = data + b"extra bytes"
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.note(200, "truncated")
                return
        if status == 200 and is_blob_get and m == "stall-blob":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:10])
            self.wfile.flush()
            time.sleep(5)
            self.close_connection = True
            self.note(200, "stalled")
            return
        if status == 200 and is_manifest_get and m == "swap-manifest" and "sha256:" in path:
            data = data.replace(b'"schemaVersion":2', b'"schemaVersion": 2', 1) if b'"schemaVersion":2' in data \
                else data.replace(b'"schemaVersion": 2', b'"schemaVersion":2', 1)
            headers = [(k, v) for k, v in headers if k.lower() != "docker-content-digest"]
        self.send_upstream(status, headers, data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
server.serve_forever()
