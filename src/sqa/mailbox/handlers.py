"""What happens after classification: one named handler per kind, inside the batch transaction.

human        -> engage: the agent's decision applied: reply (queued, or awaiting approval in review mode),
                handoff / disqualify / escalate (seller mail + event, handoff/), pause (next_action_at), lead stage
unsubscribe  -> opt-out on the consent log (scope all), queued mail cancelled, lead opted_out
bounce       -> hard: lead bounced, address suppressed, queued mail cancelled;
                soft: a score (0.5 per day, reset by real mail); policy (5.7.x): recorded only
auto_reply   -> no answer; follow-ups paused until the day after the return date (default 7 days)
bulk, self, quarantine -> recorded only
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sqa.agents.engage import EngageAgent, EngageResult, LeadView
from sqa.agents.engines.base import ConversationState, Decision, EngineOutput
from sqa.consent import store as consent
from sqa.db.models import Direction, Lead, LeadStatus, Message, Outbox, OutboxStatus, Priority, utcnow
from sqa.handoff import notice
from sqa.handoff.notice import lead_fields
from sqa.handoff.summary import Kind as EventKind, synthesize
from sqa.mailbox.classify import Kind, Verdict
from sqa.mailbox.classify.base import Flag
from sqa.mailbox.compose import Draft, new_message_id, reply_subject, thread_references
from sqa.mailbox.parse import InboundMessage
from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

CLOSED = frozenset({LeadStatus.HANDED_OVER, LeadStatus.DISQUALIFIED, LeadStatus.OPTED_OUT, LeadStatus.BOUNCED})
SOFT_BOUNCE_WEIGHT = 0.5
HARD_BOUNCE_WEIGHT = 1.0
BOUNCE_WINDOW = timedelta(days=7)
BOUNCE_ALERT_MIN_SENDS = 20
DEFAULT_PAUSE_DAYS = 30  # "later" with no date the agent could read


@dataclass(slots=True)
class BatchRows:
    """Rows a batch inserts at the end, one executemany per table."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)

    def run(self, agent: AgentRuntime, lead_id: int | None, message_id: str | None, step: str, decision: str, **extra: Any) -> None:
        self.runs.append(
            {"agent_id": agent.id, "lead_id": lead_id, "message_id": message_id, "step": step, "decision": decision,
             "detail": extra.get("detail"), "engine": extra.get("engine"), "model": extra.get("model"),
             "tokens_in": extra.get("tokens_in"), "tokens_out": extra.get("tokens_out"),
             "latency_ms": extra.get("latency_ms"), "created_at": utcnow()}
        )


@dataclass(slots=True)
class Inbound:
    """One classified message being handled in the batch transaction."""

    session: AsyncSession
    rows: BatchRows
    agent: AgentRuntime
    engage: EngageAgent
    msg: InboundMessage
    verdict: Verdict
    lead: Lead | None
    sent_today: dict[int, int]

    def run(self, step: str, decision: str, **extra: Any) -> None:
        self.rows.run(self.agent, self.lead.id if self.lead else None, self.msg.message_id, step, decision, **extra)


Handler = Callable[[Inbound], Awaitable[None]]


def _attention(lead: Lead, reason: str) -> None:
    lead.attention = reason if not lead.attention else f"{lead.attention}; {reason}"[:2000]


# -- human ---------------------------------------------------------------------


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


async def _decided_handoff(x: Inbound, lead: Lead, result: EngageResult) -> None:
    lead.status = LeadStatus.HANDED_OVER
    _queue_body(x, lead, result)  # the closing words, if any
    await _notify(x, lead, result, EventKind.HANDOFF)


async def _decided_disqualify(x: Inbound, lead: Lead, result: EngageResult) -> None:
    lead.status = LeadStatus.DISQUALIFIED
    _attention(lead, f"disqualified: {_reasons(result.output)}")
    _queue_body(x, lead, result)
    await _notify(x, lead, result, EventKind.DISQUALIFIED)


