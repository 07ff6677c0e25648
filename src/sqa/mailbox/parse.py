"""Raw RFC 5322 bytes -> InboundMessage. Never raises on bad MIME.

Parsed once, cheaply, with the ``compat32`` policy (4-6x faster than
``policy.default`` and lenient with broken messages, see PERFORMANCE.md);
the headers that matter are decoded carefully here.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

MAX_TEXT_CHARS = 100_000
_MSGID = re.compile(r"<[^<>\s]+>")
_TAG = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"(?i)<\s*(br|/p|/div|/tr|/li|/h\d)\b[^>]*>")
_SCRIPT = re.compile(r"(?is)<(script|style|head)\b.*?</\1\s*>")
_WS = re.compile(r"[ \t]+")
_BLANKS = re.compile(r"\n{3,}")

# Headers the classifier may read, lower-cased.
KEPT_HEADERS = (
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-failed-recipients",
    "x-sqa-loop",
    "delivered-to",
    "content-type",
)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    message_id: str  # "<...>"; synthetic "<sha256@sqa.invalid>" when the message has none
    has_message_id: bool
    content_hash: str
    from_addr: str | None  # lower-cased address
    from_name: str | None
    to_addrs: tuple[str, ...]  # To + Cc + Delivered-To, lower-cased
    return_path: str | None  # "" for the null return path <>
    subject: str
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    headers: dict[str, str]
    text: str
    size: int
    defects: tuple[str, ...] = field(default=())
    unreadable: str | None = None  # a reason when the message cannot be read at all
    html: str | None = None  # the HTML part when the message has no text/plain part
    mime: Message | None = field(default=None, compare=False, repr=False)  # the parsed tree (bounce reports)


def _decode_header(value: object) -> str:
    if value is None:
        return ""
    raw = str(value)
    if raw.isascii() and "=?" not in raw:  # no encoded words: decoding would give the same text
        return raw.strip()
    try:
        return str(make_header(decode_header(raw))).strip()
    except Exception:  # noqa: BLE001 - unknown charsets, broken encoded-words: keep the raw text
        return raw.strip()


def _msgids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(_MSGID.findall(value))


def _one_msgid(value: str | None) -> str | None:
    ids = _msgids(value)
    return ids[0] if ids else None


_ATOMS = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
_PLAIN_ADDRESS = re.compile(rf"\s*(?:(?P<name>[A-Za-z0-9-]+(?: +[A-Za-z0-9-]+)*) *)?<(?P<a1>{_ATOMS}@{_ATOMS})>\s*"
                            rf"|\s*(?P<a2>{_ATOMS}@{_ATOMS})\s*")


def _address_pairs(values: list[str]) -> list[tuple[str, str]]:
    """``getaddresses(values)``; the plain forms ``Name Words <a@b.c>`` and ``a@b.c`` without it (~10x cheaper)."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        m = _PLAIN_ADDRESS.fullmatch(value)
        if m is None:
            return getaddresses(values)
        name = m["name"]
        pairs.append((" ".join(name.split()) if name else "", m["a1"] or m["a2"]))
    return pairs


class _HeaderIndex:
    """Header lookups by lower-cased name from ONE pass over the headers (``Message.get`` scans them all)."""

    __slots__ = ("_by_name",)

    def __init__(self, msg: Message) -> None:
        by_name: dict[str, list[Any]] = {}
        for name, value in msg.items():
            by_name.setdefault(name.lower(), []).append(value)
        self._by_name = by_name

    def get(self, name: str) -> Any:
        values = self._by_name.get(name.lower())
        return values[0] if values else None

    def get_all(self, name: str) -> list[Any] | None:
        return self._by_name.get(name.lower())


def _addresses(msg: Message | _HeaderIndex, *names: str) -> list[tuple[str, str]]:
    values: list[str] = []
    for name in names:
        values.extend(str(v) for v in (msg.get_all(name) or []))
    try:
        pairs = _address_pairs(values)
    except Exception:  # noqa: BLE001
        return []
    return [(_decode_header(n), a.strip().lower()) for n, a in pairs if a and "@" in a]


