"""A running daemon with its web service on a free port, and what the web tests read back."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import httpx2 as httpx
from sqlalchemy import select

from sqa.consent import store as consent
from sqa.daemon.app import App, AgentServices, build_app
from sqa.daemon.supervisor import Supervisor
from sqa.db.models import Lead, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.sandbox.ports import free_port
from tests.support import LEAD_DOMAIN, agent_dict, make_settings

KEY = "web-test-key-0123456789abcdef"
LEAD = f"lee@{LEAD_DOMAIN}"


@dataclass
class Daemon:
    app: App
    supervisor: Supervisor
    base: str  # http://127.0.0.1:PORT
    leads: dict[str, int] = field(default_factory=dict)  # address -> lead id
    mails: dict[str, Any] = field(default_factory=dict)  # address -> the first mail the sink received

    @property
    def agent(self) -> AgentServices:
        return self.app.agents[0]

    def url(self, address: str = LEAD) -> str:
        """The https link of List-Unsubscribe, read from the mail the SMTP sink received."""
        return list_unsubscribe(self.mails[address].raw)[0]

    def client(self, **kw: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=10, **kw)


def list_unsubscribe(raw: bytes) -> tuple[str, str, str | None]:
    """(https URL, mailto, List-Unsubscribe-Post) of a mail."""
    msg = message_from_bytes(raw)
    header = " ".join(str(msg["List-Unsubscribe"]).split())
    links = re.findall(r"<([^>]+)>", header)
    url = next(link for link in links if link.startswith("http"))
    mailto = next(link for link in links if link.startswith("mailto:"))
    return url, mailto, msg["List-Unsubscribe-Post"]


@asynccontextmanager
async def running_daemon(tmp_path, dovecot, sink, database_url, *, leads: dict[str, str | None] | None = None,
                         web: dict[str, Any] | None = None, consent_over: dict[str, Any] | None = None,
                         agents: int = 1) -> AsyncIterator[Daemon]:
    """The daemon (Supervisor: watcher, sender, web) with one first mail sent to each lead (address -> language)."""
    leads = leads if leads is not None else {LEAD: None}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(tmp_path, [agent_dict(dovecot, sink) for _ in range(agents)], database_url=database_url,
                             web={"bind": f"127.0.0.1:{port}", **(web or {})},
                             consent={"public_base_url": base, "token_key": KEY, **(consent_over or {})})
    app = await build_app(settings)
    daemon = Daemon(app, Supervisor(app), base)
    runner: asyncio.Task | None = None
    try:
        runtime = app.agents[0].runtime
        for address, language in leads.items():
            daemon.leads[address] = await add_lead(app.sessionmaker, runtime.id, LeadInput(
                email=address, name="Lee Lead", company="Globex", language=language))
        await queue_first_mails(app.sessionmaker, runtime)
        runner = asyncio.create_task(daemon.supervisor.run(), name="web-test-daemon")
        for mail in await sink.wait_for(len(leads)):
            daemon.mails[mail.rcpt_tos[0]] = mail
        for mail in daemon.mails.values():  # the sink's 250 comes before the sender records it: wait for the record
            await settled_outbox_row(app, mail.message_id)
        await asyncio.wait_for(app.web.serving.wait(), 10)
        yield daemon
    finally:
        if runner is not None:
            daemon.supervisor.stop.set()
            assert await asyncio.wait_for(runner, 30) == 0
        await app.close()


async def queue_mail(app: App, lead_id: int, *, due_in: timedelta = timedelta(0)) -> str:
    """A follow-up to the lead in the outbox (due now, or scheduled later); its Message-ID."""
    from tests.test_effects import _queue_follow_up

    return await _queue_follow_up(app, app.agents[0].runtime, lead_id, due_in)


async def outbox_row(app: App, message_id: str) -> Outbox:
    async with app.sessionmaker() as s:
        return await s.scalar(select(Outbox).where(Outbox.message_id == message_id))


async def settled_outbox_row(app: App, message_id: str, timeout: float = 15) -> Outbox:
    """The row once the sender has decided about it (no longer queued or sending)."""
    async def poll() -> Outbox:
        while True:
            row = await outbox_row(app, message_id)
            if row.status not in (OutboxStatus.QUEUED, OutboxStatus.SENDING):
                return row
            await asyncio.sleep(0.05)
    return await asyncio.wait_for(poll(), timeout)


async def events(app: App) -> list[consent.LogEntry]:
    async with app.sessionmaker() as s:
        return await consent.export(s)


async def lead(app: App, lead_id: int) -> Lead | None:
    async with app.sessionmaker() as s:
        return await s.get(Lead, lead_id)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/u/", 1)[1]