async def _decided_pause(x: Inbound, lead: Lead, result: EngageResult) -> None:
    lead.status = LeadStatus.PAUSED
    lead.next_action_at = resume_at(result.output.paused_until, lead.timezone)
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
    now = utcnow()
    # review mode: the draft waits for `sqa drafts approve`; the consent gate still runs when it is sent
    status = OutboxStatus.AWAITING_APPROVAL if s.review_before_send else OutboxStatus.QUEUED
    rows.messages.append(
        {"message_id": message_id, "direction": Direction.OUT.value, "agent_id": agent.id, "lead_id": lead.id,
         "kind": "reply", "from_addr": s.address, "to_addr": lead.email, "subject": subject,
         "in_reply_to": parent.message_id, "references": references, "text": body, "created_at": now})
    rows.outbox.append(
        {"message_id": message_id, "agent_id": agent.id, "lead_id": lead.id, "reply_to_message_id": parent.message_id,
         "to_addr": lead.email, "raw": raw, "priority": Priority.REPLY, "status": status.value,
         "attempts": 0, "next_attempt_at": now, "deadline_at": now + timedelta(seconds=s.smtp.retry_deadline_s),
         "created_at": now})
    rows.run(agent, lead.id, parent.message_id, "outbox", status.value, detail={"message_id": message_id})


# -- unsubscribe ---------------------------------------------------------------


async def on_unsubscribe(x: Inbound) -> None:
    """Honored at once; deterministic rules decided (never a model).

    Mail to agent+unsubscribe-TOKEN@domain opts out the lead the token names
    (whoever forwarded it); otherwise the writer's own address, never the
    lead's when someone else in its thread asked.
    """
    msg, verdict = x.msg, x.verdict
    via = Flag.VIA_ADDRESS in verdict.flags
    token_lead = await _token_lead(x) if via else None
    address = token_lead.email if token_lead is not None else msg.from_addr
    if not address:
        x.run("consent", "no_address", detail={"reason": "opt-out without a readable sender address"})
        return
    scope = consent.Scope(x.agent.link_scope) if via else consent.Scope.ALL
    change = await consent.opt_out(
        x.session, address, agent_id=x.agent.id, scope=scope, source=consent.Source.MAILTO if via else consent.Source.REPLY,
        gate=x.agent.gate,
        # no words or names in the (erasure-proof) log: the message row holds them, and an erasure deletes it
        evidence={"message_id": msg.message_id, "rule": verdict.rule, "unsure": Flag.UNSURE in verdict.flags,
                  "token": token_lead is not None},
        force_event=True)
    lead = token_lead or (x.lead if x.lead is not None and address == x.lead.email else None)
    if lead is not None:
        lead.status = LeadStatus.OPTED_OUT  # the ORM object of this batch: keep it in step with the UPDATE
        lead.next_action_at = None
        if Flag.UNSURE in verdict.flags:
            _attention(lead, f"opt-out honored but unclear, please check: {verdict.reason}")
    elif x.lead is not None:  # someone else in the lead's thread asked to be removed: only their address
        _attention(x.lead, f"{address} asked to be removed in this lead's thread; the lead itself did not opt out")
    x.run("consent", "opt_out", detail={"address": address, "scope": scope.value, "cancelled": change.cancelled,
                                        "unsure": Flag.UNSURE in verdict.flags, "via": "address" if via else "words"})


async def _token_lead(x: Inbound) -> Lead | None:
    """The lead named by a valid token in the unsubscribe address this mail went to."""
    for addr in x.msg.to_addrs:
        claims = x.agent.unsubscribe_claims(addr)
        if claims is not None:
            if x.lead is not None and x.lead.id == claims.lead_id:
                return x.lead
            return await x.session.get(Lead, claims.lead_id)
    return None


# -- bounce --------------------------------------------------------------------


async def _bounced_lead(x: Inbound, recipient: str) -> Lead | None:
    info = x.verdict.bounce
    if x.lead is not None and x.lead.email == recipient:
        return x.lead
    if info is not None and info.original_message_id:
        lead_id = await x.session.scalar(select(Message.lead_id).where(
            Message.message_id == info.original_message_id, Message.agent_id == x.agent.id))
        if lead_id is not None:
            lead = await x.session.get(Lead, lead_id)
            if lead is not None and lead.email == recipient:
                return lead
    return await x.session.scalar(select(Lead).where(Lead.agent_id == x.agent.id, Lead.email == recipient))


