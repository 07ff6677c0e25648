"""What each kind of inbound mail does to a lead, driven through the daemon."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from sqa.consent import store as consent
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import AgentRun, ConsentEvent, Lead, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, new_mail, reply_to

LEAD = f"lee@{LEAD_DOMAIN}"


async def _started(tmp_path, dovecot, sink, database_url):
    app = await build_app(make_settings(tmp_path, [agent_dict(dovecot, sink)], database_url=database_url))
    agent = app.agents[0]
    lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)
    first = (await sink.wait_for(1))[0]
    return app, agent, lead_id, first


async def _lead(app, lead_id):
    async with app.sessionmaker() as s:
        return await s.get(Lead, lead_id)


async def test_out_of_office_pauses_the_lead_and_gets_no_answer(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        ooo = reply_to(first, sender=LEAD, body="I am out of the office.",
                       extra_headers={"Auto-Submitted": "auto-replied"})
        await deliver(dovecot, agent.runtime.settings.address, ooo)
        await drain_once(app)
        await asyncio.sleep(0.3)
        assert len(smtp_sink.messages) == 1  # no answer to a machine
        lead = await _lead(app, lead_id)
        assert lead.status == "paused"
        assert lead.next_action_at is not None and lead.next_action_at - lead.updated_at > timedelta(days=6)
        assert lead.bant == {} or not lead.bant.get("asked")  # never counted as a reply
    finally:
        await app.close()


async def test_opt_out_between_queueing_and_sending_stops_the_mail(tmp_path, dovecot, smtp_sink, database_url):
    """Consent is a gate at send time: a reply queued before the opt-out never leaves."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        await deliver(dovecot, agent.runtime.settings.address, reply_to(first, sender=LEAD, body="Tell me more."))
        await agent.watcher.drain_once()  # handled: a reply is queued, not sent yet
        async with app.sessionmaker() as s:
            queued = list(await s.scalars(select(Outbox).where(Outbox.status == OutboxStatus.QUEUED)))
        assert len(queued) == 1
        async with app.sessionmaker() as s, s.begin():  # e.g. the one-click link, an admin
            await consent.record(s, LEAD.upper(), agent_id=None, scope=consent.Scope.ALL,
                                 action=consent.Action.OPT_OUT, source=consent.Source.ADMIN, actor="test")
        assert await agent.sender.drain() == 0
        await asyncio.sleep(0.2)
        assert len(smtp_sink.messages) == 1
        async with app.sessionmaker() as s:
            row = await s.get(Outbox, queued[0].id)
            runs = list(await s.scalars(select(AgentRun).where(AgentRun.step == "send", AgentRun.decision == "suppressed")))
        assert row.status == OutboxStatus.CANCELLED and "opted out (admin" in row.last_reply
        assert len(runs) == 1
        # an opt-in afterwards (newest event wins) lets later mail through again; the cancelled one stays cancelled
        async with app.sessionmaker() as s, s.begin():
            await consent.record(s, LEAD, agent_id=None, scope=consent.Scope.ALL, action=consent.Action.OPT_IN,
                                 source=consent.Source.ADMIN, actor="test")
            assert await consent.suppressed(s, [LEAD], agent.runtime.id) == {}
    finally:
        await app.close()


async def test_agent_scoped_opt_out_leaves_other_agents_alone(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        async with app.sessionmaker() as s, s.begin():
            await consent.record(s, LEAD, agent_id=agent.runtime.id, scope=consent.Scope.AGENT,
                                 action=consent.Action.OPT_OUT, source=consent.Source.ADMIN)
            assert LEAD in await consent.suppressed(s, [LEAD], agent.runtime.id)
            assert await consent.suppressed(s, [LEAD], agent.runtime.id + 1000) == {}
            events = list(await s.scalars(select(ConsentEvent)))
        assert [(e.action, e.scope) for e in events] == [("opt_out", "agent")]
    finally:
        await app.close()
