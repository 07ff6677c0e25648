"""The consent log and what follows from it: who must not be mailed, at send time.

consent_events is append-only: this module only ever INSERTs. Whether an
address is suppressed for an agent follows from its newest event that
applies (scope ``all``, or scope ``agent`` for that agent). Suppression never
expires.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sqa.db.models import AgentRun, ConsentEvent, Outbox, OutboxStatus, utcnow


class Scope(StrEnum):
    AGENT = "agent"  # this agent only: the company's other mail is left alone
    ALL = "all"  # every agent


class Action(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


class Source(StrEnum):
    ONE_CLICK = "one_click"
    CONFIRM_PAGE = "confirm_page"
    MAILTO = "mailto"
    REPLY = "reply"
    BOUNCE = "bounce"
    ADMIN = "admin"
    IMPORT = "import"


def normalize(address: str) -> str:
    return address.strip().lower()


async def record(session: AsyncSession, address: str, *, agent_id: int | None, scope: Scope, action: Action,
                 source: Source, evidence: dict[str, Any] | None = None, actor: str | None = None,
                 at: datetime | None = None) -> None:
    """Append one event (never update or delete one)."""
    await session.execute(insert(ConsentEvent.__table__), [{
        "address": normalize(address), "agent_id": agent_id, "scope": scope.value, "action": action.value,
        "source": source.value, "evidence": evidence, "actor": actor, "created_at": at or utcnow()}])


async def suppressed(session: AsyncSession, addresses: Iterable[str], agent_id: int) -> dict[str, str]:
    """address -> why, for each address that must not be mailed by this agent now."""
    wanted = {normalize(a) for a in addresses}
    if not wanted:
        return {}
    rows = (await session.execute(
        select(ConsentEvent.address, ConsentEvent.action, ConsentEvent.source, ConsentEvent.scope, ConsentEvent.id)
        .where(ConsentEvent.address.in_(wanted),
               or_(ConsentEvent.scope == Scope.ALL, ConsentEvent.agent_id == agent_id))
        .order_by(ConsentEvent.id)
    )).all()
    latest: dict[str, tuple[str, str, str]] = {}
    for address, action, source, scope, _ in rows:
        latest[address] = (action, source, scope)  # the newest applicable event wins
    return {a: f"opted out ({source}, scope {scope})" for a, (action, source, scope) in latest.items()
            if action == Action.OPT_OUT}


async def cancel_queued(session: AsyncSession, agent_id: int, lead_id: int | None, address: str, reason: str) -> int:
    """Cancel every queued mail to this lead/address (opt-out, hard bounce)."""
    condition = Outbox.to_addr == normalize(address)
    if lead_id is not None:
        condition = or_(condition, Outbox.lead_id == lead_id)
    result = await session.execute(
        update(Outbox)
        .where(Outbox.agent_id == agent_id, condition,
               Outbox.status.in_([OutboxStatus.QUEUED, OutboxStatus.AWAITING_APPROVAL]))
        .values(status=OutboxStatus.CANCELLED, last_reply=reason[:2000])
        .returning(Outbox.id, Outbox.lead_id, Outbox.message_id)
        .execution_options(synchronize_session=False)
    )
    cancelled = result.all()
    if cancelled:
        now = utcnow()
        await session.execute(insert(AgentRun.__table__), [
            {"agent_id": agent_id, "lead_id": lid, "message_id": mid, "step": "outbox", "decision": "cancelled",
             "detail": {"reason": reason[:500]}, "created_at": now} for _, lid, mid in cancelled])
    return len(cancelled)
