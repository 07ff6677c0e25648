"""The loop and exactly-once, on SQLite and on PostgreSQL (same test bodies, one fixture)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from email import message_from_bytes

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from sqa.daemon.app import DatabaseNotReady, build_app
from sqa.daemon.supervisor import drain_once
from sqa.db import migrate
from sqa.db.models import Direction, Message, Outbox, OutboxStatus
from sqa.db.session import make_engine
from sqa.leads import LeadInput, add_lead, import_leads, lead_detail, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to

LEAD = f"lee@{LEAD_DOMAIN}"


@pytest_asyncio.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request, tmp_path):
    """A fresh, migrated database; PostgreSQL is migrated explicitly, as `sqa db upgrade` does."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shared' / 'sqa.db'}"
        return
    postgres = request.getfixturevalue("postgres")
    name = f"sqa_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    engine = make_engine(url)
    try:
        before, after = await migrate.upgrade(engine)
        assert before is None and after == migrate.head_revision()
    finally:
        await engine.dispose()
    yield url
    postgres.drop_database(name)


async def _setup(tmp_path, dovecot, sink, database_url, **agent_over):
    settings = make_settings(tmp_path / "state", [agent_dict(dovecot, sink, **agent_over)], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0]
    lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)
    first = (await sink.wait_for(1))[0]
    return app, agent, lead_id, first


async def test_reply_gets_next_bant_question_in_thread(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    try:
        assert first.rcpt_tos == [LEAD]
        reply = reply_to(first, sender=f"Lee Lead <{LEAD}>", body="Sounds interesting, tell me more.",
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


async def test_redelivered_message_and_reread_uid_are_answered_once(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    address = agent.runtime.settings.address
    try:
        raw = reply_to(first, sender=LEAD, body="Tell me more.", message_id="<pgdup@lead.test>")
        await deliver(dovecot, address, raw)
        await deliver(dovecot, address, raw)
        await drain_once(app)
        await drain_once(app)  # the same UIDs again: nothing new
        await deliver(dovecot, address, raw)  # and a late third copy
        await drain_once(app)
        assert len(smtp_sink.by_in_reply_to().get("<pgdup@lead.test>", [])) == 1
        assert len(smtp_sink.messages) == 2
        async with app.sessionmaker() as session:
            inbound = await session.scalar(select(func.count()).select_from(Message).where(
                Message.message_id == "<pgdup@lead.test>", Message.direction == Direction.IN))
            queued = await session.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.reply_to_message_id == "<pgdup@lead.test>"))
        assert (inbound, queued) == (1, 1)
    finally:
        await app.close()


async def test_two_daemons_on_one_database_send_each_mail_once(tmp_path, dovecot, smtp_sink, database_url):
    """Two instances (e.g. an old and a new one during a deploy) drain the same outbox at the same time."""
    agent = agent_dict(dovecot, smtp_sink)
    apps = []
    for n in (1, 2):
        settings = make_settings(tmp_path / f"state{n}", [agent], database_url=database_url,
                                 daemon={"instance": f"host{n}", "grace_s": 5, "hard_deadline_s": 10})
        apps.append(await build_app(settings))
    try:
        runtime = apps[0].agents[0].runtime
        assert apps[1].agents[0].runtime.id == runtime.id
        rows = [(n + 2, {"email": f"lead{n}@{LEAD_DOMAIN}"}, None) for n in range(40)]
        assert (await import_leads(apps[0].sessionmaker, runtime.id, rows)).added == 40
        await queue_first_mails(apps[0].sessionmaker, runtime)
        for a in apps:
            a.agents[0].sender.batch = 5  # many small claims, so the two really interleave
        sent = await asyncio.gather(*(a.agents[0].sender.drain() for a in apps))
        assert sum(sent) == 40
        counts = Counter(m.message_id for m in smtp_sink.messages)
        assert len(counts) == 40 and set(counts.values()) == {1}
    finally:
        for a in apps:
            await a.close()


@pytest.mark.postgres
async def test_build_app_refuses_an_unmigrated_postgres_database(tmp_path, dovecot, smtp_sink, postgres):
    name = f"sqa_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    try:
        settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=url)
        with pytest.raises(DatabaseNotReady, match="sqa db upgrade"):
            await build_app(settings)
    finally:
        postgres.drop_database(name)
