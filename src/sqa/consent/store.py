"""The consent log and what follows from it: who must not be mailed, at send time.

consent_events is append-only: this module only ever INSERTs into it. Rows
are keyed by a hash of the normalized address; the plain address sits in
consent_addresses (for people reading the log), which an erasure deletes
while the hashed log, and so the suppression, stays. Whether an address is
suppressed for an agent follows from its newest event that applies (scope
``all``, or scope ``agent`` for that agent). Suppression never expires.

Opt-outs and opt-ins from every channel (reply words, mailto, one-click POST,
confirm page, admin, bounce, erasure) go through :func:`opt_out` /
:func:`opt_in`, in the caller's transaction: the event, the cancelled mail and
the lead's status commit together or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sqa.consent.gate import SendGate
from sqa.db.models import AgentRun, ConsentAddress, ConsentEvent, Lead, LeadStatus, Outbox, OutboxStatus, utcnow


class Scope(StrEnum):
    AGENT = "agent"  # this agent only: the company's other mail is left alone
    ALL = "all"  # every agent


class Action(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


class Source(StrEnum):
    ONE_CLICK = "one_click"  # RFC 8058 POST from a mailbox provider
    CONFIRM_PAGE = "confirm_page"  # the button on the GET page (and its resubscribe button)
    MAILTO = "mailto"  # mail to the agent's unsubscribe address
    REPLY = "reply"  # opt-out words in a reply
    BOUNCE = "bounce"  # hard bounce: suppressed for sending
    COMPLAINT = "complaint"  # a feedback-loop report: the recipient marked our mail as spam (RFC 5965)
    ADMIN = "admin"  # `sqa consent optout|optin`
    IMPORT = "import"  # a suppression list imported by an admin
    ERASURE = "erasure"  # `sqa lead erase`: the data is gone, the hashed suppression stays


def normalize(address: str) -> str:
    return address.strip().lower()


def address_hash(address: str) -> str:
    """The log's key for an address (SHA-256 of the normalized address; migration 0003 has a frozen copy)."""
    return hashlib.sha256(("sqa-consent:" + normalize(address)).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Change:
    """What an opt-out or opt-in did."""

    recorded: bool  # False: the state was already so (idempotent: no second event)
    cancelled: int = 0  # queued mails cancelled
    leads: tuple[int, ...] = ()  # leads whose status changed


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    address_hash: str
    address: str | None  # None once erased (or never known)
    agent_id: int | None
    scope: str
    action: str
    source: str
    evidence: dict[str, Any] | None
    actor: str | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "address": self.address, "address_hash": self.address_hash, "agent_id": self.agent_id,
                "scope": self.scope, "action": self.action, "source": self.source, "evidence": self.evidence,
                "actor": self.actor, "created_at": self.created_at.isoformat()}


def _dialect_insert(session: AsyncSession):  # noqa: ANN202 - dialect Insert constructs
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


async def _remember_address(session: AsyncSession, address: str, digest: str) -> None:
    stmt = _dialect_insert(session)(ConsentAddress).values(address_hash=digest, address=normalize(address))
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["address_hash"]))


