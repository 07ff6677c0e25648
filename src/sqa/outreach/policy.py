"""The sending policy the sender applies at claim time: window, caps, warm-up, jitter, priority.

Why at claim time, in the claiming transaction: the counts come from the
database (several daemon instances may drain one outbox), the decision and the
claim commit together, and a row that may not leave yet is put back in the same
transaction, so no other instance ever sees it half-decided.

What is held, and how:
- Cold mail (first mails, follow-ups) only inside the window in the recipient's
  zone (``outbox.tz``, holidays of the lead's country); replies only when
  ``window.replies``. Seller notices never.
- The mailbox's daily cap (the agent's ``window.timezone`` day; the warm-up
  ramp while the mailbox is new), the per-minute cap (any 60 seconds) and the
  per-recipient-domain daily cap hold cold mail; replies are exempt
  (``caps.replies_exempt``) but count. Notices neither count nor wait.
- Jitter: after a cold mail, no other cold mail before a random pause
  (``caps.jitter_s``); a claim takes at most one cold row while jitter is on.
- Priority is the claim's order (replies, first mails, follow-ups): when a cap
  is tight the earlier kinds take the room.
- Spam complaints: while the agent's complaint rate (observe/reputation.py) is
  over ``complaints.halt_share``, cold mail waits in place (rechecked every
  minute); replies still go. The start and the end of a halt are on record
  once, and the start is an alert.
A row that does not fit *rolls*: its due time moves to the next window opening
or, for a full recipient domain, the next day's (the reason in
``outbox.last_reply``; an agent_runs record when the reason is new for that row,
not again each day it keeps waiting). For the minute cap, jitter and a full
day it stays due and this sender skips the capped kinds until the pause is over
(in memory: a backlog far beyond the day's cap is not rewritten each day; one
agent_runs record says the day is full). Nothing is dropped, nothing leaves out
of policy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sqa.db.models import Agent, Lead, Outbox, OutboxKind, OutboxStatus
from sqa.observe.reputation import Rate, complaint_rate
from sqa.outreach.calendar import BusinessCalendar, resolve_zone
from sqa.outreach.settings import OutreachSettings

COLD = frozenset({OutboxKind.FIRST.value, OutboxKind.FOLLOW_UP.value})
MINUTE = timedelta(seconds=60)
HALT_RECHECK = timedelta(seconds=60)  # how often a sender reads the complaint rate again (cold mail only)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A claimed row as the policy sees it (already past the consent gate)."""

    id: int
    lead_id: int | None
    to_addr: str
    kind: str
    tz: str | None
    priority: int
    due: datetime


@dataclass(frozen=True, slots=True)
class Hold:
    """A claimed row that may not leave now. ``due`` None: put back as it was (a pause of this sender)."""

    id: int
    rule: str  # window | daily_cap | domain_cap | minute_cap | jitter | complaint_halt
    due: datetime | None = None
    reason: str | None = None


@dataclass(slots=True)
class Decision:
    send: set[int] = field(default_factory=set)
    holds: list[Hold] = field(default_factory=list)
    day_full: str | None = None  # the daily cap was reached in this claim: why, for the one record of it
    halt: str | None = None  # "halted" or "resumed": cold mail stopped or started again for complaints in this claim
    halt_reason: str = ""


@dataclass(slots=True)
class _Counts:
    day: int = 0
    minute: int = 0
    minute_oldest: datetime | None = None
    domains: dict[str, int] = field(default_factory=dict)

    def add(self, domain: str, at: datetime) -> None:
        self.day += 1
        self.minute += 1
        self.minute_oldest = at if self.minute_oldest is None else min(self.minute_oldest, at)
        self.domains[domain] = self.domains.get(domain, 0) + 1


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


