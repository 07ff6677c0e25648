"""The mailbox watcher against a misbehaving IMAP server: killed mid-IDLE, wrong password, first connect."""

from __future__ import annotations

import asyncio
import logging
import time
from email import message_from_bytes

import pytest
from sqlalchemy import func, select

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.db.models import Direction, Message
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.mailbox import imap as imap_module
from sqa.sandbox import DovecotServer
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to

LEAD = f"lee@{LEAD_DOMAIN}"


async def _app_with_lead(tmp_path, dovecot, sink, database_url, **agent_over):
    settings = make_settings(tmp_path, [agent_dict(dovecot, sink, **agent_over)], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0]
    await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    return app, agent


async def _until(predicate, timeout: float, what: str, step: float = 0.02) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(step)


async def _stop(sup: Supervisor, runner: asyncio.Task) -> int:
    sup.stop.set()
    return await asyncio.wait_for(runner, 20)


async def test_watcher_reconnects_after_server_killed_during_idle(tmp_path, dovecot, smtp_sink, database_url):
    app, agent = await _app_with_lead(tmp_path, dovecot, smtp_sink, database_url)
    address = agent.runtime.settings.address
    watcher = agent.watcher
    sup = Supervisor(app)
    runner = asyncio.create_task(sup.run())
    try:
        first = (await smtp_sink.wait_for(1))[0]
        await asyncio.wait_for(watcher.first_login.wait(), 10)
        await _until(lambda: watcher.connected and watcher.last_fetch_ok is not None, 10, "the first sync")
        await asyncio.sleep(0.3)  # the watcher is in IDLE now
        before = watcher.reconnects

        await asyncio.to_thread(dovecot.kill)
        await _until(lambda: not watcher.connected, 10, "the watcher to notice the dead connection")
        # mail arrives while the IMAP server is down (written straight into the Maildir)
        down = reply_to(first, sender=LEAD, body="Written while you were down.", message_id="<down@lead.test>")
        assert dovecot.seed(address, [down]) == 1
        await asyncio.sleep(0.3)  # a reconnect attempt or two fails meanwhile
        assert not watcher.connected
        await asyncio.to_thread(dovecot.restart)
        # and more mail right after the restart
        await deliver(dovecot, address, reply_to(first, sender=LEAD, body="And one more thing.", message_id="<after@lead.test>"))

        await smtp_sink.wait_for(3, timeout=15)
        assert watcher.reconnects > before
        assert watcher.connected
        await asyncio.sleep(1.0)  # one more IDLE push cycle: nothing is answered twice
        answers = smtp_sink.by_in_reply_to()
        assert len(answers.get("<down@lead.test>", [])) == 1
        assert len(answers.get("<after@lead.test>", [])) == 1
        assert len(smtp_sink.messages) == 3
        assert message_from_bytes(answers["<down@lead.test>"][0].raw)["References"].split()[-1] == "<down@lead.test>"
    finally:
        if not dovecot.running:
            await asyncio.to_thread(dovecot.restart)
        code = await _stop(sup, runner)
        await app.close()
    assert code == 0


@pytest.fixture
def own_dovecot():
    """A Dovecot of this test's own: after a failed login Dovecot's anvil delays every later login
    from 127.0.0.1 by seconds (auth penalty), which would slow down the shared server for all tests."""
    server = DovecotServer.start()
    try:
        yield server
    finally:
        server.close()


async def test_wrong_imap_password_alerts_and_does_not_retry_in_a_loop(tmp_path, own_dovecot, smtp_sink, database_url, caplog,
                                                                       monkeypatch):
    dovecot = own_dovecot
    caplog.set_level(logging.WARNING)
    attempts: list[float] = []
    real_connect = imap_module.ImapClient.connect

    async def counting_connect(self):  # noqa: ANN001, ANN202
        attempts.append(time.monotonic())
        return await real_connect(self)

    monkeypatch.setattr(imap_module.ImapClient, "connect", counting_connect)
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, imap={"password": "not-the-password",
                                                                              "auth_retry_s": 3600})],
                             database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0]
    sup = Supervisor(app)
    started = time.monotonic()
    runner = asyncio.create_task(sup.run())
    try:
        await asyncio.wait_for(agent.watcher.first_login.wait(), 10)
        assert agent.watcher.auth_failed
        assert "refused" in (agent.watcher.last_error or "")
        # watch for ~3 s in all: a tight loop (or the normal reconnect backoff) would log in again
        await asyncio.sleep(max(0.0, 3.0 - (time.monotonic() - started)))
        assert len(attempts) == 1, f"{len(attempts)} login attempts in 3 s"
        assert not agent.watcher.connected
        alerts = [r for r in caplog.records if r.levelno == logging.ERROR and "ALERT" in r.getMessage()]
        assert len(alerts) == 1
        assert agent.runtime.name in alerts[0].getMessage()
        assert "not-the-password" not in caplog.text  # the secret never reaches the log
    finally:
        code = await _stop(sup, runner)
        await app.close()
    assert code == 0


async def _inbound(app) -> int:
    async with app.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Message).where(Message.direction == Direction.IN)))


@pytest.mark.parametrize("import_history", [False, True], ids=["from-now-on", "import-history"])
async def test_first_connect_starts_from_now_on_unless_history_is_imported(tmp_path, dovecot, smtp_sink, database_url,
                                                                           import_history):
    app, agent = await _app_with_lead(tmp_path, dovecot, smtp_sink, database_url, imap={"import_history": import_history})
    address = agent.runtime.settings.address
    try:
        await agent.sender.drain()  # the first mail goes out; the watcher has never connected yet
        first = (await smtp_sink.wait_for(1))[0]
        old = reply_to(first, sender=LEAD, body="An old reply, before the daemon watched.", message_id="<old@lead.test>")
        await deliver(dovecot, address, old)
        await drain_once(app)  # first connect
        answered_old = "<old@lead.test>" in smtp_sink.by_in_reply_to()
        assert answered_old is import_history
        assert await _inbound(app) == (1 if import_history else 0)
        # either way, mail arriving after the first connect is answered
        await deliver(dovecot, address, reply_to(first, sender=LEAD, body="A new reply.", message_id="<new@lead.test>"))
        await drain_once(app)
        assert len(smtp_sink.by_in_reply_to().get("<new@lead.test>", [])) == 1
        assert len(smtp_sink.messages) == (3 if import_history else 2)
        # the old mail is left untouched on the server when it was not imported
        fetched = {message_from_bytes(m.body)["Message-ID"]: m.flags for m in await dovecot.fetch_all(address)}
        assert ("$SQAProcessed" in fetched["<old@lead.test>"]) is import_history
        assert "$SQAProcessed" in fetched["<new@lead.test>"]
    finally:
        await app.close()
