"""The sending policy in the real sender: window, holidays, DST, caps, warm-up, priority, jitter, consent.

Each test queues outbox rows of kinds first / follow_up / reply directly, moves a
ManualClock and calls ``sender.drain()`` against the test SMTP sink; when each
mail left is read from ``outbox.sent_at`` (the clock's time of the send). No
sleeping, no timed assertions. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import event, func, select

from sqa.clock import ManualClock
from sqa.consent import store as consent
from sqa.daemon.app import App, AgentServices, build_app
from sqa.db.models import AgentRun, Lead, LeadStatus, Outbox, OutboxKind, OutboxStatus, Priority
from sqa.outreach.calendar import followup_due
from sqa.outreach.settings import OutreachSettings
from tests.support import LEAD_DOMAIN, agent_dict, make_settings

UTC = timezone.utc
SATURDAY = datetime(2026, 11, 28, 10, tzinfo=UTC)
MONDAY_9_BERLIN = datetime(2026, 11, 30, 8, tzinfo=UTC)
TUESDAY_9_BERLIN = datetime(2026, 12, 1, 8, tzinfo=UTC)
PRIORITY = {OutboxKind.REPLY: Priority.REPLY, OutboxKind.FIRST: Priority.FIRST, OutboxKind.FOLLOW_UP: Priority.FOLLOW_UP}


def outreach(**over: Any) -> dict[str, Any]:
    """The default window (09:00-17:00 Mon-Fri) in Berlin for the agent; caps out of the way unless a test sets them."""
    window = {"timezone": "Europe/Berlin", **over.pop("window", {})}
    caps = {"per_day": 1000, "per_minute": 1000, "per_domain_per_day": 1000, "warmup": False, "jitter_s": [0, 0],
            **over.pop("caps", {})}
    return {"intake": {"auto": False, "validate_email": False}, "window": window, "caps": caps, **over}


@dataclass
class Rig:
    app: App
    clock: ManualClock

    @property
    def agent(self) -> AgentServices:
        return self.app.agents[0]

    async def queue(self, email: str, kind: OutboxKind = OutboxKind.FIRST, *, tz: str | None = None,
                    country: str | None = None, lead_id: int | None = None, agent: int = 0,
                    status: str = LeadStatus.CONTACTED, followups_sent: int = 0) -> int:
        """One lead (unless ``lead_id``) and one queued outbox row due now; returns the row's id."""
        runtime = self.app.agents[agent].runtime
        now = self.clock.now()
        async with self.app.sessionmaker() as s, s.begin():
            if lead_id is None:
                lead = Lead(agent_id=runtime.id, token=uuid.uuid4().hex, email=email, country=country, status=status,
                            followups_sent=followups_sent, created_at=now)
                s.add(lead)
                await s.flush()
                lead_id = lead.id
            message_id = f"<{uuid.uuid4().hex}@agent.test>"
            raw = (f"From: agent@agent.test\r\nTo: {email}\r\nSubject: hello\r\nMessage-ID: {message_id}\r\n\r\n"
                   "Hello.\r\n").encode()
            row = Outbox(message_id=message_id, agent_id=runtime.id, lead_id=lead_id, to_addr=email, raw=raw,
                         kind=kind.value, priority=PRIORITY[kind], tz=tz, status=OutboxStatus.QUEUED,
                         next_attempt_at=now, deadline_at=now + timedelta(days=2), created_at=now)
            s.add(row)
            await s.flush()
            return row.id

    async def drain(self, agent: int = 0) -> int:
        return await self.app.agents[agent].sender.drain()

    async def run_until(self, until: datetime, agent: int = 0) -> None:
        """Drain, then jump the clock to the next moment something may leave, until ``until``."""
        services = self.app.agents[agent]
        for _ in range(10_000):
            await services.sender.drain()
            now = self.clock.now()
            async with self.app.sessionmaker() as s:
                nxt = await s.scalar(select(func.min(Outbox.next_attempt_at)).where(
                    Outbox.agent_id == services.runtime.id, Outbox.status == OutboxStatus.QUEUED,
                    Outbox.next_attempt_at > now))
            times = [t for t in (nxt, services.sender.policy.resume_at(now)) if t is not None and t <= until]
            if not times:
                self.clock.set(until)
                await services.sender.drain()
                return
            self.clock.set(min(times))
        raise AssertionError("the sender never settled")

    async def rows(self, *ids: int) -> list[Outbox]:
        async with self.app.sessionmaker() as s:
            query = select(Outbox).order_by(Outbox.id)
            if ids:
                query = query.where(Outbox.id.in_(ids))
            return list(await s.scalars(query))

    async def row(self, row_id: int) -> Outbox:
        [row] = await self.rows(row_id)
        return row

    async def sent(self) -> list[tuple[str, datetime]]:
        """(recipient, sent_at) of every sent row, in sending order."""
        rows = [r for r in await self.rows() if r.status == OutboxStatus.SENT]
        return sorted(((r.to_addr, r.sent_at) for r in rows), key=lambda x: (x[1], x[0]))

    async def held(self) -> list[tuple[str | None, dict]]:
        async with self.app.sessionmaker() as s:
            return list((await s.execute(select(AgentRun.message_id, AgentRun.detail).where(
                AgentRun.step == "send", AgentRun.decision == "held").order_by(AgentRun.id))).all())


