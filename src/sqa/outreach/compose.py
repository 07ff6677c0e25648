"""Queue a cold mail (first mail, follow-up, check-in) for one lead: ``prepare`` outside, ``add`` inside a transaction.

The words come from the outreach agent (agents/outreach.py); here they become a
mail with the consent footer and List-Unsubscribe (``runtime.render`` /
``runtime.unsubscribe``, like every mail to a lead), a final Message-ID, the
thread's In-Reply-To/References for follow-ups, an outbox row (kind, priority,
the recipient's zone for the sending window) and a messages row, written in the
same transaction as the lead's update: a crash leaves both or neither. Drafting
(``prepare``: maybe a model call) happens before that transaction opens, so it
never holds SQLite's write lock.

Status: ``queued`` in research_engage mode; ``awaiting_approval`` in research
mode, and always when the guardrails found something in the draft (a human
looks; `sqa drafts approve|edit|reject` act on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sqa.agents.outreach import OutreachDraft, OutreachLead, OutreachWriter, Purpose
from sqa.config import Mode
from sqa.db.models import AgentRun, Direction, Lead, Message, Outbox, OutboxKind, OutboxStatus, Priority
from sqa.mailbox.batch import attention
from sqa.mailbox.compose import Draft, new_message_id, thread_references
from sqa.runtime import AgentRuntime

#: messages.kind of our own mails in a lead's thread (what a follow-up answers)
OWN_KINDS = ("first", "follow_up", "check_in", "reply")


@dataclass(frozen=True, slots=True)
class Thread:
    """Where a follow-up goes: the thread's first subject and the mail it answers."""

    subject: str
    parent_message_id: str
    references: str


@dataclass(frozen=True, slots=True)
class Queued:
    lead_id: int
    message_id: str
    status: str
    purpose: str
    subject: str
    draft: OutreachDraft


def lead_zone(lead: Lead, runtime: AgentRuntime) -> str:
    """The recipient's IANA zone for the sending window (calendar.resolve_zone; lazily: it is the policy's module)."""
    default = runtime.settings.outreach.window.timezone
    try:
        from sqa.outreach.calendar import resolve_zone
    except ImportError:  # the sending policy is not installed: the lead's own zone, else the agent's
        return lead.timezone or default
    return resolve_zone(lead.timezone, lead.country, lead.email, default)


async def threads(session: AsyncSession, lead_ids: list[int]) -> dict[int, Thread]:
    """Each lead's thread: the first subject of our mails and the last of them (one query for a chunk)."""
    if not lead_ids:
        return {}
    rows = (await session.execute(
        select(Message.lead_id, Message.message_id, Message.subject, Message.references, Message.in_reply_to)
        .where(Message.lead_id.in_(lead_ids), Message.direction == Direction.OUT, Message.kind.in_(OWN_KINDS))
        .order_by(Message.id))).all()
    first: dict[int, str] = {}
    last: dict[int, tuple[str, str | None, str | None]] = {}
    for lead_id, message_id, subject, references, in_reply_to in rows:
        first.setdefault(lead_id, subject or "")
        last[lead_id] = (message_id, references, in_reply_to)
    out = {}
    for lead_id, (message_id, references, in_reply_to) in last.items():
        refs = tuple((references or "").split())
        out[lead_id] = Thread(first[lead_id].removeprefix("Re: "), message_id,
                              thread_references(message_id, refs, in_reply_to))
    return out


def outreach_lead(lead: Lead) -> OutreachLead:
    return OutreachLead(lead.name, lead.company, lead.title, lead.language)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A rendered cold mail, drafted outside any transaction (a model call must not hold the write lock)."""

    lead_id: int
    purpose: Purpose
    k: int
    message_id: str
    raw: bytes
    in_reply_to: str | None
    references: str | None
    draft: OutreachDraft


async def prepare(runtime: AgentRuntime, writer: OutreachWriter, lead: Lead, purpose: Purpose, now: datetime, *,
                  k: int = 1, thread: Thread | None = None) -> Prepared:
    """Write and render one cold mail to ``lead`` (no database access)."""
    s = runtime.settings
    draft = await writer.write(s, outreach_lead(lead), purpose, k=k, subject=thread.subject if thread else None)
    message_id = new_message_id(s.domain, lead.token)
    in_reply_to = thread.parent_message_id if thread else None
    references = thread.references if thread else None
    raw = runtime.render(Draft(from_name=s.display_name, from_addr=s.address, to_name=lead.name, to_addr=lead.email,
                               subject=draft.subject, body=draft.body, message_id=message_id,
                               loop_marker=runtime.loop_marker, in_reply_to=in_reply_to, references=references,
                               unsubscribe=runtime.unsubscribe(lead.id), date=now))
    return Prepared(lead.id, purpose, k, message_id, raw, in_reply_to, references, draft)


def add(session: AsyncSession, runtime: AgentRuntime, lead: Lead, mail: Prepared, now: datetime) -> Queued:
    """The outbox, messages and agent_runs rows of a prepared mail, in the caller's transaction (with its lead update)."""
    s, draft, purpose, k = runtime.settings, mail.draft, mail.purpose, mail.k
    status = OutboxStatus.AWAITING_APPROVAL if s.mode is Mode.RESEARCH or not draft.ok else OutboxStatus.QUEUED
    kind = OutboxKind.FIRST if purpose is Purpose.FIRST else OutboxKind.FOLLOW_UP
    session.add(Message(message_id=mail.message_id, direction=Direction.OUT, agent_id=runtime.id, lead_id=lead.id,
                        kind=purpose.value, from_addr=s.address, to_addr=lead.email, subject=draft.subject,
                        in_reply_to=mail.in_reply_to, references=mail.references, text=draft.body, created_at=now))
    session.add(Outbox(message_id=mail.message_id, agent_id=runtime.id, lead_id=lead.id, reply_to_message_id=None,
                       to_addr=lead.email, raw=mail.raw, kind=kind.value,
                       priority=Priority.FIRST if kind is OutboxKind.FIRST else Priority.FOLLOW_UP,
                       tz=lead_zone(lead, runtime), status=status, attempts=0, next_attempt_at=now,
                       deadline_at=now + timedelta(seconds=s.smtp.retry_deadline_s), created_at=now))
    detail: dict[str, object] = {"purpose": purpose.value, "subject": draft.subject, "engine": draft.engine}
    if purpose is Purpose.FOLLOW_UP:
        detail["followup"] = k
    if draft.violations:
        detail["violations"] = list(draft.details)
        what = {Purpose.FIRST: "first mail", Purpose.FOLLOW_UP: f"follow-up {k}", Purpose.CHECK_IN: "check-in"}[purpose]
        attention(lead, f"{what} held for review, the guardrails found: {', '.join(draft.violations)}")
    if draft.note:
        detail["note"] = draft.note
    session.add(AgentRun(agent_id=runtime.id, lead_id=lead.id, message_id=mail.message_id, step="outreach",
                         decision=status.value, detail=detail, engine=draft.engine, model=draft.model,
                         tokens_in=draft.tokens_in, tokens_out=draft.tokens_out,
                         latency_ms=round(draft.latency_ms, 3), created_at=now))
    return Queued(lead.id, mail.message_id, status.value, purpose.value, draft.subject, draft)