class SendPolicy:
    """One agent's policy; one instance per sender (it keeps the sender's pauses and the warm-up start)."""

    def __init__(self, outreach: OutreachSettings, retry_deadline_s: float, rng: random.Random | None = None,
                 agent: str = "") -> None:
        self.agent = agent  # the agent's name, for its alerts
        self.outreach = outreach
        self.window = outreach.window
        self.caps = outreach.caps
        self.calendar = BusinessCalendar(outreach.window)
        self.agent_zone = ZoneInfo(outreach.window.timezone)
        self.retry_deadline = timedelta(seconds=retry_deadline_s)
        self.rng = rng or random.Random()
        self.jitter_until: datetime | None = None  # no cold mail before this (this sender's pause)
        self.minute_until: datetime | None = None  # no capped mail before this (the minute is full)
        self.day_until: datetime | None = None  # no capped mail before this (the day's cap is reached)
        self._first_sent: date | None = None  # the warm-up's day 1 when not configured (cached once known)
        self.halt_until: datetime | None = None  # cold mail halted for complaints: read the rate again after this
        self.halted: Rate | None = None  # the rate that halted cold mail, while halted
        self._halt_read: datetime | None = None

    # -- which kinds the policy touches ------------------------------------------------------------

    def windowed(self, kind: str) -> bool:
        return self.window.enabled and (kind in COLD or (kind == OutboxKind.REPLY and self.window.replies))

    def capped(self, kind: str) -> bool:
        return kind in COLD or (kind == OutboxKind.REPLY and not self.caps.replies_exempt)

    def applies(self, kinds: set[str]) -> bool:
        """Whether a claim of these kinds needs the policy at all (a replies-only claim does not: no queries)."""
        return any(self.windowed(k) or self.capped(k) for k in kinds)

    def paused_kinds(self, now: datetime) -> list[str]:
        """Kinds the next claim must leave alone: the jitter pause (cold) and a full minute (all capped kinds)."""
        kinds: set[str] = set()
        if any(t is not None and now < t for t in (self.jitter_until, self.halt_until)):
            kinds |= COLD
        if any(t is not None and now < t for t in (self.minute_until, self.day_until)):
            kinds |= {k for k in (*COLD, OutboxKind.REPLY.value) if self.capped(k)}
        return sorted(kinds)

    def resume_at(self, now: datetime) -> datetime | None:
        """When this sender's pause of cold mail ends (for its idle wait), None when not paused."""
        ends = [t for t in (self.jitter_until, self.minute_until, self.day_until, self.halt_until)
                if t is not None and t > now]
        return min(ends) if ends else None

    # -- the decision ---------------------------------------------------------------------------------

    async def decide(self, session: AsyncSession, agent_id: int, rows: list[Candidate], now: datetime) -> Decision:
        """Which claimed rows leave now, and where the others go. ``rows`` in any order."""
        rows = sorted(rows, key=lambda r: (r.priority, r.due, r.id))
        windowed = [r for r in rows if self.windowed(r.kind)]  # the lead's country: holidays, a zone not queued
        countries = await _countries(session, {r.lead_id for r in windowed if r.lead_id is not None})
        day_start, next_day = self._day(now)
        counts, cap, warm_day = _Counts(), self.caps.per_day, 0
        if any(self.capped(r.kind) for r in rows):
            if session.get_bind().dialect.name == "postgresql":  # instances decide one at a time (SQLite: one writer anyway)
                await session.execute(select(Agent.id).where(Agent.id == agent_id).with_for_update(key_share=True))
            cap, warm_day = await self._daily_cap(session, agent_id, now)
            domains = {domain_of(r.to_addr) for r in rows if self.capped(r.kind)}
            if self.caps.per_domain_per_day >= cap:
                domains = set()  # the daily cap binds first: no need to count per domain
            counts = await _count(session, agent_id, [r.id for r in rows], day_start, now, domains)
        decision = Decision()
        halted = any(r.kind in COLD for r in rows) and await self._complaint_halt(session, agent_id, now, decision)
        cold_taken = False
        jitter_on = self.caps.jitter_s[1] > 0
        for r in rows:
            country = countries.get(r.lead_id) if r.lead_id is not None else None
            hold = Hold(r.id, "complaint_halt") if halted and r.kind in COLD else None
            if hold is None and self.windowed(r.kind):
                hold = self._window_hold(r, now, country)
            if hold is None and self.capped(r.kind):
                hold = self._cap_hold(r, now, next_day, country, counts, cap, warm_day)
                if hold is None and r.kind in COLD and jitter_on and cold_taken:
                    hold = Hold(r.id, "jitter")
            if hold is not None:
                decision.holds.append(hold)
                continue
            decision.send.add(r.id)
            if r.kind != OutboxKind.NOTICE:
                counts.add(domain_of(r.to_addr), now)
            cold_taken = cold_taken or r.kind in COLD
        if cold_taken and jitter_on:
            self.jitter_until = now + timedelta(seconds=self.rng.uniform(*self.caps.jitter_s))
        if any(h.rule == "daily_cap" for h in decision.holds):
            ramp = f" (warm-up day {warm_day})" if warm_day else ""
            decision.day_full = (f"daily cap {cap} reached{ramp}: capped mail waits until "
                                 f"{next_day.astimezone(self.agent_zone):%Y-%m-%d %H:%M} {self.window.timezone}")
        return decision

    async def _complaint_halt(self, session: AsyncSession, agent_id: int, now: datetime, decision: Decision) -> bool:
        """Whether cold mail is halted for complaints (the rate read at most once a minute); a change goes on record."""
        if self._halt_read is not None and now - self._halt_read < HALT_RECHECK:
            return self.halted is not None
        limits = self.outreach.complaints
        self._halt_read = now
        rate = await complaint_rate(session, agent_id, now, limits.window_days)
        if rate.over(limits.halt_share, limits.min_sends):
            if self.halted is None:
                decision.halt = "halted"
                decision.halt_reason = (f"{rate.describe('spam complaints')} > {100 * limits.halt_share:.1f} %: "
                                        "first mails and follow-ups halted, replies still go")
            self.halted, self.halt_until = rate, now + HALT_RECHECK
            return True
        if self.halted is not None:
            decision.halt = "resumed"
            decision.halt_reason = f"{rate.describe('spam complaints')}: at or under {100 * limits.halt_share:.1f} % again"
        self.halted = self.halt_until = None
        return False

    def zone(self, row: Candidate, country: str | None) -> str:
        return row.tz or resolve_zone(None, country, row.to_addr, self.window.timezone)

    def _window_hold(self, r: Candidate, now: datetime, country: str | None) -> Hold | None:
        zone = self.zone(r, country)
        if self.calendar.is_open(now, zone, country):
            return None
        due = self.calendar.next_open(now, zone, country)
        local = due.astimezone(ZoneInfo(zone))
        why = self.calendar.holiday_name(now.astimezone(ZoneInfo(zone)).date(), country)
        reason = f"outside the sending window in {zone}{f' ({why})' if why else ''}: next {local:%Y-%m-%d %H:%M}"
        return Hold(r.id, "window", due, reason)

    def _cap_hold(self, r: Candidate, now: datetime, next_day: datetime, country: str | None, counts: _Counts,
                  cap: int, warm_day: int) -> Hold | None:
        domain = domain_of(r.to_addr)
        if counts.day >= cap:  # the rest of today's capped mail waits in place: this sender pauses until the day ends
            self.day_until = next_day
            return Hold(r.id, "daily_cap")
        if counts.domains.get(domain, 0) >= self.caps.per_domain_per_day:
            return self._next_day(r, next_day, country, "domain_cap",
                                  f"daily cap per recipient domain reached: {counts.domains[domain]} mails to {domain}")
        if counts.minute >= self.caps.per_minute:
            until = (counts.minute_oldest or now) + MINUTE
            self.minute_until = max(until, self.minute_until or until)
            return Hold(r.id, "minute_cap")
        return None

    def _next_day(self, r: Candidate, next_day: datetime, country: str | None, rule: str, reason: str) -> Hold:
        zone = self.zone(r, country)
        due = self.calendar.next_open(next_day, zone, country) if self.windowed(r.kind) else next_day
        return Hold(r.id, rule, due, f"{reason}: next {due.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}")

    def _day(self, now: datetime) -> tuple[datetime, datetime]:
        """The start of today and of tomorrow in the agent's zone (UTC); a DST day is 23 or 25 hours long."""
        today = now.astimezone(self.agent_zone).date()
        return _midnight(today, self.agent_zone), _midnight(today + timedelta(days=1), self.agent_zone)

    async def _daily_cap(self, session: AsyncSession, agent_id: int, now: datetime) -> tuple[int, int]:
        """Today's cap and the warm-up day it belongs to (1 = the first day; 0 once the ramp is done or off)."""
        caps = self.caps
        if not caps.warmup:
            return caps.per_day, 0
        today = now.astimezone(self.agent_zone).date()
        since = caps.warmup_since or self._first_sent
        if since is None:
            first = await session.scalar(select(func.min(Outbox.sent_at)).where(
                Outbox.agent_id == agent_id, Outbox.sent_at.is_not(None), Outbox.kind != OutboxKind.NOTICE.value))
            if first is not None:
                self._first_sent = since = first.astimezone(self.agent_zone).date()
        days = max(0, (today - since).days) if since is not None else 0
        cap = caps.warmup_start + caps.warmup_step * days
        return (cap, days + 1) if cap < caps.per_day else (caps.per_day, 0)

    def deadline(self, due: datetime, deadline_at: datetime | None) -> datetime | None:
        """A rolled row's retry deadline, counted from when it may first leave (a weekend must not expire it)."""
        return None if deadline_at is None else max(deadline_at, due + self.retry_deadline)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


