"""Review mode: drafts waiting in the outbox as ``awaiting_approval`` (AgentSettings.review_before_send).

approve -> queued and due now (the send-time consent gate still applies; an
address already opted out is cancelled here instead); edit -> the agent's words
replaced, the mail re-rendered with the same Message-ID, threading headers and
the lead's unsubscribe links, after the guardrails found nothing; reject ->
cancelled. Each acts only on a draft still awaiting approval (row lock), and
writes an agent_runs row with the actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.agents import guardrails
from sqa.agents.engage import LeadView, wrap_body
from sqa.agents.engines.base import ConversationState, Decision, EngineInput, EngineOutput, LeadProfile, Snippet
from sqa.agents.knowledge import KnowledgeBase
from sqa.consent import store as consent
from sqa.db.models import AgentRun, Lead, Message, Outbox, OutboxStatus, utcnow
from sqa.mailbox.compose import Draft
from sqa.runtime import AgentRuntime


class DraftError(Exception):
    """The draft cannot be changed (the message says why)."""


@dataclass(frozen=True, slots=True)
class DraftView:
    id: int
    agent_id: int
    lead_id: int | None
    lead: str  # "Name <address>"
    to_addr: str
    subject: str
    message_id: str
    status: str
    created_at: datetime
    raw: bytes

    @property
    def text(self) -> str:
        """The mail as the lead would read it (decoded body)."""
        msg = message_from_bytes(self.raw, policy=policy.default)
        return msg.get_content() if not msg.is_multipart() else ""


async def list_drafts(sessionmaker: async_sessionmaker[AsyncSession], agent_id: int | None = None) -> list[DraftView]:
    query = (select(Outbox, Lead.name).outerjoin(Lead, Lead.id == Outbox.lead_id)
             .where(Outbox.status == OutboxStatus.AWAITING_APPROVAL).order_by(Outbox.id))
    if agent_id is not None:
        query = query.where(Outbox.agent_id == agent_id)
    async with sessionmaker() as session:
        return [_view(o, name) for o, name in (await session.execute(query)).all()]


async def get_draft(sessionmaker: async_sessionmaker[AsyncSession], draft_id: int) -> DraftView | None:
    async with sessionmaker() as session:
        row = (await session.execute(select(Outbox, Lead.name).outerjoin(Lead, Lead.id == Outbox.lead_id)
                                     .where(Outbox.id == draft_id))).first()
        return _view(*row) if row else None


def _view(o: Outbox, name: str | None) -> DraftView:
    subject = str(message_from_bytes(o.raw, policy=policy.default)["Subject"] or "")
    lead = f"{name} <{o.to_addr}>" if name else o.to_addr
    return DraftView(o.id, o.agent_id, o.lead_id, lead, o.to_addr, subject, o.message_id, o.status, o.created_at, o.raw)


async def _awaiting(session: AsyncSession, draft_id: int) -> Outbox:
    row = await session.get(Outbox, draft_id, with_for_update=True)
    if row is None:
        raise DraftError(f"no draft {draft_id}")
    if row.status != OutboxStatus.AWAITING_APPROVAL:
        raise DraftError(f"draft {draft_id} is {row.status}, not awaiting approval")
    return row


def _runtime(runtimes: list[AgentRuntime], agent_id: int) -> AgentRuntime:
    for r in runtimes:
        if r.id == agent_id:
            return r
    raise DraftError(f"the draft belongs to agent id {agent_id}, which is not configured")


def _run(session: AsyncSession, row: Outbox, decision: str, actor: str, **detail: object) -> None:
    session.add(AgentRun(agent_id=row.agent_id, lead_id=row.lead_id, message_id=row.message_id, step="review",
                         decision=decision, detail={"actor": actor, **detail}, created_at=utcnow()))


async def _queue(session: AsyncSession, runtime: AgentRuntime, row: Outbox, actor: str) -> str | None:
    """Due now; or, when the address is suppressed already, cancelled and the reason returned (consent is never bypassed)."""
    blocked = await consent.suppressed(session, [row.to_addr], row.agent_id)
    reason = blocked.get(consent.normalize(row.to_addr))
    if reason is not None:
        row.status, row.last_reply = OutboxStatus.CANCELLED, f"not sent: {reason}"[:2000]
        _run(session, row, "cancelled", actor, reason=reason)
        return f"not approved: {row.to_addr} is suppressed ({reason}); the draft is cancelled"
    now = utcnow()
    row.status, row.next_attempt_at = OutboxStatus.QUEUED, now
    row.deadline_at = now + timedelta(seconds=runtime.settings.smtp.retry_deadline_s)  # counted from the approval
    _run(session, row, "approved", actor)
    return None


async def approve(sessionmaker: async_sessionmaker[AsyncSession], runtimes: list[AgentRuntime], draft_id: int, *,
                  actor: str) -> DraftView:
    async with sessionmaker() as session, session.begin():
        row = await _awaiting(session, draft_id)
        refused = await _queue(session, _runtime(runtimes, row.agent_id), row, actor)
    if refused:
        raise DraftError(refused)
    return await _get(sessionmaker, draft_id)


async def reject(sessionmaker: async_sessionmaker[AsyncSession], draft_id: int, *, actor: str, reason: str) -> DraftView:
    async with sessionmaker() as session, session.begin():
        row = await _awaiting(session, draft_id)
        row.status, row.last_reply = OutboxStatus.CANCELLED, f"rejected by {actor}: {reason}"[:2000]
        _run(session, row, "rejected", actor, reason=reason)
        if row.lead_id is not None:
            lead = await session.get(Lead, row.lead_id)
            if lead is not None:  # the lead got no answer: a person takes it from here
                note = f"draft {draft_id} rejected by {actor}: {reason}"
                lead.attention = note if not lead.attention else f"{lead.attention}; {note}"[:2000]
    return await _get(sessionmaker, draft_id)


async def edit(sessionmaker: async_sessionmaker[AsyncSession], runtimes: list[AgentRuntime], draft_id: int, text: str, *,
               actor: str, approve_too: bool = False) -> DraftView:
    """Replace the agent's words; refused with the guardrail findings when there are any."""
    text = text.strip()
    if not text:
        raise DraftError("the new text is empty")
    async with sessionmaker() as session, session.begin():
        row = await _awaiting(session, draft_id)
        runtime = _runtime(runtimes, row.agent_id)
        lead = await session.get(Lead, row.lead_id) if row.lead_id is not None else None
        if lead is None:
            raise DraftError(f"draft {draft_id} has no lead: only lead replies are reviewed")
        lead_text = await session.scalar(select(Message.text).where(Message.message_id == row.reply_to_message_id)) or ""
        findings = _check(runtime, lead, lead_text, text)
        if findings:
            raise DraftError("refused by the guardrails: " + "; ".join(f"{v.code}: {v.detail}" for v in findings))
        old = message_from_bytes(row.raw, policy=policy.default)
        state = ConversationState.from_json(lead.bant)
        view = LeadView(lead.name, lead.company, lead.title, lead.language, state)
        body = wrap_body(runtime.settings, view, text, lead.language or state.language)
        s = runtime.settings
        row.raw = runtime.render(Draft(
            from_name=s.display_name, from_addr=s.address, to_name=lead.name, to_addr=lead.email,
            subject=str(old["Subject"] or ""), body=body, message_id=row.message_id, loop_marker=runtime.loop_marker,
            in_reply_to=str(old["In-Reply-To"]) if old["In-Reply-To"] else None, references=" ".join(str(old["References"] or "").split()) or None,
            unsubscribe=runtime.unsubscribe(lead.id)))
        previous = await session.scalar(select(Message.text).where(Message.message_id == row.message_id))
        await session.execute(update(Message).where(Message.message_id == row.message_id).values(text=body))
        _run(session, row, "edited", actor, previous=(previous or "")[:2000])
        refused = await _queue(session, runtime, row, actor) if approve_too else None
    if refused:
        raise DraftError(refused)
    return await _get(sessionmaker, draft_id)


def _check(runtime: AgentRuntime, lead: Lead, lead_text: str, text: str) -> list[guardrails.Violation]:
    """The same checks as the agent's own drafts; a person's words may cite anything in the agent's knowledge."""
    state = ConversationState.from_json(lead.bant)
    snippets = _knowledge(runtime, text)
    inp = EngineInput(reply_text=lead_text, state=state, questions={}, closing="",
                      lead=LeadProfile(lead.name or "", lead.company, lead.title, lead.language), snippets=snippets)
    out = EngineOutput(Decision.REPLY, text, state, "edited by a person", "human", cited=tuple(s.id for s in snippets))
    return guardrails.check(text, inp, out, allowed_emails=frozenset({runtime.settings.address.lower()}))


def _knowledge(runtime: AgentRuntime, text: str) -> tuple[Snippet, ...]:
    folder = runtime.settings.knowledge_dir
    return tuple(KnowledgeBase.from_dir(folder).search(text, k=8)) if folder else ()


async def _get(sessionmaker: async_sessionmaker[AsyncSession], draft_id: int) -> DraftView:
    view = await get_draft(sessionmaker, draft_id)
    assert view is not None
    return view
