"""/metrics: Prometheus text format, computed at scrape time, per agent.

Counts come from the database, not from counters in this process: they
survive restarts (no reset for `rate()` to paper over), they agree with what
`sqa lead show` and the consent log say, and several processes sharing one
PostgreSQL database report the same numbers. They go down only when an
erasure deletes a lead's rows. What only this process knows (IMAP
connections, reconnects, a halted sender) comes from the services' in-memory
state.

A scrape is one read-only session with a few grouped queries (full scans of
messages, outbox, leads, agent_runs, consent_events and events: fine at the
scale of a sales mailbox, milliseconds on 100k rows on SQLite). Nothing
about a lead is exported: the labels are agent names and fixed vocabularies
(direction, kind, status, step, decision, source, engine, model).

The collector lives in a private CollectorRegistry (not prometheus-client's
global one): no process metrics of other libraries leak in, and tests can
build two apps in one process and scrape each twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import case, func, select

from sqa.db.models import Agent, AgentRun, ConsentEvent, Event, Lead, Message, Outbox, OutboxKind, OutboxStatus
from sqa.db.session import READ_ONLY
from sqa.observe.alerts import ALERTS, KINDS
from sqa.observe.health import running_tasks

if TYPE_CHECKING:
    from sqa.daemon.app import App

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Model latency buckets (seconds): the offline engine answers in milliseconds, a hosted model in seconds.
LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

ALL_AGENTS = "*"  # the agent label of consent events that name no agent (an admin's --all-agents opt-out)


@dataclass
class Snapshot:
    """The rows of one scrape: (labels..., value) tuples per query."""

    messages: list[tuple[Any, ...]] = field(default_factory=list)  # agent, direction, kind, n
    outbox: list[tuple[Any, ...]] = field(default_factory=list)  # agent, status, kind, n
    leads: list[tuple[Any, ...]] = field(default_factory=list)  # agent, status, n
    runs: list[tuple[Any, ...]] = field(default_factory=list)  # agent, step, decision, n
    consent: list[tuple[Any, ...]] = field(default_factory=list)  # agent, action, source, n
    events: list[tuple[Any, ...]] = field(default_factory=list)  # agent, kind, n
    model: list[tuple[Any, ...]] = field(default_factory=list)  # agent, engine, model, n, in, out, sum_ms, buckets...
    live: list[dict[str, Any]] = field(default_factory=list)  # per configured agent: in-memory service state
    agents: list[str] = field(default_factory=list)  # configured agents: a per-agent count is 0, never absent
    alerts: list[tuple[Any, ...]] = field(default_factory=list)  # agent, kind, n (this process: observe/alerts.py)


async def snapshot(app: App) -> Snapshot:
    """Everything one scrape exports: one read-only session, a few grouped queries, then the services' state."""
    snap = Snapshot(agents=[r.name for r in app.runtimes])
    buckets = [func.sum(case((AgentRun.latency_ms <= b * 1000.0, 1), else_=0)) for b in LATENCY_BUCKETS]
    async with app.sessionmaker(execution_options=READ_ONLY) as session:
        names = dict((await session.execute(select(Agent.id, Agent.name))).all())

        async def rows(*columns: Any, where: Iterable[Any] = (), group: Iterable[Any] | None = None) -> list[tuple]:
            query = select(*columns).where(*where).group_by(*(group if group is not None else columns[:-1]))
            return [(names.get(r[0], ALL_AGENTS if r[0] is None else str(r[0])), *r[1:])
                    for r in await session.execute(query)]

        n = func.count()
        snap.messages = await rows(Message.agent_id, Message.direction, Message.kind, n)
        snap.outbox = await rows(Outbox.agent_id, Outbox.status, Outbox.kind, n)
        snap.leads = await rows(Lead.agent_id, Lead.status, n)
        snap.runs = await rows(AgentRun.agent_id, AgentRun.step, AgentRun.decision, n)
        snap.consent = await rows(ConsentEvent.agent_id, ConsentEvent.action, ConsentEvent.source, n)
        snap.events = await rows(Event.agent_id, Event.kind, n)
        snap.model = await rows(
            AgentRun.agent_id, AgentRun.engine, AgentRun.model, n, func.coalesce(func.sum(AgentRun.tokens_in), 0),
            func.coalesce(func.sum(AgentRun.tokens_out), 0), func.coalesce(func.sum(AgentRun.latency_ms), 0.0), *buckets,
            where=[AgentRun.latency_ms.is_not(None)], group=[AgentRun.agent_id, AgentRun.engine, AgentRun.model])
    counts = dict(ALERTS.counts)
    for agent in snap.agents:  # every configured agent and kind has its series, at 0 until an alert
        for kind in KINDS:
            counts.setdefault((agent, kind), 0)
    snap.alerts = [(agent, kind, n) for (agent, kind), n in sorted(counts.items())]
    now, wall, tasks = time.monotonic(), time.time(), running_tasks()
    for a in app.agents:
        w, s = a.watcher, a.sender
        snap.live.append({"agent": a.runtime.name, "connected": w.connected, "login_failed": w.auth_failed,
                          "reconnects": w.reconnects, "handled": w.handled_total,
                          "fetch_at": None if w.last_fetch_ok is None else wall - (now - w.last_fetch_ok),
                          "sender_running": s.name in tasks, "halted": s.halted_until > now})
    return snap