async def rig(tmp_path, dovecot, smtp_sink, database_url, start: datetime, *configs: dict[str, Any]) -> Rig:
    clock = ManualClock(start)
    agents = [agent_dict(dovecot, smtp_sink, outreach=c) for c in (configs or (outreach(),))]
    app = await build_app(make_settings(tmp_path / "state", agents, database_url), clock=clock)
    return Rig(app, clock)


def lead(name: str, domain: str = LEAD_DOMAIN) -> str:
    return f"{name}@{domain}"


# -- window, zones, holidays, DST ------------------------------------------------------------------


async def test_a_mail_queued_on_saturday_leaves_monday_at_nine_lead_time(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, SATURDAY)
    try:
        first = await r.queue(lead("ann"), tz="Europe/Berlin")
        reply = await r.queue(lead("bob"), OutboxKind.REPLY, tz="Europe/Berlin")
        assert await r.drain() == 1  # the reply: not held to the window
        held = await r.row(first)
        assert held.status == OutboxStatus.QUEUED and held.next_attempt_at == MONDAY_9_BERLIN
        assert held.last_reply == "outside the sending window in Europe/Berlin (Saturday): next 2026-11-30 09:00"
        assert held.attempts == 0 and held.claimed_by is None
        assert held.deadline_at >= MONDAY_9_BERLIN + timedelta(days=2)  # the retry deadline counts from Monday
        assert await r.drain() == 0  # not due: no second record
        r.clock.set(MONDAY_9_BERLIN - timedelta(seconds=1))
        assert await r.drain() == 0
        r.clock.set(MONDAY_9_BERLIN)
        assert await r.drain() == 1
        assert (await r.row(first)).sent_at == MONDAY_9_BERLIN and (await r.row(reply)).sent_at == SATURDAY
        assert [d["rule"] for _, d in await r.held()] == ["window"]  # one record for the one rollover
        assert sorted(rcpt for m in smtp_sink.messages for rcpt in m.rcpt_tos) == [lead("ann"), lead("bob")]
    finally:
        await r.app.close()


