"""sd_notify as systemd sees it: the daemon run with NOTIFY_SOCKET pointing at a datagram socket this test
binds, and a short WATCHDOG_USEC.

READY=1 must wait for every mailbox's first login, good or failed (here a server that accepts and never
greets: its login fails by timeout, after the working one logged in), carry a STATUS= line, and be
followed by WATCHDOG=1 pings from the event loop and, on stop, STOPPING=1 as the last word.
RELOADING=1 then READY=1 on SIGHUP: tests/test_reload.py.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import dataclass

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor
from tests.support import agent_dict, make_settings


@dataclass
class Datagram:
    text: str
    logins_done: list[bool]  # each watcher's first_login, when the datagram was read


async def test_ready_status_watchdog_stopping_in_order(tmp_path, dovecot, smtp_sink, database_url, monkeypatch):
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, never says "* OK"
    silent_port = silent.sockets[0].getsockname()[1]
    address = f"@sqa-notify-{uuid.uuid4().hex}"  # abstract: no path length limit, nothing to clean up
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind("\0" + address[1:])
    receiver.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # 0.1 s: a ping every 0.05 s

    agents = [agent_dict(dovecot, smtp_sink, name="working"),
              agent_dict(dovecot, smtp_sink, name="silent", imap={"port": silent_port, "timeout_s": 1})]
    app = await build_app(make_settings(tmp_path, agents, database_url=database_url))
    got: list[Datagram] = []
    arrived = asyncio.Event()

    def on_datagram() -> None:
        while True:
            try:
                data = receiver.recv(4096)
            except BlockingIOError:
                return
            got.append(Datagram(data.decode(), [a.watcher.first_login.is_set() for a in app.agents]))
            arrived.set()

    loop = asyncio.get_running_loop()
    loop.add_reader(receiver.fileno(), on_datagram)
    supervisor = Supervisor(app)
    runner = asyncio.create_task(supervisor.run())

    async def until(predicate) -> None:  # noqa: ANN001
        while not predicate():
            arrived.clear()
            await arrived.wait()

    try:
        texts = lambda: [d.text for d in got]  # noqa: E731
        await asyncio.wait_for(until(lambda: any(t.startswith("READY=1") for t in texts())), 20)
        ready_at = next(i for i, t in enumerate(texts()) if t.startswith("READY=1"))
        await asyncio.wait_for(until(lambda: "WATCHDOG=1" in texts()[ready_at + 1:]), 10)
        supervisor.stop.set()
        assert await asyncio.wait_for(runner, 30) == 0
        on_datagram()  # whatever is still in the socket
    finally:
        loop.remove_reader(receiver.fileno())
        receiver.close()
        silent.close()
        if not runner.done():
            supervisor.stop.set()
            await asyncio.wait_for(runner, 30)
        await app.close()

    texts = [d.text for d in got]
    ready = got[ready_at]
    lines = ready.text.split("\n")  # one datagram: ready, with the status
    assert lines[0] == "READY=1" and lines[1].startswith("STATUS=2 agents") and len(lines) == 2
    assert ready.logins_done == [True, True]  # both first logins were over, the silent one failed by timeout
    silent_watcher = app.agents[1].watcher
    assert silent_watcher.last_error and not silent_watcher.connected
    assert app.agents[0].watcher.reconnects == 0
    assert texts.count("STOPPING=1") == 1 and texts[-1] == "STOPPING=1"  # the last word, no ping after it
    assert sum(t.startswith("READY=1") for t in texts) == 1
    after_ready = texts[ready_at + 1 : -1]
    assert "WATCHDOG=1" in after_ready  # pings from the loop between ready and stop (and maybe STATUS= updates)
    assert all(t == "WATCHDOG=1" or t.startswith("STATUS=") for t in after_ready), after_ready
    assert all(t == "WATCHDOG=1" or t.startswith("STATUS=") for t in texts[:ready_at])  # pings may precede READY=1