def families(snap: Snapshot) -> Iterator[Metric]:
    """The metric families of one snapshot (every name prefixed sqa_)."""
    yield _counter("sqa_messages", "Mails stored, by direction (in/out) and kind (human, bounce, auto_reply, ...)",
                   ["agent", "direction", "kind"], snap.messages)
    sent = [(agent, kind, count) for agent, status, kind, count in snap.outbox if status == OutboxStatus.SENT]
    yield _counter("sqa_mails_sent", "Mails the SMTP server accepted, by outbox kind (reply, first, follow_up, notice)",
                   ["agent", "kind"], sent)
    yield _counter("sqa_replies_sent", "Replies to leads the SMTP server accepted",
                   ["agent"], _zeros(snap.agents, [(a, c) for a, k, c in sent if k == OutboxKind.REPLY]))
    yield _gauge("sqa_outbox", "Outbox rows by status (awaiting_approval, queued, sending are the depth; unknown needs a human)",
                 ["agent", "status"], _sum_by(snap.outbox, 2))
    yield _gauge("sqa_leads", "Leads by status", ["agent", "status"], snap.leads)
    yield _counter("sqa_agent_runs", "Recorded decisions, by step and decision (engage/reply, engage/handoff, send/sent, ...)",
                   ["agent", "step", "decision"], snap.runs)
    yield _counter("sqa_handoffs", "Leads handed to a seller (engage decision handoff)",
                   ["agent"], _zeros(snap.agents, [(a, c) for a, step, d, c in snap.runs if step == "engage" and d == "handoff"]))
    yield _counter("sqa_bounces", "Bounces by type (hard, soft, policy, unattributed)",
                   ["agent", "type"], [(a, d, c) for a, step, d, c in snap.runs if step == "bounce" and d != "rate_alert"])
    yield _counter("sqa_opt_outs", "Opt-outs recorded in the consent log, by source (one_click, reply, bounce, admin, ...)",
                   ["agent", "source"], [(a, src, c) for a, action, src, c in snap.consent if action == "opt_out"])
    yield _counter("sqa_lead_events", "Handoff events (handoff, disqualified, escalated) for MQTT / webhook",
                   ["agent", "kind"], snap.events)
    yield _counter("sqa_alerts", "Alerts raised (imap_auth, smtp_auth, watcher_stalled, bounce_rate, complaint_rate, "
                   "sending_halted, oauth_refresh) by this process; "
                   "each is also an ERROR log line and an MQTT event on <prefix>/<agent>/alerts", ["agent", "kind"], snap.alerts)
    yield from _model(snap.model)
    yield from _live(snap.live)