async def _lock(session: AsyncSession, digest: str) -> None:
    """Serialize consent changes of one address (PostgreSQL; SQLite's BEGIN IMMEDIATE already does)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(select(ConsentAddress.address_hash).where(ConsentAddress.address_hash == digest)
                              .with_for_update())


async def record(session: AsyncSession, address: str | None, *, agent_id: int | None, scope: Scope, action: Action,
                 source: Source, evidence: dict[str, Any] | None = None, actor: str | None = None,
                 at: datetime | None = None, digest: str | None = None) -> None:
    """Append one event (never update or delete one). ``digest`` instead of ``address`` once erased."""
    if address is not None:
        digest = address_hash(address)
        await _remember_address(session, address, digest)
    if digest is None:
        raise ValueError("record() needs an address or its hash")
    await session.execute(insert(ConsentEvent.__table__), [{
        "address_hash": digest, "agent_id": agent_id, "scope": scope.value, "action": action.value,
        "source": source.value, "evidence": evidence, "actor": actor, "created_at": at or utcnow()}])


async def _latest(session: AsyncSession, digests: Iterable[str], agent_id: int | None) -> dict[str, tuple[str, str, str, datetime]]:
    """hash -> (action, source, scope, when) of the newest event that applies to this agent."""
    wanted = set(digests)
    if not wanted:
        return {}
    applies = ConsentEvent.scope == Scope.ALL
    if agent_id is not None:
        applies = or_(applies, ConsentEvent.agent_id == agent_id)
    rows = (await session.execute(
        select(ConsentEvent.address_hash, ConsentEvent.action, ConsentEvent.source, ConsentEvent.scope,
               ConsentEvent.created_at)
        .where(ConsentEvent.address_hash.in_(wanted), applies).order_by(ConsentEvent.id)
    )).all()
    latest: dict[str, tuple[str, str, str, datetime]] = {}
    for digest, action, source, scope, when in rows:
        latest[digest] = (action, source, scope, when)  # the newest applicable event wins
    return latest


async def suppressed(session: AsyncSession, addresses: Iterable[str], agent_id: int) -> dict[str, str]:
    """address -> why, for each address that must not be mailed by this agent now."""
    by_hash = {address_hash(a): normalize(a) for a in addresses}
    latest = await _latest(session, by_hash, agent_id)
    return {by_hash[h]: f"opted out ({source}, scope {scope})" for h, (action, source, scope, _) in latest.items()
            if action == Action.OPT_OUT}


async def suppressed_since(session: AsyncSession, addresses: Iterable[str], agent_id: int) -> dict[str, tuple[str, datetime]]:
    """Like :func:`suppressed`, with the time of the event in force: address -> (why, since)."""
    by_hash = {address_hash(a): normalize(a) for a in addresses}
    latest = await _latest(session, by_hash, agent_id)
    return {by_hash[h]: (f"opted out ({source}, scope {scope})", when) for h, (action, source, scope, when) in latest.items()
            if action == Action.OPT_OUT}


async def erased_at(session: AsyncSession, address: str) -> datetime | None:
    """When this address's lead data was erased, if it was (a re-import is then refused)."""
    return await session.scalar(select(ConsentEvent.created_at).where(
        ConsentEvent.address_hash == address_hash(address), ConsentEvent.source == Source.ERASURE)
        .order_by(ConsentEvent.id.desc()).limit(1))


async def _covers(session: AsyncSession, digest: str, agent_id: int | None, scope: Scope) -> bool:
    """Is the address already opted out at least this widely?"""
    if scope is Scope.ALL:  # a global opt-out with no opt-in of any scope after it
        rows = (await session.execute(select(ConsentEvent.action, ConsentEvent.scope).where(
            ConsentEvent.address_hash == digest).order_by(ConsentEvent.id))).all()
        covered = False
        for action, event_scope in rows:
            if action == Action.OPT_IN:
                covered = False
            elif event_scope == Scope.ALL:
                covered = True
        return covered
    latest = await _latest(session, [digest], agent_id)
    return digest in latest and latest[digest][0] == Action.OPT_OUT


async def opt_out(session: AsyncSession, address: str | None, *, agent_id: int | None, scope: Scope, source: Source,
                  gate: SendGate | None, evidence: dict[str, Any] | None = None, actor: str | None = None,
                  digest: str | None = None, force_event: bool = False) -> Change:
    """Record an opt-out (unless already in force), cancel queued mail, mark the leads ``opted_out``.

    ``scope`` ALL stops every agent's mail to the address; AGENT only ``agent_id``'s.
    ``force_event`` appends the event even when already suppressed (reply words and
    mail to the unsubscribe address keep their evidence; repeated link clicks do not).
    ``gate``: the running daemon's SendGate (None only where no sender runs in this process).
    """
    digest = address_hash(address) if address is not None else digest
    assert digest is not None
    if address is not None:
        await _remember_address(session, address, digest)
    await _lock(session, digest)
    if not force_event and await _covers(session, digest, agent_id, scope):
        return Change(recorded=False)
    if address is not None and gate is not None:
        await gate.hold(address, None if scope is Scope.ALL else agent_id)  # sends in flight finish first; new ones wait
    await record(session, None, digest=digest, agent_id=agent_id, scope=scope, action=Action.OPT_OUT, source=source,
                 evidence=evidence, actor=actor)
    if address is None:
        return Change(recorded=True)
    target_agent = None if scope is Scope.ALL else agent_id
    reason = f"opt-out by {normalize(address)} ({source.value}, scope {scope.value})"
    cancelled = await cancel_queued(session, target_agent, address, reason)
    leads = await _set_status(session, address, target_agent, LeadStatus.OPTED_OUT)
    return Change(recorded=True, cancelled=cancelled, leads=leads)


