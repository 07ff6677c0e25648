r"""Parse FETCH responses exactly as aioimaplib 2.0.3 hands them back.

Measured against Dovecot 2.3.19 (see tests/test_sandbox.py).

FETCH
-----
``await client.uid("fetch", "1:*", "(UID FLAGS BODY.PEEK[])")`` returns
``Response(result="OK", lines=[...])`` where ``lines`` mixes two types::

    [b'1 FETCH (UID 1 FLAGS (\\Seen $Foo) BODY[] {321}',  # bytes: text up to the literal
     bytearray(b'From: ...\r\n\r\nbody\r\n'),             # bytearray: the literal, exactly N bytes
     b')',                                                  # bytes: the rest of that response
     b'2 FETCH (UID 2 FLAGS () BODY[] {123}',
     bytearray(b'...'),
     b')',
     b'Fetch completed (0.001 + 0.000 secs).']              # tagged OK text, always last

* The leading ``"* "`` is stripped by aioimaplib (``line.replace(b'* ', b'')``,
  which removes EVERY ``"* "`` in that first line, not only the prefix).
  Follow-up lines of the same response keep their text unchanged.
* Text after a literal (``b')'``, ``b' FLAGS (\\Seen))'``) is its own bytes line.
* A literal is a ``bytearray`` (``isinstance(x, bytes)`` is False for it).
* Dovecot sends ``UID`` first and ``FLAGS``/``INTERNALDATE`` before ``BODY[]``,
  but other servers order items freely; the parser does not care.
* Unsolicited ``FETCH (FLAGS ...)`` updates without ``UID`` can be mixed in.

IDLE
----
``idle = await client.idle_start(timeout=...)`` then
``await client.wait_server_push(timeout)`` returns a ``list[bytes]`` of the
untagged lines that arrived in one TCP read, ``"* "`` stripped. After one
LMTP delivery into a SELECTed INBOX that held 1 message::

    [b'2 EXISTS', b'2 RECENT']

(``RECENT`` counts every message that is \Recent for this session, so it is
not "new since last push".) Dovecot waits a fixed ~0.5 s before pushing
(measured 0.50 s for LMTP delivery and for :meth:`DovecotServer.seed`).
Expunges and flag changes made by another session arrive together, e.g.
``[b'2 FETCH (FLAGS (\\Seen \\Recent))', b'1 EXPUNGE', b'3 RECENT']``
(sequence numbers, no UID: resync with ``UID FETCH``/``UID SEARCH``).
Every 2 minutes Dovecot sends ``[b'OK Still here']``. When the
``idle_start(timeout=...)`` timer fires the queue gets
``[b'stop_wait_server_push']`` (``aioimaplib.STOP_WAIT_SERVER_PUSH``) while IDLE
stays active; ``wait_server_push`` raises ``asyncio.TimeoutError`` when
nothing arrives. End IDLE with ``client.idle_done()`` then ``await idle``,
which returns ``Response('OK', [b'Idle completed (...)'])``.
Use :func:`parse_idle_push` to turn these lines into events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "FetchedMessage",
    "IdleEvent",
    "parse_fetch_lines",
    "parse_fetch_responses",
    "parse_idle_push",
    "parse_internaldate",
]

_FETCH_START = re.compile(rb"^(?:\*\s+)?(\d+)\s+FETCH\s+(?=\()", re.IGNORECASE)
_LITERAL_AT_END = re.compile(rb"\{(\d+)\+?\}\s*$")
_ATOM_STOP = b" ()\r\n"
_BODY_KEYS = ("BODY[]", "RFC822", "BINARY[]")


@dataclass
class FetchedMessage:
    """One parsed ``* n FETCH (...)`` response."""

    seq: int
    uid: int | None
    body: bytes | None
    items: dict[str, Any] = field(default_factory=dict)

    @property
    def flags(self) -> tuple[str, ...]:
        value = self.items.get("FLAGS") or ()
        return tuple(value) if isinstance(value, (tuple, list)) else (str(value),)

    @property
    def internaldate(self) -> datetime | None:
        value = self.items.get("INTERNALDATE")
        return parse_internaldate(value) if isinstance(value, str) else None


class _Cursor:
    """Walks a list of text parts and literal parts."""

    def __init__(self, parts: Sequence[bytes | bytearray], index: int, pos: int) -> None:
        self.parts = parts
        self.start = index
        self.index = index
        self.pos = pos

    @property
    def text(self) -> bytes:
        return self.parts[self.index]  # type: ignore[return-value]

    def at_end(self) -> bool:
        return self.index >= len(self.parts)

    def skip_space(self) -> None:
        while not self.at_end():
            text = self.text
            while self.pos < len(text) and text[self.pos] in b" \t\r\n":
                self.pos += 1
            if self.pos < len(text):
                return
            self.index, self.pos = self.index + 1, 0

    def at_new_response(self) -> bool:
        """True when the cursor sits at the start of the NEXT FETCH response (truncated input)."""
        if self.at_end() or self.pos != 0 or self.index == self.start:
            return False
        part = self.parts[self.index]
        return isinstance(part, bytes) and _FETCH_START.match(part) is not None

    def peek(self) -> int | None:
        self.skip_space()
        if self.at_end() or self.pos >= len(self.text) or self.at_new_response():
            return None
        return self.text[self.pos]

    def read_value(self) -> Any:
        ch = self.peek()
        if ch is None:
            raise ValueError("unexpected end of FETCH response")
        text = self.text
        if ch == ord("("):
            self.pos += 1
            out: list[Any] = []
            while True:
                nxt = self.peek()
                if nxt is None:
                    return tuple(out)
                if nxt == ord(")"):
                    self.pos += 1
                    return tuple(out)
                out.append(self.read_value())
        if ch == ord('"'):
            return self._read_quoted()
        if ch == ord("{"):
            m = _LITERAL_AT_END.match(text, self.pos)
            if m:
                return self._read_literal(int(m.group(1)))
        return self._read_atom()

    def _read_quoted(self) -> str:
        text = self.text
        i = self.pos + 1
        buf = bytearray()
        while i < len(text):
            c = text[i]
            if c == 0x5C and i + 1 < len(text):  # backslash escape
                buf.append(text[i + 1])
                i += 2
                continue
            if c == 0x22:
                i += 1
                break
            buf.append(c)
            i += 1
        self.pos = i
        return bytes(buf).decode("utf-8", errors="replace")

    def _read_literal(self, size: int) -> bytes:
        # the literal is the next part; continue after it
        lit_index = self.index + 1
        if lit_index >= len(self.parts):
            self.index, self.pos = lit_index, 0
            return b""
        literal = bytes(self.parts[lit_index])
        self.index, self.pos = lit_index + 1, 0
        return literal

    def _read_atom(self) -> Any:
        text = self.text
        i = self.pos
        start = i
        while i < len(text):
            c = text[i]
            if c == ord("["):
                end = text.find(b"]", i)
                i = len(text) if end < 0 else end + 1
                continue
            if c == ord("<"):
                end = text.find(b">", i)
                i = len(text) if end < 0 else end + 1
                continue
            if c in _ATOM_STOP:
                break
            i += 1
        if i == start:  # stray ')' or similar: consume one byte
            i += 1
        self.pos = i
        atom = text[start:i].decode("utf-8", errors="replace")
        if atom.upper() == "NIL":
            return None
        if atom.isdigit():
            return int(atom)
        return atom


def _normalize(name: str, value: Any) -> Any:
    if name == "FLAGS":
        if value is None:
            return ()
        return tuple(str(v) for v in value) if isinstance(value, tuple) else (str(value),)
    if name == "MODSEQ" and isinstance(value, tuple) and len(value) == 1:
        return value[0]
    return value


def _as_parts(lines: Iterable[Any]) -> list[bytes | bytearray]:
    parts: list[bytes | bytearray] = []
    for line in lines:
        if isinstance(line, str):
            parts.append(line.encode("utf-8", errors="surrogateescape"))
        elif isinstance(line, (bytes, bytearray, memoryview)):
            parts.append(line if isinstance(line, (bytes, bytearray)) else bytes(line))
        elif isinstance(line, tuple):  # imaplib style (b'1 FETCH (... {n}', literal)
            for p in line:
                parts.append(p if isinstance(p, (bytes, bytearray)) else str(p).encode())
    return parts


def parse_fetch_responses(lines: Iterable[Any]) -> list[FetchedMessage]:
    """Every FETCH response in ``lines`` (aioimaplib ``Response.lines``), in order.

    Lines that are not part of a FETCH response (tagged completion text,
    EXISTS, ...) are skipped. Literals are returned as ``bytes``.
    """
    parts = _as_parts(lines)
    out: list[FetchedMessage] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        m = _FETCH_START.match(part) if isinstance(part, bytes) else None
        if m is None:
            i += 1
            continue
        seq = int(m.group(1))
        cur = _Cursor(parts, i, m.end())
        items: dict[str, Any] = {}
        try:
            cur.peek()
            cur.pos += 1  # the opening "("
            while True:
                ch = cur.peek()
                if ch is None:
                    break
                if ch == ord(")"):
                    cur.pos += 1
                    break
                name = cur.read_value()
                if cur.peek() in (None, ord(")")):
                    break
                key = str(name).upper()
                items[key] = _normalize(key, cur.read_value())
        except (ValueError, IndexError):
            pass
        out.append(_build(seq, items))
        # continue with the part after the one holding the closing ")", or at the
        # next response when this one was cut short
        i = cur.index if cur.at_new_response() else max(cur.index + 1, i + 1)
    return out


def _build(seq: int, items: dict[str, Any]) -> FetchedMessage:
    uid = items.get("UID")
    body_key = next((k for k in items if k in _BODY_KEYS or k.startswith("BODY[]<") or k.startswith("BINARY[]<")), None)
    if body_key is None:
        body_key = next((k for k in items if k.startswith(("BODY[", "BINARY[", "RFC822."))
                         and isinstance(items[k], bytes)), None)
    body = items.get(body_key) if body_key else None
    if isinstance(body, str):
        body = body.encode("utf-8", errors="surrogateescape")
    return FetchedMessage(seq=seq, uid=uid if isinstance(uid, int) else None, body=body, items=items)


def parse_fetch_lines(lines: Iterable[Any]) -> list[tuple[int, bytes, dict[str, Any]]]:
    """``(uid, body, other_items)`` for each FETCH response that carries a UID.

    ``body`` is ``BODY[]`` (or ``RFC822`` / the first ``BODY[section]``), ``b""``
    if none was fetched. ``other_items`` holds the remaining items keyed by
    upper-case name: ``FLAGS`` -> tuple[str, ...], ``INTERNALDATE`` -> str,
    ``RFC822.SIZE`` -> int, ``MODSEQ`` -> int, other sections -> bytes.
    Responses without UID (unsolicited flag updates) are skipped.
    """
    result: list[tuple[int, bytes, dict[str, Any]]] = []
    for msg in parse_fetch_responses(lines):
        if msg.uid is None:
            continue
        body = msg.body or b""
        others = {k: v for k, v in msg.items.items() if k != "UID" and v is not msg.body}
        result.append((msg.uid, body, others))
    return result


_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}


def parse_internaldate(value: str) -> datetime | None:
    """``"26-Nov-2025 09:40:00 +0100"`` -> aware datetime, None if malformed."""
    try:
        return datetime.strptime(value.strip().strip('"').strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


@dataclass(frozen=True)
class IdleEvent:
    """One untagged line pushed during IDLE."""

    kind: str  # "EXISTS", "EXPUNGE", "RECENT", "FETCH", "STOP", "OTHER"
    number: int | None
    line: bytes


_PUSH = re.compile(rb"^(?:\*\s+)?(\d+)\s+([A-Za-z]+)")


def parse_idle_push(lines: Iterable[Any]) -> list[IdleEvent]:
    """Turn a ``wait_server_push()`` result into events (``"* "`` optional)."""
    events: list[IdleEvent] = []
    if isinstance(lines, (bytes, bytearray)):
        lines = [lines]
    for raw in lines:
        line = bytes(raw) if isinstance(raw, (bytes, bytearray)) else str(raw).encode()
        if line == b"stop_wait_server_push":
            events.append(IdleEvent("STOP", None, line))
            continue
        m = _PUSH.match(line)
        if m and m.group(2).upper() in (b"EXISTS", b"EXPUNGE", b"RECENT", b"FETCH"):
            events.append(IdleEvent(m.group(2).upper().decode(), int(m.group(1)), line))
        else:
            events.append(IdleEvent("OTHER", None, line))
    return events
