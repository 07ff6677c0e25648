"""SIGHUP live reload of a running daemon (in-process Supervisor, signal handlers installed, real servers).

One file, changed three times while mail flows: (a) an agent added (it logs in, its lead's reply is answered)
and a template of the running agent changed (its next reply uses it); (b) an invalid file (one ERROR line, the
old configuration keeps answering); (c) the added agent removed (its services stop) and a setting that cannot
change live (a WARNING names it). systemd sees READY, then RELOADING/READY per reload, then STOPPING.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from email import message_from_bytes

from sqa.config import load_settings
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, reply_to
from tests.toml_support import write

NEW_NEED = "Which report hurts most today, and how long does it take?"


def _body(mail) -> str:  # noqa: ANN001
    return message_from_bytes(mail.raw).get_payload(decode=True).decode()


async def _until(predicate, timeout: float = 20) -> None:  # noqa: ANN001
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.05)
    await asyncio.wait_for(poll(), timeout)


class NotifySocket:
    """The datagram socket systemd would listen on ($NOTIFY_SOCKET, abstract)."""

    def __init__(self) -> None:
        self.address = f"@sqa-reload-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.address[1:])
        self.sock.setblocking(False)
        self.got: list[str] = []

    def read(self) -> list[str]:
        while True:
            try:
                self.got.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return self.got

    def states(self) -> list[str]:
        """The first line of each datagram, pings and status updates left out."""
        return [t.split("\n")[0] for t in self.read() if t != "WATCHDOG=1" and not t.startswith("STATUS=")]


async def test_sighup_adds_and_removes_agents_changes_templates_and_refuses_a_bad_file(
        tmp_path, dovecot, smtp_sink, database_url, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    notify = NotifySocket()
    monkeypatch.setenv("NOTIFY_SOCKET", notify.address)
    first, second = agent_dict(dovecot, smtp_sink), agent_dict(dovecot, smtp_sink)
    base = {"state_dir": str(tmp_path), "database": {"url": database_url}, "web": {"enabled": False},
            "daemon": {"instance": "test", "grace_s": 5, "hard_deadline_s": 10}}
    path = write(tmp_path / "sqa.toml", {**base, "agents": [first]})
    app = await build_app(load_settings(path, environ={}))
    one = app.agents[0]
    await add_lead(app.sessionmaker, one.runtime.id, LeadInput(email=f"lee@{LEAD_DOMAIN}", name="Lee Lead"))
    await queue_first_mails(app.sessionmaker, one.runtime)
    await drain_once(app)  # first connect ("from now on") and the first mail
    first_mail = (await smtp_sink.wait_for(1))[0]

    sup = Supervisor(app, load_settings=lambda: load_settings(path, environ={}))
    sup.install_signals()
    runner = asyncio.create_task(sup.run())
    try:
        await _until(lambda: sup.ready)

        # (a) an agent added, a template of the running one changed
        changed = {**first, "templates": {"need": NEW_NEED}}
        write(path, {**base, "agents": [changed, second]})
        os.kill(os.getpid(), signal.SIGHUP)
        await _until(lambda: sup.reloads == 1)
        assert [a.runtime.name for a in app.agents] == [first["name"], second["name"]]
        assert app.agents[0] is one and one.runtime.settings.templates.need == NEW_NEED  # same services, new runtime
        two = app.agents[1]
        await _until(lambda: two.watcher.last_fetch_ok is not None)  # logged in and watching "from now on"

        await deliver(dovecot, first["address"], reply_to(first_mail, sender=f"lee@{LEAD_DOMAIN}", body="Tell me more."))
        answer = (await smtp_sink.wait_for(2))[1]
        assert NEW_NEED in _body(answer)

        await add_lead(app.sessionmaker, two.runtime.id, LeadInput(email=f"kim@{LEAD_DOMAIN}", name="Kim Lead"))
        await queue_first_mails(app.sessionmaker, two.runtime)
        app.wake_sender(two.runtime.id)
        to_kim = (await smtp_sink.wait_for(3))[2]
        assert to_kim.rcpt_tos == [f"kim@{LEAD_DOMAIN}"]
        await deliver(dovecot, second["address"], reply_to(to_kim, sender=f"kim@{LEAD_DOMAIN}", body="Interesting."))
        kim_answer = (await smtp_sink.wait_for(4))[3]
        assert kim_answer.in_reply_to is not None and kim_answer.rcpt_tos == [f"kim@{LEAD_DOMAIN}"]

        # (b) an invalid file: one ERROR line naming the key, the running configuration stays and works
        broken = {**changed, "imap": {**changed["imap"], "port": "not-a-port"}}
        write(path, {**base, "agents": [broken, second]})
        os.kill(os.getpid(), signal.SIGHUP)
        await _until(lambda: sup.reloads == 2)
        refused = [r for r in caplog.records if r.levelno == logging.ERROR and "reload" in r.getMessage()]
        assert len(refused) == 1 and "agents[0].imap.port" in refused[0].getMessage(), refused
        assert [a.runtime.name for a in app.agents] == [first["name"], second["name"]]
        await deliver(dovecot, first["address"], reply_to(answer, sender=f"lee@{LEAD_DOMAIN}",
                                                          body="Reporting takes our analysts two days a month."))
        third = (await smtp_sink.wait_for(5))[4]
        assert third.rcpt_tos == [f"lee@{LEAD_DOMAIN}"] and "By when" in _body(third)

        # (c) the added agent removed; a setting that needs a restart is named and kept
        write(path, {**base, "daemon": {**base["daemon"], "analyze_workers": 1}, "agents": [changed]})
        os.kill(os.getpid(), signal.SIGHUP)
        await _until(lambda: sup.reloads == 3)
        assert [a.runtime.name for a in app.agents] == [first["name"]]
        assert not any(name.endswith(":" + second["name"]) for name in sup.tasks)
        assert two.watcher.connected is False
        assert app.settings.daemon.analyze_workers == 0
        kept = [r for r in caplog.records if r.levelno == logging.WARNING and "daemon.analyze_workers" in r.getMessage()]
        assert len(kept) == 1
    finally:
        sup.stop.set()
        code = await asyncio.wait_for(runner, 30)
        sup.remove_signals()
        await app.close()
    assert code == 0
    assert notify.states() == ["READY=1", "RELOADING=1", "READY=1", "RELOADING=1", "READY=1", "RELOADING=1", "READY=1",
                               "STOPPING=1"]
    reloading = [t for t in notify.got if t.startswith("RELOADING=1")]
    assert all(t.split("\n")[1].startswith("MONOTONIC_USEC=") for t in reloading)
    notify.sock.close()