async def on_bounce(x: Inbound) -> None:
    info = x.verdict.bounce
    if info is None or not info.recipients:
        x.run("bounce", "unattributed", detail={"reason": x.verdict.reason, "action": "recorded; no recipient found"})
        return
    policy = Flag.POLICY in x.verdict.flags
    for recipient in info.recipients:
        lead = await _bounced_lead(x, recipient)
        if x.lead is None and lead is not None:
            x.lead = lead  # the bounce belongs to this lead's history
        detail = {"recipient": recipient, "status": info.status, "permanent": info.permanent, "policy": policy}
        if policy:
            x.rows.run(x.agent, lead.id if lead else None, x.msg.message_id, "bounce", "policy",
                       detail={**detail, "action": "recorded: a reputation/policy signal, not a bad address"})
            continue
        now = utcnow()
        hard = info.permanent
        if not hard and lead is not None:
            if lead.bounce_scored_at is None or now - lead.bounce_scored_at >= timedelta(days=1):
                lead.bounce_score = (lead.bounce_score or 0.0) + SOFT_BOUNCE_WEIGHT
                lead.bounce_scored_at = now
            hard = lead.bounce_score >= x.agent.settings.bounce_score_threshold
            detail["score"] = lead.bounce_score
        if not hard:
            x.rows.run(x.agent, lead.id if lead else None, x.msg.message_id, "bounce", "soft", detail=detail)
            continue
        await consent.record(x.session, recipient, agent_id=x.agent.id, scope=consent.Scope.ALL,
                             action=consent.Action.OPT_OUT, source=consent.Source.BOUNCE,
                             evidence={"message_id": x.msg.message_id, "status": info.status})
        cancelled = await consent.cancel_queued(x.session, x.agent.id, recipient,
                                                f"address bounced: {info.status or x.verdict.reason}")
        if lead is not None:
            lead.status = LeadStatus.BOUNCED
            lead.next_action_at = None
            lead.bounce_score = max(lead.bounce_score or 0.0, HARD_BOUNCE_WEIGHT)
            _attention(lead, f"address bounced ({info.status or 'hard'}): back to the owner")
        x.rows.run(x.agent, lead.id if lead else None, x.msg.message_id, "bounce", "hard",
                   detail={**detail, "action": "suppressed for sending", "cancelled": cancelled})
    await _bounce_rate_alert(x)


async def _bounce_rate_alert(x: Inbound) -> None:
    since = utcnow() - BOUNCE_WINDOW
    sent = await x.session.scalar(select(func.count()).select_from(Outbox).where(
        Outbox.agent_id == x.agent.id, Outbox.status == OutboxStatus.SENT, Outbox.sent_at >= since)) or 0
    bounces = await x.session.scalar(select(func.count()).select_from(Message).where(
        Message.agent_id == x.agent.id, Message.kind == Kind.BOUNCE.value, Message.created_at >= since)) or 0
    bounces += sum(1 for m in x.rows.messages if m.get("kind") == Kind.BOUNCE.value)
    share = x.agent.settings.bounce_alert_share
    if sent >= BOUNCE_ALERT_MIN_SENDS and bounces / sent > share:
        log.error("ALERT agent %s: %d bounces for %d sends in 7 days (%.1f %% > %.1f %%): check the lead list and "
                  "the sending reputation", x.agent.name, bounces, sent, 100 * bounces / sent, 100 * share)
        x.run("bounce", "rate_alert", detail={"bounces": bounces, "sent": sent, "threshold": share})


# -- auto-reply ----------------------------------------------------------------


async def on_auto_reply(x: Inbound) -> None:
    """Never an answer, never counted as a reply: follow-ups wait until the lead is back."""
    lead, verdict = x.lead, x.verdict
    if lead is None or LeadStatus(lead.status) in CLOSED:
        x.run("auto_reply", "recorded", detail={"return_date": _iso(verdict.return_date)})
        return
    if verdict.return_date is not None:
        resume = datetime.combine(verdict.return_date + timedelta(days=1), time(0, 0), tzinfo=timezone.utc)
    else:
        base = x.msg.date or utcnow()
        resume = base + timedelta(days=x.agent.settings.ooo_default_pause_days)
    lead.next_action_at = resume
    if LeadStatus(lead.status) not in (LeadStatus.NEW,):
        lead.status = LeadStatus.PAUSED
    if Flag.LEFT_COMPANY in verdict.flags:
        _attention(lead, "the lead seems to have left the company: tell the owner")
    x.run("auto_reply", "paused", detail={"return_date": _iso(verdict.return_date), "resume_at": resume.isoformat(),
                                          "flags": sorted(f.value for f in verdict.flags)})


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _recorded(x: Inbound) -> None:
    return None


HANDLERS: dict[Kind, Handler] = {
    Kind.HUMAN: on_human,
    Kind.UNSUBSCRIBE: on_unsubscribe,
    Kind.BOUNCE: on_bounce,
    Kind.AUTO_REPLY: on_auto_reply,
    Kind.BULK: _recorded,
    Kind.SELF: _recorded,
    Kind.QUARANTINE: _recorded,
}
