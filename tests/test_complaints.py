"""Spam complaints through the daemon: a feedback-loop report (RFC 5965) opts the lead out at once; the
complaint rate alerts over ``alert_share`` and halts cold mail over ``halt_share`` (replies still go); a
report that names no mail of ours opts out the address but does not count; the halt ends when the
complaints age out of the window."""

from __future__ import annotations

import asyncio
import copy
import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from sqa.clock import ManualClock
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.db.models import AgentRun, ConsentEvent, Lead, Message, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.observe.alerts import ALERTS
from sqa.observe.metrics import Metrics
from tests.arf_support import arf_report
from tests.handoff_support import Subscriber
from tests.support import LEAD_DOMAIN, PERMISSIVE_OUTREACH, agent_dict, deliver, make_settings, reply_to

LIMITS = {"alert_share": 0.2, "halt_share": 0.3, "min_sends": 4}


def _outreach(**limits: float) -> dict:
    outreach = copy.deepcopy(PERMISSIVE_OUTREACH)
    outreach["complaints"] = {**LIMITS, **limits}
    return outreach


async def _contacted(app, names: list[str]) -> dict[str, int]:  # noqa: ANN001
    agent = app.agents[0].runtime
    ids = {n: await add_lead(app.sessionmaker, agent.id, LeadInput(email=f"{n}@{LEAD_DOMAIN}", name=n.title()))
           for n in names}
    await queue_first_mails(app.sessionmaker, agent)
    return ids


async def _rows(app, stmt):  # noqa: ANN001, ANN202
    async with app.sessionmaker() as session:
        return list((await session.execute(stmt)).all())


def _metric(text: str, agent: str, kind: str) -> float:
    prefix = f'sqa_alerts_total{{agent="{agent}",kind="{kind}"}} '
    return float(next(line for line in text.splitlines() if line.startswith(prefix))[len(prefix):])


