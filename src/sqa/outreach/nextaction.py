"""A lead's next action and when, in words (`sqa lead show`): what the scheduler or the sender will do next.

Read from what drives them (the lead's status, ``next_action_at``, ``followups_sent``,
its cold mail in the outbox, the latest pause) and the agent's outreach settings;
times in the lead's zone, as the sending window sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqa.db.models import AgentRun, Lead, LeadStatus, Outbox, OutboxKind, OutboxStatus
from sqa.leads import FINISHED
from sqa.outreach.calendar import BusinessCalendar
from sqa.outreach.compose import lead_zone
from sqa.outreach.intake import WAITS
from sqa.outreach.scheduler import DEFERRAL, latest_pause
from sqa.runtime import AgentRuntime

@dataclass(frozen=True, slots=True)
class NextAction:
    kind: str  # first_mail | follow_up | check_in | resume | unresponsive | wait_for_lead | approval | none
    at: datetime | None
    text: str

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "at": self.at.isoformat() if self.at else None, "text": self.text}


def _local(at: datetime, zone: str) -> str:
    return f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def next_action(lead: Lead, outbox: list[Outbox], runs: list[AgentRun], runtime: AgentRuntime | None,
                now: datetime) -> NextAction:
    status = LeadStatus(lead.status)
    if status in FINISHED:
        return NextAction("none", None, f"none ({status.value})")
    zone = lead_zone(lead, runtime) if runtime is not None else (lead.timezone or "UTC")
    cold = [o for o in outbox if o.kind in (OutboxKind.FIRST, OutboxKind.FOLLOW_UP)
            and o.status in (OutboxStatus.QUEUED, OutboxStatus.AWAITING_APPROVAL, OutboxStatus.SENDING)]
    if cold:
        return _queued(cold[-1], lead, zone, runtime, now)
    outreach = runtime.settings.outreach if runtime is not None else None
    if status is LeadStatus.NEW:
        if lead.attention and WAITS in lead.attention:
            return NextAction("first_mail", None, "first mail " + lead.attention[lead.attention.index(WAITS):].split(";")[0])
        if lead.next_action_at and lead.next_action_at > now:
            return NextAction("first_mail", lead.next_action_at,
                              f"first mail: address check or absence, tried again {_local(lead.next_action_at, zone)}")
        if outreach is not None and not outreach.intake.auto:
            return NextAction("first_mail", None, "first mail: waits for `sqa leads contact` (intake.auto is off)")
        return NextAction("first_mail", now, "first mail: at the scheduler's next intake round")
    if status is LeadStatus.PAUSED:
        if lead.next_action_at is None:
            return NextAction("none", None, "none: paused for a person to check")
        deferral = latest_pause(runs) == DEFERRAL
        when = _local(lead.next_action_at, zone)
        return (NextAction("check_in", lead.next_action_at, f"check-in {when} (the lead asked to be contacted then)")
                if deferral else NextAction("resume", lead.next_action_at, f"resumes {when} (out of office)"))
    if status is LeadStatus.CONTACTED and lead.next_action_at is not None:
        n = len(outreach.cadence_business_days) if outreach else 3
        when = _local(lead.next_action_at, zone)
        if lead.followups_sent < n:
            return NextAction("follow_up", lead.next_action_at, f"follow-up {lead.followups_sent + 1} of {n} due {when}")
        return NextAction("unresponsive", lead.next_action_at, f"unresponsive from {when} unless the lead answers")
    if status in (LeadStatus.QUALIFYING, LeadStatus.ENGAGED):
        return NextAction("wait_for_lead", None, "none: waits for the lead's answer")
    return NextAction("none", None, "none")


def _queued(row: Outbox, lead: Lead, zone: str, runtime: AgentRuntime | None, now: datetime) -> NextAction:
    what = "first mail" if row.kind == OutboxKind.FIRST else f"follow-up {lead.followups_sent}"
    if row.status == OutboxStatus.AWAITING_APPROVAL:
        return NextAction("approval", None, f"{what} awaits approval: `sqa drafts show {row.id}` / `approve {row.id}`")
    if row.status == OutboxStatus.SENDING:
        return NextAction("first_mail" if row.kind == OutboxKind.FIRST else "follow_up", now, f"{what} is being sent")
    at = max(row.next_attempt_at, now)
    if runtime is not None:
        at = BusinessCalendar(runtime.settings.outreach.window).next_open(at, row.tz or zone, lead.country)
    kind = "first_mail" if row.kind == OutboxKind.FIRST else "follow_up"
    if at <= now:
        return NextAction(kind, now, f"{what} queued: goes now")
    return NextAction(kind, at, f"{what} queued: waits for the window or caps, {_local(at, row.tz or zone)}")