def _model(rows: list[tuple[Any, ...]]) -> Iterator[Metric]:
    labels = ["agent", "engine", "model"]
    requests = CounterMetricFamily("sqa_model_requests", "Engine runs with a measured latency", labels=labels)
    tokens = CounterMetricFamily("sqa_model_tokens", "Model tokens used, by type (input, output)", labels=[*labels, "type"])
    latency = HistogramMetricFamily("sqa_model_latency_seconds", "Engine latency per run", labels=labels)
    for agent, engine, model, count, tokens_in, tokens_out, sum_ms, *cumulative in rows:
        key = [agent, engine or "", model or ""]
        requests.add_metric(key, count)
        tokens.add_metric([*key, "input"], int(tokens_in or 0))
        tokens.add_metric([*key, "output"], int(tokens_out or 0))
        bounds = [(_le(b), int(c or 0)) for b, c in zip(LATENCY_BUCKETS, cumulative)] + [("+Inf", count)]
        latency.add_metric(key, bounds, float(sum_ms or 0.0) / 1000.0)
    yield requests
    yield tokens
    yield latency


def _live(live: list[dict[str, Any]]) -> Iterator[Metric]:
    def gauge(name: str, doc: str, key: str) -> GaugeMetricFamily:
        return _gauge(name, doc, ["agent"], [(x["agent"], float(x[key])) for x in live])

    yield gauge("sqa_imap_connected", "1 while the agent's mailbox is connected and watched", "connected")
    yield gauge("sqa_imap_login_failed", "1 while the mailbox refuses the login (an ALERT is logged)", "login_failed")
    yield _counter("sqa_imap_reconnects", "Watched mailbox connections lost and re-opened (this process)",
                   ["agent"], [(x["agent"], x["reconnects"]) for x in live])
    yield _counter("sqa_imap_handled", "Fetched mails handled (this process)", ["agent"], [(x["agent"], x["handled"]) for x in live])
    yield _gauge("sqa_imap_last_fetch_timestamp_seconds", "Unix time of the last complete sync of the mailbox "
                 "(alert on time() - this)", ["agent"], [(x["agent"], x["fetch_at"]) for x in live if x["fetch_at"] is not None])
    yield gauge("sqa_sender_running", "1 while the agent's sender task runs", "sender_running")
    yield gauge("sqa_sender_halted", "1 while sending is halted after an SMTP authentication failure", "halted")


def _zeros(agents: list[str], rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(agent, count) rows plus a 0 for each configured agent without one (an alert on 0 needs the series)."""
    seen = {a for a, _ in rows}
    return rows + [(a, 0) for a in agents if a not in seen]


def _le(bound: float) -> str:
    return repr(float(bound))


def _sum_by(rows: list[tuple[Any, ...]], drop: int) -> list[tuple[Any, ...]]:
    """Rows without column ``drop``, counts of equal label sets added."""
    out: dict[tuple, int] = {}
    for r in rows:
        key = r[:drop] + r[drop + 1 : -1]
        out[key] = out.get(key, 0) + r[-1]
    return [(*k, v) for k, v in out.items()]


def _counter(name: str, doc: str, labels: list[str], rows: Iterable[tuple[Any, ...]]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=labels)
    for r in rows:
        family.add_metric([str(v) for v in r[:-1]], r[-1])
    return family


def _gauge(name: str, doc: str, labels: list[str], rows: Iterable[tuple[Any, ...]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for r in rows:
        family.add_metric([str(v) for v in r[:-1]], r[-1])
    return family


class _SnapshotCollector:
    """Yields the families of the snapshot taken just before (collect() is synchronous; the queries are not)."""

    def __init__(self) -> None:
        self.snap = Snapshot()

    def describe(self) -> list[Metric]:
        return []  # nothing at registration: the families depend on the data

    def collect(self) -> Iterator[Metric]:
        return families(self.snap)


class Metrics:
    """The app's metrics: ``await render()`` takes a snapshot and returns the exposition text."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.registry = CollectorRegistry(auto_describe=False)
        self._collector = _SnapshotCollector()
        self.registry.register(self._collector)
        self._lock = asyncio.Lock()  # concurrent scrapes take turns: one snapshot is rendered at a time

    async def render(self) -> bytes:
        async with self._lock:
            self._collector.snap = await snapshot(self.app)
            return generate_latest(self.registry)