async def test_complaints_opt_out_alert_halt_cold_mail_and_resume(tmp_path, dovecot, smtp_sink, database_url, caplog):
    caplog.set_level(logging.INFO)
    clock = ManualClock(datetime.now(timezone.utc))
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, outreach=_outreach())], database_url=database_url)
    app = await build_app(settings, clock=clock)
    agent = app.agents[0].runtime
    inbox = agent.settings.address
    try:
        ids = await _contacted(app, ["ann", "bob", "cid", "dee"])
        await drain_once(app)
        sent = {m.rcpt_tos[0].split("@")[0]: m for m in await smtp_sink.wait_for(4)}
        assert sorted(sent) == ["ann", "bob", "cid", "dee"]
        alerts_before = ALERTS.counts[(agent.name, "complaint_rate")]

        # 1. Hotmail-style report, recipient redacted: our Message-ID names Ann. 1 of 4 sends = 25 % > 20 %: alert.
        await deliver(dovecot, inbox, arf_report(sent["ann"].raw, redact=f"ann@{LEAD_DOMAIN}"))
        await drain_once(app)
        (status,), = await _rows(app, select(Lead.status).where(Lead.id == ids["ann"]))
        assert status == "opted_out"
        (source, action), = await _rows(app, select(ConsentEvent.source, ConsentEvent.action))
        assert (source, action) == ("complaint", "opt_out")
        (kind, lead_id), = await _rows(app, select(Message.kind, Message.lead_id).where(Message.direction == "in"))
        assert (kind, lead_id) == ("complaint", ids["ann"])
        assert ALERTS.counts[(agent.name, "complaint_rate")] == alerts_before + 1
        alert_lines = [r.getMessage() for r in caplog.records if getattr(r, "alert_kind", None) == "complaint_rate"]
        assert len(alert_lines) == 1 and "1 spam complaints for 4 sends" in alert_lines[0]
        assert "halted" not in alert_lines[0]

        # 2. A forged report naming Cid's address only (no mail of ours in it): opted out, not counted.
        forged = arf_report(b"From: someone@else.test\r\nTo: cid@lead.test\r\nMessage-ID: <x1@else.test>\r\n\r\nhi\r\n",
                            rcpt=f"cid@{LEAD_DOMAIN}", message_id="<fbl-2@hotmail.test>")
        await deliver(dovecot, inbox, forged)
        await drain_once(app)
        (status,), = await _rows(app, select(Lead.status).where(Lead.id == ids["cid"]))
        assert status == "opted_out"
        runs = await _rows(app, select(AgentRun.lead_id, AgentRun.detail).where(
            AgentRun.step == "complaint", AgentRun.decision == "opt_out").order_by(AgentRun.id))
        assert [(lid, d["attributed"]) for lid, d in runs] == [(ids["ann"], "message_id"), (ids["cid"], None)]

        # 3. Headers only, Message-ID rewritten by a gateway: Bob's signed unsubscribe link names him. 2 of 4: halt.
        bob = sent["bob"].raw.replace(sent["bob"].message_id.encode(), b"<rewritten-1@gateway.test>")
        await deliver(dovecot, inbox, arf_report(bob, headers_only=True, message_id="<fbl-3@yahoo.test>"))
        await drain_once(app)
        (status,), = await _rows(app, select(Lead.status).where(Lead.id == ids["bob"]))
        assert status == "opted_out"
        halted_alerts = ALERTS.counts[(agent.name, "sending_halted")]

        # Cold mail to two new leads waits (the rate is read again a minute after the last read); Dee's reply goes.
        clock.advance(seconds=61)
        new = await _contacted(app, ["eve", "fay"])
        await deliver(dovecot, inbox, reply_to(sent["dee"], sender=f"dee@{LEAD_DOMAIN}", body="Tell me more."))
        await drain_once(app)
        answer, = (await smtp_sink.wait_for(5))[4:]
        assert answer.rcpt_tos == [f"dee@{LEAD_DOMAIN}"] and answer.in_reply_to is not None
        await drain_once(app)
        await asyncio.sleep(0.2)
        assert len(smtp_sink.messages) == 5
        queued = await _rows(app, select(Outbox.status).where(Outbox.lead_id.in_(new.values())))
        assert sorted(s for s, in queued) == ["queued", "queued"]
        halts = await _rows(app, select(AgentRun.decision, AgentRun.detail).where(AgentRun.step == "send",
                                                                                   AgentRun.decision == "halted"))
        assert len(halts) == 1 and "2 spam complaints for 4 sends" in halts[0][1]["reason"]
        assert ALERTS.counts[(agent.name, "sending_halted")] == halted_alerts + 1
        text = (await Metrics(app).render()).decode()
        assert _metric(text, agent.name, "sending_halted") == halted_alerts + 1

        # The complaints age out of the window: after the next recheck the cold mail leaves, once, on record.
        async with app.sessionmaker() as session, session.begin():
            await session.execute(update(Message).where(Message.kind == "complaint")
                                  .values(created_at=datetime.now(timezone.utc) - timedelta(days=8)))
        clock.advance(seconds=61)
        await drain_once(app)
        got = await smtp_sink.wait_for(7)
        assert sorted(m.rcpt_tos[0] for m in got[5:]) == [f"eve@{LEAD_DOMAIN}", f"fay@{LEAD_DOMAIN}"]
        resumed = await _rows(app, select(AgentRun.detail).where(AgentRun.step == "send", AgentRun.decision == "resumed"))
        assert len(resumed) == 1
    finally:
        await app.close()


async def test_complaint_rate_alert_reaches_mqtt(tmp_path, dovecot, smtp_sink, database_url, mosquitto):
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, outreach=_outreach(min_sends=1))],
                             database_url=database_url,
                             mqtt={"host": mosquitto.host, "port": mosquitto.port, "timeout_s": 5})
    app = await build_app(settings)
    agent = app.agents[0].runtime
    try:
        await _contacted(app, ["ann"])
        await drain_once(app)
        first, = await smtp_sink.wait_for(1)
        sup = Supervisor(app)
        async with Subscriber(mosquitto, f"sqa/{agent.name}/alerts") as sub:
            runner = asyncio.create_task(sup.run())
            try:
                await deliver(dovecot, agent.settings.address, arf_report(first.raw, rcpt=f"ann@{LEAD_DOMAIN}"))
                (topic, payload, qos), = await sub.wait_for(1, timeout=20)
            finally:
                sup.stop.set()
                assert await asyncio.wait_for(runner, 20) == 0
    finally:
        await app.close()
    assert (topic, qos, payload["kind"], payload["agent"]) == (f"sqa/{agent.name}/alerts", 1, "complaint_rate", agent.name)
    assert "1 spam complaints for 1 sends" in payload["message"] and "halted" in payload["message"]
    assert "ann@" not in payload["message"]  # no addresses in alerts


