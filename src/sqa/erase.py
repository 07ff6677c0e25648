"""GDPR Art. 17 erasure of one lead, in one transaction.

First an opt-out event (source ``erasure``, scope all) goes on the consent log,
so the address stays suppressed for every agent and a re-import is refused;
then the lead's messages, outbox rows, agent runs and the lead itself are
deleted, and the plain address is dropped from the log's address table. What
stays is the hashed log: SHA-256 of the address, the times, sources and actors.

A mail the sender has claimed (status ``sending``) may be on the wire: its row
is not deleted under the sender; the erasure is refused until the send ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.consent import store
from sqa.db.models import AgentRun, Lead, Message, Outbox, OutboxStatus


class EraseRefused(Exception):
    """The lead cannot be erased now (the message says why)."""


@dataclass(frozen=True, slots=True)
class LeadSummary:
    id: int
    email: str
    name: str | None
    company: str | None


@dataclass(frozen=True, slots=True)
class Erased:
    lead_id: int
    address: str
    messages: int
    outbox: int
    runs: int
    cancelled: int  # queued mail of other agents' leads at the same address, cancelled by the opt-out
    other_leads: tuple[int, ...]  # other agents' leads with the same address (kept, now opted out)


async def lead_summary(sessionmaker: async_sessionmaker[AsyncSession], lead_id: int) -> LeadSummary | None:
    async with sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        return LeadSummary(lead.id, lead.email, lead.name, lead.company) if lead else None


async def erase_lead(sessionmaker: async_sessionmaker[AsyncSession], lead_id: int, *, actor: str) -> Erased:
    async with sessionmaker() as session, session.begin():
        lead = await session.get(Lead, lead_id, with_for_update=True)
        if lead is None:
            raise EraseRefused(f"no lead {lead_id}")
        address, agent_id = store.normalize(lead.email), lead.agent_id
        mine = or_(Outbox.lead_id == lead_id,
                   and_(Outbox.lead_id.is_(None), Outbox.agent_id == agent_id, Outbox.to_addr == address))
        statuses = (await session.scalars(select(Outbox.status).where(mine).with_for_update())).all()
        if OutboxStatus.SENDING in statuses:
            raise EraseRefused("a mail to this lead is being sent right now; try again in a minute")
        change = await store.opt_out(session, address, agent_id=agent_id, scope=store.Scope.ALL,
                                     source=store.Source.ERASURE, gate=None, evidence={"lead_id": lead_id}, actor=actor,
                                     force_event=True)
        messages = await _delete(session, delete(Message).where(or_(
            Message.lead_id == lead_id,
            and_(Message.lead_id.is_(None), Message.agent_id == agent_id,
                 or_(func.lower(Message.from_addr) == address, func.lower(Message.to_addr) == address)))))
        outbox = await _delete(session, delete(Outbox).where(mine))
        runs = await _delete(session, delete(AgentRun).where(AgentRun.lead_id == lead_id))
        await session.delete(lead)
        await session.flush()
        await store.forget_address(session, [address])
        others = tuple((await session.scalars(select(Lead.id).where(Lead.email == address).order_by(Lead.id))).all())
        own_cancelled = statuses.count(OutboxStatus.QUEUED) + statuses.count(OutboxStatus.AWAITING_APPROVAL)
        return Erased(lead_id, address, messages, outbox, runs, max(0, change.cancelled - own_cancelled), others)


async def _delete(session: AsyncSession, stmt) -> int:  # noqa: ANN001 - a Delete construct
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return result.rowcount or 0
