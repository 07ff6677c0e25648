"""The inbound path for one fetched batch, in ONE database transaction.

parse -> dedupe -> match to a lead -> classify -> handle (engage, queue the
reply) -> record messages, agent_runs, outbox rows and the UID cursor -> commit.
Only after the commit does the watcher flag the messages on the server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.agents.engage import EngageAgent
from sqa.db.models import AgentRun, Direction, Lead, MailboxState, Message, Outbox, OutboxStatus, Priority, utcnow
from sqa.mailbox.analyze import Analyzer
from sqa.mailbox.classify import Kind, Verdict
from sqa.mailbox.compose import token_from_message_id
from sqa.mailbox.batch import BatchRows, Inbound
from sqa.mailbox.handlers import HANDLERS
from sqa.mailbox.parse import InboundMessage, parse
from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

STORED_TEXT_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: int
    raw: bytes
    size: int | None = None  # set when only the start of a larger message was fetched


@dataclass(slots=True)
class BatchOutcome:
    handled: list[int] = field(default_factory=list)  # UIDs recorded now
    quarantined: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    replies_queued: int = 0
    last_uid: int = 0


def _same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with the same keys (missing ones None), as a Core executemany needs."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [r if len(r) == len(keys) else {k: r.get(k) for k in keys} for r in rows]


class InboundProcessor:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], agent: AgentRuntime, engage: EngageAgent,
                 analyzer: Analyzer | None = None) -> None:
        self.sessionmaker = sessionmaker
        self.agent = agent
        self.engage = engage
        self.analyzer = analyzer or Analyzer()
        self.ctx = agent.classify_context()

    async def analyze(self, batch: Sequence[Fetched]) -> list[tuple[InboundMessage, Verdict]]:
        """Parse + classify ``batch`` (pure CPU; in worker processes when configured), before any transaction."""
        return await self.analyzer.run([f.raw for f in batch], self.ctx)

    async def process(self, mailbox: str, uidvalidity: int, batch: Sequence[Fetched], upto_uid: int,
                      analyzed: list[tuple[InboundMessage, Verdict]] | None = None) -> BatchOutcome:
        """Handle ``batch`` and move the cursor to ``upto_uid`` in the same transaction.

        ``analyzed`` is :meth:`analyze` of the same batch when the caller already has it (the watcher
        analyses the next batch while this one is in its transaction).
        """
        outcome = BatchOutcome(last_uid=max([upto_uid, *(f.uid for f in batch)]))
        started = time.perf_counter()
        if analyzed is None:
            analyzed = await self.analyze(batch)
        if len(analyzed) != len(batch):
            raise RuntimeError(f"analysis of a batch of {len(batch)} returned {len(analyzed)} results")
        sizes = {f.uid: f.size for f in batch if f.size is not None}
        rows = BatchRows()
        async with self.sessionmaker() as session, session.begin():
            known = await self._known_ids(session, [m.message_id for m, _ in analyzed])
            fresh: list[tuple[int, InboundMessage, Verdict]] = []
            for f, (msg, verdict) in zip(batch, analyzed):
                if msg.message_id in known:
                    outcome.duplicates.append(f.uid)
                    continue
                known.add(msg.message_id)
                fresh.append((f.uid, msg, verdict))
            leads = await self._match(session, [m for _, m, _ in fresh])
            sent_today = await self._replies_today(session, {lead.id for lead in leads.values()})
            for uid, msg, verdict in fresh:
                lead = leads.get(msg.message_id)
                await self._handle(session, rows, msg, uid, sizes.get(uid), mailbox, uidvalidity, verdict, lead, sent_today)
                (outcome.quarantined if verdict.kind is Kind.QUARANTINE else outcome.handled).append(uid)
            # Core executemany with one key set per table: the ORM bulk insert leaves out None values, so
            # rows differing in which fields are None (inbound vs reply, classify vs engage run) became one
            # INSERT each; this is one statement per table (PERFORMANCE.md: count statements)
            if rows.messages:
                await session.execute(insert(Message.__table__), _same_keys(rows.messages))
            if rows.outbox:
                await session.execute(insert(Outbox.__table__), _same_keys(rows.outbox))
            if rows.runs:
                await session.execute(insert(AgentRun.__table__), _same_keys(rows.runs))
            await self._advance_cursor(session, mailbox, uidvalidity, outcome.last_uid)
        outcome.replies_queued = len(rows.outbox)
        log.debug("batch of %d handled in %.1f ms", len(batch), (time.perf_counter() - started) * 1000)
        return outcome

    async def quarantine(self, mailbox: str, uidvalidity: int, item: Fetched, reason: str) -> None:
        """Record a message whose handling failed, with the reason, and move past it."""
        msg = parse(item.raw)
        async with self.sessionmaker() as session, session.begin():
            message_id = msg.message_id
            if await self._known_ids(session, [message_id]):
                message_id = f"<{msg.content_hash}.{uidvalidity}.{item.uid}@sqa.invalid>"
            rows = BatchRows()
            rows.messages.append(
                {"message_id": message_id, "direction": Direction.IN.value, "agent_id": self.agent.id,
                 "mailbox": mailbox, "uidvalidity": uidvalidity, "uid": item.uid, "kind": Kind.QUARANTINE.value,
                 "reason": reason[:2000], "from_addr": (msg.from_addr or "")[:320] or None,
                 "subject": msg.subject[:1000], "content_hash": msg.content_hash, "created_at": utcnow()}
            )
            rows.run(self.agent, None, message_id, "quarantine", "quarantined", detail={"reason": reason[:500], "uid": item.uid})
            await session.execute(insert(Message), rows.messages)
            await session.execute(insert(AgentRun), rows.runs)
            await self._advance_cursor(session, mailbox, uidvalidity, item.uid)

    # -- reading -------------------------------------------------------------

    async def _known_ids(self, session: AsyncSession, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return set(await session.scalars(select(Message.message_id).where(Message.message_id.in_(ids))))

    async def _match(self, session: AsyncSession, msgs: list[InboundMessage]) -> dict[str, Lead]:
        """Message-ID -> lead: thread headers first, then a lead token, then the sender."""
        agent = self.agent
        domain = agent.settings.domain
        refs = {r for m in msgs for r in ((m.in_reply_to,) if m.in_reply_to else ()) + m.references}
        by_ref: dict[str, int] = {}
        if refs:
            result = await session.execute(
                select(Message.message_id, Message.lead_id).where(
                    Message.message_id.in_(refs), Message.direction == Direction.OUT, Message.agent_id == agent.id
                )
            )
            by_ref = {mid: lid for mid, lid in result if lid is not None}
        tokens: dict[str, str] = {}
        for m in msgs:
            for ref in ((m.in_reply_to,) if m.in_reply_to else ()) + tuple(reversed(m.references)):
                token = token_from_message_id(ref, domain)
                if token:
                    tokens[m.message_id] = token
                    break
            else:
                for addr in m.to_addrs:
                    token = agent.plus_token(addr)
                    if token:
                        tokens[m.message_id] = token
                        break
        senders = {m.from_addr for m in msgs if m.from_addr}
        conditions = []
        if by_ref:
            conditions.append(Lead.id.in_(set(by_ref.values())))
        if tokens:
            conditions.append(Lead.token.in_(set(tokens.values())))
        if senders:
            conditions.append(Lead.email.in_(senders))
        if not conditions:
            return {}
        found = list(await session.scalars(select(Lead).where(Lead.agent_id == agent.id, or_(*conditions))))
        by_id = {lead.id: lead for lead in found}
        by_token = {lead.token: lead for lead in found}
        by_email = {lead.email: lead for lead in found}
        matched: dict[str, Lead] = {}
        for m in msgs:
            lead = None
            for ref in ((m.in_reply_to,) if m.in_reply_to else ()) + tuple(reversed(m.references)):
                if ref in by_ref and by_ref[ref] in by_id:
                    lead = by_id[by_ref[ref]]
                    break
            if lead is None and m.message_id in tokens:
                lead = by_token.get(tokens[m.message_id])
            if lead is None and m.from_addr:
                lead = by_email.get(m.from_addr)
            if lead is not None:
                matched[m.message_id] = lead
        return matched

    async def _replies_today(self, session: AsyncSession, lead_ids: set[int]) -> dict[int, int]:
        if not lead_ids:
            return {}
        since = utcnow() - timedelta(hours=24)
        result = await session.execute(
            select(Outbox.lead_id, func.count()).where(
                Outbox.lead_id.in_(lead_ids), Outbox.created_at >= since, Outbox.priority == Priority.REPLY,
                Outbox.status != OutboxStatus.CANCELLED,
            ).group_by(Outbox.lead_id)
        )
        return {lid: n for lid, n in result}

    # -- handling ------------------------------------------------------------

    async def _handle(
        self, session: AsyncSession, rows: BatchRows, msg: InboundMessage, uid: int, size: int | None, mailbox: str, uidvalidity: int,
        verdict: Verdict, lead: Lead | None, sent_today: dict[int, int],
    ) -> None:
        agent = self.agent
        lead_id = lead.id if lead else None
        rows.messages.append(
            {"message_id": msg.message_id, "direction": Direction.IN.value, "agent_id": agent.id, "lead_id": lead_id,
             "mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid, "kind": verdict.kind.value,
             "reason": verdict.reason, "rules": verdict.as_record(), "from_addr": msg.from_addr,
             "to_addr": msg.to_addrs[0] if msg.to_addrs else None, "subject": msg.subject[:1000],
             "in_reply_to": msg.in_reply_to, "references": " ".join(msg.references) or None,
             # minimal text: what the person wrote (quotes stripped) when there is such a thing
             "text": (verdict.reply_text if verdict.reply_text is not None else msg.text)[:STORED_TEXT_CHARS] or None,
             "content_hash": msg.content_hash, "sent_at": msg.date,
             "created_at": utcnow()}
        )
        detail = {"rule": verdict.rule, "reason": verdict.reason}
        if size is not None:
            detail["truncated"] = f"read {msg.size} of {size} bytes"
        rows.run(agent, lead_id, msg.message_id, "classify", verdict.kind.value, detail=detail)
        record, classified, ran = rows.messages[-1], rows.runs[-1], len(rows.runs)
        inbound = Inbound(session, rows, agent, self.engage, msg, verdict, lead, sent_today)
        await HANDLERS[verdict.kind](inbound)
        if inbound.lead is not lead:  # a bounce names its lead only in its report; a complaint keeps only an attributed one
            record["lead_id"] = classified["lead_id"] = inbound.lead.id if inbound.lead is not None else None
        if log.isEnabledFor(logging.INFO):  # one line per decision: ids and kinds only, never words or addresses
            last = rows.runs[ran] if len(rows.runs) > ran else classified  # the handler's own decision, if any
            lead_id = record["lead_id"]
            log.info("agent %s: message %s (lead %s) %s: %s %s", agent.name, msg.message_id, lead_id, verdict.kind.value,
                     last["step"], last["decision"],
                     extra={"agent": agent.name, "lead_id": lead_id, "message_id": msg.message_id, "uid": uid,
                            "kind": verdict.kind.value, "rule": verdict.rule, "step": last["step"],
                            "decision": last["decision"]})

    async def _advance_cursor(self, session: AsyncSession, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        state = await session.scalar(
            select(MailboxState).where(MailboxState.agent_id == self.agent.id, MailboxState.mailbox == mailbox)
        )
        now = utcnow()
        if state is None:
            session.add(MailboxState(agent_id=self.agent.id, mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, last_fetch_at=now))
            return
        if state.uidvalidity != uidvalidity:
            state.uidvalidity, state.last_uid = uidvalidity, last_uid
        elif last_uid > state.last_uid:
            state.last_uid = last_uid
        state.last_fetch_at = now
