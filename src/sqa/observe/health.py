"""/healthz: is every mailbox watched and every sender running, per agent.

What a load balancer or an on-call person needs to tell "the daemon is up"
from "the daemon is up but one mailbox has been unreachable for an hour":
the watchers' and senders' in-memory state (no I/O) plus one small grouped
query for the outbox depth (the `ix_outbox_due` index covers it). Nothing
about leads: agent names, times, counts and the mail servers' error text only.

Unhealthy (HTTP 503) when a watcher is stalled (connected, but no fetch or
IDLE renewal for longer than its stall threshold: Watcher.check_stall, which
also raises the alert), or has been disconnected, or its login refused, for
longer than the threshold: a short reconnect (backoff, an IDLE
renewal, a server restart) must not page anyone. A sender task that is not
running (the daemon is stopping, or the supervisor lost it) is unhealthy at
once: nothing would be sent.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from sqa.db.models import Outbox, OutboxStatus
from sqa.db.session import READ_ONLY

if TYPE_CHECKING:
    from sqa.daemon.app import App

# A watcher down for longer than this turns /healthz to 503 (settings.web.healthz_down_after_s when that
# key exists). 5 minutes: longer than one capped reconnect backoff (reconnect_max_s, 300 s by default is the
# outer bound) would normally need, shorter than anyone would accept mail going unanswered unnoticed.
DOWN_AFTER_S = 300.0

# Outbox states that are work not yet done (or stuck): the depth an operator watches.
DEPTH_STATES = (OutboxStatus.AWAITING_APPROVAL, OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.UNKNOWN)


def down_after_s(app: App) -> float:
    """The threshold: the config key if the settings have it, else the module constant (read at call time)."""
    value = getattr(app.settings.web, "healthz_down_after_s", None)
    return float(value) if value is not None else DOWN_AFTER_S


def wall_time(monotonic: float | None, now_mono: float, now_wall: float) -> str | None:
    """A monotonic instant as an ISO 8601 UTC time (the services record monotonic times: immune to clock steps)."""
    if monotonic is None:
        return None
    when = datetime.fromtimestamp(now_wall - (now_mono - monotonic), timezone.utc)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def running_tasks() -> set[str]:
    """Names of the unfinished tasks of this loop: the supervisor names each service's task after it."""
    return {t.get_name() for t in asyncio.all_tasks() if not t.done()}


async def outbox_depth(app: App) -> dict[int, dict[str, int]]:
    """agent id -> {state: rows} for the states in DEPTH_STATES (zeros included): one grouped query."""
    depth = {r.id: {str(s): 0 for s in DEPTH_STATES} for r in app.runtimes}
    async with app.sessionmaker(execution_options=READ_ONLY) as session:
        rows = await session.execute(
            select(Outbox.agent_id, Outbox.status, func.count())
            .where(Outbox.status.in_([str(s) for s in DEPTH_STATES]))
            .group_by(Outbox.agent_id, Outbox.status))
        for agent_id, status, count in rows:
            depth.setdefault(agent_id, {str(s): 0 for s in DEPTH_STATES})[status] = count
    return depth


async def report(app: App, *, threshold: float | None = None) -> tuple[bool, dict[str, Any]]:
    """(healthy, the JSON document). ``threshold`` defaults to down_after_s(app)."""
    threshold = down_after_s(app) if threshold is None else threshold
    depth = await outbox_depth(app)
    now_mono, now_wall = time.monotonic(), time.time()  # after the query: no service time lies in the future
    tasks = running_tasks()
    problems: list[str] = []
    agents: dict[str, Any] = {}
    for a in app.agents:
        name, w, s = a.runtime.name, a.watcher, a.sender
        down_for = None if w.connected or w.down_since is None else round(now_mono - w.down_since, 3)
        since_fetch = None if w.last_fetch_ok is None else round(now_mono - w.last_fetch_ok, 3)
        if down_for is not None and down_for > threshold:
            why = "login refused" if w.auth_failed else "disconnected"
            problems.append(f"agent {name}: mailbox {why} for {down_for:.0f} s ({w.last_error or 'not connected yet'})")
        stalled = bool(getattr(w, "stalled", False))  # connected, but no fetch or IDLE renewal for too long
        if stalled and w.connected:
            idle_for = now_mono - (w.progress_at or now_mono)
            problems.append(f"agent {name}: mailbox connected but stalled: no fetch or IDLE renewal for {idle_for:.0f} s")
        running = s.name in tasks
        if not running:
            problems.append(f"agent {name}: sender not running")
        halted = s.halt_reason if s.halted_until > now_mono else None
        agents[name] = {
            "watcher": {
                "connected": w.connected,
                "login_failed": w.auth_failed,
                "down_for_s": down_for,
                "last_error": None if w.connected else w.last_error,
                "last_fetch_at": wall_time(w.last_fetch_ok, now_mono, now_wall),
                "seconds_since_fetch": since_fetch,
                "reconnects": w.reconnects,
                "stalled": stalled,
            },
            "sender": {
                "running": running,
                "last_send_at": wall_time(s.last_send_ok, now_mono, now_wall),
                "seconds_since_send": None if s.last_send_ok is None else round(now_mono - s.last_send_ok, 3),
                "halted": halted,
            },
            "outbox": depth.get(a.runtime.id, {}),
        }
    healthy = not problems
    return healthy, {"status": "ok" if healthy else "down", "down_after_s": threshold, "problems": problems,
                     "agents": agents}


def status_line(app: App) -> str:
    """One short line for systemd's STATUS= (no I/O): what `systemctl status sqa` shows between reloads."""
    watching = sum(a.watcher.connected for a in app.agents)
    handled = sum(a.watcher.handled_total for a in app.agents)
    sent = sum(a.sender.sent_total for a in app.agents)
    failed = [a.runtime.name for a in app.agents if a.watcher.auth_failed]
    line = f"{len(app.agents)} agents, {watching} mailboxes watched, {handled} mails handled, {sent} sent"
    return line + (f", login failed: {', '.join(failed)}" if failed else "")
