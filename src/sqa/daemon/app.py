"""Composition: the database, the agents and their services, built from one Settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sqa.agents.engage import EngageAgent
from sqa.agents.engines import make_engine
from sqa.clock import SYSTEM_CLOCK, Clock
from sqa.config import Settings
from sqa.db import crypto, migrate
from sqa.db.session import is_sqlite, make_engine as make_db_engine, make_sessionmaker
from sqa.handoff.publisher import HandoffPublisher
from sqa.mailbox.analyze import Analyzer
from sqa.mailbox.inbound import InboundProcessor
from sqa.mailbox.journal import SendJournal
from sqa.mailbox.sender import Sender
from sqa.mailbox.sentcopy import SentCopier, wants_sent_copy
from sqa.mailbox.watcher import Watcher, stall_after_s
from sqa.observe.alerts import AlertPublisher
from sqa.outreach.policy import SendPolicy
from sqa.agents.outreach import OutreachWriter
from sqa.outreach.scheduler import Scheduler
from sqa.retention import Retention
from sqa.runtime import AgentRuntime, ensure_agents
from sqa.web import WebServer, make_web_app

log = logging.getLogger(__name__)


class DatabaseNotReady(Exception):
    """The schema is missing or old and this backend is not migrated automatically."""


@dataclass
class AgentServices:
    runtime: AgentRuntime
    watcher: Watcher
    sender: Sender
    copier: SentCopier | None
    journal: SendJournal

    def services(self) -> list:
        return [s for s in (self.watcher, self.sender, self.copier) if s is not None]

    def use(self, runtime: AgentRuntime) -> None:
        """A reload changed settings the services read as they go (templates, caps, window, qualification...).

        Only for an agent whose mailbox logins and address stay the same (daemon/reload.py restarts the
        others): the running services take the new runtime at their next message, claim or tick; a batch
        or a send in flight finishes with the one it started with. The sending policy is rebuilt when the
        outreach settings changed, keeping its current pauses.
        """
        self.runtime = runtime
        self.watcher.agent = runtime
        self.watcher.processor.agent = runtime
        self.watcher.processor.ctx = runtime.classify_context()
        sender = self.sender
        if sender.outreach != runtime.settings.outreach:
            old = sender.policy
            sender.outreach = runtime.settings.outreach
            sender.policy = SendPolicy(sender.outreach, sender.smtp.retry_deadline_s, agent=runtime.name)
            sender.policy.jitter_until, sender.policy.minute_until = old.jitter_until, old.minute_until
            sender.policy.halted = old.halted  # a halt is read again at the next cold claim: ended on record, not alerted twice
        sender.agent = runtime
        if self.copier is not None:
            self.copier.agent = runtime


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    runtimes: list[AgentRuntime] = field(default_factory=list)
    agents: list[AgentServices] = field(default_factory=list)  # empty unless built with services
    analyzer: Analyzer | None = None  # parse + classify, shared by the agents' watchers
    engage: EngageAgent | None = None  # with services: the one engage agent (its engine holds an HTTP client)
    web: WebServer | None = None  # the unsubscribe pages (settings.web.enabled), built with services
    publisher: HandoffPublisher | None = None  # handoff events to MQTT / webhook, when either is configured
    scheduler: Scheduler | None = None  # intake, follow-ups and resumes (outreach/scheduler.py), built with services
    alerts: AlertPublisher | None = None  # alerts to MQTT <prefix>/<agent>/alerts, when mqtt is configured
    clock: Clock = SYSTEM_CLOCK  # shared by every agent runtime (tests pass a ManualClock to build_app)

    def runtime(self, name: str | None) -> AgentRuntime:
        """The named agent, or the only one; ValueError with the choices otherwise."""
        if not self.runtimes:
            raise ValueError("no agents are configured")
        if name is None:
            if len(self.runtimes) > 1:
                raise ValueError(f"several agents are configured: pass --agent ({', '.join(r.name for r in self.runtimes)})")
            return self.runtimes[0]
        for runtime in self.runtimes:
            if runtime.name == name:
                return runtime
        raise ValueError(f"no agent named {name!r}")

    def wake_sender(self, agent_id: int) -> None:
        """The scheduler queued mail for this agent (looked up at call time: a reload adds and removes agents)."""
        for a in self.agents:
            if a.runtime.id == agent_id:
                a.sender.wake()

    def add_services(self, runtime: AgentRuntime) -> AgentServices:
        """Build one agent's watcher, sender and copier (at start, and for an agent a reload adds or restarts)."""
        assert self.engage is not None and self.analyzer is not None
        return _services(self.settings, self.sessionmaker, runtime, self.engage, self.analyzer, self.publisher)

    async def close(self) -> None:
        if self.alerts is not None:
            self.alerts.close()
        for a in self.agents:
            a.journal.close()
        if self.analyzer is not None:
            self.analyzer.close()
        if self.web is not None:
            self.web.close()
        closer = getattr(self.engage.engine, "close", None) if self.engage is not None else None
        if closer is not None:
            await closer()  # the openai engine's HTTP client
        await self.engine.dispose()