async def test_leads_in_new_york_and_berlin_and_inferred_zones(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, datetime(2026, 11, 30, 6, tzinfo=UTC),
                  outreach(window={"timezone": "UTC"}))
    try:
        await r.queue(lead("berlin"), tz="Europe/Berlin")
        await r.queue(lead("newyork"), tz="America/New_York")
        await r.queue(lead("de"), country="DE")  # no zone queued: the country's
        await r.queue("fr@firma.fr")  # the address's ccTLD
        await r.queue(lead("us"), country="US")  # several zones: the agent's (UTC)
        await r.run_until(datetime(2026, 11, 30, 23, tzinfo=UTC))
        assert await r.sent() == [
            (lead("berlin"), datetime(2026, 11, 30, 8, tzinfo=UTC)),
            (lead("de"), datetime(2026, 11, 30, 8, tzinfo=UTC)),
            ("fr@firma.fr", datetime(2026, 11, 30, 8, tzinfo=UTC)),
            (lead("us"), datetime(2026, 11, 30, 9, tzinfo=UTC)),
            (lead("newyork"), datetime(2026, 11, 30, 14, tzinfo=UTC)),
        ]
    finally:
        await r.app.close()


async def test_the_window_follows_the_dst_change_of_each_zone(tmp_path, dovecot, smtp_sink, database_url):
    # Friday 27 March 2026, 17:30 in Berlin (CET); Europe moves to summer time on Sunday 29 March, New York did on 8 March
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, datetime(2026, 3, 27, 16, 30, tzinfo=UTC))
    try:
        await r.queue(lead("berlin"), tz="Europe/Berlin")
        await r.queue(lead("newyork"), tz="America/New_York")  # 12:30 EDT: open, leaves at once
        await r.run_until(datetime(2026, 3, 31, tzinfo=UTC))
        assert await r.sent() == [(lead("newyork"), datetime(2026, 3, 27, 16, 30, tzinfo=UTC)),
                                  (lead("berlin"), datetime(2026, 3, 30, 7, tzinfo=UTC))]  # 09:00 CEST
    finally:
        await r.app.close()


async def test_holidays_configured_and_of_the_leads_country(tmp_path, dovecot, smtp_sink, database_url):
    christmas_eve = datetime(2026, 12, 24, 17, tzinfo=UTC)
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, christmas_eve,
                  outreach(window={"holidays": ["2026-12-29"], "holiday_countries": ["FR"]}))
    try:
        de = await r.queue(lead("de"), tz="Europe/Berlin", country="DE")
        await r.queue(lead("gb"), tz="Europe/London", country="GB")  # 28 Dec: bank holiday (Boxing Day moved)
        await r.drain()
        assert (await r.row(de)).last_reply == ("outside the sending window in Europe/Berlin: next 2026-12-28 09:00")
        await r.run_until(datetime(2026, 12, 31, tzinfo=UTC))
        assert await r.sent() == [(lead("de"), datetime(2026, 12, 28, 8, tzinfo=UTC)),
                                  (lead("gb"), datetime(2026, 12, 30, 9, tzinfo=UTC))]
    finally:
        await r.app.close()


# -- caps --------------------------------------------------------------------------------------------


async def test_the_daily_cap_rolls_the_rest_to_the_next_window(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, MONDAY_9_BERLIN, outreach(caps={"per_day": 3}))
    try:
        ids = [await r.queue(lead(f"l{n}", f"d{n}.test"), tz="Europe/Berlin") for n in range(5)]
        assert await r.drain() == 3
        waiting = [row for row in await r.rows(*ids) if row.status == OutboxStatus.QUEUED]
        assert [row.id for row in waiting] == ids[3:]  # in queue order
        # the rest waits in place (a backlog far beyond the cap is not rewritten each day): one record says why
        assert {row.next_attempt_at for row in waiting} == {MONDAY_9_BERLIN}
        async with r.app.sessionmaker() as s:
            full = list(await s.scalars(select(AgentRun).where(AgentRun.decision == "day_full")))
        assert [f.detail["reason"] for f in full] == ["daily cap 3 reached: capped mail waits until 2026-12-01 00:00 Europe/Berlin"]
        r.clock.set(MONDAY_9_BERLIN + timedelta(hours=7, minutes=59))  # 16:59: still Monday, still capped
        assert await r.drain() == 0
        await r.run_until(TUESDAY_9_BERLIN + timedelta(hours=1))
        assert Counter(t.date() for _, t in await r.sent()) == {MONDAY_9_BERLIN.date(): 3, TUESDAY_9_BERLIN.date(): 2}
        assert len(await r.held()) == 2  # after midnight: rolled once to Tuesday's opening, one record per row
    finally:
        await r.app.close()


