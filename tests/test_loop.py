"""The engagement loop end to end: IMAP -> record -> classify -> engage -> outbox -> SMTP."""

from __future__ import annotations

import asyncio
from email import message_from_bytes

from sqlalchemy import func, select

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.db.models import AgentRun, Lead, Message, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead, lead_detail, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to


async def _setup(tmp_path, dovecot, sink, database_url, **agent_over):
    settings = make_settings(tmp_path, [agent_dict(dovecot, sink, **agent_over)], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0]
    lead_id = await add_lead(app.sessionmaker, agent.runtime.id,
                             LeadInput(email=f"lee@{LEAD_DOMAIN}", name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)  # first connect: "from now on"; sends the first mail
    return app, agent, lead_id


async def test_reply_gets_next_bant_question_in_thread(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    try:
        first = (await smtp_sink.wait_for(1))[0]
        assert first.rcpt_tos == [f"lee@{LEAD_DOMAIN}"]
        first_body = message_from_bytes(first.raw).get_payload(decode=True).decode()
        assert first_body.startswith("Hello Lee,") and first_body.count("Hello Lee,") == 1  # one greeting
        reply = reply_to(first, sender=f"Lee Lead <lee@{LEAD_DOMAIN}>", body="Sounds interesting, tell me more.",
                         message_id="<r1@lead.test>")
        await deliver(dovecot, agent.runtime.settings.address, reply)
        await drain_once(app)
        answer = (await smtp_sink.wait_for(2))[1]
        msg = message_from_bytes(answer.raw)
        assert msg["In-Reply-To"] == "<r1@lead.test>"
        assert msg["References"].split() == [first.message_id, "<r1@lead.test>"]
        assert msg["Subject"] == "Re: " + message_from_bytes(first.raw)["Subject"]
        assert "What problem are you hoping to solve" in msg.get_payload(decode=True).decode()
        detail = await lead_detail(app.sessionmaker, lead_id)
        assert detail.lead.status == "qualifying"
        assert detail.lead.bant["asked"] == ["need"]
        assert [o.status for o in detail.outbox] == [OutboxStatus.SENT, OutboxStatus.SENT]
        assert all(o.sent_at is not None and o.sent_at.tzinfo is not None for o in detail.outbox)
    finally:
        await app.close()


async def test_four_turns_then_closing_and_handoff(tmp_path, dovecot, smtp_sink, database_url):
    # all four BANT dimensions before a handoff (the default rule hands off at two: test_default_rule_hands_off...)
    app, agent, lead_id = await _setup(tmp_path, dovecot, smtp_sink, database_url, qualification={"min_bant": 4})
    address = agent.runtime.settings.address
    try:
        last = (await smtp_sink.wait_for(1))[0]
        answers = ["Tell me more.", "Reporting takes our analysts two days a month.", "By March.",
                   "About 20k EUR is approved.", "I decide together with our CFO."]
        expected = ["What problem", "By when", "budget", "who else", "pass your answers to Sam Seller"]
        for turn, (text, want) in enumerate(zip(answers, expected), start=1):
            await deliver(dovecot, address, reply_to(last, sender=f"lee@{LEAD_DOMAIN}", body=text))
            await drain_once(app)
            last = (await smtp_sink.wait_for(turn + 1))[-1]
            assert want in message_from_bytes(last.raw).get_payload(decode=True).decode(), turn
        detail = await lead_detail(app.sessionmaker, lead_id)
        assert detail.lead.status == "handed_over"
        slots = detail.lead.bant["slots"]
        assert slots["need"]["evidence"].startswith("Reporting takes")
        assert slots["authority"]["evidence"].startswith("I decide")
        steps = [(r.step, r.decision) for r in detail.runs]
        assert ("engage", "handoff") in steps and ("classify", "human") in steps
        # a sixth reply after the handoff is recorded but not answered
        await deliver(dovecot, address, reply_to(last, sender=f"lee@{LEAD_DOMAIN}", body="Any news?"))
        await drain_once(app)
        await asyncio.sleep(0.3)
        assert len(smtp_sink.messages) == 6
    finally:
        await app.close()


async def test_default_rule_hands_off_at_two_bant_dimensions(tmp_path, dovecot, smtp_sink, database_url):
    """Positive interest and two BANT dimensions known (need, timeline): the seller takes over at once."""
    app, agent, lead_id = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    address = agent.runtime.settings.address
    try:
        last = (await smtp_sink.wait_for(1))[0]
        answers = ["Sounds interesting, tell me more.", "Reporting takes our analysts two days a month.",
                   "We need it running by March, and I decide together with our CFO."]
        expected = ["What problem", "By when", "pass your answers to Sam Seller"]
        for turn, (text, want) in enumerate(zip(answers, expected), start=1):
            await deliver(dovecot, address, reply_to(last, sender=f"lee@{LEAD_DOMAIN}", body=text))
            await drain_once(app)
            last = (await smtp_sink.wait_for(turn + 1))[-1]
            assert want in message_from_bytes(last.raw).get_payload(decode=True).decode(), turn
        detail = await lead_detail(app.sessionmaker, lead_id)
        assert detail.lead.status == "handed_over"
        assert set(detail.lead.bant["slots"]) == {"need", "timeline", "authority"}  # both answers of the last mail
        assert detail.lead.bant["slots"]["timeline"]["evidence"].startswith("We need it running by March")
    finally:
        await app.close()


async def test_daemon_answers_over_idle_push(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    sup = Supervisor(app)
    runner = asyncio.create_task(sup.run())
    try:
        first = (await smtp_sink.wait_for(1))[0]
        await asyncio.wait_for(agent.watcher.first_login.wait(), 10)
        await asyncio.sleep(0.5)  # the watcher enters IDLE
        await deliver(dovecot, agent.runtime.settings.address,
                      reply_to(first, sender=f"lee@{LEAD_DOMAIN}", body="Interesting."))
        answer = (await smtp_sink.wait_for(2, timeout=15))[1]
        assert message_from_bytes(answer.raw)["In-Reply-To"] is not None
    finally:
        sup.stop.set()
        assert await asyncio.wait_for(runner, 20) == 0
        await app.close()