async def prepare_database(settings: Settings, engine: AsyncEngine) -> None:
    """SQLite is upgraded in place (and logged); PostgreSQL must be upgraded with `sqa db upgrade`."""
    current, head = await migrate.current_revision(engine), migrate.head_revision()
    if current == head:
        return
    if is_sqlite(settings.database_url):
        before, after = await migrate.upgrade(engine)
        log.info("database schema upgraded %s -> %s", before or "(empty)", after)
        return
    raise DatabaseNotReady(f"database schema is at {current or '(empty)'}, the code needs {head}: run `sqa db upgrade`")


async def build_app(settings: Settings, *, services: bool = True, clock: Clock = SYSTEM_CLOCK) -> App:
    """The database (migrated when SQLite) and the agents; with ``services``, their watchers and senders.

    Commands that only read or edit records build it without services: they
    must not take the send journals a running daemon holds.
    """
    engine = make_db_engine(settings.database_url, echo=settings.database.echo)
    crypto.use(engine, crypto.keyring_from(settings))  # column encryption at rest (storage.key); None: plaintext
    try:
        await prepare_database(settings, engine)
        sessionmaker = make_sessionmaker(engine)
        runtimes = await ensure_agents(sessionmaker, settings, clock)
    except BaseException:
        await engine.dispose()
        raise
    app = App(settings, engine, sessionmaker, runtimes, clock=clock)
    if not services:
        return app
    engage = EngageAgent(make_engine(settings.engine))
    app.engage = engage
    app.analyzer = Analyzer(settings.daemon.analyze_workers)
    publisher = HandoffPublisher(sessionmaker, settings)
    app.publisher = publisher if publisher.enabled else None
    if settings.mqtt is not None:
        app.alerts = AlertPublisher(settings.mqtt, maxlen=settings.alerts.queue_max)
    try:
        for runtime in runtimes:
            app.agents.append(app.add_services(runtime))
        app.scheduler = Scheduler(sessionmaker, runtimes, OutreachWriter.for_engine(engage.engine, engage.knowledge_for),
                                  on_queued=app.wake_sender)
        app.scheduler.retention = Retention(sessionmaker, settings.retention, clock)  # text purged after retention.text_days
        if settings.web.enabled:
            app.web = WebServer(settings.web, make_web_app(app))
    except BaseException:
        await app.close()
        raise
    return app


def _services(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], runtime: AgentRuntime,
              engage: EngageAgent, analyzer: Analyzer, publisher: HandoffPublisher | None = None) -> AgentServices:
    journal = SendJournal(settings.state_dir / "journal" / f"{runtime.name}.outbox")
    save = wants_sent_copy(runtime.settings)
    sender = Sender(sessionmaker, runtime, journal, instance=settings.daemon.instance, save_sent=save)
    copier = SentCopier(sessionmaker, runtime) if save else None
    if copier is not None:
        sender.on_sent = copier.wake
    processor = InboundProcessor(sessionmaker, runtime, engage, analyzer)
    on_batch = sender.wake if publisher is None else lambda: (sender.wake(), publisher.wake())
    watcher = Watcher(sessionmaker, runtime, processor, on_batch=on_batch)
    watcher.stall_after_s = stall_after_s(runtime.settings.imap, settings.alerts.watcher_stall_s)
    return AgentServices(runtime, watcher, sender, copier, journal)