async def _countries(session: AsyncSession, lead_ids: set[int]) -> dict[int, str | None]:
    if not lead_ids:
        return {}
    rows = await session.execute(select(Lead.id, Lead.country).where(Lead.id.in_(lead_ids)))
    return {i: c for i, c in rows}


async def _count(session: AsyncSession, agent_id: int, claimed: list[int], day_start: datetime, now: datetime,
                 domains: set[str]) -> _Counts:
    """What the mailbox sent today, in the last minute and to each domain: sent rows plus rows in flight.

    Sent rows come from the ``(agent_id, sent_at)`` index, bounded to today (and the last minute); rows another
    instance is sending now (status sending, not ours) count as sent now. Notices do not count.
    """
    minute_start = now - MINUTE
    lower = min(day_start, minute_start)
    today = Outbox.sent_at >= day_start
    recent = Outbox.sent_at > minute_start
    columns = [func.count().filter(today), func.count().filter(recent), func.min(Outbox.sent_at).filter(recent)]
    ordered = sorted(domains)
    address = func.lower(Outbox.to_addr)
    columns += [func.count().filter(today, address.like("%@" + _like(d), escape="\\")) for d in ordered]
    row = (await session.execute(select(*columns).where(
        Outbox.agent_id == agent_id, Outbox.sent_at >= lower, Outbox.kind != OutboxKind.NOTICE.value))).one()
    counts = _Counts(day=row[0], minute=row[1], minute_oldest=row[2],
                     domains={d: n for d, n in zip(ordered, row[3:], strict=True)})
    flying = await session.scalars(select(Outbox.to_addr).where(
        Outbox.status == OutboxStatus.SENDING, Outbox.agent_id == agent_id, Outbox.kind != OutboxKind.NOTICE.value,
        Outbox.id.not_in(claimed)))
    for to_addr in flying:
        counts.add(domain_of(to_addr), now)
    return counts


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
