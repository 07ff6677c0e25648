"""A local OAuth2 authorization server for tests: a token endpoint and an introspection endpoint.

Why a real HTTP server in a thread: Dovecot (another process) validates every XOAUTH2 login at the
introspection URL while the test's event loop may be busy awaiting the daemon, and the daemon's token
provider speaks real HTTP to the token endpoint (the same wire format as Microsoft's and Google's).

- ``POST /token``: the refresh-token grant (RFC 6749 §6). Every refresh issues a new access token and
  rotates the refresh token (the old one stops working, as strictly as a provider may rotate).
- ``POST /introspect`` (RFC 7662, form ``token=...``): ``{"active": true, "username": ...}`` for a
  current access token, else ``{"active": false}``.

The SMTP sink checks tokens in-process with :meth:`OAuthServer.user_of` (the same state).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

__all__ = ["OAuthServer"]


@dataclass
class _State:
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> user
    access: dict[str, tuple[str, float]] = field(default_factory=dict)  # access token -> (user, expires at)
    fail_with: list[int] = field(default_factory=list)  # HTTP statuses for the next token requests


class OAuthServer:
    """Start with ``OAuthServer().start()`` (or ``with OAuthServer() as server``); ``token_url`` and
    ``introspection_url`` point at it."""

    def __init__(self, *, client_id: str = "sqa-test-client", client_secret: str = "sqa-test-secret",
                 access_ttl_s: int = 3600, host: str = "127.0.0.1") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_ttl_s = access_ttl_s
        self.host = host
        self.port = 0
        self.token_requests = 0  # every POST /token, good or bad
        self.refreshes = 0  # access tokens issued
        self.introspections = 0
        self._state = _State()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "OAuthServer":
        server = self

        class Handler(_Handler):
            oauth = server

        self._httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="oauth-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()

    def __enter__(self) -> "OAuthServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def token_url(self) -> str:
        return f"http://{self.host}:{self.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://{self.host}:{self.port}/introspect"

    # ------------------------------------------------------------------ test controls
    def grant(self, user: str) -> str:
        """A new refresh token for ``user`` (what a consent in the browser would give)."""
        token = "rt-" + secrets.token_urlsafe(24)
        with self._lock:
            self._state.refresh[token] = user
        return token

    def revoke(self, user: str) -> None:
        """The user (or an admin) revoked the grant: refresh and access tokens stop working."""
        with self._lock:
            self._state.refresh = {t: u for t, u in self._state.refresh.items() if u != user}
            self._state.access = {t: v for t, v in self._state.access.items() if v[0] != user}

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (the client may still think it valid)."""
        with self._lock:
            self._state.access.clear()

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` token requests with ``status`` (e.g. 503)."""
        with self._lock:
            self._state.fail_with.extend([status] * count)

    def current_refresh_tokens(self, user: str) -> list[str]:
        with self._lock:
            return [t for t, u in self._state.refresh.items() if u == user]

    def user_of(self, access_token: str) -> str | None:
        """The user of a current access token, else None."""
        with self._lock:
            entry = self._state.access.get(access_token)
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]

    # ------------------------------------------------------------------ endpoints
    def _token(self, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self.token_requests += 1
            if self._state.fail_with:
                status = self._state.fail_with.pop(0)
                return status, {"error": "temporarily_unavailable"} if status >= 500 else {"error": "invalid_request"}
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client", "error_description": "client authentication failed"}
            if form.get("grant_type") != "refresh_token":
                return 400, {"error": "unsupported_grant_type"}
            user = self._state.refresh.pop(form.get("refresh_token", ""), None)
            if user is None:
                return 400, {"error": "invalid_grant", "error_description": "AADSTS70000: the refresh token was "
                             "revoked or has expired"}
            access, rotated = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
            self._state.access[access] = (user, time.time() + self.access_ttl_s)
            self._state.refresh[rotated] = user
            self.refreshes += 1
        body = {"token_type": "Bearer", "access_token": access, "expires_in": self.access_ttl_s,
                "refresh_token": rotated}
        if form.get("scope"):
            body["scope"] = form["scope"]
        return 200, body

    def _introspect(self, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self.introspections += 1
        user = self.user_of(form.get("token", ""))
        if user is None:
            return 200, {"active": False}
        return 200, {"active": True, "username": user, "token_type": "Bearer", "client_id": self.client_id}


class _Handler(BaseHTTPRequestHandler):
    oauth: OAuthServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        path = self.path.split("?", 1)[0]
        if path == "/token":
            status, body = self.oauth._token(form)
        elif path == "/introspect":
            status, body = self.oauth._introspect(form)
        else:
            status, body = 404, {"error": "not_found"}
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet: tokens are in the bodies only
        pass
