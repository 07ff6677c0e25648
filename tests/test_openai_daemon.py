"""The daemon with engine.kind = openai against the fake server: reply mail, agent_runs, minimal payload."""

from __future__ import annotations

import json
from email import message_from_bytes

from sqlalchemy import select

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import AgentRun
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.sandbox.openai_server import count_tokens
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to

LEAD = LeadInput(email=f"lee.private@{LEAD_DOMAIN}", name="Lee Leadington", company="Globex", title="CTO",
                 language="en", timezone="Pacific/Chatham", owner="owner-olga@seller.test", source="purchased-list-7731")
NEVER_SENT = ("lee.private", LEAD_DOMAIN, "Leadington", "Pacific/Chatham", "owner-olga", "seller.test",
              "purchased-list-7731")


async def test_a_reply_is_answered_through_the_openai_engine(tmp_path, dovecot, smtp_sink, database_url, fake_openai):
    engine = {"kind": "openai", "base_url": fake_openai.base_url, "allowed_hosts": ["127.0.0.1"],
              "model": "fake-model-1", "timeout_s": 10, "max_retries": 1, "fallback_offline": False}
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=database_url, engine=engine)
    app = await build_app(settings)
    try:
        agent = app.agents[0]
        lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LEAD)
        await queue_first_mails(app.sessionmaker, agent.runtime)
        await drain_once(app)
        first = (await smtp_sink.wait_for(1))[0]
        reply = reply_to(first, sender=f"Lee Leadington <{LEAD.email}>", message_id="<r1@lead.test>",
                         body="Sounds interesting. Reporting takes our analysts two days a month.")
        await deliver(dovecot, agent.runtime.settings.address, reply)
        await drain_once(app)
        answer = (await smtp_sink.wait_for(2))[1]
        msg = message_from_bytes(answer.raw)
        assert msg["In-Reply-To"] == "<r1@lead.test>" and answer.rcpt_tos == [LEAD.email]
        body = msg.get_payload(decode=True).decode()
        assert "What problem are you hoping to solve" in body  # the fake model asked the first BANT question

        [request] = fake_openai.requests
        assert request["model"] == "fake-model-1"
        sent = json.dumps(request, ensure_ascii=False) + "\n".join(m["content"] for m in request["messages"])
        assert "Reporting takes our analysts two days a month." in sent and '"first_name": "Lee"' in sent
        for private in NEVER_SENT:  # the allow-list: first name, company, title, language - nothing else
            assert private not in sent, private
        async with app.sessionmaker() as session:
            runs = (await session.scalars(select(AgentRun).where(AgentRun.lead_id == lead_id,
                                                                 AgentRun.step == "engage"))).all()
        [run] = runs
        assert (run.engine, run.model) == ("openai", "fake-model-1")
        assert run.tokens_in == sum(count_tokens(m["content"]) for m in request["messages"]) and run.tokens_out > 0
    finally:
        await app.agents[0].watcher.processor.engage.engine.close()  # App.close does not close the engine yet
        await app.close()
