"""Helpers for tests that drive the daemon against the private servers."""

from __future__ import annotations

import asyncio
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqa.config import Settings, load_settings
from sqa.sandbox import DovecotServer, SmtpSink

AGENT_DOMAIN = "agent.test"
# Tests about other things send whenever they like: no window, no caps in the way, no automatic intake.
# Tests of the sending policy and the scheduler pass their own agents[].outreach.
PERMISSIVE_OUTREACH: dict[str, Any] = {
    "intake": {"auto": False, "validate_email": False},
    "window": {"enabled": False},
    "caps": {"per_day": 1_000_000, "per_minute": 1_000_000, "per_domain_per_day": 1_000_000, "warmup": False,
             "jitter_s": [0, 0]},
}
LEAD_DOMAIN = "lead.test"


def agent_dict(dovecot: DovecotServer, sink: SmtpSink, *, name: str | None = None, **over: Any) -> dict[str, Any]:
    name = name or f"a{uuid.uuid4().hex[:10]}"
    address = f"{name}@{AGENT_DOMAIN}"
    imap = {"host": dovecot.host, "port": dovecot.imap_port, "security": "plain", "username": address,
            "password": dovecot.password, "idle_renew_s": 60, "reconnect_base_s": 0.2, "reconnect_max_s": 2,
            "timeout_s": 10}
    smtp = {"host": sink.host, "port": sink.port, "security": "plain", "username": address, "save_sent": "never",
            "retry_base_s": 0.2, "retry_max_s": 1, "timeout_s": 10}
    imap.update(over.pop("imap", {}))
    smtp.update(over.pop("smtp", {}))
    agent = {"name": name, "address": address, "display_name": "Ava Agent", "company": "Acme Analytics",
             "value_proposition": "We cut reporting time in half.", "seller": "Sam Seller", "imap": imap, "smtp": smtp,
             "outreach": PERMISSIVE_OUTREACH}
    agent.update(over)
    return agent


def make_settings(state_dir: Path, agents: list[dict[str, Any]], database_url: str | None = None, **over: Any) -> Settings:
    overrides: dict[str, Any] = {"state_dir": str(state_dir), "agents": agents,
                                 "daemon": {"instance": "test", "grace_s": 5, "hard_deadline_s": 10},
                                 "web": {"enabled": False}}  # tests that serve HTTP pass web=... with a free port
    if database_url:
        overrides["database"] = {"url": database_url}
    overrides.update(over)
    return load_settings(path=_EMPTY, environ={}, overrides=overrides)


_EMPTY = Path(__file__).with_name("empty.toml")


def reply_to(parent: bytes | Any, *, sender: str, body: str, message_id: str | None = None,
             extra_headers: dict[str, str] | None = None) -> bytes:
    """A lead's reply to one of our mails (``parent`` is a CapturedMail or its raw bytes)."""
    from email import message_from_bytes

    raw = parent if isinstance(parent, (bytes, bytearray)) else parent.raw
    p = message_from_bytes(bytes(raw))
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = p["From"]
    msg["Subject"] = "Re: " + str(p["Subject"]).removeprefix("Re: ")
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = message_id or make_msgid(domain=LEAD_DOMAIN)
    msg["In-Reply-To"] = p["Message-ID"]
    refs = " ".join((str(p["References"] or "") + " " + str(p["Message-ID"])).split())
    msg["References"] = refs
    for k, v in (extra_headers or {}).items():
        msg[k] = v
    msg.set_content(body + "\n\n> (quoted earlier message)\n")
    return bytes(msg)


def new_mail(*, sender: str, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid(domain=LEAD_DOMAIN)
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    return bytes(msg)


async def deliver(dovecot: DovecotServer, address: str, raw: bytes) -> None:
    await asyncio.to_thread(dovecot.lmtp_deliver, address, raw)
