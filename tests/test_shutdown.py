"""Graceful shutdown with sends in flight: nothing is left half-done, nothing is sent twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from sqlalchemy import select

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.db.models import Outbox, OutboxStatus
from sqa.leads import LeadInput, import_leads, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, make_settings

LEADS = 24
DATA_DELAY_S = 0.4  # per message: with 4 connections the backlog takes ~2.4 s, longer than the grace period
GRACE_S = 2.0


async def _statuses(app) -> dict[str, str]:
    async with app.sessionmaker() as session:
        return {m: s for m, s in (await session.execute(select(Outbox.message_id, Outbox.status)))}


async def test_stop_while_sending_finishes_in_flight_work_and_restart_sends_the_rest_once(tmp_path, dovecot, smtp_sink,
                                                                                         database_url, monkeypatch):
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=database_url,
                             daemon={"instance": "test", "grace_s": GRACE_S, "hard_deadline_s": GRACE_S + 1})
    app = await build_app(settings)
    agent = app.agents[0]
    rows = [(n + 2, {"email": f"lead{n}@{LEAD_DOMAIN}", "name": f"Lead {n}"}, None) for n in range(LEADS)]
    assert (await import_leads(app.sessionmaker, agent.runtime.id, rows)).added == LEADS
    assert len(await queue_first_mails(app.sessionmaker, agent.runtime)) == LEADS

    handler = smtp_sink._handler
    fast_data = handler.handle_DATA

    async def slow_data(server, session, envelope):  # noqa: ANN001, ANN202
        await asyncio.sleep(DATA_DELAY_S)  # a slow submission server
        return await fast_data(server, session, envelope)

    monkeypatch.setattr(handler, "handle_DATA", slow_data)
    sup = Supervisor(app)
    runner = asyncio.create_task(sup.run())
    try:
        await smtp_sink.wait_for(2, timeout=10)  # sends are in flight now
        stopped_at = time.monotonic()
        sup.stop.set()
        code = await asyncio.wait_for(runner, GRACE_S + 5)
        took = time.monotonic() - stopped_at
        assert code == 0
        assert took < GRACE_S, f"shutdown took {took:.1f} s, the grace period is {GRACE_S} s"
    finally:
        sup.stop.set()
        if not runner.done():
            runner.cancel()
        await app.close()

    statuses = await _statuses_after(settings)
    counts = Counter(statuses.values())
    assert set(counts) <= {OutboxStatus.SENT, OutboxStatus.QUEUED}, counts  # never left `sending`
    assert counts[OutboxStatus.QUEUED] > 0, "the whole backlog was sent: the test did not stop anything in flight"
    at_sink = Counter(m.message_id for m in smtp_sink.messages)
    assert max(at_sink.values()) == 1
    assert set(at_sink) == {m for m, s in statuses.items() if s == OutboxStatus.SENT}

    # a restarted daemon sends the remaining ones, each exactly once
    monkeypatch.setattr(handler, "handle_DATA", fast_data)
    app = await build_app(settings)
    try:
        await drain_once(app)
        await drain_once(app)
        statuses = await _statuses(app)
    finally:
        await app.close()
    assert set(statuses.values()) == {OutboxStatus.SENT}
    at_sink = Counter(m.message_id for m in smtp_sink.messages)
    assert len(at_sink) == LEADS and set(at_sink.values()) == {1}


async def _statuses_after(settings) -> dict[str, str]:  # noqa: ANN001
    app = await build_app(settings)
    try:
        return await _statuses(app)
    finally:
        await app.close()