async def test_bounce_rate_over_its_share_alerts_once_an_hour(tmp_path, dovecot, smtp_sink, database_url, caplog):
    from tests.test_effects import HARD_TEXT, _deliver_from_null, _dsn

    caplog.set_level(logging.WARNING)
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0].runtime
    names = [f"lead{i:02d}" for i in range(20)]
    try:
        await _contacted(app, names)
        await drain_once(app)
        sent = {m.rcpt_tos[0]: m for m in await smtp_sink.wait_for(20)}
        before = ALERTS.counts[(agent.name, "bounce_rate")]
        for name in names[:2]:  # 1 of 20 = 5 % > 3 %: one alert; the second bounce within the hour: on record only
            address = f"{name}@{LEAD_DOMAIN}"
            await _deliver_from_null(dovecot, agent.settings.address, _dsn(
                sent[address], to=agent.settings.address, recipient=address, action="failed", status="5.1.1",
                diagnostic="host mx.lead.test said: 550 5.1.1 user unknown", text=HARD_TEXT))
            await drain_once(app)
        statuses = await _rows(app, select(Lead.status).where(Lead.email.in_([f"{n}@{LEAD_DOMAIN}" for n in names[:2]])))
        assert [s for s, in statuses] == ["bounced", "bounced"]
        runs = await _rows(app, select(AgentRun.detail).where(AgentRun.step == "bounce",
                                                              AgentRun.decision == "rate_alert").order_by(AgentRun.id))
        assert [(d["bounces"], d["sent"]) for d, in runs] == [(1, 20), (2, 20)]
    finally:
        await app.close()
    assert ALERTS.counts[(agent.name, "bounce_rate")] == before + 1
    lines = [r.getMessage() for r in caplog.records if getattr(r, "alert_kind", None) == "bounce_rate"]
    assert len(lines) == 1 and "1 bounces for 20 sends in 7 days (5.00 %) > 3.0 %" in lines[0]


async def test_a_report_naming_strangers_only_is_recorded(tmp_path, dovecot, smtp_sink, database_url):
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, outreach=_outreach())], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0].runtime
    try:
        await drain_once(app)  # the first connect starts "from now on"
        forged = arf_report(b"From: x@else.test\r\nTo: nobody@else.test\r\nMessage-ID: <x2@else.test>\r\n\r\nhi\r\n",
                            rcpt="nobody@else.test", message_id="<fbl-9@hotmail.test>")
        await deliver(dovecot, agent.settings.address, forged)
        await drain_once(app)
        assert await _rows(app, select(ConsentEvent.id)) == []
        (decision, detail), = await _rows(app, select(AgentRun.decision, AgentRun.detail).where(AgentRun.step == "complaint"))
        assert decision == "unattributed" and detail["attributed"] is None
        (kind,), = await _rows(app, select(Message.kind).where(Message.direction == "in"))
        assert kind == "complaint"
    finally:
        await app.close()


async def test_a_report_from_a_leads_own_address_without_our_mail_does_not_count(tmp_path, dovecot, smtp_sink,
                                                                                   database_url):
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, outreach=_outreach(min_sends=1))],
                             database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0].runtime
    try:
        ids = await _contacted(app, ["ann"])
        await drain_once(app)
        await smtp_sink.wait_for(1)
        ann = f"ann@{LEAD_DOMAIN}"  # a forged From: the batch would match the lead by its sender
        forged = arf_report(b"From: x@else.test\r\nTo: ann@lead.test\r\nMessage-ID: <x3@else.test>\r\n\r\nhi\r\n",
                            rcpt=ann, reporter=ann, message_id="<fbl-10@lead.test>")
        await deliver(dovecot, agent.settings.address, forged)
        await drain_once(app)
        (status,), = await _rows(app, select(Lead.status).where(Lead.id == ids["ann"]))
        assert status == "opted_out"  # named by address: opted out, flagged for a human
        (lead_id,), = await _rows(app, select(Message.lead_id).where(Message.kind == "complaint"))
        assert lead_id is None  # not on the message row: it does not count towards the rate
        assert await _rows(app, select(AgentRun.id).where(AgentRun.step == "complaint",
                                                          AgentRun.decision == "rate_alert")) == []
    finally:
        await app.close()
