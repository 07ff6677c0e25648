"""A spam complaint (feedback-loop report): the address is opted out at once, the rate is watched.

Who complained, most trusted first: the returned mail's Message-ID when it
is one we sent (the outbound message row, else the lead token inside it), a
signed per-lead link of its List-Unsubscribe, then the addresses the report
names (Original-Rcpt-To, Removal-Recipient, the returned To; usually
redacted). Only the first two are *attributed*: the message row carries the
lead and the lead counts towards the complaint rate (observe/reputation.py).
A lead the report merely names by address is still opted out (flagged for a
human), but a forged report cannot push a mailbox into a halt, and addresses
that are not our leads are not written to the consent log.

Then the rate: above ``outreach.complaints.alert_share`` an alert (at most
hourly per agent while over); above ``halt_share`` the alert says cold mail
is halted, which the sending policy enforces (outreach/policy.py).
"""

from __future__ import annotations

import time as time_
from urllib.parse import unquote, urlsplit

from sqlalchemy import select

from sqa.consent import store as consent
from sqa.consent.tokens import TokenError
from sqa.db.models import Direction, Lead, LeadStatus, Message, utcnow
from sqa.mailbox.batch import Inbound, attention
from sqa.mailbox.classify.base import ComplaintInfo
from sqa.mailbox.compose import token_from_message_id
from sqa.observe.alerts import COMPLAINT_RATE, raise_alert
from sqa.observe.reputation import complaint_rate

ALERT_REPEAT_S = 3600.0  # while the rate stays over its threshold, the alert is repeated this rarely
_alerted: dict[str, float] = {}  # agent -> monotonic time of its last complaint-rate alert


async def on_complaint(x: Inbound) -> None:
    info = x.verdict.complaint
    assert info is not None
    lead, via = await attributed_lead(x, info)
    # only an attributed lead goes on the message row (and counts towards the rate): a From matching a lead's
    # address is no proof, anyone can write it
    x.lead = lead
    # unattributed: only addresses that are this agent's leads (a real report names people we wrote to; a forged
    # one must not fill the consent log with strangers), each flagged for a human
    named = [lead] if lead is not None else [n for n in [await _lead_by_address(x, a) for a in info.recipients] if n]
    detail: dict = {"feedback_type": info.feedback_type, "reporter": info.reporter, "attributed": via}
    if not named:
        x.run("complaint", "unattributed", detail={**detail, "action": "recorded; the report names no lead of ours"})
    for target in named:
        change = await consent.opt_out(
            x.session, target.email, agent_id=x.agent.id, scope=consent.Scope.ALL, source=consent.Source.COMPLAINT,
            gate=x.agent.gate, force_event=True,
            evidence={"message_id": x.msg.message_id, "feedback_type": info.feedback_type, "attributed": via})
        target.status, target.next_action_at, target.finished_at = LeadStatus.OPTED_OUT, None, x.agent.clock.now()
        why = "opted out; check how this lead was sourced" if via else (
            "opted out, but the report does not include our mail: check before contacting again")
        attention(target, f"marked our mail as spam ({info.feedback_type}, reported by {info.reporter}): {why}")
        x.rows.run(x.agent, target.id, x.msg.message_id, "complaint", "opt_out",
                   detail={**detail, "address": target.email, "cancelled": change.cancelled})
    await _rate_alert(x, lead)


async def attributed_lead(x: Inbound, info: ComplaintInfo) -> tuple[Lead | None, str | None]:
    """The lead our own returned mail names, and how (``message_id``, ``token``, ``link``); else (None, None)."""
    agent = x.agent
    if info.original_message_id:
        lead_id = await x.session.scalar(select(Message.lead_id).where(
            Message.message_id == info.original_message_id, Message.direction == Direction.OUT,
            Message.agent_id == agent.id))
        if lead_id is not None:
            return await _lead(x, lead_id), "message_id"
        token = token_from_message_id(info.original_message_id, agent.settings.domain)
        if token:
            lead = await x.session.scalar(select(Lead).where(Lead.agent_id == agent.id, Lead.token == token))
            if lead is not None:
                return lead, "token"
    for target in info.unsubscribe:
        lead_id = _link_lead(x, target)
        if lead_id is not None:
            return await _lead(x, lead_id), "link"
    return None, None


def _link_lead(x: Inbound, target: str) -> int | None:
    """The lead id a signed List-Unsubscribe target of this agent names (mailto or /u/TOKEN), else None."""
    if target.lower().startswith("mailto:"):
        claims = x.agent.unsubscribe_claims(unquote(target[7:].split("?", 1)[0]))
        return claims.lead_id if claims is not None else None
    path = urlsplit(target).path
    if "/u/" not in path:
        return None
    try:
        claims = x.agent.signer.verify(path.rsplit("/u/", 1)[1].strip("/"))
    except TokenError:
        return None
    return claims.lead_id if claims.agent_id == x.agent.id else None


async def _lead(x: Inbound, lead_id: int) -> Lead | None:
    if x.lead is not None and x.lead.id == lead_id:
        return x.lead
    lead = await x.session.get(Lead, lead_id)
    return lead if lead is not None and lead.agent_id == x.agent.id else None


async def _lead_by_address(x: Inbound, address: str) -> Lead | None:
    return await x.session.scalar(select(Lead).where(Lead.agent_id == x.agent.id, Lead.email == address))


async def _rate_alert(x: Inbound, lead: Lead | None) -> None:
    limits = x.agent.settings.outreach.complaints
    pending = {m["lead_id"] for m in x.rows.messages  # this batch's earlier complaints; this one: ``lead``
               if m.get("kind") == "complaint" and m.get("lead_id") is not None and m["message_id"] != x.msg.message_id}
    if lead is not None:
        pending.add(lead.id)
    rate = await complaint_rate(x.session, x.agent.id, utcnow(), limits.window_days, frozenset(pending))
    if not rate.over(limits.alert_share, limits.min_sends):
        return
    halted = rate.over(limits.halt_share, limits.min_sends)
    now = time_.monotonic()
    if now - _alerted.get(x.agent.name, -ALERT_REPEAT_S) >= ALERT_REPEAT_S:
        _alerted[x.agent.name] = now  # one alert per agent per hour while over, not one per complaint
        then = (f"over {100 * limits.halt_share:.1f} %: first mails and follow-ups are halted until the rate falls"
                if halted else f"over {100 * limits.alert_share:.1f} %: check the lead list and the content")
        raise_alert(x.agent.name, COMPLAINT_RATE, f"{rate.describe('spam complaints')} {then}")
    x.run("complaint", "rate_alert", detail={"complaints": rate.events, "sent": rate.sent, "halted": halted,
                                             "alert_share": limits.alert_share, "halt_share": limits.halt_share})
