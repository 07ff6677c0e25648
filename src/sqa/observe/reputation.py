"""A mailbox's reputation signals, counted from the database: bounce and complaint rates over the last days.

Both rates divide by the mails this agent sent in the window (seller notices
excluded), read through the ``(agent_id, sent_at)`` index; the events come
from the inbound ``messages`` rows through ``(agent_id, kind, created_at)``.
A complaint counts once per lead, and only when the report named the lead
through something we sent (our Message-ID or a signed link): a forged report
can opt out an address, never halt a mailbox. Several daemon instances on one
database read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sqa.db.models import Message, Outbox, OutboxKind, OutboxStatus

BOUNCE = "bounce"
COMPLAINT = "complaint"


@dataclass(frozen=True, slots=True)
class Rate:
    events: int  # bounces, or leads that complained
    sent: int  # mails sent in the same window
    days: int

    @property
    def share(self) -> float:
        return self.events / self.sent if self.sent else 0.0

    def over(self, threshold: float, min_sends: int) -> bool:
        """Above ``threshold``, judged only once the window holds ``min_sends`` sends (fewer say nothing)."""
        return self.sent >= min_sends and self.events > 0 and self.share > threshold

    def describe(self, what: str) -> str:
        return f"{self.events} {what} for {self.sent} sends in {self.days} days ({100 * self.share:.2f} %)"


async def sent_since(session: AsyncSession, agent_id: int, since: datetime) -> int:
    return await session.scalar(select(func.count()).select_from(Outbox).where(
        Outbox.agent_id == agent_id, Outbox.sent_at >= since, Outbox.status == OutboxStatus.SENT,
        Outbox.kind != OutboxKind.NOTICE.value)) or 0


async def bounce_rate(session: AsyncSession, agent_id: int, now: datetime, days: int, pending: int = 0) -> Rate:
    """Bounce reports received (``pending``: this batch's, not yet inserted) per mail sent."""
    since = now - timedelta(days=days)
    bounces = await session.scalar(select(func.count()).select_from(Message).where(
        Message.agent_id == agent_id, Message.kind == BOUNCE, Message.created_at >= since)) or 0
    return Rate(bounces + pending, await sent_since(session, agent_id, since), days)


async def complaint_rate(session: AsyncSession, agent_id: int, now: datetime, days: int,
                         pending: frozenset[int] = frozenset()) -> Rate:
    """Leads whose complaint was attributed to our mail (``pending``: this batch's lead ids) per mail sent."""
    since = now - timedelta(days=days)
    leads = set(await session.scalars(select(Message.lead_id).where(
        Message.agent_id == agent_id, Message.kind == COMPLAINT, Message.created_at >= since,
        Message.lead_id.is_not(None)).distinct()))
    return Rate(len(leads | pending), await sent_since(session, agent_id, since), days)
