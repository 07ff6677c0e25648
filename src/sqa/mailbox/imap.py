"""IMAP adapter over aioimaplib: UIDs only, BODY.PEEK[], IDLE. Nothing from aioimaplib leaks past it.

Login: LOGIN with the password, or SASL XOAUTH2 with an OAuth2 access token (sqa.mailbox.oauth).
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import aioimaplib

from sqa.config import AuthMethod, ImapSettings, Security
from sqa.mailbox.imapfetch import parse_fetch_lines
from sqa.mailbox.oauth import OAuthError, TokenProvider, provider_for, xoauth2_string


class ImapError(Exception):
    """Base of our IMAP errors."""


class ImapAuthError(ImapError):
    """The server refused the login: not retried in a tight loop, reported loudly."""


class ImapTokenError(ImapAuthError):
    """No OAuth2 access token (the refresh failed): the token provider has already raised the alert."""

    alerted = True


class ImapConnectionLost(ImapError, ConnectionError):
    """The connection dropped or timed out: reconnect with backoff."""


class ImapCommandError(ImapError):
    """The server answered NO/BAD to a command."""


@dataclass(frozen=True, slots=True)
class SelectInfo:
    uidvalidity: int
    uidnext: int | None
    exists: int
    permanent_flags: frozenset[str]
    highestmodseq: int | None

    @property
    def keywords_allowed(self) -> bool:
        return "\\*" in self.permanent_flags


_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]")
_EXISTS = re.compile(rb"^(\d+) EXISTS")
_PERMFLAGS = re.compile(rb"\[PERMANENTFLAGS \(([^)]*)\)\]")
_MODSEQ = re.compile(rb"\[HIGHESTMODSEQ (\d+)\]")
_LIST = re.compile(rb'^\(([^)]*)\) (?:"[^"]*"|NIL) (.+)$')


def uid_set(uids: Iterable[int]) -> str:
    """Compress sorted UIDs into an IMAP sequence set: 1:3,7,9:10."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    start = prev = None
    for uid in ordered:
        if start is None:
            start = prev = uid
        elif uid == prev + 1:
            prev = uid
        else:
            parts.append(f"{start}:{prev}" if start != prev else str(start))
            start = prev = uid
    if start is not None:
        parts.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(parts)


def _text(lines: list) -> str:
    return " ".join(bytes(line).decode("utf-8", "replace") for line in lines[-1:])


class _XOAuth2Command(aioimaplib.Command):
    """``AUTHENTICATE XOAUTH2 <initial response>`` (SASL-IR).

    A server that refuses the token first sends a continuation carrying a JSON error and waits for the
    client's (empty) answer before its tagged NO. aioimaplib's own ``xoauth2()`` never answers it and
    waits for its timeout; this command answers every continuation with an empty line.
    """

    def __init__(self, protocol: aioimaplib.IMAP4ClientProtocol, sasl: str) -> None:
        super().__init__("AUTHENTICATE", protocol.new_tag(), "XOAUTH2", sasl, loop=protocol.loop)
        self._transport = protocol.transport

    def append_to_resp(self, line: bytes, result: str = "Pending") -> None:
        super().append_to_resp(line, result)
        if line.startswith(b"+") and self._transport is not None:  # aioimaplib hands continuations here
            self._transport.write(b"\r\n")


async def _authenticate_xoauth2(client: aioimaplib.IMAP4, user: str, token: str, timeout: float) -> aioimaplib.Response:
    protocol = client.protocol
    sasl = xoauth2_string(user, token).decode("ascii")

    async def run() -> aioimaplib.Response:
        async with protocol.state_condition:  # as aioimaplib's own login(): waiters on the state are woken
            response = await protocol.execute(_XOAuth2Command(protocol, sasl), scrub=sasl)  # scrub: not in debug logs
            if response.result == "OK":
                protocol.state = aioimaplib.AUTH
            protocol.state_condition.notify_all()
            return response

    return await asyncio.wait_for(run(), timeout)


