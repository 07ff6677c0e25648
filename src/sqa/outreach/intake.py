"""Intake: which `new` leads an agent contacts, their address checked, their first mail queued.

Per agent (``agents[].outreach.intake``): leads of the listed sources, created
within N days, with the required fields filled; at most ``per_tick`` per round.
A lead missing a required field waits, the reason written once (agent_runs and
the lead's attention). A lead whose ``next_action_at`` lies ahead (a DNS retry,
an out-of-office before the first mail) is not taken yet.

Email validation (agents/validation.py): an invalid address disqualifies the
lead ("invalid email: <why>") and hands it back to its owner with a
`disqualified` event, like the engage agent's; DNS trouble is no verdict: the
lead stays `new` and is tried again after a backoff.

Three phases, so neither DNS nor a model call holds a transaction (SQLite's
BEGIN IMMEDIATE is the database's one write lock): read the candidates, check
and draft outside any transaction, then one transaction that re-reads the leads
(FOR UPDATE SKIP LOCKED on PostgreSQL, still `new`) and writes each lead's
update with its outbox row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, insert, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.agents.engines.base import ConversationState, Decision, EngineOutput
from sqa.agents.outreach import OutreachWriter, Purpose
from sqa.agents.validation import AddressCheck, AddressValidator
from sqa.db.models import AgentRun, Lead, LeadStatus, Message, Outbox, OutboxKind, OutboxStatus
from sqa.db.session import READ_ONLY
from sqa.handoff import notice
from sqa.handoff.summary import Kind as EventKind, synthesize
from sqa.mailbox.batch import BatchRows, attention
from sqa.outreach import compose
from sqa.outreach.settings import IntakeSettings
from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

WAITS = "intake waits"  # the attention note of a lead missing a required field (written once)
DNS_RETRY_BASE = timedelta(minutes=10)
DNS_RETRY_MAX = timedelta(hours=6)
CHECKS_AT_ONCE = 20


@dataclass(slots=True)
class IntakeStats:
    queued: list[int] = field(default_factory=list)  # lead ids whose first mail was queued (or awaits approval)
    held: int = 0  # of those: awaiting approval (research mode or guardrail findings)
    disqualified: int = 0  # invalid address
    dns_retry: int = 0  # DNS gave no verdict: tried again later
    waiting: int = 0  # newly found missing a required field


def candidates(intake: IntakeSettings, agent_id: int, now: datetime, limit: int) -> Select[tuple[Lead]]:
    """The `new` leads the rules let in, due now, oldest first."""
    query = select(Lead).where(Lead.agent_id == agent_id, Lead.status == LeadStatus.NEW,
                               or_(Lead.next_action_at.is_(None), Lead.next_action_at <= now))
    if intake.sources:
        query = query.where(Lead.source.in_(intake.sources))
    if intake.created_within_days:
        query = query.where(Lead.created_at >= now - timedelta(days=intake.created_within_days))
    for name in intake.required_fields:
        column = getattr(Lead, name)
        query = query.where(column.is_not(None), column != "")
    return query.order_by(Lead.id).limit(limit)


def dns_backoff(retries: int) -> timedelta:
    return min(DNS_RETRY_MAX, DNS_RETRY_BASE * (2 ** max(0, retries)))


class Intake:
    """One per scheduler; holds an address validator per agent (each with its DNS cache)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], writer: OutreachWriter) -> None:
        self.sessionmaker = sessionmaker
        self.writer = writer
        self._validators: dict[int, AddressValidator] = {}

    async def _room(self, runtime: AgentRuntime) -> int:
        """How many more first mails may wait: a day's cap minus those queued or awaiting approval."""
        async with self.sessionmaker(execution_options=READ_ONLY) as session:
            waiting = await session.scalar(
                select(func.count()).select_from(Outbox).where(
                    Outbox.agent_id == runtime.id, Outbox.kind == OutboxKind.FIRST.value,
                    Outbox.status.in_((OutboxStatus.QUEUED.value, OutboxStatus.AWAITING_APPROVAL.value))))
        return runtime.settings.outreach.caps.per_day - (waiting or 0)

    def validator(self, runtime: AgentRuntime) -> AddressValidator:
        found = self._validators.get(runtime.id)
        if found is None:
            i = runtime.settings.outreach.intake
            found = AddressValidator(nameservers=i.dns_nameservers or None, port=i.dns_port, timeout=i.dns_timeout_s)
            self._validators[runtime.id] = found
        return found

    async def check(self, runtime: AgentRuntime, leads: list[Lead]) -> dict[int, AddressCheck]:
        """The address checks of ``leads`` (none when validation is off), a few lookups at a time."""
        if not runtime.settings.outreach.intake.validate_email or not leads:
            return {}
        validator = self.validator(runtime)
        gate = asyncio.Semaphore(CHECKS_AT_ONCE)

        async def one(lead: Lead) -> tuple[int, AddressCheck]:
            async with gate:
                return lead.id, await validator.check(lead.email)

        return dict(await asyncio.gather(*(one(lead) for lead in leads)))

    async def run(self, runtime: AgentRuntime, now: datetime, limit: int | None = None, *,
                  within_cap: bool = False) -> IntakeStats:
        """One round for one agent (the caller decides whether intake.auto lets it run).

        ``within_cap`` (the scheduler's rounds): take in no more leads than a day's cap can send beyond the
        first mails already waiting, so a big import does not become a backlog the sending policy rolls
        from day to day (one record per row and day); the rest stays `new` for the next rounds.
        """
        intake = runtime.settings.outreach.intake
        limit = limit or intake.per_tick
        stats = IntakeStats()
        if within_cap:
            limit = min(limit, await self._room(runtime))
            if limit <= 0:
                return stats
        stats.waiting = await self._record_waiting(runtime, now, limit)
        async with self.sessionmaker(execution_options=READ_ONLY) as session, session.begin():
            leads = list(await session.scalars(candidates(intake, runtime.id, now, limit)))
            retries = await _dns_retries(session, [lead.id for lead in leads])
        if not leads:
            return stats
        checks = await self.check(runtime, leads)
        mails = {lead.id: await compose.prepare(runtime, self.writer, lead, Purpose.FIRST, now)
                 for lead in leads if (c := checks.get(lead.id)) is None or c.valid}
        async with self.sessionmaker() as session, session.begin():
            rows = BatchRows()
            locked = await session.scalars(
                select(Lead).where(Lead.id.in_([lead.id for lead in leads]), Lead.status == LeadStatus.NEW,
                                   or_(Lead.next_action_at.is_(None), Lead.next_action_at <= now))
                .order_by(Lead.id).with_for_update(skip_locked=True))
            for lead in list(locked):
                check = checks.get(lead.id)
                if check is not None and check.deliverable is None:
                    lead.next_action_at = now + dns_backoff(retries.get(lead.id, 0))
                    rows.run(runtime, lead.id, None, "intake", "dns_retry",
                             detail={"reason": check.reason, "retry_at": lead.next_action_at.isoformat()})
                    stats.dns_retry += 1
                elif check is not None and not check.valid:
                    await disqualify(session, rows, runtime, lead, f"invalid email: {check.reason}", now)
                    stats.disqualified += 1
                elif lead.id in mails:
                    queued = compose.add(session, runtime, lead, mails[lead.id], now)
                    lead.status, lead.next_action_at, lead.followups_sent = LeadStatus.CONTACTED, None, 0
                    lead.paused_from = lead.finished_at = None
                    if check is not None and (check.role or check.disposable or check.free_mail):
                        rows.run(runtime, lead.id, queued.message_id, "intake", "flagged",
                                 detail={"role": check.role, "disposable": check.disposable,
                                         "free_mail": check.free_mail})
                    stats.queued.append(lead.id)
                    stats.held += queued.status != "queued"
            await flush(session, rows)
        return stats

    async def _record_waiting(self, runtime: AgentRuntime, now: datetime, limit: int) -> int:
        """Leads missing a required field: the reason once on each (they are not candidates until filled)."""
        required = runtime.settings.outreach.intake.required_fields
        if not required:
            return 0
        missing = or_(*(or_(getattr(Lead, f).is_(None), getattr(Lead, f) == "") for f in required))
        async with self.sessionmaker(execution_options=READ_ONLY) as session, session.begin():
            found = (await session.execute(select(Lead.id).where(
                Lead.agent_id == runtime.id, Lead.status == LeadStatus.NEW, missing,
                or_(Lead.attention.is_(None), not_(Lead.attention.contains(WAITS)))).limit(limit))).scalars().all()
        if not found:
            return 0
        async with self.sessionmaker() as session, session.begin():
            leads = list(await session.scalars(select(Lead).where(Lead.id.in_(found)).with_for_update(skip_locked=True)))
            for lead in leads:
                absent = [f for f in required if not getattr(lead, f)]
                reason = f"{WAITS}: missing {', '.join(absent)}"
                attention(lead, reason)
                session.add(AgentRun(agent_id=runtime.id, lead_id=lead.id, step="intake", decision="waiting",
                                     detail={"reason": reason, "missing": absent}, created_at=now))
        return len(leads)


