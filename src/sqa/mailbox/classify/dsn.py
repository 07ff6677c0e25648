"""Reading a delivery report's MIME tree for ``bounce``: DSN blocks, the NDR's own text, the returned message.

``read_report`` walks the tree once (at most ``MAX_PARTS`` parts) and returns a ``Report``: the RFC 3464
recipient blocks (from ``message/delivery-status`` parts, or from the text when the MIME structure is
broken, or from a report wrapped as an attachment), the human-readable NDR text cut before any returned
copy, and the Message-ID, To/Cc and From of the returned message (message/rfc822, text/rfc822-headers or
an inline copy). Also here: the patterns that read NDR text (addresses, status codes, the sentences and
markers mail servers write), DSN field values (``_clean_address``, ``_status_of``) and the trimmed copy
of the tree that flufl.bounce is fed (``_for_flufl``). The rule itself is in ``bounce``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from email.message import Message

# -- reading the report -----------------------------------------------------------

MAX_PARTS = 64  # parts looked at in one message
MAX_TEXT = 20_000  # characters of NDR text read by the regexes
MAX_FLUFL_BYTES = 2_000_000  # flufl.bounce only runs on messages up to this size
FLUFL_TEXT = 16_000  # characters of each text part flufl.bounce reads

# The lookbehind makes only the start of a run a candidate: linear, not quadratic, on long runs without "@".
_ADDRESS = re.compile(r"(?<![A-Za-z0-9._%+'=/!#$&*^{}|~-])[A-Za-z0-9][A-Za-z0-9._%+'=/!#$&*^{}|~-]*+"
                      r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_VALID = re.compile(r"[^\s@<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_ENHANCED = re.compile(r"(?<![\w.])([245])\.([0-7])\.(\d{1,3})(?!\.?\d)")
_BASIC = re.compile(r"(?m)(?:^|[\s'\"(:#\[])([45][0-5]\d)(?:[ -]|:\s|-\s)(?=\S)")
_REPLY_CODE = re.compile(r"(?<![\w.])[45]\d\d[ -]#?[245]\.[0-7]\.\d{1,3}(?!\.?\d)|#[245]\.[0-7]\.\d{1,3}\b"
                         r"|(?im:^\s*status:\s*[45]\.[0-7]\.\d{1,3})")
_MSGID = re.compile(r"<[^<>\s]+>")
_DSN_FIELD = re.compile(r"(?im)^(final|original)-recipient:")
_MSGID_LINE = re.compile(r"(?im)^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)")

# The returned copy of the message starts here (the NDR's own text ends).
_COPY_MARKER = re.compile(
    r"(?im)^[ \t-]*(this is a copy of (the|your) message|below this line is a copy of the message"
    r"|original message (headers|follows)|(the )?(original|returned|undelivered|undeliverable) message( follows| headers)?[ \t-]*$"
    r"|-+ ?returned mail ?-+|start of returned message|transcript of session follows|a copy of the original message"
    r"|ceci est une copie|dies ist eine kopie|copia del messaggio|copia del mensaje|kopie van het bericht"
    r"|message text follows|old message:|your message reads|.*\b(top|first) \d+ lines of (the|your)( original)? message"
    r"|-+ ?original message ?-+)"
    r"|^(received: from |return-path: <)"
)
# Markers that ONLY an NDR writes (a human forward also says "Original Message").
_NDR_COPY = re.compile(
    r"(?im)^[ \t-]*(this is a copy of (the|your) message|below this line is a copy of the message"
    r"|original message headers|undelivered message|returned mail ?-+|start of returned message"
    r"|transcript of session follows|ceci est une copie des|dies ist eine kopie der"
    r"|(the )?(header and )?(top|first) \d+ lines of (the|your)( original)? message)"
)
# Sentences mail servers write in their reports (evidence of a report, not of a person writing).
_NDR_PHRASE = re.compile(
    r"(?i)this message was created automatically by mail delivery|this is the mail system at host"
    r"|this is the qmail-send program|delivery has failed to these recipients|delivery is delayed to these recipients"
    r"|your message (couldn't|could not|cannot|can't|wasn't|was not|has not|hasn't) (be |been )?deliver"
    r"|could not be delivered to one or more|the following address\(es\) failed|following addresses had permanent"
    r"|i'm sorry to have to inform you that your message|unable to deliver your message to the following"
    r"|wasn't able to deliver your message|delivery to the following recipient(s)? (failed|has been delayed)"
    r"|the original message was received at|not listed in (the )?domino directory|was not delivered to:"
    r"|a message that you sent (could not|has not yet) be|message delivery (has )?failed|delivery failed permanently"
    r"|did not reach the following recipient|this is a permanent error|permanent fatal error|\*\* ?address not found"
    r"|die zustellung an folgende empf|konnte nicht zugestellt werden|ce message a été créé automatiquement"
    r"|votre message n'a pas pu être remis|no se ha podido entregar|no se pudo entregar"
    r"|non è stato possibile recapitare|kon niet worden afgeleverd|não foi possível entregar"
    r"|could not be delivered to the following|could not deliver (the )?message to|non-delivery report"
    r"|the following (mail|message) (could not|was not|wasn't|cannot) (be )?delivered"
    r"|failed recipient:|this is an advisory-only email|delivery of email to this address"
    r"|(remote (host|server)|host \S+) (said|returned)\b"
)
# Lines after which the failed addresses are listed (our own reading, after flufl.bounce's).
_RECIPIENT_CUE = re.compile(
    r"(?i)delivery has failed to these recipients|delivery is delayed to these recipients|address(\(es\))? failed"
    r"|following (recipients?|address(es)?)|could not be delivered to|couldn't be delivered to|was not delivered to"
    r"|wasn't delivered to|did not receive|not yet been delivered is|unable to deliver (your message )?to|did not reach the following"
    r"|failed recipients|folgende empf|folgenden empf|adresse suivante|adresses suivantes|destinatari|destinatarios"
    r"|ontvangers|destinatários|your message to\s|delivery of email to this address"
)

_RECIPIENT_FIELDS = frozenset({"final-recipient", "original-recipient", "x-actual-recipient"})


# -- the MIME tree ---------------------------------------------------------------


@dataclass(slots=True)
class Report:
    """What the MIME tree holds, read once: DSN blocks, the NDR's own text, the returned message."""

    dsn_blocks: list[dict[str, str]]
    text: str  # the NDR's human-readable text, cut before any returned copy
    returned_ids: list[str]  # Message-IDs of returned messages (message/rfc822, text/rfc822-headers, inline)
    returned_to: list[str]  # To/Cc of the returned message (the addresses we sent to)
    returned_from: list[str]  # From of the returned message (ours when it is our mail)
    ndr_copy: bool  # the text announces a returned copy the way mail servers do ("This is a copy of the message")


