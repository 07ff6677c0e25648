"""What a handoff, disqualification or escalation does inside the batch transaction.

assign a seller (the lead's owner, else round-robin over the agent's sellers;
the position is the count of earlier round-robin events, so it survives
restarts) -> a plain mail to that seller with the summary and the thread, queued
in the same outbox as every mail (exactly once, journaled; no unsubscribe links:
the seller is not a lead; the send-time consent gate checks the seller's address)
-> an events row that the publisher delivers to MQTT and the webhook after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from sqa.config import Seller
from sqa.db.models import Direction, Event, Lead, Message, OutboxKind, OutboxStatus, Priority, utcnow
from sqa.handoff.summary import Kind, LeadFields, Summary
from sqa.mailbox.compose import Draft, new_message_id

if TYPE_CHECKING:
    from sqa.mailbox.batch import BatchRows
    from sqa.runtime import AgentRuntime

NOTICE_KIND = "seller_notice"  # messages.kind of the mail to the seller
THREAD_MESSAGES = 30  # the most recent ones, in the seller's mail
THREAD_CHARS = 4000  # per message


@dataclass(frozen=True, slots=True)
class Assignment:
    seller: Seller | None
    by: str | None  # owner | round_robin | None
    problem: str | None = None  # why nobody was notified


def lead_fields(lead: Lead) -> LeadFields:
    return LeadFields(lead.id, lead.email, lead.name, lead.company, lead.title, lead.language, lead.timezone, lead.owner)


async def assign(session: AsyncSession, agent: AgentRuntime, lead: Lead) -> Assignment:
    sellers = agent.settings.sellers
    if lead.owner and lead.owner.strip():
        owner = lead.owner.strip()
        for s in sellers:
            if owner.casefold() in (s.name.casefold(), s.email.casefold()):
                return Assignment(s, "owner")
        if "@" in owner:
            return Assignment(Seller(name=owner, email=owner), "owner")
        return Assignment(None, "owner", f"the lead's owner {owner!r} is not among the agent's sellers: no e-mail address")
    if not sellers:
        return Assignment(None, None, "no owner and no sellers configured for this agent")
    done = await session.scalar(select(func.count()).select_from(Event).where(
        Event.agent_id == agent.id, Event.assigned_by == "round_robin")) or 0
    return Assignment(sellers[done % len(sellers)], "round_robin")


async def thread_text(session: AsyncSession, rows: BatchRows, lead_id: int) -> str:
    """The conversation, oldest first: the lead's words (quotes stripped) and the agent's (without its footer)."""
    stored = (await session.execute(
        select(Message.direction, Message.created_at, Message.text, Message.kind)
        .where(Message.lead_id == lead_id, Message.kind != NOTICE_KIND, Message.text.is_not(None))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(THREAD_MESSAGES))).all()
    items = [(d, at, text) for d, at, text, kind in reversed(stored) if d == Direction.OUT or kind == "human"]
    items += [(m["direction"], m["created_at"], m["text"]) for m in rows.messages
              if m.get("lead_id") == lead_id and m.get("text") and m.get("kind") != NOTICE_KIND
              and (m["direction"] == Direction.OUT or m.get("kind") == "human")]
    parts = []
    for direction, at, text in items[-THREAD_MESSAGES:]:
        who = "Lead" if direction == Direction.IN else "Agent"
        words = text.split("\n-- \n", 1)[0].strip()[:THREAD_CHARS]
        parts.append(f"--- {who}, {at:%Y-%m-%d %H:%M} UTC ---\n{words}")
    return "\n\n".join(parts)


async def record(session: AsyncSession, rows: BatchRows, agent: AgentRuntime, lead: Lead, summary: Summary,
                 message_id: str | None, decision: str) -> Assignment:
    """Assign, queue the seller's mail, write the event; an agent_runs row says what happened."""
    assignment = await assign(session, agent, lead)
    if assignment.seller is not None and assignment.by == "round_robin":
        lead.owner = assignment.seller.email
    now = utcnow()
    seller = assignment.seller
    notice_id = None
    if seller is not None:
        body = summary.text() + "\nConversation (oldest first):\n\n" + await thread_text(session, rows, lead.id) + \
            f"\n\n-- \nSent by the SQA Engage agent {agent.name}; `sqa lead show {lead.id}` has the full record.\n"
        notice_id = _queue_notice(rows, agent, lead, seller, summary.subject, body, message_id)
    payload: dict[str, Any] = {
        **summary.as_json(), "agent": agent.name, "decision": decision, "time": now.isoformat(),
        "seller": {"name": seller.name, "email": seller.email, "assigned_by": assignment.by} if seller else None,
    }
    await session.execute(insert(Event).values(agent_id=agent.id, lead_id=lead.id, kind=summary.kind.value, payload=payload,
                                               assigned_by=assignment.by if seller else None, created_at=now,
                                               next_attempt_at=now, attempts=0))
    rows.run(agent, lead.id, message_id, "handoff", summary.kind.value,
             detail={"seller": seller.email if seller else None, "assigned_by": assignment.by,
                     "problem": assignment.problem, "notice": notice_id, "next_step": summary.next_step})
    return assignment


def _queue_notice(rows: BatchRows, agent: AgentRuntime, lead: Lead, seller: Seller, subject: str, body: str,
                  about: str | None) -> str:
    s = agent.settings
    message_id = new_message_id(s.domain, None)  # no lead token: a reply from the seller is not the lead's
    raw = agent.render(Draft(from_name=s.display_name, from_addr=s.address, to_name=seller.name, to_addr=seller.email,
                             subject=subject, body=body, message_id=message_id, loop_marker=agent.loop_marker,
                             unsubscribe=None))  # internal mail: no opt-out links, never awaiting approval
    now = utcnow()
    rows.messages.append(
        {"message_id": message_id, "direction": Direction.OUT.value, "agent_id": agent.id, "lead_id": lead.id,
         "kind": NOTICE_KIND, "from_addr": s.address, "to_addr": seller.email, "subject": subject,
         "text": None, "created_at": now})  # the text is the lead's data again: the outbox row has it until sent
    rows.outbox.append(
        {"message_id": message_id, "agent_id": agent.id, "lead_id": lead.id, "reply_to_message_id": about,
         "to_addr": seller.email, "raw": raw, "priority": Priority.FIRST, "kind": OutboxKind.NOTICE.value,  # not in the lead's reply cap, no window
         "status": OutboxStatus.QUEUED.value, "attempts": 0, "next_attempt_at": now,
         "deadline_at": now + timedelta(seconds=s.smtp.retry_deadline_s), "created_at": now})
    return message_id
