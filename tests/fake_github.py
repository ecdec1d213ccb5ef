"""A local fake of the GitHub REST API for the network tests: 127.0.0.1, port 0, a thread.

It answers like GitHub for the tokens a test registers (live user tokens, installation tokens,
revocation), can be scripted per method and path with one-shot replies (any status and
headers), records every request, and notes every request that breaks GitHub's rules in
``problems`` (missing headers, a bad revocation body, a batch over 1000, a stray
Authorization header). It can also act as a plain HTTP proxy: absolute-URI requests are
recorded with ``proxied=True``.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

BATCH_LIMIT = 1000


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None      # dict/list (sent as JSON), bytes, or None


@dataclass
class Seen:
    method: str
    path: str             # without the API prefix
    headers: dict[str, str]   # lower-case names
    body: bytes
    proxied: bool = False
    target: str = ""      # the absolute URI a proxied request asked for

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else None

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class User:
    login: str
    scopes: str | None
    expires: str | None
    permissions: str | None


class FakeGitHub:
    def __init__(self, prefix: str = "", ghes: bool = False) -> None:
        self.prefix = prefix          # "/api/v3" for GitHub Enterprise Server
        self.ghes = ghes              # GHES: POST /credentials/revoke must be authenticated
        self.requests: list[Seen] = []
        self.problems: list[str] = []
        self.users: dict[str, User] = {}
        self.installations: set[str] = set()
        self.revoked: set[str] = set()
        self._script: dict[tuple[str, str], list[Reply]] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.prefix}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what the test sets up -------------------------------------------------
    def add_user_token(self, token: str, login: str = "octocat", scopes: str | None = "repo, user",
                       expires: str | None = None, permissions: str | None = None) -> None:
        self.users[token] = User(login, scopes, expires, permissions)

    def add_installation_token(self, token: str) -> None:
        self.installations.add(token)

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer the next requests to METHOD PATH with these replies, in order, then as GitHub would."""
        self._script.setdefault((method, path), []).extend(replies)

    def calls(self, method: str, path: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def batch_sizes(self) -> list[int]:
        return [len(r.json["credentials"]) for r in self.calls("POST", "/credentials/revoke")]

    # --- serving ---------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        target = h.path
        proxied = target.startswith("http://") or target.startswith("https://")
        path = urlsplit(target).path if proxied else target.split("?")[0]
        seen = Seen(h.command, path, {k.lower(): v for k, v in h.headers.items()}, body, proxied,
                    target if proxied else "")
        with self._lock:
            if not proxied:
                if not path.startswith(self.prefix):
                    self.problems.append(f"{h.command} {path}: outside the API prefix {self.prefix!r}")
                seen.path = path[len(self.prefix):]
            self.requests.append(seen)
            self._check(seen)
            scripted = self._script.get((seen.method, seen.path))
            reply = scripted.pop(0) if scripted else self._model(seen)
        self._send(h, reply)

    def _check(self, r: Seen) -> None:
        where = f"{r.method} {r.path}"
        if not r.headers.get("user-agent", "").startswith("leakwarden/"):
            self.problems.append(f"{where}: User-Agent {r.headers.get('user-agent')!r}")
        if r.headers.get("accept") != "application/vnd.github+json":
            self.problems.append(f"{where}: Accept {r.headers.get('accept')!r}")
        if r.headers.get("x-github-api-version") != "2022-11-28":
            self.problems.append(f"{where}: X-GitHub-Api-Version {r.headers.get('x-github-api-version')!r}")
        if (r.method, r.path) == ("POST", "/credentials/revoke"):
            if ("authorization" in r.headers) != self.ghes:
                self.problems.append(f"{where}: Authorization header {'missing' if self.ghes else 'sent'}")
            if r.headers.get("content-type") != "application/json":
                self.problems.append(f"{where}: Content-Type {r.headers.get('content-type')!r}")
            try:
                creds = json.loads(r.body)["credentials"]
                ok = isinstance(creds, list) and all(isinstance(c, str) for c in creds)
            except (ValueError, KeyError, TypeError):
                ok, creds = False, []
            if not ok or not 1 <= len(creds) <= BATCH_LIMIT:
                self.problems.append(f"{where}: bad body or batch size {len(creds)}")
            if len(set(creds)) != len(creds):
                self.problems.append(f"{where}: duplicate credentials in one batch")
        elif r.token is None:
            self.problems.append(f"{where}: no Bearer token")
        if r.method in ("GET", "DELETE") and r.body:
            self.problems.append(f"{where}: unexpected body")

    def _model(self, r: Seen) -> Reply:
        token = r.token
        live_user = token in self.users and token not in self.revoked
        live_inst = token in self.installations and token not in self.revoked
        if (r.method, r.path) == ("GET", "/user"):
            if live_user:
                u = self.users[token]
                headers = {k: v for k, v in (("X-OAuth-Scopes", u.scopes),
                                             ("GitHub-Authentication-Token-Expiration", u.expires),
                                             ("X-Accepted-GitHub-Permissions", u.permissions)) if v is not None}
                return Reply(200, headers, {"login": u.login, "id": 1})
            if live_inst:
                return Reply(403, {}, {"message": "Resource not accessible by integration"})
            return Reply(401, {}, {"message": "Bad credentials"})
        if (r.method, r.path) == ("GET", "/installation/repositories"):
            return Reply(200, {}, {"total_count": 0, "repositories": []}) if live_inst else \
                Reply(401, {}, {"message": "Bad credentials"})
        if (r.method, r.path) == ("POST", "/credentials/revoke"):
            try:
                creds = json.loads(r.body)["credentials"]
            except (ValueError, KeyError, TypeError):
                return Reply(422, {}, {"message": "Validation Failed"})
            self.revoked.update(c for c in creds if isinstance(c, str))
            return Reply(202, {}, {})
        if (r.method, r.path) == ("DELETE", "/installation/token"):
            if live_inst:
                self.revoked.add(token)
                return Reply(204)
            return Reply(401, {}, {"message": "Bad credentials"})
        return Reply(404, {}, {"message": "Not Found"})

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, reply: Reply) -> None:
        if isinstance(reply.body, (dict, list)):
            payload = json.dumps(reply.body).encode()
        else:
            payload = reply.body or b""
        h.send_response(reply.status)
        for name, value in reply.headers.items():
            h.send_header(name, value)
        if payload:
            h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if payload and h.command != "HEAD":
            h.wfile.write(payload)


# Every network test talks to 127.0.0.1 directly, whatever proxy the environment names.
NO_PROXY_ENV = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

