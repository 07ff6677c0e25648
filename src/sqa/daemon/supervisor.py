"""One supervisor, named tasks, one stop event.

Signals only set events. SIGTERM/SIGINT: watchers stop fetching, in-flight
work finishes within the grace period, the rest is cancelled at the hard
deadline and what was stuck is logged. SIGHUP: RELOADING=1, the configuration
file is read again and applied (daemon/reload.py), READY=1. Each agent's
services have their own stop event, so a reload can stop one agent (its
batch and sends in flight finish) while the others run on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from enum import IntEnum
from typing import Protocol

from sqa.config import ConfigError, Settings
from sqa.daemon.app import AgentServices, App
from sqa.daemon.notify import notify
from sqa.daemon.reload import apply_reload
from sqa.mailbox.outbox import backoff
from sqa.observe.health import status_line
from sqa.web import WebBindError

log = logging.getLogger(__name__)

STALL_CHECK_S = 5.0  # how often watchers are checked for a stall (more often when a threshold is short)


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
    def __init__(self, app: App, *, load_settings: Callable[[], Settings] | None = None,
                 configure_logging: Callable[[Settings], None] | None = None) -> None:
        self.app = app
        self.stop = asyncio.Event()
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.started = time.monotonic()
        self.ready = False  # READY=1 sent
        self._status = ""  # the last STATUS= line sent
        self.load_settings = load_settings  # SIGHUP re-reads through it (the path and environment of the start)
        self.configure_logging = configure_logging
        self.reload_requested = asyncio.Event()
        self.reloads = 0  # reloads finished (applied or refused)
        self.agent_stops: dict[str, asyncio.Event] = {}  # agent name -> the stop event of its services
        self._signals: list[signal.Signals] = []

    def services(self) -> list[Service]:
        """The services that are not an agent's (those run under their agent's stop event: start_agent)."""
        services: list[Service] = []
        if self.app.web is not None:
            services.append(self.app.web)
        if self.app.publisher is not None:
            services.append(self.app.publisher)
        if self.app.alerts is not None:
            services.append(self.app.alerts)
        if self.app.scheduler is not None:
            services.append(self.app.scheduler)
        return services

    def install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self._on_signal, sig)
            self._signals.append(sig)

    def remove_signals(self) -> None:
        """Undo install_signals (a supervisor run inside a test process)."""
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        self._signals.clear()

    def _on_signal(self, sig: signal.Signals) -> None:
        if sig == signal.SIGHUP:
            if self.load_settings is None:
                log.warning("received SIGHUP: this daemon has no configuration file to re-read; ignored")
                return
            log.info("received SIGHUP: reloading the configuration")
            self.reload_requested.set()
            return
        log.info("received %s: stopping", sig.name)
        self.stop.set()

    def start_agent(self, agent: AgentServices) -> None:
        """Start one agent's services under a stop event of their own (set on shutdown, or by a reload)."""
        stop = self.agent_stops[agent.runtime.name] = asyncio.Event()
        if self.stop.is_set():
            stop.set()
        for service in agent.services():
            self.tasks[service.name] = asyncio.create_task(self._keep_running(service, stop), name=service.name)

    async def stop_agent(self, agent: AgentServices) -> None:
        """Stop one agent's services gracefully: what is in flight finishes (grace period, then cancelled)."""
        stop = self.agent_stops.pop(agent.runtime.name, None)
        if stop is not None:
            stop.set()
        tasks = {self.tasks.pop(s.name) for s in agent.services() if s.name in self.tasks}
        grace = self.app.settings.daemon.grace_s
        await _finish(tasks, grace, max(grace, self.app.settings.daemon.hard_deadline_s))
        agent.journal.close()

    async def _keep_running(self, service: Service, stop: asyncio.Event | None = None) -> None:
        """Run a service; if it ever raises, log it with traceback and restart it with backoff."""
        stop = stop or self.stop
        failures = 0
        while not stop.is_set():
            try:
                await service.run(stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - surfaced, backed off, restarted
                failures += 1
                delay = backoff(failures, 1.0, 60.0)
                log.exception("task %s crashed (%d); restarting in %.1f s", service.name, failures, delay)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
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
        for agent in self.app.agents:
            self.start_agent(agent)
        self.tasks["watchdog"] = asyncio.create_task(self._watchdog(), name="watchdog")
        self.tasks["stall-monitor"] = asyncio.create_task(self._stall_monitor(), name="stall-monitor")
        await self._ready()
        self.tasks["reloader"] = asyncio.create_task(self._reloader(), name="reloader")
        await self.stop.wait()
        notify("STOPPING=1")
        for stop in self.agent_stops.values():
            stop.set()
        return await self._shutdown()

    async def _reloader(self) -> None:
        """One reload at a time; SIGHUPs meanwhile are folded into the next one."""
        while not self.stop.is_set():
            await _either(self.stop, self.reload_requested)
            if self.stop.is_set():
                return
            self.reload_requested.clear()
            await self.reload()

    async def reload(self) -> None:
        """RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants it), read, apply, READY=1."""
        notify(f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}")
        try:
            assert self.load_settings is not None
            await apply_reload(self, self.load_settings())
        except ConfigError as exc:
            log.error("reload refused, the running configuration stays: %s", exc)
        except Exception as exc:  # noqa: BLE001 - e.g. the database refused the new agents' rows: nothing applied
            log.error("reload failed, the running configuration stays: %s: %s", exc.__class__.__name__, exc)
        self.reloads += 1
        status = self._status = status_line(self.app)
        notify(f"READY=1\nSTATUS={status}")

    async def _stall_monitor(self) -> None:
        """Alerts on a watcher that is connected but makes no progress (Watcher.check_stall)."""
        while not self.stop.is_set():
            now = time.monotonic()
            thresholds = []
            for agent in list(self.app.agents):
                agent.watcher.check_stall(now)
                thresholds.append(agent.watcher.stall_after_s)
            interval = max(0.05, min([STALL_CHECK_S, *(t / 4 for t in thresholds)]))
            try:
                await asyncio.wait_for(self.stop.wait(), timeout=interval)
            except (asyncio.TimeoutError, TimeoutError):
                pass

    async def wait_for_logins(self, agents: list[AgentServices]) -> None:
        """Until each of these watchers' first login has succeeded or failed loudly (or the daemon stops)."""
        logins = [a.watcher.first_login.wait() for a in agents]
        if logins:
            waiter = asyncio.ensure_future(asyncio.gather(*logins))
            stopper = asyncio.ensure_future(self.stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            # a cancelled gather finishes with a CancelledError *exception*: retrieve it (no "never retrieved" noise)
            await asyncio.gather(waiter, stopper, return_exceptions=True)

    async def _ready(self) -> None:
        """READY=1 once every watcher's first login has succeeded or failed loudly."""
        await self.wait_for_logins(self.app.agents)
        status = self._status = status_line(self.app)
        notify(f"READY=1\nSTATUS={status}")
        self.ready = True
        log.info("ready: %s", status)

    async def _shutdown(self) -> ExitCode:
        grace = self.app.settings.daemon.grace_s
        hard = max(grace, self.app.settings.daemon.hard_deadline_s)
        clean = await _finish(set(self.tasks.values()), grace, hard)
        code = ExitCode.OK if clean else ExitCode.FAILURE
        for t in self.tasks.values():
            if t.done() and not t.cancelled() and t.exception() is not None:
                log.error("task %s ended with %r", t.get_name(), t.exception())
        log.info("stopped")
        return code


async def _finish(tasks: set[asyncio.Task[None]], grace: float, hard: float) -> bool:
    """Wait for tasks told to stop; cancel what still runs after ``grace``; False if anything had to be cancelled."""
    pending = {t for t in tasks if not t.done()}
    if pending:
        _, pending = await asyncio.wait(pending, timeout=grace)
    if not pending:
        return True
    log.error("still running after the %.0f s grace period: %s; cancelling", grace, sorted(t.get_name() for t in pending))
    for t in pending:
        t.cancel()
    _, stuck = await asyncio.wait(pending, timeout=max(0.1, hard - grace))
    if stuck:
        log.error("did not stop at the hard deadline: %s", sorted(t.get_name() for t in stuck))
    return False


async def _either(a: asyncio.Event, b: asyncio.Event) -> None:
    waiters = {asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())}
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


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
