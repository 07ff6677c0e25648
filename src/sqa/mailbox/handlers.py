"""What happens after classification: one named handler per kind, inside the batch transaction.

human        -> engage: the agent's decision applied (on_human.py)
unsubscribe  -> opt-out on the consent log (scope all), queued mail cancelled, lead opted_out
bounce       -> hard: lead bounced, address suppressed, queued mail cancelled;
                soft: a score (0.5 per day, reset by real mail); policy (5.7.x): recorded only
complaint    -> a spam complaint (feedback-loop report): opted out everywhere; the rate alerts and halts (on_complaint.py)
auto_reply   -> no answer; follow-ups paused until the day after the return date (default 7 days)
bulk, self, quarantine -> recorded only
"""

from __future__ import annotations

import logging
import time as time_
from datetime import datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select, update

from sqa.consent import store as consent
from sqa.db.models import Lead, LeadStatus, Message, Outbox, OutboxKind, OutboxStatus, utcnow
from sqa.mailbox.classify import Kind
from sqa.mailbox.batch import Handler, Inbound, attention as _attention
from sqa.mailbox.classify.base import Flag
from sqa.mailbox.on_complaint import on_complaint
from sqa.mailbox.on_human import CLOSED, on_human
from sqa.observe.alerts import BOUNCE_RATE, raise_alert
from sqa.observe.reputation import bounce_rate

log = logging.getLogger(__name__)

SOFT_BOUNCE_WEIGHT = 0.5
HARD_BOUNCE_WEIGHT = 1.0
BOUNCE_WINDOW_DAYS = 7
BOUNCE_ALERT_MIN_SENDS = 20
BOUNCE_ALERT_REPEAT_S = 3600.0  # while the rate stays over its threshold, the alert is repeated this rarely
_bounce_alerted: dict[str, float] = {}  # agent -> monotonic time of its last bounce-rate alert


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
        lead.next_action_at, lead.finished_at = None, x.agent.clock.now()
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
            lead.next_action_at, lead.finished_at = None, x.agent.clock.now()
            lead.bounce_score = max(lead.bounce_score or 0.0, HARD_BOUNCE_WEIGHT)
            _attention(lead, f"address bounced ({info.status or 'hard'}): back to the owner")
        x.rows.run(x.agent, lead.id if lead else None, x.msg.message_id, "bounce", "hard",
                   detail={**detail, "action": "suppressed for sending", "cancelled": cancelled})
    await _bounce_rate_alert(x)


async def _bounce_rate_alert(x: Inbound) -> None:
    pending = sum(1 for m in x.rows.messages if m.get("kind") == Kind.BOUNCE.value)  # this batch's, this one included
    rate = await bounce_rate(x.session, x.agent.id, utcnow(), BOUNCE_WINDOW_DAYS, pending)
    share = x.agent.settings.bounce_alert_share
    if rate.over(share, BOUNCE_ALERT_MIN_SENDS):
        now = time_.monotonic()
        if now - _bounce_alerted.get(x.agent.name, -BOUNCE_ALERT_REPEAT_S) >= BOUNCE_ALERT_REPEAT_S:
            _bounce_alerted[x.agent.name] = now  # one alert per agent per hour while over, not one per bounce
            raise_alert(x.agent.name, BOUNCE_RATE, f"{rate.describe('bounces')} > {100 * share:.1f} %: "
                        "check the lead list and the sending reputation")
        x.run("bounce", "rate_alert", detail={"bounces": rate.events, "sent": rate.sent, "threshold": share})


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
    if LeadStatus(lead.status) not in (LeadStatus.NEW, LeadStatus.PAUSED):
        lead.paused_from, lead.status = lead.status, LeadStatus.PAUSED  # the scheduler resumes it (outreach/scheduler.py)
    held = await _hold_followups(x, lead)
    if Flag.LEFT_COMPANY in verdict.flags:
        _attention(lead, "the lead seems to have left the company: tell the owner")
    x.run("auto_reply", "paused", detail={"return_date": _iso(verdict.return_date), "resume_at": resume.isoformat(),
                                          "flags": sorted(f.value for f in verdict.flags), "followups_held": held})


async def _hold_followups(x: Inbound, lead: Lead) -> int:
    """A follow-up queued for an absent lead waits too: cancelled here, queued again when the lead is back."""
    result = await x.session.execute(
        update(Outbox).where(Outbox.lead_id == lead.id, Outbox.kind == OutboxKind.FOLLOW_UP,
                             Outbox.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED, last_reply="not sent: the lead is out of office; queued again on return")
        .execution_options(synchronize_session=False))
    held = result.rowcount or 0
    if held:
        lead.followups_sent = max(0, (lead.followups_sent or 0) - held)
    return held


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _recorded(x: Inbound) -> None:
    return None


HANDLERS: dict[Kind, Handler] = {
    Kind.HUMAN: on_human,
    Kind.UNSUBSCRIBE: on_unsubscribe,
    Kind.BOUNCE: on_bounce,
    Kind.COMPLAINT: on_complaint,
    Kind.AUTO_REPLY: on_auto_reply,
    Kind.BULK: _recorded,
    Kind.SELF: _recorded,
    Kind.QUARANTINE: _recorded,
}
