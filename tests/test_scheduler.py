"""Follow-ups driven through the daemon's drain with a hand-moved clock: cadence, what stops it, pauses, restarts.

Every test runs on SQLite and PostgreSQL against the private Dovecot and SMTP sink; nothing sleeps for days:
the ManualClock is moved to each due time. The sending window is off here (tests/test_sending_policy.py has it).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from typing import Any

from sqlalchemy import select

from sqa.agents.engines.base import Decision
from sqa.clock import ManualClock
from sqa.consent import store as consent
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import AgentRun, Event, Lead, Message, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead
from tests.handoff_support import ScriptedEngine, Step, use_engine
from tests.support import LEAD_DOMAIN, PERMISSIVE_OUTREACH, agent_dict, deliver, make_settings, reply_to

LEAD = f"lee@{LEAD_DOMAIN}"
START = datetime(2030, 12, 3, 10, 0, tzinfo=timezone.utc)  # a Tuesday, later than any real "now" of a test run
OUTREACH: dict[str, Any] = {**PERMISSIVE_OUTREACH, "intake": {"auto": True, "validate_email": False}}


async def _app(tmp_path, dovecot, sink, database_url, clock: ManualClock, *, name: str = "sched", **over: Any):
    agent = agent_dict(dovecot, sink, name=name, outreach=over.pop("outreach", OUTREACH), **over)
    return await build_app(make_settings(tmp_path, [agent], database_url=database_url), clock=clock)


async def _started(tmp_path, dovecot, sink, database_url, clock=None, **over: Any):
    """An app whose scheduler took the lead in and sent its first mail."""
    clock = clock or ManualClock(START)
    app = await _app(tmp_path, dovecot, sink, database_url, clock, **over)
    lead_id = await add_lead(app.sessionmaker, app.agents[0].runtime.id,
                             LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await drain_once(app)
    first = (await sink.wait_for(1))[0]
    return app, clock, lead_id, first


async def _lead(app, lead_id) -> Lead:
    async with app.sessionmaker() as s:
        return await s.get(Lead, lead_id)


async def _outbox(app, lead_id) -> list[Outbox]:
    async with app.sessionmaker() as s:
        return list(await s.scalars(select(Outbox).where(Outbox.lead_id == lead_id).order_by(Outbox.id)))


async def _settle(sink, expected: int) -> None:
    await asyncio.sleep(0.2)
    assert len(sink.messages) == expected, [m.subject for m in sink.messages]


def _headers(mail) -> Any:
    return message_from_bytes(mail.raw)


async def test_cadence_three_follow_ups_in_the_thread_then_unresponsive(tmp_path, dovecot, smtp_sink, database_url):
    app, clock, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        subject = _headers(first)["Subject"]
        lead = await _lead(app, lead_id)
        assert lead.status == "contacted" and lead.followups_sent == 0
        # +3, +5, +8 business days after the previous mail, same time of day (weekends skipped)
        expected = [datetime(2030, 12, 6, 10, 0), datetime(2030, 12, 13, 10, 0), datetime(2030, 12, 25, 10, 0)]
        chain = [first.message_id]
        for k, due in enumerate(expected, start=1):
            assert lead.next_action_at == due.replace(tzinfo=timezone.utc), k
            clock.set(lead.next_action_at - timedelta(minutes=1))
            await drain_once(app)
            await _settle(smtp_sink, k)  # not due yet: nothing
            clock.set(lead.next_action_at)
            await drain_once(app)
            mail = (await smtp_sink.wait_for(k + 1))[k]
            msg = _headers(mail)
            assert msg["Subject"] == f"Re: {subject}"
            assert msg["In-Reply-To"] == chain[-1] and msg["References"].split() == chain
            assert "List-Unsubscribe" in msg and "AI assistant" in mail.raw.decode(errors="replace")
            chain.append(mail.message_id)
            lead = await _lead(app, lead_id)
            assert lead.followups_sent == k and lead.status == "contacted"
        assert lead.next_action_at == datetime(2031, 1, 6, 10, 0, tzinfo=timezone.utc)  # the wait for an answer
        clock.set(lead.next_action_at)
        await drain_once(app)
        await _settle(smtp_sink, 4)
        lead = await _lead(app, lead_id)
        assert lead.status == "unresponsive" and lead.finished_at == clock.now() and lead.next_action_at is None
        rows = await _outbox(app, lead_id)
        assert [(r.kind, r.status) for r in rows] == [("first", "sent")] + [("follow_up", "sent")] * 3
        assert all(r.tz == "UTC" for r in rows)
    finally:
        await app.close()


async def test_a_reply_cancels_the_queued_follow_up(tmp_path, dovecot, smtp_sink, database_url):
    app, clock, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        clock.set((await _lead(app, lead_id)).next_action_at)
        stats = await app.scheduler.tick()  # queued, not sent yet
        assert stats.followups == 1
        await deliver(dovecot, app.agents[0].runtime.settings.address,
                      reply_to(first, sender=LEAD, body="Sounds interesting, tell me more."))
        await drain_once(app)
        answer = (await smtp_sink.wait_for(2))[1]
        assert answer.in_reply_to != first.message_id or "What problem" in answer.raw.decode(errors="replace")
        await _settle(smtp_sink, 2)  # the answer went; the follow-up did not
        follow_up = [r for r in await _outbox(app, lead_id) if r.kind == "follow_up"]
        assert [r.status for r in follow_up] == ["cancelled"] and "the lead replied" in follow_up[0].last_reply
        lead = await _lead(app, lead_id)
        assert lead.status == "qualifying" and lead.next_action_at is None
        clock.advance(days=30)
        await drain_once(app)
        await _settle(smtp_sink, 2)  # no more cold mail in a conversation
    finally:
        await app.close()


async def test_an_opt_out_between_scheduling_and_sending_stops_the_follow_up(tmp_path, dovecot, smtp_sink, database_url):
    app, clock, lead_id, _ = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        clock.set((await _lead(app, lead_id)).next_action_at)
        await app.scheduler.tick()
        async with app.sessionmaker() as s, s.begin():
            await consent.opt_out(s, LEAD, agent_id=None, scope=consent.Scope.ALL, source=consent.Source.ADMIN,
                                  gate=None, actor="test")
        await drain_once(app)
        await _settle(smtp_sink, 1)
        [_, follow_up] = await _outbox(app, lead_id)
        assert follow_up.status == OutboxStatus.CANCELLED
        lead = await _lead(app, lead_id)
        assert lead.status == "opted_out"
        clock.advance(days=30)
        await drain_once(app)
        await _settle(smtp_sink, 1)
    finally:
        await app.close()


async def test_a_hard_bounce_stops_the_cadence(tmp_path, dovecot, smtp_sink, database_url):
    from tests.test_effects import HARD_TEXT, _deliver_from_null, _dsn

    app, clock, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    address = app.agents[0].runtime.settings.address
    try:
        clock.set((await _lead(app, lead_id)).next_action_at)
        await app.scheduler.tick()
        await _deliver_from_null(dovecot, address, _dsn(first, to=address, recipient=LEAD, action="failed",
                                                        status="5.1.1", diagnostic="550 5.1.1 User unknown",
                                                        text=HARD_TEXT))
        await drain_once(app)
        await _settle(smtp_sink, 1)
        lead = await _lead(app, lead_id)
        assert lead.status == "bounced" and lead.finished_at is not None
        assert [r.status for r in await _outbox(app, lead_id)] == ["sent", "cancelled"]
    finally:
        await app.close()


async def test_a_handoff_stops_the_cadence_and_ends_the_conversation(tmp_path, dovecot, smtp_sink, database_url):
    app, clock, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        use_engine(app, ScriptedEngine(Step(Decision.HANDOFF, "Thank you, a colleague will call you.")))
        clock.set((await _lead(app, lead_id)).next_action_at)
        await app.scheduler.tick()
        await deliver(dovecot, app.agents[0].runtime.settings.address,
                      reply_to(first, sender=LEAD, body="Can we book a demo next week?"))
        await drain_once(app)
        lead = await _lead(app, lead_id)
        assert lead.status == "handed_over" and lead.finished_at == clock.now()
        kinds = [(r.kind, r.status) for r in await _outbox(app, lead_id)]
        assert ("follow_up", "cancelled") in kinds and ("reply", "sent") in kinds
        clock.advance(days=30)
        await drain_once(app)
        assert not [m for m in smtp_sink.messages if m.rcpt_tos == [LEAD] and "Re: Re:" in (m.subject or "")]
    finally:
        await app.close()


async def test_out_of_office_pauses_then_resumes_into_the_cadence(tmp_path, dovecot, smtp_sink, database_url):
    app, clock, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        from tests.test_effects import _with_date

        ooo = reply_to(first, sender=LEAD, body="Thank you for your email. I am out of the office until Friday 20 "
                       "December 2030 with limited access to email.", extra_headers={"Auto-Submitted": "auto-replied"})
        ooo = _with_date(ooo, START + timedelta(minutes=5))
        await deliver(dovecot, app.agents[0].runtime.settings.address, ooo)
        await drain_once(app)
        lead = await _lead(app, lead_id)
        assert (lead.status, lead.paused_from) == ("paused", "contacted")
        assert lead.next_action_at == datetime(2030, 12, 21, tzinfo=timezone.utc)  # the day after the return date
        clock.set(datetime(2030, 12, 13, 10, 0, tzinfo=timezone.utc))  # the cadence's first follow-up would be due
        await drain_once(app)
        await _settle(smtp_sink, 1)  # paused: nothing
        clock.set(datetime(2030, 12, 21, 8, 0, tzinfo=timezone.utc))
        await drain_once(app)
        follow_up = (await smtp_sink.wait_for(2))[1]
        assert _headers(follow_up)["In-Reply-To"] == first.message_id
        lead = await _lead(app, lead_id)
        assert (lead.status, lead.paused_from, lead.followups_sent) == ("contacted", None, 1)
        assert lead.next_action_at is not None and lead.next_action_at > clock.now()
    finally:
        await app.close()


async def test_the_leads_own_deferral_gets_a_check_in_then_the_cadence(tmp_path, dovecot, smtp_sink, database_url):
    app, clock, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        use_engine(app, ScriptedEngine(Step(Decision.PAUSE, "Understood, I'll get back to you then.",
                                            paused_until="2031-03-03")))
        await deliver(dovecot, app.agents[0].runtime.settings.address,
                      reply_to(first, sender=LEAD, body="Not now, contact me in March."))
        await drain_once(app)
        await smtp_sink.wait_for(2)  # the acknowledgement
        lead = await _lead(app, lead_id)
        assert (lead.status, lead.paused_from) == ("paused", "contacted")
        clock.set(lead.next_action_at)
        await drain_once(app)
        check_in = (await smtp_sink.wait_for(3))[2]
        assert "get back to you around now" in check_in.raw.decode(errors="replace").replace("=\n", "")
        lead = await _lead(app, lead_id)
        assert (lead.status, lead.followups_sent) == ("contacted", 0) and lead.next_action_at > clock.now()
        async with app.sessionmaker() as s:
            kinds = list(await s.scalars(select(Message.kind).where(Message.lead_id == lead_id,
                                                                    Message.direction == "out")))
        assert kinds[-1] == "check_in"
    finally:
        await app.close()


async def test_restart_while_follow_ups_are_due_sends_each_once(tmp_path, dovecot, smtp_sink, database_url):
    """Down while three follow-ups fell due; and a crash between queueing one and sending it."""
    clock = ManualClock(START)
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, clock)
    emails = [f"l{i}@{LEAD_DOMAIN}" for i in range(3)]
    for email in emails:
        await add_lead(app.sessionmaker, app.agents[0].runtime.id, LeadInput(email=email, name="Lee Lead"))
    await drain_once(app)
    await smtp_sink.wait_for(3)
    await app.close()

    clock.advance(days=20)  # the daemon was down: every first follow-up is overdue
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, clock)
    try:
        stats = await app.scheduler.tick()
        assert stats.followups == 3
    finally:
        await app.close()  # a crash after queueing, before sending
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, clock)
    try:
        await drain_once(app)
        await drain_once(app)
        await _settle(smtp_sink, 6)
        for email in emails:
            assert sum(1 for m in smtp_sink.messages if m.rcpt_tos == [email]) == 2
        async with app.sessionmaker() as s:
            sent = list(await s.scalars(select(Outbox.kind).where(Outbox.status == OutboxStatus.SENT)))
            followups = list(await s.scalars(select(Lead.followups_sent)))
        assert sorted(sent).count("follow_up") == 3 and followups == [1, 1, 1]
    finally:
        await app.close()


async def test_paused_from_is_kept_by_a_second_out_of_office(tmp_path, dovecot, smtp_sink, database_url):
    app, clock, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    address = app.agents[0].runtime.settings.address
    try:
        for _ in range(2):
            await deliver(dovecot, address, reply_to(first, sender=LEAD, body="I am out of the office.",
                                                     extra_headers={"Auto-Submitted": "auto-replied"}))
            await drain_once(app)
        lead = await _lead(app, lead_id)
        assert (lead.status, lead.paused_from) == ("paused", "contacted")
        async with app.sessionmaker() as s:
            runs = list(await s.scalars(select(AgentRun.decision).where(AgentRun.step == "auto_reply")))
            events = list(await s.scalars(select(Event)))
        assert runs == ["paused", "paused"] and events == []
        assert lead.next_action_at is not None  # 7 days after the notice's Date (no return date stated)
    finally:
        await app.close()
