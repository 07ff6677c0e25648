"""Exactly once on the inbound side: a re-delivered mail or a re-read UID is never answered twice,
not even after the server renumbered the mailbox (UIDVALIDITY change)."""

from __future__ import annotations

import asyncio
import os
from email import message_from_bytes

from sqlalchemy import func, select, update

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import Direction, MailboxState, Message, Outbox
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.sandbox import DovecotServer
from sqa.sandbox._proc import IS_ROOT
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to

LEAD = f"lee@{LEAD_DOMAIN}"


async def _setup(tmp_path, dovecot, sink, database_url, **agent_over):
    settings = make_settings(tmp_path, [agent_dict(dovecot, sink, **agent_over)], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0]
    await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)  # first connect ("from now on") and the first mail
    first = (await sink.wait_for(1))[0]
    return app, agent, first


def _answers_to(sink, message_id: str) -> list:
    return [m for m in sink.messages if m.in_reply_to == message_id]


async def _count(app, stmt) -> int:
    async with app.sessionmaker() as session:
        return int(await session.scalar(stmt))


async def _inbound_rows(app, message_id: str) -> int:
    return await _count(app, select(func.count()).select_from(Message).where(
        Message.message_id == message_id, Message.direction == Direction.IN))


async def _outbox_for(app, message_id: str) -> int:
    return await _count(app, select(func.count()).select_from(Outbox).where(Outbox.reply_to_message_id == message_id))