async def test_the_per_minute_cap_spaces_cold_mail(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, MONDAY_9_BERLIN, outreach(caps={"per_minute": 2}))
    try:
        for n in range(5):
            await r.queue(lead(f"l{n}", f"d{n}.test"), tz="Europe/Berlin")
        assert await r.drain() == 2
        assert await r.drain() == 0  # the minute is full: this sender does not even claim cold rows
        r.clock.advance(seconds=59)
        assert await r.drain() == 0
        await r.run_until(MONDAY_9_BERLIN + timedelta(minutes=5))
        minute = timedelta(minutes=1)
        assert [t for _, t in await r.sent()] == [MONDAY_9_BERLIN] * 2 + [MONDAY_9_BERLIN + minute] * 2 + \
            [MONDAY_9_BERLIN + 2 * minute]
        assert await r.held() == []  # a full minute is a pause, not a rollover: nothing on record
    finally:
        await r.app.close()


async def test_the_per_domain_cap(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, MONDAY_9_BERLIN, outreach(caps={"per_domain_per_day": 2}))
    try:
        big = [await r.queue(lead(f"b{n}", "Big.test"), tz="Europe/Berlin") for n in range(3)]
        for n in range(2):
            await r.queue(lead(f"o{n}", "other.test"), tz="Europe/Berlin")
        assert await r.drain() == 4
        third = await r.row(big[2])
        assert third.next_attempt_at == TUESDAY_9_BERLIN
        assert third.last_reply == ("daily cap per recipient domain reached: 2 mails to big.test: "
                                    "next 2026-12-01 09:00 Europe/Berlin")
        r.clock.set(TUESDAY_9_BERLIN)
        assert await r.drain() == 1
    finally:
        await r.app.close()


async def test_warm_up_ramps_the_daily_cap(tmp_path, dovecot, smtp_sink, database_url):
    ramp = {"warmup": True, "warmup_start": 2, "warmup_step": 1, "per_day": 10}
    since = (MONDAY_9_BERLIN - timedelta(days=2)).date().isoformat()
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, MONDAY_9_BERLIN, outreach(caps=ramp),
                  outreach(caps={**ramp, "warmup_since": since}))
    try:
        new = [await r.queue(lead(f"n{n}", f"d{n}.test"), tz="Europe/Berlin") for n in range(10)]
        for n in range(10):
            await r.queue(lead(f"w{n}", f"d{n}.test"), tz="Europe/Berlin", agent=1)
        assert await r.drain() == 2  # a new mailbox, day 1: 2
        assert await r.drain(agent=1) == 4  # warm-up since Saturday: day 3, 2 + 2 * 1
        async with r.app.sessionmaker() as s:
            full = [f.detail["reason"] for f in await s.scalars(
                select(AgentRun).where(AgentRun.decision == "day_full", AgentRun.agent_id == r.agent.runtime.id))]
        assert full == ["daily cap 2 reached (warm-up day 1): capped mail waits until 2026-12-01 00:00 Europe/Berlin"]
        await r.run_until(datetime(2026, 12, 4, 16, tzinfo=UTC))
        per_day = Counter(t.astimezone(r.agent.sender.policy.agent_zone).date() for to, t in await r.sent()
                          if to.startswith("n"))
        assert sorted(per_day.values()) == [1, 2, 3, 4]  # Monday 2, Tuesday 3, Wednesday 4, Thursday the last 1
    finally:
        await r.app.close()


