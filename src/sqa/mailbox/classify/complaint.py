"""Feedback-loop reports: a recipient pressed "this is spam" (RFC 5965 ARF).

Mailbox providers with a feedback loop (Microsoft JMRP/SNDS, Yahoo CFL, most
ISPs) send one ``multipart/report; report-type=feedback-report`` per
complaint: a human-readable part, a ``message/feedback-report`` part of
``Name: value`` fields (Feedback-Type, User-Agent, Version, Original-Rcpt-To,
Removal-Recipient, ...) and the complained-of mail or its headers
(``message/rfc822`` or ``text/rfc822-headers``), often with the recipient
redacted. What is kept is what names the complaining lead: the reported
recipient addresses, the returned mail's Message-ID (ours carries the lead
token) and its List-Unsubscribe links (our signed per-lead links).

Feedback types (RFC 5965 section 7.3, RFC 6591, RFC 6650): ``abuse``,
``fraud``, ``virus`` and ``other`` are complaints; ``not-spam`` (a recipient
rescued the mail) and ``auth-failure`` (a DMARC/SPF/DKIM failure report) are
machine reports recorded without any action. An abuse desk that forwards the
report as an attachment is read the same way (one level of nesting).
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from email.message import Message
from email.parser import HeaderParser

from sqa.mailbox.classify.base import ComplaintInfo, Facts, Hit, Kind
from sqa.mailbox.classify.dsn import MAX_PARTS, MAX_TEXT, _decoded, _header_addresses

REPORT_TYPE = "feedback-report"
NOT_COMPLAINTS = {
    "not-spam": "a feedback report saying a recipient marked our mail as not spam",
    "auth-failure": "an authentication failure report (RFC 6591): recorded for the mail administrator",
}
_ANGLE = re.compile(r"<([^<>\s]+)>")
_MSGID = re.compile(r"<[^<>\s]+>")
_ENCODED = ("base64", "quoted-printable")
_FEEDBACK_TYPE = re.compile(r"[a-z][a-z0-9-]{0,40}")


class Complaint:
    name = "complaint"
    description = "feedback-loop report (RFC 5965 ARF): a recipient marked our mail as spam"

    def check(self, facts: Facts) -> Hit | None:
        msg = facts.msg
        ctype = msg.headers.get("content-type", "")[:200].lower()
        if msg.mime is None or not ctype.startswith(("multipart/report", "multipart/mixed")):
            return None  # the fast path: every feedback report is multipart/report (or forwarded in a mixed one)
        try:
            report = read_feedback(msg.mime)
        except Exception:  # noqa: BLE001 - never raise: a report we cannot read is left to the next rules
            return None
        if report is None:
            return None
        fields, returned = report
        feedback_type = _feedback_type(fields)
        reporter = _first(fields, "user-agent") or (msg.from_addr or "").rpartition("@")[2] or "unknown reporter"
        if feedback_type in NOT_COMPLAINTS:
            return Hit(Kind.BULK, f"{NOT_COMPLAINTS[feedback_type]} (Feedback-Type: {feedback_type}; {reporter})")
        own = facts.ctx.own_addresses | facts.ctx.unsubscribe_addresses
        recipients = [a for a in dict.fromkeys(_recipients(fields, returned)) if a not in own]
        original = None
        unsubscribe: tuple[str, ...] = ()
        if returned is not None:
            ids = _MSGID.findall(str(returned.get("Message-ID") or ""))
            original = ids[0] if ids else None
            unsubscribe = tuple(_ANGLE.findall(" ".join(str(v) for v in returned.get_all("List-Unsubscribe") or [])))
        info = ComplaintInfo(feedback_type, tuple(recipients), original, unsubscribe, reporter[:200])
        named = ", ".join(recipients[:3]) if recipients else "recipient redacted"
        return Hit(Kind.COMPLAINT, f"feedback report (RFC 5965, Feedback-Type: {feedback_type}) from {reporter[:80]}: "
                                   f"{named}; returned mail {original or 'not included'}", complaint=info)


def read_feedback(mime: Message) -> tuple[Message, Message | None] | None:
    """(the feedback-report fields, the returned mail or its headers) of an ARF report, else None."""
    report = _report_part(mime)
    if report is None:
        for part in _parts(mime):  # forwarded by an abuse desk: one level down
            if part.get_content_type() in ("message/rfc822", "message/global"):
                inner = part.get_payload()
                if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                    report = _report_part(inner[0])
                    if report is not None:
                        break
    return report


def _report_part(root: Message) -> tuple[Message, Message | None] | None:
    if root.get_content_type() != "multipart/report":
        return None
    fields: Message | None = None
    returned: Message | None = None
    for part in _parts(root):
        ctype = part.get_content_type()
        if ctype == "message/feedback-report" and fields is None:
            fields = _fields_of(part)
        elif ctype in ("message/rfc822", "message/global") and returned is None:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                returned = payload[0]
            elif isinstance(payload, str):
                returned = HeaderParser().parsestr(payload[:MAX_TEXT])
        elif ctype in ("text/rfc822-headers", "text/global-headers") and returned is None:
            returned = HeaderParser().parsestr(_decoded(part)[:MAX_TEXT])
    declared = (root.get_param("report-type") or "")
    if fields is None or (isinstance(declared, str) and declared.lower() not in ("", REPORT_TYPE)):
        return None
    return fields, returned


def _parts(root: Message) -> list[Message]:
    payload = root.get_payload()
    if not isinstance(payload, list):
        return []
    return [p for p in payload[:MAX_PARTS] if isinstance(p, Message)]


def _fields_of(part: Message) -> Message:
    """The report's fields as a header block (parsed by the email package, or read from an encoded body)."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        if len(payload[0]) or str(part.get("Content-Transfer-Encoding") or "").strip().lower() not in _ENCODED:
            return payload[0]
        text = payload[0].get_payload()  # an encoded part parsed as a message: its "body" is the encoded block
        try:
            decoded = (base64.b64decode(text) if "base64" in str(part.get("Content-Transfer-Encoding")).lower()
                       else quopri.decodestring(text.encode("ascii", "replace"))) if isinstance(text, str) else b""
        except (ValueError, binascii.Error):
            decoded = b""
        return HeaderParser().parsestr(decoded[:MAX_TEXT].decode("utf-8", "replace").lstrip("\r\n"))
    return HeaderParser().parsestr(_decoded(part)[:MAX_TEXT].lstrip("\r\n"))


def _feedback_type(fields: Message) -> str:
    value = (_first(fields, "feedback-type") or "other").strip().lower()
    found = _FEEDBACK_TYPE.match(value)
    return found.group(0) if found else "other"


def _first(fields: Message, name: str) -> str:
    value = fields.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _recipients(fields: Message, returned: Message | None) -> list[str]:
    values = [str(v) for name in ("Original-Rcpt-To", "Removal-Recipient") for v in fields.get_all(name) or []]
    found = _header_addresses(values)
    if returned is not None:
        found += _header_addresses([str(v) for v in (returned.get_all("To") or []) + (returned.get_all("Cc") or [])])
    return found