async def test_same_message_delivered_twice_in_one_batch_is_answered_once(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, first = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    address = agent.runtime.settings.address
    try:
        raw = reply_to(first, sender=f"Lee Lead <{LEAD}>", body="Tell me more.", message_id="<dup1@lead.test>")
        await deliver(dovecot, address, raw)
        await deliver(dovecot, address, raw)  # the provider hands the same mail over twice
        assert dovecot.message_count(address) == 2
        await drain_once(app)
        assert len(_answers_to(smtp_sink, "<dup1@lead.test>")) == 1
        assert len(smtp_sink.messages) == 2  # the first mail and one answer
        assert await _inbound_rows(app, "<dup1@lead.test>") == 1
        assert await _outbox_for(app, "<dup1@lead.test>") == 1
        # both copies are marked handled on the server (and nothing was marked read)
        fetched = await dovecot.fetch_all(address)
        assert all("$SQAProcessed" in m.flags for m in fetched), [m.flags for m in fetched]
        assert not any("\\Seen" in m.flags for m in fetched)
    finally:
        await app.close()


async def test_same_message_delivered_again_later_is_answered_once(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, first = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    address = agent.runtime.settings.address
    try:
        raw = reply_to(first, sender=LEAD, body="Tell me more.", message_id="<dup2@lead.test>")
        await deliver(dovecot, address, raw)
        await drain_once(app)
        assert len(_answers_to(smtp_sink, "<dup2@lead.test>")) == 1
        await deliver(dovecot, address, raw)  # a late duplicate, e.g. a retried delivery
        await drain_once(app)
        await drain_once(app)
        assert len(_answers_to(smtp_sink, "<dup2@lead.test>")) == 1
        assert len(smtp_sink.messages) == 2
        assert await _outbox_for(app, "<dup2@lead.test>") == 1
    finally:
        await app.close()


async def test_same_uid_read_twice_is_answered_once(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, first = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    address = agent.runtime.settings.address
    try:
        await deliver(dovecot, address, reply_to(first, sender=LEAD, body="Sounds good.", message_id="<uid1@lead.test>"))
        await drain_once(app)
        await drain_once(app)
        assert len(_answers_to(smtp_sink, "<uid1@lead.test>")) == 1
        # the cursor is lost (e.g. a restored backup): the same UID is fetched and handled again
        async with app.sessionmaker() as session, session.begin():
            state = await session.scalar(select(MailboxState).where(MailboxState.agent_id == agent.runtime.id))
            assert state is not None and state.last_uid >= 1
            await session.execute(update(MailboxState).where(MailboxState.id == state.id).values(last_uid=0))
        await drain_once(app)
        assert len(_answers_to(smtp_sink, "<uid1@lead.test>")) == 1
        assert len(smtp_sink.messages) == 2
        assert await _inbound_rows(app, "<uid1@lead.test>") == 1
        async with app.sessionmaker() as session:
            state = await session.scalar(select(MailboxState).where(MailboxState.agent_id == agent.runtime.id))
        assert state.last_uid >= 1  # the cursor moved past the re-read message again
    finally:
        await app.close()


def _renumber_inbox(dovecot: DovecotServer, user: str, next_uid: int) -> None:
    """With Dovecot stopped: drop its UID list and indexes and start the list at ``next_uid``.

    Dovecot then gives the INBOX a new UIDVALIDITY and new UIDs to every message.
    """
    md = dovecot.maildir(user)
    old = (md / "dovecot-uidlist").read_text().splitlines()[0].split()
    validity = int(next(tok[1:] for tok in old if tok.startswith("V")))
    for name in os.listdir(md):
        if name == "dovecot-uidlist" or name.startswith("dovecot.index"):
            os.remove(md / name)
    path = md / "dovecot-uidlist"
    path.write_text(f"3 V{validity + 1000} N{next_uid}\n")
    if IS_ROOT:
        st = os.stat(md)
        os.chown(path, st.st_uid, st.st_gid)


async def _uidvalidity(dovecot: DovecotServer, user: str) -> tuple[int, list[int]]:
    async with dovecot.imap(user) as client:
        resp = await client.select("INBOX")
    blob = b" ".join(bytes(line) for line in resp.lines)
    validity = int(blob.split(b"[UIDVALIDITY ", 1)[1].split(b"]", 1)[0])
    return validity, sorted(m.uid for m in await dovecot.fetch_all(user))


async def test_uidvalidity_change_does_not_answer_old_mail_again(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, first = await _setup(tmp_path, dovecot, smtp_sink, database_url)
    address = agent.runtime.settings.address
    try:
        for n in (1, 2):
            await deliver(dovecot, address, reply_to(first, sender=LEAD, body=f"Answer {n}.", message_id=f"<uv{n}@lead.test>"))
        await drain_once(app)
        assert len(smtp_sink.messages) == 3
        before_validity, before_uids = await _uidvalidity(dovecot, address)
        async with app.sessionmaker() as session:
            state = await session.scalar(select(MailboxState).where(MailboxState.agent_id == agent.runtime.id))
        assert state.uidvalidity == before_validity

        dovecot.stop()
        try:
            _renumber_inbox(dovecot, address, next_uid=500)
        finally:
            dovecot.restart()
        after_validity, after_uids = await _uidvalidity(dovecot, address)
        assert after_validity != before_validity
        assert min(after_uids) >= 500 and len(after_uids) == len(before_uids)  # old mail now has "new" UIDs

        await drain_once(app)
        assert len(smtp_sink.messages) == 3, "mail handled before the UIDVALIDITY change was answered again"
        async with app.sessionmaker() as session:
            state = await session.scalar(select(MailboxState).where(MailboxState.agent_id == agent.runtime.id))
        assert state.uidvalidity == after_validity
        assert state.last_uid >= max(after_uids)
        for n in (1, 2):
            assert await _inbound_rows(app, f"<uv{n}@lead.test>") == 1

        # a reply arriving after the change is answered, once
        await deliver(dovecot, address, reply_to(first, sender=LEAD, body="Answer 3.", message_id="<uv3@lead.test>"))
        await drain_once(app)
        await drain_once(app)
        assert len(_answers_to(smtp_sink, "<uv3@lead.test>")) == 1
        assert len(smtp_sink.messages) == 4
        answer = message_from_bytes(_answers_to(smtp_sink, "<uv3@lead.test>")[0].raw)
        assert answer["To"].endswith(f"<{LEAD}>")
    finally:
        if not dovecot.running:
            dovecot.restart()
        await app.close()


async def test_a_claim_left_by_a_vanished_instance_is_held_not_resent(tmp_path, dovecot, smtp_sink, database_url):
    """Another process claimed a row and never came back: after an hour it is `unknown`, never sent blindly."""
    from datetime import timedelta

    from sqlalchemy import update

    from sqa.db.models import OutboxStatus, utcnow

    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=database_url)
    app = await build_app(settings)
    try:
        agent = app.agents[0]
        await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"old@{LEAD_DOMAIN}", name="Old"))
        await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"new@{LEAD_DOMAIN}", name="New"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        async with app.sessionmaker() as s, s.begin():
            rows = list(await s.scalars(select(Outbox).order_by(Outbox.id)))
            await s.execute(update(Outbox).where(Outbox.id == rows[0].id).values(
                status=OutboxStatus.SENDING, claimed_by="host-that-died", claimed_at=utcnow() - timedelta(hours=2)))
        await drain_once(app)
        await smtp_sink.wait_for(1)
        await asyncio.sleep(0.2)
        assert [m.rcpt_tos for m in smtp_sink.messages] == [[f"new@{LEAD_DOMAIN}"]]
        async with app.sessionmaker() as s:
            statuses = {r.to_addr: (r.status, r.last_reply) for r in await s.scalars(select(Outbox))}
        assert statuses[f"old@{LEAD_DOMAIN}"][0] == OutboxStatus.UNKNOWN
        assert "host-that-died" in statuses[f"old@{LEAD_DOMAIN}"][1]
    finally:
        await app.close()
