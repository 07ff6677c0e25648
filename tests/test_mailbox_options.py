"""A copy of each sent mail lands in the Sent folder (when asked), and polling works without IDLE."""

from __future__ import annotations

import asyncio
from email import message_from_bytes

from sqlalchemy import select

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.db.models import AgentRun, Lead, Message, Outbox
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to


async def test_sent_copy_saved_once_in_special_use_sent(tmp_path, dovecot, smtp_sink, database_url):
    agent_cfg = agent_dict(dovecot, smtp_sink, smtp={"save_sent": "always"})
    app = await build_app(make_settings(tmp_path, [agent_cfg], database_url=database_url))
    try:
        agent = app.agents[0]
        await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"sue@{LEAD_DOMAIN}", name="Sue"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        await drain_once(app)
        await drain_once(app)  # nothing new: no second copy
        sent = await dovecot.list_messages(agent_cfg["address"], "Sent")
        assert len(sent) == 1
        captured = (await smtp_sink.wait_for(1))[0]
        assert message_from_bytes(sent[0])["Message-ID"] == captured.message_id
        async with app.sessionmaker() as s:
            assert [r.sent_copy for r in await s.scalars(select(Outbox))] == ["saved"]
    finally:
        await app.close()


async def test_every_pending_sent_copy_is_saved_in_one_drain(tmp_path, dovecot, smtp_sink, database_url):
    agent_cfg = agent_dict(dovecot, smtp_sink, smtp={"save_sent": "always"})
    app = await build_app(make_settings(tmp_path, [agent_cfg], database_url=database_url))
    try:
        agent = app.agents[0]
        agent.copier.batch = 2  # more pending copies than one batch
        for i in range(5):
            await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"c{i}@{LEAD_DOMAIN}", name=f"C{i}"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        await drain_once(app)
        await smtp_sink.wait_for(5)
        assert len(await dovecot.list_messages(agent_cfg["address"], "Sent")) == 5
    finally:
        await app.close()


async def test_save_sent_never_leaves_sent_folder_empty(tmp_path, dovecot, smtp_sink, database_url):
    agent_cfg = agent_dict(dovecot, smtp_sink, smtp={"save_sent": "never"})
    app = await build_app(make_settings(tmp_path, [agent_cfg], database_url=database_url))
    try:
        agent = app.agents[0]
        await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"sam@{LEAD_DOMAIN}", name="Sam"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        await drain_once(app)
        await smtp_sink.wait_for(1)
        assert await dovecot.list_messages(agent_cfg["address"], "Sent") == []
    finally:
        await app.close()


async def test_polling_when_idle_is_off(tmp_path, dovecot, smtp_sink, database_url):
    agent_cfg = agent_dict(dovecot, smtp_sink, imap={"idle": False, "poll_interval_s": 0.3})
    app = await build_app(make_settings(tmp_path, [agent_cfg], database_url=database_url))
    agent = app.agents[0]
    await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"pat@{LEAD_DOMAIN}", name="Pat"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    sup = Supervisor(app)
    runner = asyncio.create_task(sup.run())
    try:
        first = (await smtp_sink.wait_for(1))[0]
        await asyncio.wait_for(agent.watcher.first_login.wait(), 10)
        await deliver(dovecot, agent_cfg["address"], reply_to(first, sender=f"pat@{LEAD_DOMAIN}", body="Tell me more"))
        answer = (await smtp_sink.wait_for(2, timeout=10))[1]
        assert answer.in_reply_to is not None
    finally:
        sup.stop.set()
        assert await asyncio.wait_for(runner, 20) == 0
        await app.close()


async def test_oversized_message_is_read_only_up_to_the_limit(tmp_path, dovecot, smtp_sink, database_url):
    agent_cfg = agent_dict(dovecot, smtp_sink, imap={"max_message_bytes": 65536})
    app = await build_app(make_settings(tmp_path, [agent_cfg], database_url=database_url))
    try:
        agent = app.agents[0]
        lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"big@{LEAD_DOMAIN}", name="Bo"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        await drain_once(app)
        first = (await smtp_sink.wait_for(1))[0]
        body = "We need help with reporting.\n" + ("attachment-ish filler line\n" * 20000)
        await deliver(dovecot, agent_cfg["address"], reply_to(first, sender=f"big@{LEAD_DOMAIN}", body=body))
        await drain_once(app)
        await smtp_sink.wait_for(2)  # answered although only the first 64 KiB were read
        async with app.sessionmaker() as s:
            runs = list(await s.scalars(select(AgentRun).where(AgentRun.lead_id == lead_id, AgentRun.step == "classify")))
        assert runs[-1].detail["truncated"].startswith("read 65536 of ")
    finally:
        await app.close()


async def test_parsing_and_classifying_in_a_worker_process(tmp_path, dovecot, smtp_sink, database_url):
    """daemon.analyze_workers = 1: same answers, same quarantine, the CPU work on another core."""
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=database_url,
                             daemon={"instance": "test", "grace_s": 5, "hard_deadline_s": 10, "analyze_workers": 1})
    app = await build_app(settings)
    try:
        assert app.analyzer is not None and app.analyzer.workers == 1
        agent = app.agents[0]
        lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"wo@{LEAD_DOMAIN}", name="Wo"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        await drain_once(app)
        first = (await smtp_sink.wait_for(1))[0]
        address = agent.runtime.settings.address
        await deliver(dovecot, address, b"\x00\x01\x02 not a mail at all")
        await deliver(dovecot, address, reply_to(first, sender=f"wo@{LEAD_DOMAIN}", body="Tell me more, please."))
        await drain_once(app)
        answer = (await smtp_sink.wait_for(2))[1]
        assert "What problem" in message_from_bytes(answer.raw).get_payload(decode=True).decode()
        async with app.sessionmaker() as s:
            kinds = sorted(m.kind for m in await s.scalars(select(Message).where(Message.direction == "in")))
            lead = await s.get(Lead, lead_id)
        assert kinds == ["human", "quarantine"] and lead.status == "qualifying"
    finally:
        await app.close()


async def test_a_dead_analysis_worker_is_not_the_mails_fault(tmp_path):
    """A worker killed mid-batch: the batch is analysed in the loop instead, nothing is quarantined."""
    import os
    import signal

    from sqa.mailbox.analyze import Analyzer
    from tests.corpus_eval import CORPUS, CTX, labels

    raws = [(CORPUS / "messages" / c["file"]).read_bytes() for c in labels()[:20]]
    analyzer = Analyzer(1)
    try:
        first = await analyzer.run(raws, CTX)
        for pid in list(analyzer._pool._processes):  # the OOM killer, say
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        again = await analyzer.run(raws, CTX)
        assert [v.kind for _, v in again] == [v.kind for _, v in first]
        assert [v.kind for _, v in await analyzer.run(raws, CTX)] == [v.kind for _, v in first]  # fresh workers
    finally:
        analyzer.close()