class ImapClient:
    """One authenticated connection to one mailbox folder."""

    def __init__(self, settings: ImapSettings, tokens: TokenProvider | None = None) -> None:
        self.settings = settings
        self.tokens = tokens  # for auth = "xoauth2"; default: the agent's registered provider
        self._client: aioimaplib.IMAP4 | None = None
        self.lost = asyncio.Event()
        self.idle_supported = False
        # An untagged EXISTS inside a command's answer (new mail announced while we were busy): the
        # server does not announce it again when IDLE starts, so the watcher syncs again instead.
        self.new_mail_announced = False

    def _on_lost(self, exc: Exception | None) -> None:
        self.lost.set()

    def _watch_exists(self, client: aioimaplib.IMAP4) -> None:
        """See every untagged EXISTS, also those aioimaplib drops (it ignores them during UID STORE/FETCH)."""
        protocol = client.protocol
        untagged = protocol._untagged_response

        def seen(line: bytes):  # noqa: ANN202 - aioimaplib's Command
            if _EXISTS.match(line.removeprefix(b"* ")):
                self.new_mail_announced = True
            return untagged(line)

        protocol._untagged_response = seen

    async def connect(self) -> None:
        s = self.settings
        context = ssl.create_default_context() if s.security is Security.TLS else None
        self.lost.clear()
        client = aioimaplib.IMAP4(host=s.host, port=s.port, timeout=s.timeout_s, conn_lost_cb=self._on_lost, ssl_context=context)
        self._watch_exists(client)
        self._client = client
        try:
            await client.wait_hello_from_server()
        except (OSError, TimeoutError, asyncio.TimeoutError, aioimaplib.AioImapException) as exc:
            await self.close()
            raise ImapConnectionLost(f"cannot connect to {s.host}:{s.port}: {exc!r}") from None
        try:
            await self._login(client)
        except (OSError, TimeoutError, asyncio.TimeoutError, aioimaplib.AioImapException) as exc:
            await self.close()
            raise ImapConnectionLost(f"login to {s.host}:{s.port} interrupted: {exc!r}") from None
        except ImapAuthError:
            await self.close()
            raise
        try:
            await asyncio.wait_for(client.protocol.capability(), s.timeout_s)  # post-login capabilities (MOVE, ...)
        except (OSError, TimeoutError, asyncio.TimeoutError, aioimaplib.AioImapException) as exc:
            await self.close()
            raise ImapConnectionLost(f"CAPABILITY: {exc!r}") from None
        self.idle_supported = client.has_capability("IDLE")

    async def _login(self, client: aioimaplib.IMAP4) -> None:
        s = self.settings
        where = f"as {s.username} at {s.host}:{s.port}"
        if s.auth is not AuthMethod.XOAUTH2:
            response = await client.login(s.username, s.secret())
            if response.result != "OK":
                raise ImapAuthError(f"login {where} refused: {_text(response.lines)}")
            return
        if client.protocol.capabilities and not client.has_capability("AUTH=XOAUTH2"):
            raise ImapAuthError(f"XOAUTH2 login {where}: the server offers no AUTH=XOAUTH2")
        try:
            tokens = self.tokens or provider_for(s)
        except OAuthError as exc:  # not set up (a tool that did not register the agents): no alert was raised
            raise ImapAuthError(f"XOAUTH2 login {where}: {exc}") from None
        stale: str | None = None
        for _attempt in range(2):  # a refused token (expired early, revoked): one fresh token, one more try
            try:
                token = await tokens.token(stale=stale)
            except OAuthError as exc:
                raise ImapTokenError(f"XOAUTH2 login {where}: {exc}") from None
            response = await _authenticate_xoauth2(client, s.username, token, s.timeout_s)
            if response.result == "OK":
                return
            stale = token
        raise ImapAuthError(f"XOAUTH2 login {where} refused: {_text(response.lines)}")

    @property
    def client(self) -> aioimaplib.IMAP4:
        if self._client is None or self.lost.is_set():
            raise ImapConnectionLost("not connected")
        return self._client

    async def _call(self, coro, what: str):  # noqa: ANN001, ANN202
        try:
            response = await coro
        except (OSError, TimeoutError, asyncio.TimeoutError, aioimaplib.AioImapException) as exc:
            self.lost.set()
            raise ImapConnectionLost(f"{what}: {exc!r}") from None
        if response.result != "OK":
            if self.lost.is_set():
                raise ImapConnectionLost(f"{what}: connection lost")
            raise ImapCommandError(f"{what}: {response.result} {_text(response.lines)}")
        return response

    async def select(self, folder: str) -> SelectInfo:
        response = await self._call(self.client.select(folder), f"SELECT {folder}")
        blob = b"\n".join(bytes(line) for line in response.lines)
        exists = 0
        for line in response.lines:
            m = _EXISTS.match(bytes(line))
            if m:
                exists = int(m.group(1))
        uidvalidity = _UIDVALIDITY.search(blob)
        if uidvalidity is None:
            raise ImapCommandError(f"SELECT {folder}: no UIDVALIDITY in the answer")
        uidnext = _UIDNEXT.search(blob)
        flags = _PERMFLAGS.search(blob)
        modseq = _MODSEQ.search(blob)
        return SelectInfo(
            uidvalidity=int(uidvalidity.group(1)),
            uidnext=int(uidnext.group(1)) if uidnext else None,
            exists=exists,
            permanent_flags=frozenset(flags.group(1).decode().split()) if flags else frozenset(),
            highestmodseq=int(modseq.group(1)) if modseq else None,
        )

    async def search_uids(self, *criteria: str) -> list[int]:
        response = await self._call(self.client.uid_search(*criteria, charset=None), "UID SEARCH")
        uids: list[int] = []
        for line in response.lines[:-1]:  # aioimaplib strips "* SEARCH"; the last line is the tagged text
            uids.extend(int(tok) for tok in bytes(line).split() if tok.isdigit())
        return sorted(set(uids))

    async def uids_after(self, last_uid: int) -> list[int]:
        """UIDs > last_uid (``n:*`` always returns the highest message: filter it)."""
        return [u for u in await self.search_uids("UID", f"{last_uid + 1}:*") if u > last_uid]

    async def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        if not uids:
            return []
        response = await self._call(self.client.uid("fetch", uid_set(uids), "(UID BODY.PEEK[])"), "UID FETCH")
        wanted = set(uids)
        return [(uid, body) for uid, body, _items in parse_fetch_lines(response.lines) if uid in wanted]

    async def sizes(self, uids: list[int]) -> dict[int, int]:
        if not uids:
            return {}
        response = await self._call(self.client.uid("fetch", uid_set(uids), "(UID RFC822.SIZE)"), "UID FETCH SIZE")
        return {uid: int(items.get("RFC822.SIZE") or 0) for uid, _body, items in parse_fetch_lines(response.lines)}

    async def fetch_limited(self, uids: list[int], max_bytes: int) -> list[tuple[int, bytes, int]]:
        """``(uid, body, size)``: each message whole, or its first ``max_bytes`` when it is larger (``size`` tells).

        One command for both (``RFC822.SIZE`` and ``BODY.PEEK[]<0.N>``; a partial range past the end of a
        message returns the message whole), instead of a size query and then one fetch per kind.
        """
        if not uids:
            return []
        response = await self._call(
            self.client.uid("fetch", uid_set(uids), f"(UID RFC822.SIZE BODY.PEEK[]<0.{max_bytes}>)"), "UID FETCH")
        wanted = set(uids)
        out: list[tuple[int, bytes, int]] = []
        for uid, body, items in parse_fetch_lines(response.lines):
            if uid in wanted:
                size = items.get("RFC822.SIZE")
                out.append((uid, body, size if isinstance(size, int) else len(body)))
        return out

    async def fetch_start(self, uids: list[int], max_bytes: int) -> list[tuple[int, bytes]]:
        """The first ``max_bytes`` of each message (for mail too large to read whole)."""
        if not uids:
            return []
        response = await self._call(self.client.uid("fetch", uid_set(uids), f"(UID BODY.PEEK[]<0.{max_bytes}>)"), "UID FETCH partial")
        wanted = set(uids)
        return [(uid, body) for uid, body, _items in parse_fetch_lines(response.lines) if uid in wanted]

    async def add_keyword(self, uids: list[int], keyword: str) -> None:
        if uids:
            await self._call(self.client.uid("store", uid_set(uids), "+FLAGS.SILENT", f"({keyword})"), "UID STORE")

    async def move(self, uids: list[int], folder: str) -> None:
        """UID MOVE, else COPY + \\Deleted + UID EXPUNGE of exactly these UIDs (never a bare EXPUNGE)."""
        if not uids:
            return
        client = self.client
        members = uid_set(uids)
        if client.has_capability("MOVE"):
            await self._call(client.uid("move", members, folder), "UID MOVE")
            return
        if not client.has_capability("UIDPLUS"):
            raise ImapCommandError("server has neither MOVE nor UIDPLUS: moving would need a bare EXPUNGE; not done")
        await self._call(client.uid("copy", members, folder), "UID COPY")
        await self._call(client.uid("store", members, "+FLAGS.SILENT", "(\\Deleted)"), "UID STORE")
        await self._call(client.uid("expunge", members), "UID EXPUNGE")

    async def append(self, raw: bytes, folder: str, flags: str = "(\\Seen)") -> None:
        await self._call(self.client.append(raw, mailbox=folder, flags=flags), f"APPEND {folder}")

    async def special_use_folder(self, attribute: str = "\\Sent") -> str | None:
        response = await self._call(self.client.list('""', "*"), "LIST")
        for line in response.lines:
            text = bytes(line)
            if text.startswith(b"LIST "):
                text = text[5:]
            m = _LIST.match(text)
            if m and attribute.lower().encode() in m.group(1).lower():
                return m.group(2).decode().strip().strip('"')
        return None

    async def noop(self) -> None:
        await self._call(self.client.noop(), "NOOP")

    async def wait_for_new_mail(self, max_wait: float, stop: asyncio.Event) -> bool:
        """IDLE until the server pushes EXISTS (True), or ``max_wait``/stop (False).

        Pushes other than EXISTS ("OK Still here", FETCH, EXPUNGE) are ignored.
        Raises ImapConnectionLost when the connection drops meanwhile.
        """
        client = self.client
        try:
            idle = await client.idle_start(timeout=max_wait)
        except (OSError, TimeoutError, asyncio.TimeoutError, aioimaplib.AioImapException) as exc:
            self.lost.set()
            raise ImapConnectionLost(f"IDLE: {exc!r}") from None
        changed = False
        stop_wait = asyncio.ensure_future(stop.wait())
        lost_wait = asyncio.ensure_future(self.lost.wait())
        try:
            while True:
                push = asyncio.ensure_future(client.wait_server_push(timeout=max_wait + 5))
                done, _ = await asyncio.wait({push, stop_wait, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
                if push not in done:
                    push.cancel()
                    break
                try:
                    lines = push.result()
                except (TimeoutError, asyncio.TimeoutError):
                    break
                if lines == aioimaplib.STOP_WAIT_SERVER_PUSH:
                    break
                if any(b"EXISTS" in bytes(line) for line in lines):
                    changed = True
                    break
        finally:
            stop_wait.cancel()
            lost_wait.cancel()
        if self.lost.is_set():
            raise ImapConnectionLost("connection lost during IDLE")
        try:
            client.idle_done()
            await asyncio.wait_for(idle, timeout=self.settings.noop_timeout_s)
        except (OSError, TimeoutError, asyncio.TimeoutError, aioimaplib.AioImapException) as exc:
            self.lost.set()
            raise ImapConnectionLost(f"leaving IDLE: {exc!r}") from None
        return changed

    async def logout(self) -> None:
        if self._client is not None and not self.lost.is_set():
            try:
                await asyncio.wait_for(self._client.logout(), timeout=5)
            except (OSError, TimeoutError, asyncio.TimeoutError, aioimaplib.AioImapException):
                pass  # closing anyway
        await self.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.protocol is not None and client.protocol.transport is not None:
            client.protocol.transport.close()