async def opt_in(session: AsyncSession, address: str, *, agent_id: int | None, scope: Scope, source: Source,
                 evidence: dict[str, Any] | None = None, actor: str | None = None, gate: SendGate | None = None) -> Change:
    """An explicit opt-in (resubscribe, admin). Opted-out leads become ``paused`` for a human to look at."""
    digest = address_hash(address)
    await _remember_address(session, address, digest)
    await _lock(session, digest)
    latest = await _latest(session, [digest], agent_id)
    if digest not in latest or latest[digest][0] != Action.OPT_OUT:
        return Change(recorded=False)
    await record(session, None, digest=digest, agent_id=agent_id, scope=scope, action=Action.OPT_IN, source=source,
                 evidence=evidence, actor=actor)
    if gate is not None:
        gate.release(address)
    target_agent = None if scope is Scope.ALL else agent_id
    leads = await _set_status(session, address, target_agent, LeadStatus.PAUSED, only_from=LeadStatus.OPTED_OUT,
                              attention=f"opted in again ({source.value}); check before writing")
    return Change(recorded=True, leads=leads)


async def _set_status(session: AsyncSession, address: str, agent_id: int | None, status: LeadStatus,
                      only_from: LeadStatus | None = None, attention: str | None = None) -> tuple[int, ...]:
    condition = Lead.email == normalize(address)
    if agent_id is not None:
        condition = condition & (Lead.agent_id == agent_id)
    if only_from is not None:
        condition = condition & (Lead.status == only_from)
    values: dict[str, Any] = {"status": status.value, "next_action_at": None, "updated_at": utcnow()}
    if attention is not None:
        values["attention"] = attention
    result = await session.execute(update(Lead).where(condition).values(**values).returning(Lead.id)
                                   .execution_options(synchronize_session=False))
    return tuple(result.scalars().all())


async def cancel_queued(session: AsyncSession, agent_id: int | None, address: str, reason: str) -> int:
    """Cancel every queued mail to this address (opt-out, hard bounce); ``agent_id`` None = every agent's.

    By address, not by lead: a seller's notice about the lead is not mail to the lead and still goes out.
    """
    condition = Outbox.to_addr == normalize(address)
    if agent_id is not None:
        condition = condition & (Outbox.agent_id == agent_id)
    result = await session.execute(
        update(Outbox)
        .where(condition, Outbox.status.in_([OutboxStatus.QUEUED, OutboxStatus.AWAITING_APPROVAL]))
        .values(status=OutboxStatus.CANCELLED, last_reply=reason[:2000])
        .returning(Outbox.id, Outbox.agent_id, Outbox.lead_id, Outbox.message_id)
        .execution_options(synchronize_session=False)
    )
    cancelled = result.all()
    if cancelled:
        now = utcnow()
        await session.execute(insert(AgentRun.__table__), [
            {"agent_id": aid, "lead_id": lid, "message_id": mid, "step": "outbox", "decision": "cancelled",
             "detail": {"reason": reason[:500]}, "created_at": now} for _, aid, lid, mid in cancelled])
    return len(cancelled)


async def history(session: AsyncSession, address: str) -> list[LogEntry]:
    """Every event for this address, oldest first."""
    return await _entries(session, ConsentEvent.address_hash == address_hash(address))


async def export(session: AsyncSession) -> list[LogEntry]:
    """The whole log, oldest first, with plain addresses where they are still known."""
    return await _entries(session, None)


async def _entries(session: AsyncSession, condition: Any) -> list[LogEntry]:
    stmt = (select(ConsentEvent, ConsentAddress.address)
            .outerjoin(ConsentAddress, ConsentAddress.address_hash == ConsentEvent.address_hash)
            .order_by(ConsentEvent.id))
    if condition is not None:
        stmt = stmt.where(condition)
    return [LogEntry(e.id, e.address_hash, address, e.agent_id, e.scope, e.action, e.source, e.evidence, e.actor,
                     e.created_at) for e, address in (await session.execute(stmt)).all()]


async def forget_address(session: AsyncSession, addresses: Sequence[str]) -> None:
    """Erasure: drop the plain addresses; the hashed log (and the suppression) stays."""
    await session.execute(delete(ConsentAddress).where(ConsentAddress.address_hash.in_([address_hash(a) for a in addresses])))
