"""Store a copy of each sent mail in the Sent folder, unless the provider already does.

Gmail and Microsoft 365 file a copy on SMTP submission; a second copy would be
a duplicate. ``save_sent = auto`` therefore skips them, by host name.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select, update

from sqa.config import AgentSettings, SaveSent
from sqa.db.models import Outbox, OutboxStatus
from sqa.mailbox.imap import ImapClient, ImapError
from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

PROVIDERS_THAT_SAVE = ("gmail.com", "googlemail.com", "office365.com", "outlook.com")


def wants_sent_copy(agent: AgentSettings) -> bool:
    mode = agent.smtp.save_sent
    if mode is SaveSent.AUTO:
        host = agent.smtp.host.lower()
        return not any(host == p or host.endswith("." + p) for p in PROVIDERS_THAT_SAVE)
    return mode is SaveSent.ALWAYS


class SentCopier:
    def __init__(self, sessionmaker, agent: AgentRuntime, batch: int = 50) -> None:  # noqa: ANN001
        self.sessionmaker = sessionmaker
        self.agent = agent
        self.batch = batch
        self._wake = asyncio.Event()
        self._folder: str | None = agent.settings.imap.sent_folder

    @property
    def name(self) -> str:
        return f"sent-copy:{self.agent.name}"

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.copy_pending()
            except (ImapError, OSError) as exc:
                log.warning("agent %s: cannot store sent copies yet: %s", self.agent.name, exc)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=60)
            except (asyncio.TimeoutError, TimeoutError):
                pass
            self._wake.clear()

    async def _pending(self) -> list:
        async with self.sessionmaker() as session:
            return list((await session.execute(
                select(Outbox.id, Outbox.raw).where(
                    Outbox.agent_id == self.agent.id, Outbox.status == OutboxStatus.SENT, Outbox.sent_copy == "pending"
                ).order_by(Outbox.id).limit(self.batch)
            )).all())

    async def copy_pending(self) -> int:
        """Copy every pending sent mail, a batch at a time, over one IMAP connection."""
        rows = await self._pending()
        if not rows:
            return 0
        client = ImapClient(self.agent.settings.imap)
        total = 0
        try:
            await client.connect()
            if self._folder is None:
                self._folder = await client.special_use_folder("\\Sent") or "Sent"
            while rows:
                saved: list[int] = []
                try:
                    for oid, raw in rows:
                        await client.append(raw, self._folder)
                        saved.append(oid)
                finally:
                    if saved:
                        async with self.sessionmaker() as session, session.begin():
                            await session.execute(update(Outbox), [{"id": oid, "sent_copy": "saved"} for oid in saved])
                total += len(saved)
                rows = await self._pending()
        finally:
            await client.logout()
        return total
