"""The scheduler service: intake, follow-ups and resumes, from due-time columns the daemon polls.

No job store: a lead's ``next_action_at`` is the schedule (set by ``outbox.record``
when a cold mail is SENT: ``calendar.followup_due``; by the pause handlers; by
intake's DNS backoff). A tick, per agent:

1. intake: matching `new` leads -> address check -> first mail (intake.py), when
   ``intake.auto``;
2. resumes: `paused` leads due now. An out-of-office pause goes back into the
   cadence (the next follow-up goes now) or to the conversation it interrupted;
   the lead's own deferral ("contact me in Q2", engage's pause decision) gets a
   check-in mail and starts the cadence again;
3. follow-ups: `contacted` leads due now get follow-up k+1 in the thread
   (In-Reply-To/References, "Re: <first subject>"), ``followups_sent`` += 1 and
   ``next_action_at`` = NULL until it is sent; after the last one the lead is
   `unresponsive`.

Exactly once across crashes and restarts: due leads are read in bounded chunks,
the mails drafted outside any transaction, then one transaction per chunk
re-reads them (FOR UPDATE SKIP LOCKED on PostgreSQL) under the same conditions
(still due, same ``followups_sent``) and writes each lead's update with its
outbox row. A follow-up that fell due while the daemon was down is found at the
first tick after the start; one already queued is not queued again (its lead's
``next_action_at`` is NULL until it is sent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.agents.outreach import OutreachWriter, Purpose
from sqa.db.models import AgentRun, Lead, LeadStatus, Outbox, OutboxKind, OutboxStatus
from sqa.db.session import READ_ONLY
from sqa.outreach import compose
from sqa.outreach.intake import Intake
from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

CHUNK = 200  # leads per transaction
COLD_KINDS = (OutboxKind.FIRST.value, OutboxKind.FOLLOW_UP.value)
DEFERRAL = "pause"  # agent_runs.step of engage's pause decision (on_human.py); an out-of-office is "auto_reply"


@dataclass(slots=True)
class TickStats:
    first: int = 0  # first mails queued (or awaiting approval)
    followups: int = 0
    check_ins: int = 0
    resumed: int = 0
    unresponsive: int = 0
    disqualified: int = 0
    dns_retry: int = 0
    waiting: int = 0
    queued_by_agent: dict[int, int] = field(default_factory=dict)

    def add(self, agent_id: int, n: int) -> None:
        if n:
            self.queued_by_agent[agent_id] = self.queued_by_agent.get(agent_id, 0) + n


class Scheduler:
    """Service "scheduler" (supervisor.Service): a tick every ``outreach.tick_s`` (the shortest of the agents), or when woken.

    ``on_queued(agent_id)`` is called after a tick queued mail for that agent (the daemon wakes its sender).
    """

    name = "scheduler"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], runtimes: list[AgentRuntime],
                 writer: OutreachWriter | None = None, *, on_queued: Callable[[int], None] | None = None,
                 chunk: int = CHUNK) -> None:
        self.sessionmaker = sessionmaker
        self.runtimes = runtimes
        self.writer = writer or OutreachWriter()
        self.intake = Intake(sessionmaker, self.writer)
        self.on_queued = on_queued
        self.chunk = chunk
        self.retention = None  # a sqa.retention.Retention (set by build_app): purged at the end of a tick when due
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        interval = min((r.settings.outreach.tick_s for r in self.runtimes), default=30.0)
        while not stop.is_set():
            self._wake.clear()
            await self.tick()
            waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())}
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def tick(self, now: datetime | None = None) -> TickStats:
        """One round for every agent; ``now`` defaults to each agent's clock."""
        stats = TickStats()
        for runtime in self.runtimes:
            at = now or runtime.clock.now()
            if runtime.settings.outreach.intake.auto:
                got = await self.intake.run(runtime, at, within_cap=True)
                stats.first += len(got.queued)
                stats.disqualified += got.disqualified
                stats.dns_retry += got.dns_retry
                stats.waiting += got.waiting
                stats.add(runtime.id, len(got.queued))
            await self.resumes(runtime, at, stats)
            await self.followups(runtime, at, stats)
            if self.on_queued is not None and stats.queued_by_agent.get(runtime.id):
                self.on_queued(runtime.id)
        if self.retention is not None:
            await self.retention.maybe_run(now)  # at most once per retention.interval_s
        return stats

    # -- follow-ups ------------------------------------------------------------------------

    async def followups(self, runtime: AgentRuntime, now: datetime, stats: TickStats) -> None:
        cadence = len(runtime.settings.outreach.cadence_business_days)
        due = (Lead.agent_id == runtime.id, Lead.status == LeadStatus.CONTACTED, Lead.next_action_at <= now)
        while True:
            async with self.sessionmaker(execution_options=READ_ONLY) as session, session.begin():
                leads = list(await session.scalars(select(Lead).where(*due).order_by(Lead.next_action_at, Lead.id)
                                                   .limit(self.chunk)))
                threads = await compose.threads(session, [lead.id for lead in leads if lead.followups_sent < cadence])
            if not leads:
                return
            mails = {lead.id: await compose.prepare(runtime, self.writer, lead, Purpose.FOLLOW_UP, now,
                                                    k=lead.followups_sent + 1, thread=threads.get(lead.id))
                     for lead in leads if lead.followups_sent < cadence}
            seen = {lead.id: lead.followups_sent for lead in leads}
            done = 0
            async with self.sessionmaker() as session, session.begin():
                locked = await session.scalars(select(Lead).where(Lead.id.in_(seen), *due).order_by(Lead.id)
                                               .with_for_update(skip_locked=True))
                for lead in locked:
                    if lead.followups_sent != seen[lead.id]:
                        continue  # changed since it was read: the next round sees it as it is now
                    done += 1
                    if lead.id in mails:
                        queued = compose.add(session, runtime, lead, mails[lead.id], now)
                        lead.followups_sent += 1
                        lead.next_action_at = None  # outbox.record sets the next due time when it is sent
                        stats.followups += 1
                        stats.add(runtime.id, queued.status == OutboxStatus.QUEUED)
                    else:
                        lead.status, lead.next_action_at, lead.finished_at = LeadStatus.UNRESPONSIVE, None, now
                        session.add(AgentRun(agent_id=runtime.id, lead_id=lead.id, step="outreach",
                                             decision="unresponsive", created_at=now,
                                             detail={"reason": f"no answer after {lead.followups_sent} follow-ups"}))
                        stats.unresponsive += 1
            if len(leads) < self.chunk or not done:
                return  # all seen, or the rest is locked by another instance: the next tick

    # -- resumes ---------------------------------------------------------------------------

    async def resumes(self, runtime: AgentRuntime, now: datetime, stats: TickStats) -> None:
        due = (Lead.agent_id == runtime.id, Lead.status == LeadStatus.PAUSED, Lead.next_action_at <= now)
        while True:
            async with self.sessionmaker(execution_options=READ_ONLY) as session, session.begin():
                leads = list(await session.scalars(select(Lead).where(*due).order_by(Lead.next_action_at, Lead.id)
                                                   .limit(self.chunk)))
                ids = [lead.id for lead in leads]
                deferred = await _deferrals(session, ids)
                threads = await compose.threads(session, [i for i in ids if i in deferred])
            if not leads:
                return
            mails = {lead.id: await compose.prepare(runtime, self.writer, lead, Purpose.CHECK_IN, now,
                                                    thread=threads.get(lead.id))
                     for lead in leads if lead.id in deferred}
            done = 0
            async with self.sessionmaker() as session, session.begin():
                locked = await session.scalars(select(Lead).where(Lead.id.in_(ids), *due).order_by(Lead.id)
                                               .with_for_update(skip_locked=True))
                for lead in locked:
                    done += 1
                    if lead.id in mails:  # the lead asked to hear from us now: a check-in, then the cadence again
                        queued = compose.add(session, runtime, lead, mails[lead.id], now)
                        lead.status, lead.followups_sent, lead.next_action_at = LeadStatus.CONTACTED, 0, None
                        stats.check_ins += 1
                        stats.add(runtime.id, queued.status == OutboxStatus.QUEUED)
                    else:
                        self._resume_after_absence(runtime, lead, now)
                    lead.paused_from = None
                    stats.resumed += 1
                    session.add(AgentRun(agent_id=runtime.id, lead_id=lead.id, step="outreach", decision="resumed",
                                         created_at=now, detail={"to": lead.status,
                                                                 "check_in": lead.id in mails}))
            if len(leads) < self.chunk or not done:
                return

    @staticmethod
    def _resume_after_absence(runtime: AgentRuntime, lead: Lead, now: datetime) -> None:
        """Out-of-office over: back into the cadence (the next follow-up now), or to the conversation it paused."""
        back = lead.paused_from or LeadStatus.CONTACTED.value
        lead.status = back
        if back != LeadStatus.CONTACTED:
            lead.next_action_at = None  # a conversation: the lead's turn, no cold follow-up
            return
        outreach = runtime.settings.outreach
        if lead.followups_sent < len(outreach.cadence_business_days):
            lead.next_action_at = now
            return
        from sqa.outreach.calendar import followup_due  # the last follow-up went before the absence: wait once more

        lead.next_action_at = followup_due(now, lead.followups_sent, compose.lead_zone(lead, runtime), lead.country,
                                           outreach)


