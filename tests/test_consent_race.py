"""Opt-outs landing while the sender is claiming or sending that lead's mail (the send-time gate).

No mail is accepted by the SMTP server for an address after its opt-out committed:
a mail claimed but not yet sent is put back and cancelled from the log; a mail
already in the SMTP transaction finishes first, and the opt-out commits after it.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from sqa.consent import store as consent
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import AgentRun, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, make_settings
from tests.test_effects import _queue_follow_up

ANN = f"ann@{LEAD_DOMAIN}"
BOB = f"bob@{LEAD_DOMAIN}"


async def _app_with_two_leads(tmp_path, dovecot, sink, database_url):
    settings = make_settings(tmp_path, [agent_dict(dovecot, sink, smtp={"connections": 1})], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0]
    ann = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=ANN, name="Ann"))
    bob = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=BOB, name="Bob"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)
    await sink.wait_for(2)
    return app, agent, ann, bob


async def _opt_out(app, address) -> float:
    """An opt-out (as the one-click route records it); returns the wall time of its commit."""
    async with app.sessionmaker() as s, s.begin():
        await consent.opt_out(s, address, agent_id=app.agents[0].runtime.id, scope=consent.Scope.ALL,
                              source=consent.Source.ONE_CLICK, gate=app.agents[0].runtime.gate)
    return time.time()


async def _status(app, message_id):
    async with app.sessionmaker() as s:
        return await s.scalar(select(Outbox.status).where(Outbox.message_id == message_id))


async def test_an_opt_out_while_its_mail_is_claimed_but_not_yet_sent_stops_it(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, ann, bob = await _app_with_two_leads(tmp_path, dovecot, smtp_sink, database_url)
    try:
        to_bob = await _queue_follow_up(app, agent.runtime, bob)  # sent first (one connection, in order)
        to_ann = await _queue_follow_up(app, agent.runtime, ann)
        arrived, release = smtp_sink.pause_next_data()
        sending = asyncio.create_task(agent.sender.drain())
        await asyncio.wait_for(arrived.wait(), 10)  # both rows are claimed; Bob's is in the SMTP transaction
        assert await _status(app, to_ann) == OutboxStatus.SENDING
        committed = await asyncio.wait_for(_opt_out(app, ANN), 10)  # nothing in flight to Ann: commits at once
        release.set()
        await asyncio.wait_for(sending, 20)
        assert [m.rcpt_tos for m in smtp_sink.messages[2:]] == [[BOB]]
        assert all(m.received_wall < committed for m in smtp_sink.messages if ANN in m.rcpt_tos)
        assert await _status(app, to_bob) == OutboxStatus.SENT
        assert await _status(app, to_ann) == OutboxStatus.CANCELLED
        async with app.sessionmaker() as s:
            runs = list(await s.scalars(select(AgentRun).where(AgentRun.message_id == to_ann).order_by(AgentRun.id)))
        assert [(r.step, r.decision) for r in runs][-1] == ("send", "suppressed")
        assert "opted out (one_click" in runs[-1].detail["reason"]
    finally:
        await app.close()


async def test_an_opt_out_during_its_smtp_transaction_commits_after_the_servers_reply(tmp_path, dovecot, smtp_sink,
                                                                                      database_url):
    app, agent, ann, bob = await _app_with_two_leads(tmp_path, dovecot, smtp_sink, database_url)
    try:
        first = await _queue_follow_up(app, agent.runtime, ann)
        arrived, release = smtp_sink.pause_next_data()
        sending = asyncio.create_task(agent.sender.drain())
        await asyncio.wait_for(arrived.wait(), 10)  # Ann's mail is in the server's hands, not yet accepted
        opting_out = asyncio.create_task(_opt_out(app, ANN))
        await asyncio.sleep(0.5)
        assert not opting_out.done()  # waits for the transaction in flight
        release.set()
        committed = await asyncio.wait_for(opting_out, 10)
        await asyncio.wait_for(sending, 20)
        [accepted] = [m for m in smtp_sink.messages[2:] if ANN in m.rcpt_tos]
        assert accepted.received_wall <= committed  # accepted before the opt-out took effect, never after
        assert await _status(app, first) == OutboxStatus.SENT
        later = await _queue_follow_up(app, agent.runtime, ann)
        await agent.sender.drain()
        assert await _status(app, later) == OutboxStatus.CANCELLED
        assert len([m for m in smtp_sink.messages if ANN in m.rcpt_tos]) == 2  # the first mail and the one in flight
    finally:
        await app.close()
