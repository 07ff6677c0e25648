"""One supervisor, named tasks, one stop event.

Signals only set the stop event. On stop: watchers stop fetching, in-flight
work finishes within the grace period, the rest is cancelled at the hard
deadline and what was stuck is logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from enum import IntEnum
from typing import Protocol

from sqa.daemon.app import App
from sqa.daemon.notify import notify
from sqa.mailbox.outbox import backoff
from sqa.observe.health import status_line
from sqa.web import WebBindError

log = logging.getLogger(__name__)


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # something had to be cancelled at the hard deadline
    UNAVAILABLE = 69  # the database cannot be reached at start
    SOFTWARE = 70
    BUSY = 75  # another process holds this state directory's send journals
    CONFIG = 78  # the configuration is invalid: do not restart in a loop


class Service(Protocol):
    name: str

    async def run(self, stop: asyncio.Event) -> None: ...


class Supervisor:
    def __init__(self, app: App) -> None:
        self.app = app
        self.stop = asyncio.Event()
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.started = time.monotonic()
        self.ready = False  # READY=1 sent
        self._status = ""  # the last STATUS= line sent

    def services(self) -> list[Service]:
        services: list[Service] = [svc for agent in self.app.agents for svc in agent.services()]
        if self.app.web is not None:
            services.append(self.app.web)
        if self.app.publisher is not None:
            services.append(self.app.publisher)
        if self.app.scheduler is not None:
            services.append(self.app.scheduler)
        return services

    def install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("received %s: stopping", sig.name)
        self.stop.set()

    async def _keep_running(self, service: Service) -> None:
        """Run a service; if it ever raises, log it with traceback and restart it with backoff."""
        failures = 0
        while not self.stop.is_set():
            try:
                await service.run(self.stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - surfaced, backed off, restarted
                failures += 1
                delay = backoff(failures, 1.0, 60.0)
                log.exception("task %s crashed (%d); restarting in %.1f s", service.name, failures, delay)
                try:
                    await asyncio.wait_for(self.stop.wait(), timeout=delay)
                except (asyncio.TimeoutError, TimeoutError):
                    pass

    async def _watchdog(self) -> None:
        """WATCHDOG=1 from the event loop itself: a frozen loop stops the pings and systemd restarts us."""
        usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
        if usec <= 0:
            return
        interval = usec / 1e6 / 2
        while not self.stop.is_set():
            notify("WATCHDOG=1")
            if self.ready:  # live counts for `systemctl status sqa`, at most once per ping, only when they change
                line = status_line(self.app)
                if line != self._status:
                    self._status = line
                    notify(f"STATUS={line}")
            try:
                await asyncio.wait_for(self.stop.wait(), timeout=interval)
            except (asyncio.TimeoutError, TimeoutError):
                pass

    async def run(self) -> ExitCode:
        if self.app.web is not None:
            try:
                self.app.web.open()  # before READY=1: a port in use is one clear line and an exit code
            except WebBindError as exc:
                log.error("%s", exc)
                return ExitCode.BUSY if exc.busy else ExitCode.CONFIG
        for service in self.services():
            self.tasks[service.name] = asyncio.create_task(self._keep_running(service), name=service.name)
        self.tasks["watchdog"] = asyncio.create_task(self._watchdog(), name="watchdog")
        await self._ready()
        await self.stop.wait()
        notify("STOPPING=1")
        return await self._shutdown()

    async def _ready(self) -> None:
        """READY=1 once every watcher's first login has succeeded or failed loudly."""
        logins = [a.watcher.first_login.wait() for a in self.app.agents]
        if logins:
            waiter = asyncio.ensure_future(asyncio.gather(*logins))
            stopper = asyncio.ensure_future(self.stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            # a cancelled gather finishes with a CancelledError *exception*: retrieve it (no "never retrieved" noise)
            await asyncio.gather(waiter, stopper, return_exceptions=True)
        status = self._status = status_line(self.app)
        notify(f"READY=1\nSTATUS={status}")
        self.ready = True
        log.info("ready: %s", status)

    async def _shutdown(self) -> ExitCode:
        grace = self.app.settings.daemon.grace_s
        hard = max(grace, self.app.settings.daemon.hard_deadline_s)
        pending = {t for t in self.tasks.values() if not t.done()}
        if pending:
            done, pending = await asyncio.wait(pending, timeout=grace)
        code = ExitCode.OK
        if pending:
            log.error("still running after the %.0f s grace period: %s; cancelling", grace, sorted(t.get_name() for t in pending))
            for t in pending:
                t.cancel()
            _, stuck = await asyncio.wait(pending, timeout=max(0.1, hard - grace))
            if stuck:
                log.error("did not stop at the hard deadline: %s", sorted(t.get_name() for t in stuck))
            code = ExitCode.FAILURE
        for t in self.tasks.values():
            if t.done() and not t.cancelled() and t.exception() is not None:
                log.error("task %s ended with %r", t.get_name(), t.exception())
        log.info("stopped")
        return code


async def drain_once(app: App) -> dict[str, dict[str, int]]:
    """One scheduler tick (intake, resumes, follow-ups), then every pending inbound message and every due mail."""
    stats: dict[str, dict[str, int]] = {}
    if app.scheduler is not None:
        await app.scheduler.tick()
    for agent in app.agents:
        await agent.sender.recover()
        await agent.watcher.drain_once()
        sent = await agent.sender.drain()
        if agent.copier is not None:
            await agent.copier.copy_pending()
        stats[agent.runtime.name] = {"handled": agent.watcher.handled_total, "sent": sent}
    if app.publisher is not None:
        await app.publisher.publish_due()
    return stats