async def _deferrals(session: AsyncSession, lead_ids: list[int]) -> set[int]:
    """The leads whose latest pause was their own deferral (engage's pause decision), not an out-of-office."""
    if not lead_ids:
        return set()
    rows = await session.execute(
        select(AgentRun.lead_id, AgentRun.step).where(
            AgentRun.lead_id.in_(lead_ids),
            (AgentRun.step == DEFERRAL) | ((AgentRun.step == "auto_reply") & (AgentRun.decision == "paused")))
        .order_by(AgentRun.id))
    return {lead_id for lead_id, step in dict(rows.all()).items() if step == DEFERRAL}  # the latest run per lead wins


def latest_pause(runs: list[AgentRun]) -> str | None:
    """The step of a lead's latest pause among its runs: DEFERRAL (its own wish) or "auto_reply" (out of office)."""
    found = None
    for run in runs:
        if run.step == DEFERRAL or (run.step == "auto_reply" and run.decision == "paused"):
            found = run.step
    return found


async def cancel_cold(session: AsyncSession, lead_id: int, reason: str) -> int:
    """Cancel a lead's first mail and follow-ups not sent yet (queued or awaiting approval)."""
    result = await session.execute(
        update(Outbox).where(Outbox.lead_id == lead_id, Outbox.kind.in_(COLD_KINDS),
                             Outbox.status.in_((OutboxStatus.QUEUED, OutboxStatus.AWAITING_APPROVAL)))
        .values(status=OutboxStatus.CANCELLED, last_reply=f"not sent: {reason}"[:2000])
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
