"""An SMTP server in the current asyncio loop that captures mail (and hands local mail to LMTP).

With ``oauth=`` (a sandbox OAuthServer, or anything with ``user_of(access_token)``) it also requires
AUTH XOAUTH2 and checks each token against that server, answering a refused token as Gmail and
Microsoft 365 do: a 334 challenge with a JSON error, then 535 after the client's empty line.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import smtplib
import time
import warnings
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from typing import Any, Literal, Protocol

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

__all__ = ["SmtpSink", "CapturedMail", "RejectedMail", "Stage"]

log = logging.getLogger(__name__)

Stage = Literal["mail", "rcpt", "data"]

_NOISE = ("auth_required == True but auth_require_tls == False",
          "Session.login_data is deprecated")


class _QuietAiosmtpd(logging.Filter):
    """Drop aiosmtpd's per-connection warnings that are expected for a loopback sink with AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        return not msg.startswith(_NOISE)


if not any(isinstance(f, _QuietAiosmtpd) for f in logging.getLogger("mail.log").filters):
    logging.getLogger("mail.log").addFilter(_QuietAiosmtpd())


def _header(msg: Any, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - malformed header: fall back below
        value = None
    if value is None:
        return None
    try:
        text = str(value)
    except Exception:  # noqa: BLE001
        text = str(getattr(value, "_parse_tree", value))
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except Exception:  # noqa: BLE001
            pass
    return " ".join(text.split()) if text.strip() else text.strip()


def _headers_of(raw: bytes) -> tuple[str | None, str | None, str | None]:
    """(Message-ID, In-Reply-To, Subject) of ``raw``, decoded; None when absent."""
    for pol in (policy.default, policy.compat32):
        try:
            msg = BytesHeaderParser(policy=pol).parsebytes(raw)
            return _header(msg, "Message-ID"), _header(msg, "In-Reply-To"), _header(msg, "Subject")
        except Exception:  # noqa: BLE001 - try the lenient policy
            continue
    return None, None, None


@dataclass
class CapturedMail:
    """A message the sink accepted (or received before dropping the link)."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message_id: str | None = None
    in_reply_to: str | None = None
    subject: str | None = None
    received_at: float = field(default_factory=time.monotonic)
    received_wall: float = field(default_factory=time.time)

    @classmethod
    def from_raw(cls, mail_from: str, rcpt_tos: Iterable[str], raw: bytes) -> "CapturedMail":
        message_id, in_reply_to, subject = _headers_of(raw)
        return cls(mail_from=mail_from, rcpt_tos=list(rcpt_tos), raw=raw, message_id=message_id,
                   in_reply_to=in_reply_to, subject=subject)

    @property
    def message(self):  # noqa: ANN201 - email.message.EmailMessage
        """The parsed message (email.policy.default)."""
        from email import message_from_bytes

        return message_from_bytes(self.raw, policy=policy.default)


@dataclass
class RejectedMail:
    """A transaction refused by an injected failure (or an LMTP error)."""

    stage: str
    code: int
    text: str
    mail_from: str | None
    rcpt: str | None
    raw: bytes | None = None


@dataclass
class _Failure:
    code: int
    text: str


class _Handler:
    def __init__(self, sink: "SmtpSink") -> None:
        self.sink = sink

    async def _inject(self, server: SMTP, stage: str, mail_from: str | None, rcpt: str | None,
                      raw: bytes | None = None) -> str | None:
        queue = self.sink._failures[stage]
        if not queue:
            return None
        failure = queue.popleft()
        self.sink.rejected.append(RejectedMail(stage, failure.code, failure.text, mail_from, rcpt, raw))
        reply = f"{failure.code} {failure.text}"
        if failure.code == 421:  # service closing: reply, then hang up
            await server.push(reply)
            await self._hang_up(server)
        return reply

    @staticmethod
    async def _hang_up(server: SMTP, abort: bool = False) -> None:
        transport = server.transport
        if transport is not None:
            if abort:
                transport.abort()
            else:
                transport.close()
        # connection_lost() cancels the session task while we wait here
        await asyncio.sleep(3600)

    async def handle_MAIL(self, server: SMTP, session: Any, envelope: Any, address: str, mail_options: list) -> Any:
        reply = await self._inject(server, "mail", address, None)
        return MISSING if reply is None else reply

    async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str, rcpt_options: list) -> Any:
        reply = await self._inject(server, "rcpt", envelope.mail_from, address)
        return MISSING if reply is None else reply

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or b"")
        mail_from = envelope.mail_from or ""
        rcpts = list(envelope.rcpt_tos)
        reply = await self._inject(server, "data", mail_from, ",".join(rcpts), raw)
        if reply is not None:
            return reply
        pause, self.sink._pause = self.sink._pause, None
        if pause is not None:  # hold the final reply until the test releases it
            arrived, release = pause
            arrived.set()
            await release.wait()
        if self.sink._drops > 0:
            self.sink._drops -= 1
            self.sink._record(CapturedMail.from_raw(mail_from, rcpts, raw))
            await self._hang_up(server, abort=True)
        try:
            await self.sink._deliver_local(mail_from, rcpts, raw)
        except Exception as exc:  # noqa: BLE001 - report as a temporary failure
            log.warning("SmtpSink: LMTP delivery failed: %s", exc)
            self.sink.rejected.append(RejectedMail("lmtp", 451, str(exc), mail_from, ",".join(rcpts), raw))
            return "451 4.3.0 local delivery failed"
        self.sink._record(CapturedMail.from_raw(mail_from, rcpts, raw))
        return "250 2.0.0 OK queued"


class TokenChecker(Protocol):
    def user_of(self, access_token: str) -> str | None: ...


class _OAuthHandler(_Handler):
    """The handler of a sink with ``oauth=``: adds the XOAUTH2 mechanism (aiosmtpd finds ``auth_*`` methods)."""

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's name
        if len(args) > 1:
            blob = args[1].encode("ascii", "replace")
        else:
            answer = await server.challenge_auth("", encode_to_b64=False)
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            blob = base64.b64encode(answer)
        try:
            fields = dict(part.split("=", 1) for part in base64.b64decode(blob, validate=True).decode().split("\x01")
                          if "=" in part)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 Cannot decode XOAUTH2 response")
        user = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        checker = self.sink.oauth
        self.sink.xoauth2_attempts += 1
        if checker is not None and token and checker.user_of(token) == user:
            return AuthResult(success=True, auth_data=user)
        error = json.dumps({"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"})
        await server.challenge_auth(error)  # the client answers with an empty line
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")


class SmtpSink:
    """aiosmtpd server on 127.0.0.1 in the running event loop; captures every message.

    Mail for ``local_domains`` is also delivered to ``lmtp`` (host, port), one
    recipient per LMTP transaction, so it lands in that user's IMAP INBOX.
    """

    def __init__(self, *, local_domains: Iterable[str] = (), lmtp: tuple[str, int] | None = None,
                 credentials: dict[str, str] | None = None, host: str = "127.0.0.1", port: int = 0,
                 hostname: str = "sqa-sink.localhost", oauth: TokenChecker | None = None) -> None:
        self.host = host
        self.port = port
        self.hostname = hostname
        self.local_domains = {d.lower().lstrip("@") for d in local_domains}
        self.lmtp = lmtp
        self.credentials = dict(credentials) if credentials else None
        self.oauth = oauth
        self.xoauth2_attempts = 0
        self.messages: list[CapturedMail] = []
        self.rejected: list[RejectedMail] = []
        self.lmtp_deliveries = 0
        self._failures: dict[str, deque[_Failure]] = {s: deque() for s in ("mail", "rcpt", "data")}
        self._drops = 0
        self._pause: tuple[asyncio.Event, asyncio.Event] | None = None
        self._event = asyncio.Event()
        self._server: asyncio.base_events.Server | None = None
        self._protocols: "weakref.WeakSet[SMTP]" = weakref.WeakSet()
        self._handler = _Handler(self) if oauth is None else _OAuthHandler(self)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one; ``self.port`` is set)."""
        loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._server = await loop.create_server(lambda: self._make_protocol(loop), self.host, self.port,
                                                reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def _make_protocol(self, loop: asyncio.AbstractEventLoop) -> SMTP:
        kwargs: dict[str, Any] = {}
        if self.credentials is not None or self.oauth is not None:
            kwargs.update(auth_required=True, auth_require_tls=False, authenticator=self._authenticate)
        with warnings.catch_warnings():  # "AUTH without TLS" warning: loopback only
            warnings.simplefilter("ignore")
            proto = SMTP(self._handler, hostname=self.hostname, loop=loop, enable_SMTPUTF8=True,
                         data_size_limit=None, **kwargs)
        self._protocols.add(proto)
        return proto

    def _authenticate(self, server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        ok = self.credentials.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    async def stop(self) -> None:
        """Stop listening and drop open sessions."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for proto in list(self._protocols):
            if proto.transport is not None:
                proto.transport.close()
        await server.wait_closed()

    async def __aenter__(self) -> "SmtpSink":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    # ------------------------------------------------------------------ failure injection
    def fail_next(self, code: int, text: str, stage: Stage, count: int = 1) -> None:
        """Answer the next ``count`` commands at ``stage`` with ``code text``.

        ``data`` replies after the whole message was received (and it is not
        recorded). A 421 closes the connection right after the reply.
        """
        if stage not in self._failures:
            raise ValueError(f"stage must be one of {sorted(self._failures)}, not {stage!r}")
        for _ in range(count):
            self._failures[stage].append(_Failure(code, text))

    def drop_after_data(self, count: int = 1) -> None:
        """For the next ``count`` messages: receive DATA, record it, close without replying."""
        self._drops += count

    def pause_next_data(self) -> tuple[asyncio.Event, asyncio.Event]:
        """For the next message: once its DATA is in, set ``arrived`` and answer only after ``release`` is set."""
        self._pause = (asyncio.Event(), asyncio.Event())
        return self._pause

    def reset_failures(self) -> None:
        for q in self._failures.values():
            q.clear()
        self._drops = 0
        self._pause = None

    # ------------------------------------------------------------------ captured mail
    def _record(self, mail: CapturedMail) -> None:
        self.messages.append(mail)
        self._event.set()

    async def _deliver_local(self, mail_from: str, rcpts: list[str], raw: bytes) -> None:
        local = [r for r in rcpts if r.rpartition("@")[2].lower() in self.local_domains]
        if not local:
            return
        if self.lmtp is None:
            raise RuntimeError("local_domains set but no lmtp=(host, port) given")
        for rcpt in local:
            await asyncio.to_thread(_lmtp_send, self.lmtp, mail_from, rcpt, raw)
            self.lmtp_deliveries += 1

    async def wait_for(self, count: int, timeout: float = 10) -> list[CapturedMail]:
        """Wait until at least ``count`` messages were captured; returns all of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.messages) < count:
            self._event.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except (asyncio.TimeoutError, TimeoutError):
                break
        if len(self.messages) < count:
            got = [(m.subject, m.rcpt_tos) for m in self.messages]
            raise TimeoutError(
                f"SmtpSink on port {self.port}: waited {timeout}s for {count} message(s), got "
                f"{len(self.messages)}: {got!r}; rejected: {[(r.stage, r.code) for r in self.rejected]!r}")
        return list(self.messages)

    def clear(self) -> None:
        """Forget captured and rejected mail."""
        self.messages.clear()
        self.rejected.clear()
        self._event.clear()

    def reset(self) -> None:
        """clear() and reset_failures()."""
        self.clear()
        self.reset_failures()

    def by_in_reply_to(self) -> dict[str, list[CapturedMail]]:
        """Captured mail grouped by In-Reply-To (messages without it are left out)."""
        out: dict[str, list[CapturedMail]] = {}
        for m in self.messages:
            if m.in_reply_to:
                out.setdefault(m.in_reply_to, []).append(m)
        return out

    def to(self, address: str) -> list[CapturedMail]:
        """Captured mail with ``address`` among the envelope recipients."""
        address = address.lower()
        return [m for m in self.messages if address in (r.lower() for r in m.rcpt_tos)]


def _lmtp_send(lmtp: tuple[str, int], mail_from: str, rcpt: str, raw: bytes) -> None:
    with smtplib.LMTP(lmtp[0], lmtp[1], timeout=30) as client:
        refused = client.sendmail(mail_from, [rcpt], raw)
    if refused:
        raise RuntimeError(f"LMTP refused {rcpt}: {refused}")