def _charset(part: Message) -> str:
    name = part.get_content_charset() or "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _payload_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if data is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    if not isinstance(data, bytes):
        return str(data)
    try:
        return data.decode(_charset(part), errors="replace")
    except Exception:  # noqa: BLE001
        return data.decode("utf-8", errors="replace")


def html_to_text(markup: str) -> str:
    """A small fallback converter; good enough to read an HTML-only reply."""
    text = _SCRIPT.sub(" ", markup)
    text = _BLOCK.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = _WS.sub(" ", text)
    return _BLANKS.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def body_text(msg: Message) -> str:
    """The first inline text/plain part, else the first text/html part as text."""
    return body_parts(msg)[0]


def body_parts(msg: Message) -> tuple[str, str | None]:
    """(text, html): the first inline text/plain part, else the first text/html part as text, with that HTML."""
    plain: str | None = None
    markup: str | None = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = (part.get("Content-Disposition") or "").lower()
        if disposition.startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = _payload_text(part)
        elif ctype == "text/html" and markup is None:
            markup = _payload_text(part)
        if plain is not None:
            break
    html = None
    if plain is None and markup is not None:
        html = markup[: MAX_TEXT_CHARS * 4]
        plain = html_to_text(html)
    return (plain or "").replace("\r\n", "\n")[:MAX_TEXT_CHARS], html


def _date(msg: Message | _HeaderIndex) -> datetime | None:
    value = msg.get("Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except Exception:  # noqa: BLE001
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse(raw: bytes) -> InboundMessage:
    content_hash = hashlib.sha256(raw).hexdigest()
    synthetic = f"<{content_hash}@sqa.invalid>"
    try:
        msg = message_from_bytes(raw)
    except Exception as exc:  # noqa: BLE001 - compat32 hardly ever raises; be sure anyway
        return _unreadable(raw, content_hash, synthetic, f"cannot parse: {exc.__class__.__name__}")
    if not msg.keys():
        return _unreadable(raw, content_hash, synthetic, "no headers")
    try:
        h = _HeaderIndex(msg)  # every header lookup below from one pass over the headers
        message_id = _one_msgid(str(h.get("Message-ID") or ""))
        sender = _addresses(h, "From")
        return_path = h.get("Return-Path")
        rp: str | None = None
        if return_path is not None:
            rp_value = str(return_path).strip()
            rp = "" if rp_value in ("<>", "") else (_addresses(h, "Return-Path") or [("", rp_value.strip("<>").lower())])[0][1]
        headers = {name: _decode_header(h.get(name)) for name in KEPT_HEADERS if h.get(name) is not None}
        references = _msgids(str(h.get("References") or ""))
        text, html = body_parts(msg)
        return InboundMessage(
            message_id=message_id or synthetic,
            has_message_id=message_id is not None,
            content_hash=content_hash,
            from_addr=sender[0][1] if sender else None,
            from_name=(sender[0][0] or None) if sender else None,
            to_addrs=tuple(dict.fromkeys(a for _, a in _addresses(h, "To", "Cc", "Delivered-To"))),
            return_path=rp,
            subject=_decode_header(h.get("Subject")),
            date=_date(h),
            in_reply_to=_one_msgid(str(h.get("In-Reply-To") or "")),
            references=references,
            headers=headers,
            text=text,
            size=len(raw),
            defects=tuple(type(d).__name__ for d in (msg.defects or [])),
            html=html,
            mime=msg,
        )
    except Exception as exc:  # noqa: BLE001 - a reason, never a crash
        return _unreadable(raw, content_hash, synthetic, f"cannot read: {exc.__class__.__name__}: {exc}")


def _unreadable(raw: bytes, content_hash: str, synthetic: str, reason: str) -> InboundMessage:
    return InboundMessage(
        message_id=synthetic,
        has_message_id=False,
        content_hash=content_hash,
        from_addr=None,
        from_name=None,
        to_addrs=(),
        return_path=None,
        subject="",
        date=None,
        in_reply_to=None,
        references=(),
        headers={},
        text="",
        size=len(raw),
        unreadable=reason,
    )