async def test_priority_replies_then_first_mails_then_follow_ups(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, MONDAY_9_BERLIN, outreach(caps={"per_day": 3}),
                  outreach(caps={"per_day": 1, "replies_exempt": False}))
    try:
        follow = [await r.queue(lead(f"f{n}", f"f{n}.test"), OutboxKind.FOLLOW_UP, tz="Europe/Berlin") for n in range(2)]
        first = [await r.queue(lead(f"c{n}", f"c{n}.test"), tz="Europe/Berlin") for n in range(2)]
        replies = [await r.queue(lead(f"r{n}", f"r{n}.test"), OutboxKind.REPLY) for n in range(2)]
        assert await r.drain() == 3  # two replies (they count) and one first mail fill the cap of 3
        status = {row.id: row.status for row in await r.rows()}
        assert [status[i] for i in replies + first + follow] == ["sent"] * 3 + ["queued"] * 3
        late = await r.queue(lead("late"), OutboxKind.REPLY)
        assert await r.drain() == 1 and (await r.row(late)).status == OutboxStatus.SENT  # replies exempt: over the cap
        # replies not exempt: a reply waits for the next day (not for the window: window.replies is off)
        held_replies = [await r.queue(lead(f"x{n}", f"x{n}.test"), OutboxKind.REPLY, agent=1) for n in range(2)]
        assert await r.drain(agent=1) == 1
        assert await r.drain(agent=1) == 0  # the day is full: it waits in place
        midnight_berlin = datetime(2026, 11, 30, 23, tzinfo=UTC)
        r.clock.set(midnight_berlin)
        assert await r.drain(agent=1) == 1 and (await r.row(held_replies[1])).sent_at == midnight_berlin
    finally:
        await r.app.close()


async def test_jitter_spaces_cold_mail_but_not_replies(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, MONDAY_9_BERLIN, outreach(caps={"jitter_s": [30, 60]}))
    try:
        r.agent.sender.policy.rng = random.Random(7)
        for n in range(4):
            await r.queue(lead(f"c{n}", f"c{n}.test"), tz="Europe/Berlin")
        await r.queue(lead("reply0"), OutboxKind.REPLY)
        assert await r.drain() == 2  # the reply and one cold mail
        assert await r.drain() == 0  # the pause: cold rows stay due, untouched
        reply = await r.queue(lead("reply1"), OutboxKind.REPLY)
        assert await r.drain() == 1 and (await r.row(reply)).sent_at == MONDAY_9_BERLIN
        await r.run_until(MONDAY_9_BERLIN + timedelta(minutes=10))
        cold = [t for to, t in await r.sent() if to.startswith("c")]
        gaps = [(b - a).total_seconds() for a, b in zip(cold, cold[1:])]
        assert len(cold) == 4 and all(30 <= g <= 60 for g in gaps), gaps
        assert len(set(gaps)) > 1  # random, not a fixed step
        assert await r.held() == []
    finally:
        await r.app.close()


async def test_an_opt_out_between_queueing_and_sending_cancels_the_mail(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, SATURDAY)
    try:
        ann = await r.queue(lead("ann"), tz="Europe/Berlin")
        bob = await r.queue(lead("bob"), tz="Europe/Berlin")
        assert await r.drain() == 0  # both rolled to Monday
        async with r.app.sessionmaker() as s, s.begin():
            await consent.record(s, lead("ann"), agent_id=r.agent.runtime.id, scope=consent.Scope.AGENT,
                                 action=consent.Action.OPT_OUT, source=consent.Source.REPLY)
        r.clock.set(MONDAY_9_BERLIN)
        assert await r.drain() == 1
        assert (await r.row(ann)).status == OutboxStatus.CANCELLED and (await r.row(bob)).status == OutboxStatus.SENT
        assert [rcpt for m in smtp_sink.messages for rcpt in m.rcpt_tos] == [lead("bob")]
    finally:
        await r.app.close()