async def _dns_retries(session: AsyncSession, lead_ids: list[int]) -> dict[int, int]:
    if not lead_ids:
        return {}
    rows = await session.execute(select(AgentRun.lead_id, func.count()).where(
        AgentRun.lead_id.in_(lead_ids), AgentRun.step == "intake", AgentRun.decision == "dns_retry")
        .group_by(AgentRun.lead_id))
    return {lead_id: n for lead_id, n in rows.all()}


async def disqualify(session: AsyncSession, rows: BatchRows, runtime: AgentRuntime, lead: Lead, reason: str,
                     now: datetime) -> None:
    """Back to its owner: disqualified with the reason, a seller notice and a `disqualified` event (handoff/)."""
    lead.status, lead.next_action_at, lead.finished_at = LeadStatus.DISQUALIFIED, None, now
    attention(lead, reason)
    out = EngineOutput(Decision.DISQUALIFY, None, ConversationState(), reason, "validation", reasons=(reason,))
    summary = synthesize(EventKind.DISQUALIFIED, notice.lead_fields(lead), out)
    assignment = await notice.record(session, rows, runtime, lead, summary, None, Decision.DISQUALIFY.value)
    if assignment.problem:
        attention(lead, assignment.problem)
    rows.run(runtime, lead.id, None, "intake", "disqualified", detail={"reason": reason})


async def flush(session: AsyncSession, rows: BatchRows) -> None:
    """Insert a BatchRows' rows (seller notices and runs written by handoff/notice.py)."""
    if rows.messages:
        await session.execute(insert(Message), rows.messages)
    if rows.outbox:
        await session.execute(insert(Outbox), rows.outbox)
    if rows.runs:
        await session.execute(insert(AgentRun), rows.runs)
