"""Retention: the text of stored mail is purged after ``retention.text_days`` (default 30; 0 keeps it).

What goes (set to NULL, the rows stay):
- ``messages.text`` of inbound and outbound mail recorded before the cut-off;
- ``outbox.raw`` (the whole mail) of rows that are done: sent, failed or cancelled,
  by their send time (else their queue time), unless a copy for the Sent folder
  is still pending. Queued, awaiting-approval, sending and unknown rows keep their
  bytes: they may still go out, and an unknown outcome is resolved by a person.

What stays: the structured results (message kinds, reasons, rule trails,
Message-IDs and threading headers, subjects, BANT slots and their evidence,
decisions, agent runs, consent log, handoff events). Subjects are kept because
follow-ups and check-ins thread on the first mail's subject ("Re: ..."), which
may be months old after a pause; they are encrypted like the text when a key is set.

Run from the scheduler's tick (outreach/scheduler.py) at most once per
``retention.interval_s`` on the agents' clock, so tests move time with a
ManualClock. Each batch is its own short transaction (SQLite holds one writer at
a time: the watcher and sender wait at most one batch).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.clock import SYSTEM_CLOCK, Clock
from sqa.config import RetentionSettings
from sqa.db.models import Message, Outbox, OutboxStatus

log = logging.getLogger(__name__)

BATCH = 500
DONE = (OutboxStatus.SENT.value, OutboxStatus.FAILED.value, OutboxStatus.CANCELLED.value)


@dataclass(frozen=True, slots=True)
class Purged:
    messages: int
    outbox: int
    cutoff: datetime


class Retention:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: RetentionSettings,
                 clock: Clock = SYSTEM_CLOCK, *, batch: int = BATCH) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self.batch = batch
        self._last: datetime | None = None

    async def maybe_run(self, now: datetime | None = None) -> Purged | None:
        """Purge when due (``interval_s`` since the last run on this clock); None when off or not due."""
        if self.settings.text_days <= 0:
            return None
        now = now or self.clock.now()
        if self._last is not None and abs((now - self._last).total_seconds()) < self.settings.interval_s:
            return None
        self._last = now
        return await self.purge(now)

    async def purge(self, now: datetime | None = None) -> Purged:
        now = now or self.clock.now()
        cutoff = now - timedelta(days=self.settings.text_days)
        messages = await self._batches(Message, (Message.text.is_not(None), Message.created_at < cutoff), text=None)
        outbox = await self._batches(Outbox, (
            Outbox.created_at < cutoff, Outbox.status.in_(DONE), Outbox.raw.is_not(None),  # created_at: an index range
            func.coalesce(Outbox.sent_at, Outbox.created_at) < cutoff,
            or_(Outbox.sent_copy.is_(None), Outbox.sent_copy != "pending")), raw=None)
        if messages or outbox:
            log.info("retention: purged the text of %d message(s) and %d sent mail(s) older than %s",
                     messages, outbox, cutoff.isoformat(timespec="seconds"))
        return Purged(messages, outbox, cutoff)

    async def _batches(self, model: type, where: tuple, **values: None) -> int:
        total = 0
        while True:
            async with self.sessionmaker() as session, session.begin():
                ids = list(await session.scalars(select(model.id).where(*where).order_by(model.id).limit(self.batch)))
                if ids:
                    await session.execute(update(model).where(model.id.in_(ids), *where).values(**values)
                                          .execution_options(synchronize_session=False))
            total += len(ids)
            if len(ids) < self.batch:
                return total