def _decoded(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a broken transfer encoding: read the raw payload
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        return data.decode(part.get_content_charset() or "utf-8", errors="replace")
    except Exception:  # noqa: BLE001 - unknown or broken charset names
        return data.decode("utf-8", errors="replace")


def _fields(text: str) -> list[dict[str, str]]:
    """'Name: value' blocks separated by blank lines, continuation lines unfolded."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, None
            continue
        if line[0] in " \t" and last:
            current[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep and name and " " not in name.strip():
            last = name.strip().lower()
            current.setdefault(last, value.strip())
    if current:
        blocks.append(current)
    return blocks


def _block(block: Message) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in block.items():
        out.setdefault(name.lower(), " ".join(str(value).split()))
    return out


def _header_addresses(values: list[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        found.extend(a.lower() for a in _ADDRESS.findall(value))
    return found


def read_report(mime: Message, depth: int = 0) -> Report:
    dsn_blocks: list[dict[str, str]] = []
    text: str | None = None
    html: str | None = None
    returned_ids: list[str] = []
    returned_to: list[str] = []
    returned_from: list[str] = []
    nested: Message | None = None
    stack = [mime]
    seen = 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        ctype = part.get_content_type()
        payload = part.get_payload()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            if isinstance(payload, list):
                dsn_blocks.extend(_block(b) for b in payload if isinstance(b, Message))
            else:
                dsn_blocks.extend(_fields(_decoded(part)[:MAX_TEXT]))
        elif ctype in ("message/rfc822", "message/global", "message/rfc822-headers"):
            inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
            if inner is not None:
                if nested is None and inner.get_content_type() == "multipart/report":
                    nested = inner  # a gateway that wraps the real report as an attachment
                returned_ids.extend(_MSGID.findall(str(inner.get("Message-ID") or "")))
                returned_to.extend(_header_addresses([str(v) for v in (inner.get_all("To") or []) + (inner.get_all("Cc") or [])]))
                returned_from.extend(_header_addresses([str(v) for v in inner.get_all("From") or []]))
            elif isinstance(payload, str):
                _headers_text(payload[:MAX_TEXT], returned_ids, returned_to, returned_from)
        elif ctype in ("text/rfc822-headers", "text/global-headers"):
            _headers_text(_decoded(part)[:MAX_TEXT], returned_ids, returned_to, returned_from)
        elif part.is_multipart() and isinstance(payload, list):
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))
        elif text is None and (ctype == "text/plain" or (part is mime and ctype != "text/html")):
            # the first text/plain part; or the root itself when its multipart structure is broken (no boundary)
            if part is mime or not str(part.get("Content-Disposition") or "").lower().startswith("attachment"):
                text = _decoded(part)[: MAX_TEXT * 5]
        elif ctype == "text/html" and html is None:
            html = _decoded(part)[: MAX_TEXT * 5]
    if not dsn_blocks and nested is not None and depth == 0:
        inner_report = read_report(nested, depth=1)
        if inner_report.dsn_blocks:
            return inner_report
    if text is None and html is not None:
        from sqa.mailbox.parse import html_to_text

        text = html_to_text(html)
    full = (text or "").replace("\r\n", "\n")
    if not dsn_blocks and _DSN_FIELD.search(full, 0, MAX_TEXT * 5):
        # delivery-status fields inside the text: a report whose MIME structure is broken
        dsn_blocks = [b for b in _fields(full[: MAX_TEXT * 5]) if _RECIPIENT_FIELDS & b.keys()
                      and ("action" in b or "status" in b)]
    cut = _COPY_MARKER.search(full)
    human = full[: cut.start()] if cut else full
    if cut and not returned_ids:
        header_line = cut.group(0).lstrip().lower().startswith(("received:", "return-path:"))
        line_end = full.find("\n", cut.end())
        inline = full[cut.start():] if header_line else full[line_end + 1 if line_end != -1 else cut.end():]
        returned_ids.extend(_MSGID_LINE.findall(inline[:MAX_TEXT]))
        _headers_text(inline[:MAX_TEXT], [], returned_to, returned_from)
    return Report(dsn_blocks, human[:MAX_TEXT], returned_ids, returned_to, returned_from,
                  bool(_NDR_COPY.search(full, 0, MAX_TEXT * 5)))


_TO_LINE = re.compile(r"(?im)^(to|cc):[ \t]*(.*(?:\n[ \t]+.*)*)")
_FROM_LINE = re.compile(r"(?im)^from:[ \t]*(.*(?:\n[ \t]+.*)*)")


def _headers_text(text: str, ids: list[str], to: list[str], frm: list[str]) -> None:
    head = text.replace("\r\n", "\n").lstrip("\n").split("\n\n", 1)[0]
    ids.extend(_MSGID_LINE.findall(head))
    for m in _TO_LINE.finditer(head):
        to.extend(a.lower() for a in _ADDRESS.findall(m.group(2)))
    m = _FROM_LINE.search(head)
    if m:
        frm.extend(a.lower() for a in _ADDRESS.findall(m.group(1)))


def _for_flufl(part: Message, budget: list[int]) -> Message:
    """A shallow copy of the tree without what no detector reads: returned message bodies, attachments,
    text after the returned-copy marker. flufl.bounce scans every body line once per pattern (~50), so
    this bounds its cost by the NDR text instead of the size of the returned mail."""
    budget[0] -= 1
    clone = copy.copy(part)
    payload = part.get_payload()
    ctype = part.get_content_type()
    if isinstance(payload, list):
        if ctype in ("message/rfc822", "message/global"):
            inner = [copy.copy(p) for p in payload[:1] if isinstance(p, Message)]
            for p in inner:
                p.set_payload("")
            clone.set_payload(inner)
        else:
            clone.set_payload([_for_flufl(p, budget) for p in payload if isinstance(p, Message) and budget[0] > 0])
    elif isinstance(payload, str):
        if part.get_content_maintype() in ("text", "message"):
            cut = _COPY_MARKER.search(payload, 0, FLUFL_TEXT)
            if cut:
                end = payload.find("\n", cut.end())
                payload = payload[: end + 1 if end != -1 else cut.end()]
            clone.set_payload(payload[:FLUFL_TEXT])
        else:
            clone.set_payload("")
    return clone


def _clean_address(value: str) -> str | None:
    """'rfc822; <Jo@X.test>' -> 'jo@x.test'; None when no address is there."""
    value = value.split(";", 1)[1] if ";" in value else value
    value = value.strip().strip("<>").strip().rstrip(".").lower()
    if value.startswith("<") or " " in value:
        found = _ADDRESS.search(value)
        value = found.group(0).lower() if found else ""
    return value if _VALID.fullmatch(value) else None


def _status_of(value: str) -> str | None:
    found = _ENHANCED.search(value or "")
    return ".".join(found.groups()) if found else None
