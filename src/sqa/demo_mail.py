"""The demo's mail as the leads' mail clients write it: threaded replies, new mails, the agent's words."""

from __future__ import annotations

from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from sqa.mailbox.compose import reply_subject


class Sender(Protocol):
    """Who writes: a demo lead (name, address, domain, From header)."""

    @property
    def domain(self) -> str: ...

    @property
    def header(self) -> str: ...


def plain_text(raw: bytes) -> str:
    msg = message_from_bytes(raw, policy=policy.default)
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n") if part is not None else ""


def agent_words(raw: bytes) -> str:
    """The agent's own sentence in one of its mails: the paragraph after the greeting."""
    paragraphs = [p.strip() for p in plain_text(raw).split("\n\n") if p.strip()]
    words = paragraphs[1] if len(paragraphs) > 1 else (paragraphs[0] if paragraphs else "")
    return " ".join(words.split())


def lead_reply(parent: bytes, *, sender: Sender, text: str, subject: str | None = None,
               headers: dict[str, str] | None = None, quote: bool = True) -> tuple[str, bytes]:
    """(Message-ID, raw) of ``sender``'s answer to ``parent``, threaded like a mail client does it."""
    p = message_from_bytes(parent, policy=policy.default)
    parent_id = str(p["Message-ID"]).strip()
    msg = EmailMessage()
    msg["From"] = sender.header
    msg["To"] = str(p["From"])
    msg["Subject"] = subject or reply_subject(str(p["Subject"]))
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    message_id = make_msgid(domain=sender.domain)
    msg["Message-ID"] = message_id
    msg["In-Reply-To"] = parent_id
    msg["References"] = " ".join([*str(p.get("References") or p.get("In-Reply-To") or "").split(), parent_id])
    for name, value in (headers or {}).items():
        msg[name] = value
    body = text
    if quote:
        quoted = "\n".join("> " + line if line else ">" for line in plain_text(parent).rstrip().splitlines())
        body += f"\n\nOn {p['Date']}, {p['From']} wrote:\n{quoted}\n"
    msg.set_content(body)
    return message_id, bytes(msg)


def new_mail(*, sender: Sender, to: str, subject: str, text: str) -> tuple[str, bytes]:
    msg = EmailMessage()
    msg["From"] = sender.header
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    message_id = make_msgid(domain=sender.domain)
    msg["Message-ID"] = message_id
    msg.set_content(text)
    return message_id, bytes(msg)


def short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
