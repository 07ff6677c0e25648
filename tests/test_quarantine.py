"""A message that cannot be read or handled is quarantined with its reason; the rest goes on."""

from __future__ import annotations

import asyncio
from email import message_from_bytes

import pytest
from sqlalchemy import select

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.db.models import AgentRun, Direction, MailboxState, Message
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to

NO_HEADERS = b"this is not a mail at all\r\njust some lines\r\nwithout any header\r\n"
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(128, 256)) * 8


async def _setup(tmp_path, dovecot, sink, database_url, leads: int = 1):
    settings = make_settings(tmp_path, [agent_dict(dovecot, sink)], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0]
    for n in range(leads):
        await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"lead{n}@{LEAD_DOMAIN}", name=f"Lead {n}"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)  # first connect ("from now on") and the first mails
    firsts = await sink.wait_for(leads)
    return app, agent, sorted(firsts, key=lambda m: m.rcpt_tos[0])


async def _inbound(app) -> list[Message]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Message).where(Message.direction == Direction.IN).order_by(Message.uid)))


async def _flags_by_uid(dovecot, address) -> dict[int, set[str]]:
    return {m.uid: set(m.flags) for m in await dovecot.fetch_all(address)}


@pytest.mark.parametrize("how, raw, reason", [
    ("seed", NO_HEADERS, "no headers"),
    ("seed", BINARY, "no headers"),
    ("lmtp", BINARY, "no readable From address"),  # LMTP adds Received/Delivered-To, still no sender
], ids=["no-headers", "binary", "binary-over-lmtp"])
async def test_unreadable_message_is_quarantined_and_the_next_one_answered(tmp_path, dovecot, smtp_sink, database_url, how,
                                                                           raw, reason):
    app, agent, [first] = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    address = agent.runtime.settings.address
    try:
        if how == "seed":
            dovecot.seed(address, [raw])
        else:
            await deliver(dovecot, address, raw)
        await deliver(dovecot, address, reply_to(first, sender=f"lead0@{LEAD_DOMAIN}", body="Tell me more.",
                                                 message_id="<after-garbage@lead.test>"))
        await drain_once(app)

        rows = await _inbound(app)
        assert sorted(r.kind for r in rows) == ["human", "quarantine"]
        bad = next(r for r in rows if r.kind == "quarantine")
        good = next(r for r in rows if r.kind == "human")
        assert bad.reason == reason
        assert bad.lead_id is None
        assert good.message_id == "<after-garbage@lead.test>"
        answers = smtp_sink.by_in_reply_to().get("<after-garbage@lead.test>", [])
        assert len(answers) == 1
        flags = await _flags_by_uid(dovecot, address)
        assert "$SQAQuarantined" in flags[bad.uid] and "$SQAProcessed" not in flags[bad.uid]
        assert "$SQAProcessed" in flags[good.uid] and "$SQAQuarantined" not in flags[good.uid]
        async with app.sessionmaker() as session:
            state = await session.scalar(select(MailboxState))
        assert state.last_uid == max(bad.uid, good.uid)  # the cursor moved past both: nothing is retried forever
        await drain_once(app)
        assert len(await _inbound(app)) == 2 and len(smtp_sink.messages) == 2
    finally:
        await app.close()


@pytest.mark.allow_logged_errors  # the failed batch is logged with its traceback, by design
async def test_message_whose_handling_raises_is_quarantined_and_the_batch_goes_on(tmp_path, dovecot, smtp_sink,
                                                                                  database_url, monkeypatch, caplog):
    app, agent, firsts = await _setup(tmp_path, dovecot, smtp_sink, database_url, leads=3)
    address = agent.runtime.settings.address
    engage = agent.watcher.processor.engage
    real_respond = engage.respond
    calls: list[str] = []

    async def exploding_respond(agent_settings, lead, reply_text):  # noqa: ANN001, ANN202
        calls.append(reply_text)
        if "KABOOM" in reply_text:
            raise RuntimeError("engine exploded on this text")
        return await real_respond(agent_settings, lead, reply_text)

    monkeypatch.setattr(engage, "respond", exploding_respond)
    sup = Supervisor(app)
    runner = asyncio.create_task(sup.run())
    try:
        await asyncio.wait_for(agent.watcher.first_login.wait(), 10)
        await asyncio.sleep(0.5)  # the watcher enters IDLE
        texts = ["Sounds interesting.", "KABOOM please", "Tell me more."]
        for n, (first, text) in enumerate(zip(firsts, texts)):
            assert first.rcpt_tos == [f"lead{n}@{LEAD_DOMAIN}"]
        # all three in one mailbox update, so the watcher fetches them as one batch
        dovecot.seed(address, [reply_to(first, sender=f"lead{n}@{LEAD_DOMAIN}", body=text, message_id=f"<q{n}@lead.test>")
                               for n, (first, text) in enumerate(zip(firsts, texts))])
        await smtp_sink.wait_for(5, timeout=15)  # 3 first mails + 2 answers

        assert any("batch of 3 failed" in r.getMessage() for r in caplog.records)  # they came as one batch
        rows = {r.message_id: r for r in await _inbound(app)}
        assert rows["<q1@lead.test>"].kind == "quarantine"
        assert "RuntimeError: engine exploded on this text" in rows["<q1@lead.test>"].reason
        assert rows["<q0@lead.test>"].kind == rows["<q2@lead.test>"].kind == "human"
        answered = smtp_sink.by_in_reply_to()
        assert len(answered["<q0@lead.test>"]) == 1 and len(answered["<q2@lead.test>"]) == 1
        assert "<q1@lead.test>" not in answered
        async with app.sessionmaker() as session:
            runs = list(await session.scalars(select(AgentRun).where(AgentRun.step == "quarantine")))
        assert [r.message_id for r in runs] == ["<q1@lead.test>"]
        flags = await _flags_by_uid(dovecot, address)
        assert "$SQAQuarantined" in flags[rows["<q1@lead.test>"].uid]
        assert "$SQAProcessed" in flags[rows["<q0@lead.test>"].uid]

        # the watcher is still alive: the next reply is answered, the quarantined one is not retried
        calls.clear()
        await deliver(dovecot, address, reply_to(firsts[1], sender=f"lead1@{LEAD_DOMAIN}", body="Sorry, by March.",
                                                 message_id="<q3@lead.test>"))
        await smtp_sink.wait_for(6, timeout=15)
        assert len(smtp_sink.by_in_reply_to()["<q3@lead.test>"]) == 1
        assert len(calls) == 1 and calls[0].startswith("Sorry, by March.")  # KABOOM is not handled again
        assert message_from_bytes(smtp_sink.messages[-1].raw)["To"].endswith(f"<lead1@{LEAD_DOMAIN}>")
    finally:
        sup.stop.set()
        code = await asyncio.wait_for(runner, 20)
        await app.close()
    assert code == 0