# -- after the send, and the cost of the policy ------------------------------------------------------------


async def test_a_sent_cold_mail_sets_the_leads_next_follow_up(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, MONDAY_9_BERLIN)
    try:
        await r.queue(lead("first"), tz="Europe/Berlin", country="DE")
        await r.queue(lead("second"), OutboxKind.FOLLOW_UP, tz="America/New_York", followups_sent=1)
        await r.queue(lead("engaged"), status=LeadStatus.ENGAGED, tz="Europe/Berlin")
        await r.queue(lead("answered"), OutboxKind.REPLY, tz="Europe/Berlin")
        r.clock.set(datetime(2026, 11, 30, 15, tzinfo=UTC))  # 16:00 Berlin, 10:00 New York
        assert await r.drain() == 4
        settings = OutreachSettings.model_validate(outreach())
        async with r.app.sessionmaker() as s:
            due = dict((await s.execute(select(Lead.email, Lead.next_action_at))).all())
        sent = r.clock.now()
        assert due[lead("first")] == followup_due(sent, 0, "Europe/Berlin", "DE", settings) == \
            datetime(2026, 12, 3, 15, tzinfo=UTC)  # +3 business days, 16:00 Berlin
        assert due[lead("second")] == followup_due(sent, 1, "America/New_York", None, settings) == \
            datetime(2026, 12, 7, 15, tzinfo=UTC)  # +5 business days
        assert due[lead("engaged")] is None and due[lead("answered")] is None
    finally:
        await r.app.close()


async def test_a_claim_of_replies_only_asks_nothing_more(tmp_path, dovecot, smtp_sink, database_url):
    r = await rig(tmp_path, dovecot, smtp_sink, database_url, SATURDAY, outreach(caps={"per_day": 5, "warmup": True}))
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        statements.append(statement.lower())

    try:
        await r.queue(lead("ann"), OutboxKind.REPLY)
        await r.queue(lead("bob"), OutboxKind.REPLY)
        event.listen(r.app.engine.sync_engine, "before_cursor_execute", seen)
        assert await r.drain() == 2
        assert statements and not any("count(" in s or "min(outbox.sent_at)" in s or "from leads" in s for s in statements)
        statements.clear()
        await r.queue(lead("cold"), tz="Europe/Berlin")
        r.clock.set(MONDAY_9_BERLIN)
        assert await r.drain() == 1
        assert any("count(" in s for s in statements)  # cold mail: the caps are counted
    finally:
        event.remove(r.app.engine.sync_engine, "before_cursor_execute", seen)
        await r.app.close()


async def test_two_instances_share_the_caps(tmp_path, dovecot, smtp_sink, database_url):
    config = outreach(caps={"per_day": 4})
    agent = agent_dict(dovecot, smtp_sink, outreach=config)
    clock = ManualClock(MONDAY_9_BERLIN)
    apps = [await build_app(make_settings(tmp_path / f"state{n}", [agent], database_url,
                                          daemon={"instance": f"host{n}", "grace_s": 5, "hard_deadline_s": 10}),
                            clock=clock) for n in (1, 2)]
    try:
        r = Rig(apps[0], clock)
        for n in range(10):
            await r.queue(lead(f"l{n}", f"d{n}.test"), tz="Europe/Berlin")
        for a in apps:
            a.agents[0].sender.batch = 2
        sent = await asyncio.gather(*(a.agents[0].sender.drain() for a in apps))
        assert sum(sent) == 4
        assert len(await r.sent()) == 4
        # the rest waits in place for the next day; neither instance sends more today
        assert {row.next_attempt_at for row in await r.rows() if row.status == OutboxStatus.QUEUED} == {MONDAY_9_BERLIN}
        assert sum(await asyncio.gather(*(a.agents[0].sender.drain() for a in apps))) == 0
    finally:
        for a in apps:
            await a.close()
