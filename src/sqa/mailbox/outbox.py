"""The transactional outbox: claim due rows, record outcomes, recover after a crash."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.consent import store as consent
from sqa.db.models import AgentRun, Lead, LeadStatus, Outbox, OutboxKind, OutboxStatus, utcnow
from sqa.mailbox.journal import Mark
from sqa.observe.alerts import SENDING_HALTED, raise_alert
from sqa.outreach.calendar import followup_due, resolve_zone
from sqa.outreach.policy import COLD, Candidate, SendPolicy
from sqa.outreach.settings import OutreachSettings

UNKNOWN_AFTER_CRASH = "process stopped after the message data was handed to the server: outcome unknown, not resent"
STALE_CLAIM = timedelta(hours=1)  # a claim of another instance this old: that process is gone


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    message_id: str
    lead_id: int | None
    to_addr: str
    raw: bytes
    attempts: int  # including this one
    deadline_at: datetime | None
    kind: str = OutboxKind.REPLY.value  # the sending policy holds cold kinds (first, follow_up)
    tz: str | None = None  # the recipient's zone, resolved at queue time


class Result(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Outcome:
    row: Claimed
    result: Result
    reply: str
    retry_in_s: float = 0.0
    tried: bool = True  # False: put back untouched (halt or stop); the claim's attempt is given back
    gated: bool = False  # held back by an opt-out landing for the address (consent/gate.py): re-read the log


def backoff(attempt: int, base_s: float, max_s: float) -> float:
    """Capped exponential backoff with full jitter (never zero)."""
    ceiling = min(max_s, base_s * (2 ** max(0, attempt - 1)))
    return max(base_s / 2, random.uniform(0, ceiling))


CLAIMED = (Outbox.id, Outbox.message_id, Outbox.lead_id, Outbox.to_addr, Outbox.raw, Outbox.attempts, Outbox.deadline_at,
           Outbox.kind, Outbox.tz)


async def claim(session: AsyncSession, agent_id: int, instance: str, limit: int, now: datetime | None = None,
                stats: dict[str, int] | None = None, policy: SendPolicy | None = None) -> list[Claimed]:
    """Atomically move up to ``limit`` due rows to SENDING (SKIP LOCKED on PostgreSQL).

    With a ``policy``, the kinds its sender is pausing (jitter, a full minute) are not claimed, and claimed rows
    it holds are put back in this transaction (outreach/policy.py). A claim of replies only asks nothing more.
    ``stats["claimed"]`` tells how many rows were claimed before the consent gate cancelled some (rows the policy
    put back untouched, still due, not counted).
    """
    now = now or utcnow()
    where = [Outbox.agent_id == agent_id, Outbox.status == OutboxStatus.QUEUED, Outbox.next_attempt_at <= now]
    paused = policy.paused_kinds(now) if policy is not None else []
    if paused:
        where.append(Outbox.kind.not_in(paused))
    due = (
        select(Outbox.id)
        .where(*where)
        .order_by(Outbox.priority, Outbox.next_attempt_at, Outbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await session.execute(
        update(Outbox)
        .where(Outbox.id.in_(due), Outbox.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SENDING, claimed_by=instance, claimed_at=now, attempts=Outbox.attempts + 1)
        .returning(*CLAIMED, Outbox.priority, Outbox.next_attempt_at, Outbox.last_reply)
        .execution_options(synchronize_session=False)
    )
    order: dict[int, tuple[int, datetime, str | None]] = {}
    rows: list[Claimed] = []
    for r in result:
        rows.append(Claimed(*r[:9]))
        order[r[0]] = (r[9], r[10], r[11])
    rows.sort(key=lambda r: r.id)
    if stats is not None:
        stats["claimed"] = len(rows)
    rows = await _consent_gate(session, agent_id, rows)
    if policy is not None and rows and policy.applies({r.kind for r in rows}):
        rows, untouched = await _apply_policy(session, agent_id, rows, order, policy, now)
        if stats is not None:
            stats["claimed"] -= untouched
    return rows


async def _apply_policy(session: AsyncSession, agent_id: int, rows: list[Claimed], order: dict[int, tuple[int, datetime]],
                        policy: SendPolicy, now: datetime) -> tuple[list[Claimed], int]:
    """Put back the rows the policy holds: rolled to their new due time (on record), or untouched (a pause).

    Returns the rows that leave now and how many were put back untouched.
    """
    candidates = [Candidate(r.id, r.lead_id, r.to_addr, r.kind, r.tz, *order[r.id][:2]) for r in rows]
    decision = await policy.decide(session, agent_id, candidates, now)
    events = []  # the sender's own records, not a waiting row's
    if decision.day_full is not None:  # once per sender and day, not once per waiting row
        events.append(("day_full", "daily_cap", decision.day_full))
    if decision.halt is not None:  # complaints: once when cold mail stops, once when it starts again
        events.append((decision.halt, "complaint_halt", decision.halt_reason))
        if decision.halt == "halted":
            raise_alert(policy.agent, SENDING_HALTED, decision.halt_reason)
    if events:
        await session.execute(insert(AgentRun), [
            {"agent_id": agent_id, "lead_id": None, "message_id": None, "step": "send", "decision": what,
             "created_at": now, "detail": {"rule": rule, "reason": reason}} for what, rule, reason in events])
    if not decision.holds:
        return rows, 0
    by_id = {r.id: r for r in rows}
    updates: list[dict] = []
    runs: list[dict] = []
    for hold in decision.holds:
        row = by_id[hold.id]
        values: dict = {"id": row.id, "status": OutboxStatus.QUEUED, "claimed_by": None, "attempts": max(0, row.attempts - 1)}
        if hold.due is not None:  # rolled; on record when the reason is new for this row (not each day it waits)
            values.update(next_attempt_at=hold.due, last_reply=hold.reason,
                          deadline_at=policy.deadline(hold.due, row.deadline_at))
            if not _same_hold(order[row.id][2], hold.reason):
                runs.append({"agent_id": agent_id, "lead_id": row.lead_id, "message_id": row.message_id, "step": "send",
                             "decision": "held", "created_at": now,
                             "detail": {"rule": hold.rule, "reason": hold.reason, "due": hold.due.isoformat()}})
        updates.append(values)
    for group in _same_keys(updates):
        await session.execute(update(Outbox), group)
    if runs:
        await session.execute(insert(AgentRun), runs)
    return [r for r in rows if r.id in decision.send], sum(1 for h in decision.holds if h.due is None)


def _same_hold(before: str | None, reason: str | None) -> bool:
    """Was the row already held for this reason (the same text up to the new date)? Then it is not recorded again."""
    if not before or not reason:
        return False
    return before.split(": next ", 1)[0] == reason.split(": next ", 1)[0]


async def _consent_gate(session: AsyncSession, agent_id: int, rows: list[Claimed], keep: bool = True) -> list[Claimed]:
    """Invariant 2: nothing leaves for an address suppressed now, in the claiming transaction.

    Cancels the suppressed rows; returns the others (``keep``) or the cancelled ones.
    """
    blocked = await consent.suppressed(session, (r.to_addr for r in rows), agent_id)
    if not blocked:
        return rows if keep else []
    stopped = [r for r in rows if consent.normalize(r.to_addr) in blocked]
    now = utcnow()
    await session.execute(update(Outbox), [
        {"id": r.id, "status": OutboxStatus.CANCELLED, "claimed_by": None,
         "last_reply": f"not sent: {blocked[consent.normalize(r.to_addr)]}"} for r in stopped])
    await session.execute(insert(AgentRun.__table__), [
        {"agent_id": agent_id, "lead_id": r.lead_id, "message_id": r.message_id, "step": "send", "decision": "suppressed",
         "detail": {"reason": blocked[consent.normalize(r.to_addr)]}, "created_at": now} for r in stopped])
    return [r for r in rows if consent.normalize(r.to_addr) not in blocked] if keep else stopped


async def record(session: AsyncSession, agent_id: int, outcomes: list[Outcome], save_sent: bool, now: datetime | None = None,
                 outreach: OutreachSettings | None = None) -> None:
    """Write the outcome of every claimed row, with an agent_runs row each.

    With ``outreach``: a sent first mail or follow-up sets its lead's next step (the scheduler's due time).
    """
    now = now or utcnow()
    updates: list[dict] = []
    runs: list[dict] = []
    gated = [o.row for o in outcomes if o.gated]
    if gated:  # their opt-out has usually committed by now: cancel them here rather than at the next claim
        stopped = {r.id for r in await _consent_gate(session, agent_id, gated, keep=False)}
        outcomes = [o for o in outcomes if o.row.id not in stopped]
    for o in outcomes:
        row = o.row
        values: dict = {"id": row.id, "last_reply": o.reply[:2000], "claimed_by": None}
        decision = o.result.value
        if o.result is Result.SENT:
            values.update(status=OutboxStatus.SENT, sent_at=now, sent_copy="pending" if save_sent else "skipped")
        elif o.result is Result.RETRY:
            retry_at = now + timedelta(seconds=o.retry_in_s)
            if row.deadline_at is not None and retry_at > row.deadline_at:
                values.update(status=OutboxStatus.FAILED)
                decision = "failed_deadline"
            else:
                values.update(status=OutboxStatus.QUEUED, next_attempt_at=retry_at)
            if not o.tried:
                values["attempts"] = max(0, row.attempts - 1)
        elif o.result is Result.FAILED:
            values.update(status=OutboxStatus.FAILED)
        else:
            values.update(status=OutboxStatus.UNKNOWN)
        updates.append(values)
        runs.append({"agent_id": agent_id, "lead_id": row.lead_id, "message_id": row.message_id, "step": "send",
                     "decision": decision, "detail": {"reply": o.reply[:500], "attempt": row.attempts},
                     "created_at": now})
    if updates:
        for group in _same_keys(updates):
            await session.execute(update(Outbox), group)
        await session.execute(insert(AgentRun), runs)
    cold = [o.row for o in outcomes if o.result is Result.SENT and o.row.kind in COLD and o.row.lead_id is not None]
    if cold and outreach is not None:
        await _next_steps(session, cold, now, outreach)


async def _next_steps(session: AsyncSession, rows: list[Claimed], sent_at: datetime, outreach: OutreachSettings) -> None:
    """``leads.next_action_at``: when the next follow-up (or the end of the wait) is due after this cold mail.

    Counted in business days from the send, in the recipient's zone; only for leads still ``contacted`` (a reply,
    opt-out or bounce meanwhile stopped the cadence). The scheduler finds them by that column.
    """
    zones = {r.lead_id: r.tz for r in rows}
    leads = (await session.execute(
        select(Lead.id, Lead.followups_sent, Lead.country, Lead.timezone, Lead.email)
        .where(Lead.id.in_(zones), Lead.status == LeadStatus.CONTACTED))).all()
    if not leads:
        return
    params = [{"lead": lead_id, "due": followup_due(
        sent_at, followups or 0, zones[lead_id] or resolve_zone(tz, country, email, outreach.window.timezone), country,
        outreach)} for lead_id, followups, country, tz, email in leads]
    await session.execute(
        update(Lead.__table__).where(Lead.__table__.c.id == bindparam("lead"),
                                     Lead.__table__.c.status == LeadStatus.CONTACTED.value)
        .values(next_action_at=bindparam("due")), params)


def _same_keys(rows: list[dict]) -> list[list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(r)), []).append(r)
    return list(groups.values())


async def recover(
    sessionmaker: async_sessionmaker[AsyncSession], agent_id: int, instance: str, marks: dict[int, Mark], save_sent: bool,
    now: datetime | None = None, outreach: OutreachSettings | None = None,
) -> dict[str, int]:
    """Settle rows this instance claimed before it stopped, using the send journal."""
    now = now or utcnow()
    counts = {"requeued": 0, "sent": 0, "unknown": 0}
    async with sessionmaker() as session, session.begin():
        columns = CLAIMED
        rows = (await session.execute(
            select(*columns).where(Outbox.agent_id == agent_id, Outbox.status == OutboxStatus.SENDING, Outbox.claimed_by == instance)
        )).all()
        # Another instance's claim this old has no journal we can read: it may have been sent.
        orphans = (await session.execute(
            select(*columns, Outbox.claimed_by).where(
                Outbox.agent_id == agent_id, Outbox.status == OutboxStatus.SENDING, Outbox.claimed_by != instance,
                Outbox.claimed_at < now - STALE_CLAIM)
        )).all()
        outcomes: list[Outcome] = []
        requeue: list[dict] = []
        for r in rows:
            claimed = Claimed(*r)
            mark = marks.get(claimed.id)
            if mark is Mark.SENT:
                outcomes.append(Outcome(claimed, Result.SENT, "accepted before the process stopped (send journal)"))
                counts["sent"] += 1
            elif mark is Mark.DATA:
                outcomes.append(Outcome(claimed, Result.UNKNOWN, UNKNOWN_AFTER_CRASH))
                counts["unknown"] += 1
            else:
                requeue.append({"id": claimed.id, "status": OutboxStatus.QUEUED, "claimed_by": None,
                                "attempts": max(0, claimed.attempts - 1)})
                counts["requeued"] += 1
        for *r, owner in orphans:
            reason = f"claimed by instance {owner!r}, which never finished it: outcome unknown, not resent"
            outcomes.append(Outcome(Claimed(*r), Result.UNKNOWN, reason))
            counts["unknown"] += 1
        if requeue:
            await session.execute(update(Outbox), requeue)
        await record(session, agent_id, outcomes, save_sent=save_sent, now=now, outreach=outreach)
    return counts
