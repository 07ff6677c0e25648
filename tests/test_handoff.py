"""Handoff through the daemon: seller mail at the SMTP sink, MQTT event (QoS 1), signed webhook; the other decisions."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from sqlalchemy import select

from sqa.agents.engines.base import Decision, Intent
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.db.models import AgentRun, Event, Lead
from sqa.erase import erase_lead
from sqa.handoff.webhook import verify
from sqa.leads import LeadInput, add_lead, lead_detail, queue_first_mails
from sqa.sandbox import MosquittoServer
from tests.handoff_support import ScriptedEngine, Step, Subscriber, WebhookReceiver, body_of, use_engine
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to

SECRET = "whsec-0123456789abcdef"
SELLERS = [{"name": "Sam Seller", "email": "sam@sellers.test"}, {"name": "Kim Closer", "email": "kim@sellers.test"}]
LEAD = f"lee@{LEAD_DOMAIN}"


def _settings(tmp_path, dovecot, sink, database_url, broker=None, webhook_url=None, **agent_over):
    over = {}
    if broker is not None:
        over["mqtt"] = {"host": broker.host, "port": broker.port, "timeout_s": 5}
    handoff = {"retry_base_s": 0.05, "retry_max_s": 0.2, "poll_s": 0.5}
    if webhook_url:
        handoff["webhook"] = {"url": webhook_url, "secret": SECRET, "timeout_s": 5}
    agent_over.setdefault("sellers", SELLERS)
    return make_settings(tmp_path, [agent_dict(dovecot, sink, **agent_over)], database_url=database_url, handoff=handoff, **over)


async def _start(settings, **lead):
    app = await build_app(settings)
    agent = app.agents[0]
    fields = {"email": LEAD, "name": "Lee Lead", "company": "Globex", **lead}
    lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(**fields))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)
    return app, agent, lead_id


async def _reply(app, agent, dovecot, parent, text):
    await deliver(dovecot, agent.runtime.settings.address, reply_to(parent, sender=f"Lee Lead <{LEAD}>", body=text))
    await drain_once(app)


async def _events(app):
    async with app.sessionmaker() as s:
        return list(await s.scalars(select(Event).order_by(Event.id)))


async def test_conversation_ends_in_handoff_seller_mail_mqtt_and_webhook(tmp_path, dovecot, smtp_sink, database_url, mosquitto):
    async with WebhookReceiver() as hook:
        settings = _settings(tmp_path, dovecot, smtp_sink, database_url, mosquitto, hook.url)
        app, agent, lead_id = await _start(settings)
        try:
            async with Subscriber(mosquitto, f"sqa/{agent.runtime.name}/leads/+/handoff") as sub:
                last = (await smtp_sink.wait_for(1))[0]
                answers = ["Sounds interesting, tell me more.", "Reporting takes our analysts two days a month.",
                           "We need it by March.", "About 20k EUR is approved.", "I decide together with our CFO.",
                           "Can we book a demo next week?"]
                for text in answers:
                    await _reply(app, agent, dovecot, last, text)
                    async with app.sessionmaker() as s:
                        status = (await s.get(Lead, lead_id)).status
                    if status == "handed_over":
                        break
                    last = [m for m in await smtp_sink.wait_for(len(smtp_sink.messages)) if m.rcpt_tos == [LEAD]][-1]
                assert status == "handed_over"
                notice = next(m for m in await _wait_rcpt(smtp_sink, "sam@sellers.test"))
                msg = notice.message
                assert msg["Subject"] == "Qualified lead: Lee Lead (Globex)"
                assert msg["List-Unsubscribe"] is None and msg["From"].addresses[0].addr_spec == agent.runtime.settings.address
                body = msg.get_content()
                assert "Recommended next step:" in body and "BANT:" in body and "Lead id: " in body
                summary, thread = body.split("Conversation (oldest first):")
                assert "To stop receiving" not in summary
                assert thread.index("Sounds interesting") < thread.index("Reporting takes our analysts two days a month.")
                assert "--- Lead, " in thread and "--- Agent, " in thread
                (topic, payload, qos), = await sub.wait_for(1)
                assert topic == f"sqa/{agent.runtime.name}/leads/{lead_id}/handoff" and qos == 1
                assert payload["kind"] == "handoff" and payload["lead_id"] == lead_id and payload["agent"] == agent.runtime.name
                assert payload["seller"] == {"name": "Sam Seller", "email": "sam@sellers.test", "assigned_by": "round_robin"}
                assert payload["next_step"] and payload["summary"].startswith("Qualified lead:")
                assert set(payload["bant"]) >= {"need"} and all(v["evidence"] for v in payload["bant"].values())
                (req,) = await hook.wait_for(1)
                assert verify(SECRET.encode(), req.headers, req.body)
                assert not verify(b"another-secret-0000", req.headers, req.body)
                assert json.loads(req.body) == payload and req.headers["X-SQA-Event"] == str(payload["event_id"])
            (event,) = await _events(app)
            assert event.mqtt_sent_at and event.webhook_sent_at and event.next_attempt_at is None
            detail = await lead_detail(app.sessionmaker, lead_id)
            assert detail.lead.owner == "sam@sellers.test"
            steps = {(r.step, r.decision) for r in detail.runs}
            assert ("engage", "handoff") in steps and ("handoff", "handoff") in steps
        finally:
            await app.close()


async def _wait_rcpt(sink, rcpt, timeout=10.0):
    async def until():
        while not any(m.rcpt_tos == [rcpt] for m in sink.messages):
            await sink.wait_for(len(sink.messages) + 1, timeout=timeout)
    await asyncio.wait_for(until(), timeout)
    return [m for m in sink.messages if m.rcpt_tos == [rcpt]]


async def test_broker_down_event_published_after_restart(tmp_path, dovecot, smtp_sink, database_url):
    broker = MosquittoServer.start()
    try:
        settings = _settings(tmp_path, dovecot, smtp_sink, database_url, broker)
        app, agent, lead_id = await _start(settings)
        use_engine(app, ScriptedEngine(Step(Decision.HANDOFF, "Sam will be in touch.", intent=Intent.MEETING,
                                            signal="can we book a demo?", slots={"need": "reporting is slow"})))
        broker.stop()
        try:
            first = (await smtp_sink.wait_for(1))[0]
            await _reply(app, agent, dovecot, first, "Can we book a demo?")
            (event,) = await _events(app)
            assert event.mqtt_sent_at is None and event.attempts >= 1 and "mqtt" in event.last_error
        finally:
            await app.close()  # the daemon stops with the event still pending
        broker.restart()
        app = await build_app(settings)
        try:
            async with Subscriber(broker, "sqa/#") as sub:
                while not await app.publisher.publish_due():
                    await asyncio.sleep(0.05)  # its retry time (backoff) may still be ahead
                (topic, payload, _), = await sub.wait_for(1)
            assert topic.endswith(f"/leads/{lead_id}/handoff") and payload["next_step"] == "Book the demo the lead asked for."
            (event,) = await _events(app)
            assert event.mqtt_sent_at is not None and event.next_attempt_at is None
        finally:
            await app.close()
    finally:
        broker.close()


async def test_webhook_error_is_retried_until_2xx(tmp_path, dovecot, smtp_sink, database_url):
    async with WebhookReceiver() as hook:
        hook.status = 500
        settings = _settings(tmp_path, dovecot, smtp_sink, database_url, webhook_url=hook.url)
        app, agent, lead_id = await _start(settings)
        use_engine(app, ScriptedEngine(Step(Decision.HANDOFF, None, intent=Intent.QUOTE)))
        try:
            first = (await smtp_sink.wait_for(1))[0]
            await _reply(app, agent, dovecot, first, "Please send me a quote.")
            (event,) = await _events(app)
            assert event.webhook_sent_at is None and event.last_error == "webhook: HTTP 500" and event.mqtt_sent_at is None
            hook.status = 200
            while not await app.publisher.publish_due():
                await asyncio.sleep(0.05)
            (req,) = await hook.wait_for(1)
            assert verify(SECRET.encode(), req.headers, req.body) and json.loads(req.body)["kind"] == "handoff"
            (event,) = await _events(app)
            assert event.webhook_sent_at and event.attempts >= 2 and event.next_attempt_at is None
        finally:
            await app.close()


async def test_disqualify_with_reasons(tmp_path, dovecot, smtp_sink, database_url, mosquitto):
    settings = _settings(tmp_path, dovecot, smtp_sink, database_url, mosquitto)
    app, agent, lead_id = await _start(settings, owner="Kim Closer")  # the owner, by name among the sellers
    use_engine(app, ScriptedEngine(Step(Decision.DISQUALIFY, None, reasons=("a student, not a buyer",),
                                        intent=Intent.NOT_INTERESTED)))
    try:
        async with Subscriber(mosquitto, f"sqa/{agent.runtime.name}/leads/{lead_id}/disqualified") as sub:
            first = (await smtp_sink.wait_for(1))[0]
            await _reply(app, agent, dovecot, first, "I'm a student writing a thesis, just curious.")
            (_, payload, _), = await sub.wait_for(1)
        assert payload["kind"] == "disqualified" and payload["reasons"] == ["a student, not a buyer"]
        assert payload["seller"]["assigned_by"] == "owner"
        (notice,) = await _wait_rcpt(smtp_sink, "kim@sellers.test")
        assert notice.subject == "Disqualified: Lee Lead (Globex)" and "a student, not a buyer" in body_of(notice.raw)
        assert not [m for m in smtp_sink.messages if m.rcpt_tos == [LEAD]][1:]  # nothing more to the lead
        detail = await lead_detail(app.sessionmaker, lead_id)
        assert detail.lead.status == "disqualified" and "a student, not a buyer" in detail.lead.attention
        run = next(r for r in detail.runs if r.step == "engage")
        assert run.decision == "disqualify" and run.detail["reasons"] == ["a student, not a buyer"]
        assert (run.engine, run.model, run.tokens_in, run.tokens_out) == ("scripted", "script-1", 11, 7)
        assert run.latency_ms is not None
    finally:
        await app.close()


async def test_pause_sets_next_action_in_the_leads_time_zone(tmp_path, dovecot, smtp_sink, database_url):
    settings = _settings(tmp_path, dovecot, smtp_sink, database_url)
    app, agent, lead_id = await _start(settings, timezone="Europe/Berlin")
    use_engine(app, ScriptedEngine(Step(Decision.PAUSE, "Of course, I will write again then.", intent=Intent.DEFER,
                                        paused_until="2031-04-01")))
    try:
        first = (await smtp_sink.wait_for(1))[0]
        await _reply(app, agent, dovecot, first, "Busy now, contact me in April 2031.")
        answer = (await smtp_sink.wait_for(2))[1]
        assert "write again then" in body_of(answer.raw)
        detail = await lead_detail(app.sessionmaker, lead_id)
        assert detail.lead.status == "paused"
        assert detail.lead.next_action_at == datetime(2031, 4, 1, 7, 0, tzinfo=timezone.utc)  # 09:00 CEST
        assert not await _events(app)
    finally:
        await app.close()


async def test_escalate_no_mail_to_lead_seller_notified_attention_set(tmp_path, dovecot, smtp_sink, database_url):
    settings = _settings(tmp_path, dovecot, smtp_sink, database_url)
    app, agent, lead_id = await _start(settings)
    use_engine(app, ScriptedEngine(Step(Decision.ESCALATE, None, intent=Intent.QUESTION,
                                        reasons=("blocked: the knowledge does not answer it",),
                                        open_questions=("Do you support SAP HANA?",))))
    try:
        first = (await smtp_sink.wait_for(1))[0]
        await _reply(app, agent, dovecot, first, "Do you support SAP HANA?")
        (notice,) = await _wait_rcpt(smtp_sink, "sam@sellers.test")
        assert notice.subject == "Needs a human: Lee Lead (Globex)"
        text = body_of(notice.raw)
        assert "Do you support SAP HANA?" in text and "Answer the lead's open question" in text
        assert [m.rcpt_tos for m in smtp_sink.messages].count([LEAD]) == 1  # only the first mail, no reply
        detail = await lead_detail(app.sessionmaker, lead_id)
        assert detail.lead.status == "qualifying"
        assert "needs a human" in detail.lead.attention and "SAP HANA" in detail.lead.attention
        (event,) = await _events(app)
        assert event.kind == "escalated" and event.payload["open_questions"] == ["Do you support SAP HANA?"]
    finally:
        await app.close()


async def test_round_robin_survives_restart(tmp_path, dovecot, smtp_sink, database_url):
    settings = _settings(tmp_path, dovecot, smtp_sink, database_url)
    seen = []
    for n in range(3):
        app = await build_app(settings)
        try:
            agent = app.agents[0]
            email = f"lead{n}@{LEAD_DOMAIN}"
            lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=email, name=f"L {n}", company="Co"))
            await queue_first_mails(app.sessionmaker, agent.runtime)
            await drain_once(app)
            first = next(m for m in smtp_sink.messages if m.rcpt_tos == [email])
            use_engine(app, ScriptedEngine(Step(Decision.HANDOFF, None, intent=Intent.HUMAN)))
            await deliver(dovecot, agent.runtime.settings.address, reply_to(first, sender=email, body="Call me please."))
            await drain_once(app)
            async with app.sessionmaker() as s:
                seen.append((await s.get(Lead, lead_id)).owner)
        finally:
            await app.close()  # a restart between leads
    assert seen == ["sam@sellers.test", "kim@sellers.test", "sam@sellers.test"]


async def test_agent_runs_record_each_decision(tmp_path, dovecot, smtp_sink, database_url):
    settings = _settings(tmp_path, dovecot, smtp_sink, database_url)
    app, agent, lead_id = await _start(settings)
    use_engine(app, ScriptedEngine(Step(Decision.REPLY, "What does reporting cost you today?", intent=Intent.QUESTION)))
    try:
        first = (await smtp_sink.wait_for(1))[0]
        await _reply(app, agent, dovecot, first, "Tell me more.")
        async with app.sessionmaker() as s:
            runs = list(await s.scalars(select(AgentRun).where(AgentRun.lead_id == lead_id, AgentRun.step == "engage")))
        (run,) = runs
        assert run.decision == "reply" and run.detail["intent"] == "question" and run.engine == "scripted"
    finally:
        await app.close()


async def test_running_daemon_publishes_after_the_batch(tmp_path, dovecot, smtp_sink, database_url, mosquitto):
    settings = _settings(tmp_path, dovecot, smtp_sink, database_url, mosquitto)
    app, agent, lead_id = await _start(settings)
    use_engine(app, ScriptedEngine(Step(Decision.HANDOFF, None, intent=Intent.MEETING)))
    sup = Supervisor(app)
    assert "handoff-publisher" in [s.name for s in sup.services()]
    runner = asyncio.create_task(sup.run())
    try:
        async with Subscriber(mosquitto, f"sqa/{agent.runtime.name}/leads/{lead_id}/handoff") as sub:
            first = (await smtp_sink.wait_for(1))[0]
            await asyncio.wait_for(agent.watcher.first_login.wait(), 10)
            await deliver(dovecot, agent.runtime.settings.address, reply_to(first, sender=LEAD, body="Let's meet."))
            (_, payload, qos), = await sub.wait_for(1, timeout=20)  # woken by the batch, not the 0.5 s poll alone
            assert payload["lead_id"] == lead_id and qos == 1
    finally:
        sup.stop.set()
        assert await asyncio.wait_for(runner, 20) == 0
        await app.close()


async def test_erasure_deletes_the_leads_events(tmp_path, dovecot, smtp_sink, database_url):
    settings = _settings(tmp_path, dovecot, smtp_sink, database_url)
    app, agent, lead_id = await _start(settings)
    use_engine(app, ScriptedEngine(Step(Decision.HANDOFF, None, intent=Intent.HUMAN)))
    try:
        first = (await smtp_sink.wait_for(1))[0]
        await _reply(app, agent, dovecot, first, "Have someone call me.")
        assert len(await _events(app)) == 1
        await erase_lead(app.sessionmaker, lead_id, actor="test")
        assert await _events(app) == []  # the payload names the lead: it goes with the lead (ON DELETE CASCADE)
    finally:
        await app.close()


async def test_a_leads_opt_out_cancels_mail_to_the_lead_but_not_the_sellers_notice(tmp_path, dovecot, smtp_sink,
                                                                                    database_url):
    """The notice is queued with the lead's id; the opt-out stops mail TO the lead, the seller still learns of it."""
    from sqa.consent import store as consent

    settings = _settings(tmp_path, dovecot, smtp_sink, database_url)
    app, agent, lead_id = await _start(settings)
    use_engine(app, ScriptedEngine(Step(Decision.HANDOFF, "Thanks, a colleague will be in touch.", intent=Intent.MEETING,
                                        reasons=("asked for a demo",))))
    try:
        first = (await smtp_sink.wait_for(1))[0]
        await deliver(dovecot, agent.runtime.settings.address,
                      reply_to(first, sender=f"Lee Lead <{LEAD}>", body="Can we book a demo next week?"))
        await agent.watcher.drain_once()  # handled: the closing words and the seller's notice are queued, not sent
        async with app.sessionmaker() as s, s.begin():
            change = await consent.opt_out(s, LEAD, agent_id=agent.runtime.id, scope=consent.Scope.ALL,
                                           source=consent.Source.ADMIN, gate=agent.runtime.gate)
        assert change.cancelled == 1  # the closing words to the lead
        await drain_once(app)
        (notice,) = await _wait_rcpt(smtp_sink, "sam@sellers.test")
        assert notice.subject.startswith("Qualified lead: Lee Lead")
        assert [m.rcpt_tos for m in smtp_sink.messages].count([LEAD]) == 1  # only the first mail
    finally:
        await app.close()
