"""ASGI middleware in front of every route: client address, per-client rate limit and body cap on
/u/*, and the security headers on every response."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sqa.web.client import Network, client_ip
from sqa.web.ratelimit import RateLimiter
from sqa.web.texts import TEXTS, from_accept_language

MAX_BODY = 16 * 1024  # a one-click POST or a button press is a few bytes

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
]


class Guard:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, trusted: Sequence[Network]) -> None:
        self.app = app
        self.limiter = limiter
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        peer = scope.get("client")
        ip = client_ip(peer[0] if peer else None, headers.getlist("x-forwarded-for"), self.trusted)
        scope.setdefault("state", {})["client_ip"] = ip
        send = _with_security_headers(send)
        if scope["path"].startswith("/u/"):
            wait = self.limiter.take(ip)
            if wait:
                await _too_many(send, headers, wait)
                return
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
                await _plain(send, 413, "request body too large")
                return
            receive = _capped(receive)
        await self.app(scope, receive, send)


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = list(message.get("headers", [])) + [h for h in SECURITY_HEADERS if h[0] not in names]
        await send(message)
    return wrapped


def _capped(receive: Receive) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise HTTPException(413, "request body too large")
        return message
    return wrapped


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = (text + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())] + (extra or [])})
    await send({"type": "http.response.body", "body": body})


async def _too_many(send: Send, headers: Headers, wait: int) -> None:
    lang = from_accept_language(headers.get("accept-language")) or "en"
    await _plain(send, 429, TEXTS[lang].slow_down, [(b"retry-after", str(wait).encode())])
