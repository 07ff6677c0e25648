"""`sqa simulate`: what intake would send now, to whom and when, computed without writing or sending anything.

The same candidate query as intake (read in a read-only transaction), the same
address check (when the agent validates: a DNS read) and the same outreach
writer (templates: a dry run spends no model tokens), then a projection of the
sending policy: each first mail at the window's next opening in the lead's
zone, spaced by the per-minute cap and the smallest jitter, at most the daily
cap (with the warm-up ramp) and the per-domain cap per day, rolling to the next
day; and the follow-up dates the cadence would give if nobody answered.
The projection is the earliest the policy allows; the sender decides for real.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.agents.outreach import OutreachWriter, Purpose
from sqa.db.models import Outbox, OutboxKind, OutboxStatus
from sqa.db.session import READ_ONLY
from sqa.outreach import compose
from sqa.outreach.calendar import BusinessCalendar, followup_due
from sqa.outreach.intake import Intake, candidates
from sqa.outreach.policy import domain_of
from sqa.runtime import AgentRuntime


@dataclass(slots=True)
class Planned:
    lead_id: int
    email: str
    zone: str
    verdict: str  # send | awaits_approval | held_by_guardrails | invalid_email | dns_retry
    reason: str | None = None
    subject: str | None = None
    body: str | None = None
    first_at: datetime | None = None
    followups: list[datetime] = field(default_factory=list)
    unresponsive_at: datetime | None = None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        for key in ("first_at", "unresponsive_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["followups"] = [d.isoformat() for d in self.followups]
        return data


@dataclass(slots=True)
class _Day:
    """Sends projected per agent-local day (mailbox cap) and per recipient domain."""

    total: dict[date, int] = field(default_factory=dict)
    domains: dict[tuple[date, str], int] = field(default_factory=dict)


async def simulate(sessionmaker: async_sessionmaker[AsyncSession], runtime: AgentRuntime, now: datetime,
                   limit: int | None = None) -> list[Planned]:
    """The plan for the next ``limit`` intake candidates (default ``intake.per_tick``). Writes nothing."""
    outreach = runtime.settings.outreach
    limit = limit or outreach.intake.per_tick
    async with sessionmaker(execution_options=READ_ONLY) as session, session.begin():
        leads = list(await session.scalars(candidates(outreach.intake, runtime.id, now, limit)))
        first_sent = await session.scalar(select(func.min(Outbox.sent_at)).where(
            Outbox.agent_id == runtime.id, Outbox.status == OutboxStatus.SENT))
        sent_today = await _sent_today(session, runtime, now)
    writer = OutreachWriter()
    checks = await Intake(sessionmaker, writer).check(runtime, leads)
    calendar = BusinessCalendar(outreach.window)
    days = _Day(total={now.astimezone(ZoneInfo(outreach.window.timezone)).date(): sent_today})
    spacing = timedelta(seconds=max(60.0 / outreach.caps.per_minute, outreach.caps.jitter_s[0]))
    last: datetime | None = None
    plan: list[Planned] = []
    for lead in leads:
        zone = compose.lead_zone(lead, runtime)
        check = checks.get(lead.id)
        if check is not None and check.deliverable is None:
            plan.append(Planned(lead.id, lead.email, zone, "dns_retry", check.reason))
            continue
        if check is not None and not check.valid:
            plan.append(Planned(lead.id, lead.email, zone, "invalid_email", f"invalid email: {check.reason}"))
            continue
        mail = await compose.prepare(runtime, writer, lead, Purpose.FIRST, now)
        draft = mail.draft
        verdict = ("held_by_guardrails" if not draft.ok else
                   "awaits_approval" if runtime.settings.mode.value == "research" else "send")
        item = Planned(lead.id, lead.email, zone, verdict, "; ".join(draft.details) or None, draft.subject, draft.body)
        if verdict == "send":
            at = max(now, last + spacing) if last else now
            at = _fit(runtime, calendar, days, at, zone, lead.country, domain_of(lead.email), first_sent or now)
            last = item.first_at = at
            sent = at
            for k in range(len(outreach.cadence_business_days)):
                sent = followup_due(sent, k, zone, lead.country, outreach)
                item.followups.append(sent)
            item.unresponsive_at = followup_due(sent, len(outreach.cadence_business_days), zone, lead.country, outreach)
        plan.append(item)
    return plan


def _fit(runtime: AgentRuntime, calendar: BusinessCalendar, days: _Day, at: datetime, zone: str,
         country: str | None, domain: str, since: datetime) -> datetime:
    """The earliest time from ``at`` the window and the daily caps allow; counts the send."""
    caps, agent_zone = runtime.settings.outreach.caps, ZoneInfo(runtime.settings.outreach.window.timezone)
    for _ in range(400):
        at = calendar.next_open(at, zone, country)
        day = at.astimezone(agent_zone).date()
        if days.total.get(day, 0) < _daily_cap(runtime, day, since) and \
                days.domains.get((day, domain), 0) < caps.per_domain_per_day:
            days.total[day] = days.total.get(day, 0) + 1
            days.domains[(day, domain)] = days.domains.get((day, domain), 0) + 1
            return at
        at = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=agent_zone)
    raise ValueError("no room to send within 400 days: check the caps and the window")


def _daily_cap(runtime: AgentRuntime, day: date, since: datetime) -> int:
    caps = runtime.settings.outreach.caps
    if not caps.warmup:
        return caps.per_day
    start = caps.warmup_since or since.astimezone(ZoneInfo(runtime.settings.outreach.window.timezone)).date()
    return min(caps.per_day, caps.warmup_start + caps.warmup_step * max(0, (day - start).days))


async def _sent_today(session: AsyncSession, runtime: AgentRuntime, now: datetime) -> int:
    zone = ZoneInfo(runtime.settings.outreach.window.timezone)
    start = datetime.combine(now.astimezone(zone).date(), time(0, 0), tzinfo=zone)
    return await session.scalar(select(func.count()).select_from(Outbox).where(
        Outbox.agent_id == runtime.id, Outbox.status == OutboxStatus.SENT, Outbox.sent_at >= start,
        Outbox.kind.in_((OutboxKind.FIRST.value, OutboxKind.FOLLOW_UP.value, OutboxKind.REPLY.value)))) or 0
