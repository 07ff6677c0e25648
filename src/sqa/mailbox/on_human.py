"""Human mail: the engage agent's decision applied in the batch transaction.

reply (queued, or awaiting approval in review mode), handoff / disqualify / escalate (seller mail +
event, handoff/), pause (next_action_at), and the lead's stage.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqa.agents.engage import EngageResult, LeadView
from sqa.agents.engines.base import ConversationState, Decision, EngineOutput
from sqa.db.models import Direction, Lead, LeadStatus, OutboxKind, OutboxStatus, Priority, utcnow
from sqa.handoff import notice
from sqa.handoff.notice import lead_fields
from sqa.handoff.summary import Kind as EventKind, synthesize
from sqa.mailbox.batch import BatchRows, Inbound, attention as _attention
from sqa.mailbox.compose import Draft, new_message_id, reply_subject, thread_references
from sqa.mailbox.parse import InboundMessage
from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

CLOSED = frozenset({LeadStatus.HANDED_OVER, LeadStatus.DISQUALIFIED, LeadStatus.OPTED_OUT, LeadStatus.BOUNCED})
DEFAULT_PAUSE_DAYS = 30  # "later" with no date the agent could read


async def on_human(x: Inbound) -> None:
    agent, lead, msg = x.agent, x.lead, x.msg
    if lead is None:
        x.run("match", "unknown_sender", detail={"from": msg.from_addr, "action": "left for a human"})
        return
    if msg.from_addr != lead.email:
        x.run("match", "other_sender", detail={"from": msg.from_addr, "action": "left for a human: not the lead's address"})
        return
    if LeadStatus(lead.status) in CLOSED:
        x.run("engage", "no_reply", detail={"reason": f"lead is {lead.status}", "action": "left for a human"})
        return
    if lead.bounce_score:
        lead.bounce_score, lead.bounce_scored_at = 0.0, None  # real mail from the address: it works
    await _stop_cadence(x, lead)
    cap = agent.settings.max_replies_per_lead_per_day
    if x.sent_today.get(lead.id, 0) >= cap:
        x.run("engage", "capped", detail={"reason": f"{cap} replies to this lead in 24 h", "action": "left for a human"})
        return
    text = x.verdict.reply_text if x.verdict.reply_text is not None else msg.text
    view = LeadView(lead.name, lead.company, lead.title, lead.language, ConversationState.from_json(lead.bant))
    result = await x.engage.respond(agent.settings, view, text)
    out = result.output
    lead.bant = out.state.to_json()
    lead.next_action_at = None
    attention = result.attention  # e.g. suspected prompt injection
    x.run("engage", out.decision.value, detail=_engage_detail(result), engine=out.engine, model=out.model,
          tokens_in=out.tokens_in, tokens_out=out.tokens_out, latency_ms=round(result.latency_ms, 3))
    if attention:
        _attention(lead, attention)
    await DECISIONS.get(out.decision, _decided_reply)(x, lead, result)
    if lead.status != LeadStatus.PAUSED:
        lead.paused_from = None


async def _stop_cadence(x: Inbound, lead: Lead) -> None:
    """Any reply of the lead ends the cold cadence: its first mail or follow-ups not sent yet are cancelled."""
    from sqa.outreach.scheduler import cancel_cold  # the scheduler imports the mailbox: import here

    # where a pause decision would resume to: the status the reply found (cleared below for any other decision)
    lead.paused_from = lead.paused_from if lead.status == LeadStatus.PAUSED else lead.status
    if lead.status not in (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.PAUSED):
        return  # cold mail is queued only while the lead is new, contacted or paused: no query on the hot path
    cancelled = await cancel_cold(x.session, lead.id, "the lead replied")
    if cancelled:
        x.run("outreach", "cancelled", detail={"reason": "the lead replied", "cancelled": cancelled})


def _engage_detail(result: EngageResult) -> dict[str, Any]:
    """What the agent_runs row keeps of a decision: why, the snippets it cited, what the guardrails found."""
    out = result.output
    detail: dict[str, Any] = {"reason": out.reason, "intent": out.intent.value}
    if out.reasons:
        detail["reasons"] = list(out.reasons)
    if out.cited:
        detail["cited"] = list(out.cited)
    if out.paused_until:
        detail["paused_until"] = out.paused_until
    if result.snippets:
        detail["retrieved"] = [s.id for s in result.snippets]
    if result.violations:
        detail["violations"] = list(result.violations)
    if result.regenerated:
        detail["regenerated"] = True
    if result.attention:
        detail["attention"] = result.attention
    return detail


def _queue_body(x: Inbound, lead: Lead, result: EngageResult) -> None:
    if result.body is not None:
        queue_reply(x.rows, x.agent, x.msg, lead, result.body)
        x.sent_today[lead.id] = x.sent_today.get(lead.id, 0) + 1


def _reasons(out: EngineOutput) -> str:
    return "; ".join(r for r in out.reasons if r) or out.reason or "no reason given"


async def _decided_reply(x: Inbound, lead: Lead, result: EngageResult) -> None:
    lead.status = LeadStatus.QUALIFYING
    _queue_body(x, lead, result)


def _finished(x: Inbound, lead: Lead, status: LeadStatus) -> None:
    lead.status, lead.next_action_at, lead.finished_at = status, None, x.agent.clock.now()


async def _decided_handoff(x: Inbound, lead: Lead, result: EngageResult) -> None:
    _finished(x, lead, LeadStatus.HANDED_OVER)
    _queue_body(x, lead, result)  # the closing words, if any
    await _notify(x, lead, result, EventKind.HANDOFF)


async def _decided_disqualify(x: Inbound, lead: Lead, result: EngageResult) -> None:
    _finished(x, lead, LeadStatus.DISQUALIFIED)
    _attention(lead, f"disqualified: {_reasons(result.output)}")
    _queue_body(x, lead, result)
    await _notify(x, lead, result, EventKind.DISQUALIFIED)


async def _decided_pause(x: Inbound, lead: Lead, result: EngageResult) -> None:
    lead.status, lead.paused_from = LeadStatus.PAUSED, lead.paused_from or LeadStatus.QUALIFYING.value
    lead.next_action_at = resume_at(result.output.paused_until, lead.timezone, x.agent.clock.now())
    _queue_body(x, lead, result)
    x.run("pause", "scheduled", detail={"until": lead.next_action_at.isoformat(), "asked": result.output.paused_until})


async def _decided_escalate(x: Inbound, lead: Lead, result: EngageResult) -> None:
    """No mail to the lead: a person answers. The lead stays in the conversation."""
    out = result.output
    lead.status = LeadStatus.QUALIFYING
    questions = "; ".join(q for q in out.state.open_questions if q)
    _attention(lead, f"needs a human: {_reasons(out)}" + (f" (open: {questions})" if questions else ""))
    await _notify(x, lead, result, EventKind.ESCALATED)


async def _decided_opt_out(x: Inbound, lead: Lead, result: EngageResult) -> None:
    """The consent rules (classifier) did not read an opt-out here; no model decides one. Nothing is sent."""
    _attention(lead, f"the agent read an opt-out the consent rules did not: please check ({result.output.reason})")


async def _notify(x: Inbound, lead: Lead, result: EngageResult, kind: EventKind) -> None:
    summary = synthesize(kind, lead_fields(lead), result.output, attention=result.attention)
    assignment = await notice.record(x.session, x.rows, x.agent, lead, summary, x.msg.message_id, result.output.decision.value)
    if assignment.problem:
        _attention(lead, assignment.problem)


DecisionHandler = Callable[[Inbound, Lead, EngageResult], Awaitable[None]]
DECISIONS: dict[Decision, DecisionHandler] = {
    Decision.REPLY: _decided_reply,
    Decision.HANDOFF: _decided_handoff,
    Decision.DISQUALIFY: _decided_disqualify,
    Decision.PAUSE: _decided_pause,
    Decision.ESCALATE: _decided_escalate,
    Decision.OPT_OUT: _decided_opt_out,
}


def resume_at(paused_until: str | None, tz_name: str | None, now: datetime | None = None) -> datetime:
    """09:00 on the date the lead named, in its time zone when known (else UTC); never earlier than tomorrow."""
    now = now or utcnow()
    tz: tzinfo = timezone.utc
    if tz_name:
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            tz = timezone.utc
    try:
        day = date.fromisoformat((paused_until or "")[:10])
    except ValueError:
        day = (now + timedelta(days=DEFAULT_PAUSE_DAYS)).astimezone(tz).date()
    tomorrow = (now + timedelta(days=1)).astimezone(tz).date()
    return datetime.combine(max(day, tomorrow), time(9, 0), tzinfo=tz).astimezone(timezone.utc)


def queue_reply(rows: BatchRows, agent: AgentRuntime, parent: InboundMessage, lead: Lead, body: str) -> None:
    s = agent.settings
    message_id = new_message_id(s.domain, lead.token)
    references = thread_references(parent.message_id, parent.references, parent.in_reply_to)
    subject = reply_subject(parent.subject)
    raw = agent.render(Draft(from_name=s.display_name, from_addr=s.address, to_name=lead.name, to_addr=lead.email,
                       subject=subject, body=body, message_id=message_id, loop_marker=agent.loop_marker,
                       in_reply_to=parent.message_id, references=references, unsubscribe=agent.unsubscribe(lead.id)))
    now = agent.clock.now()  # the agent's clock: tests move it by days
    # review mode: the draft waits for `sqa drafts approve`; the consent gate still runs when it is sent
    status = OutboxStatus.AWAITING_APPROVAL if s.review_before_send else OutboxStatus.QUEUED
    rows.messages.append(
        {"message_id": message_id, "direction": Direction.OUT.value, "agent_id": agent.id, "lead_id": lead.id,
         "kind": "reply", "from_addr": s.address, "to_addr": lead.email, "subject": subject,
         "in_reply_to": parent.message_id, "references": references, "text": body, "created_at": now})
    rows.outbox.append(
        {"message_id": message_id, "agent_id": agent.id, "lead_id": lead.id, "reply_to_message_id": parent.message_id,
         "to_addr": lead.email, "raw": raw, "priority": Priority.REPLY, "kind": OutboxKind.REPLY.value, "status": status.value,
         "attempts": 0, "next_attempt_at": now, "deadline_at": now + timedelta(seconds=s.smtp.retry_deadline_s),
         "created_at": now})
    rows.run(agent, lead.id, parent.message_id, "outbox", status.value, detail={"message_id": message_id})
