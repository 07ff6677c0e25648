"""SIGHUP: re-read the configuration and apply what can change while mail is being handled.

Live: the agents (added ones start watching and sending, removed ones stop
gracefully, changed ones take their new templates, caps, window, cadence and
qualification at their next message or claim), the alerts section, and the
daemon's log format and level and grace periods. An agent whose mailbox
logins, address, DKIM key or OAuth settings changed has its services
restarted: the old watcher finishes its batch, the old sender its sends in
flight, then new ones log in.

Not live (kept as they were, with one WARNING naming them): everything the
process opened at start: the database, state_dir, the web listener, the
engine, consent token keys, MQTT and webhook delivery, and the daemon's
instance name and analysis workers. Restart the service for those.

An invalid file changes nothing: the caller logs the ConfigError's one line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqa.config import AgentSettings, Settings
from sqa.mailbox.watcher import stall_after_s
from sqa.runtime import AgentRuntime, ensure_agents

if TYPE_CHECKING:
    from sqa.daemon.app import AgentServices
    from sqa.daemon.supervisor import Supervisor

log = logging.getLogger(__name__)

LIVE_SECTIONS = frozenset({"agents", "alerts", "daemon"})  # every other top-level key needs a restart
LIVE_DAEMON = frozenset({"grace_s", "hard_deadline_s", "log_format", "log_level"})
# an agent whose one of these changed gets new services (new logins, new classification context)
RESTART_KEYS = ("address", "imap", "smtp", "dkim", "oauth")


@dataclass
class Plan:
    settings: Settings  # what runs after the reload: the new file with the non-live keys as they were
    kept: list[str] = field(default_factory=list)  # non-live keys the file changed (still the old values)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # live changes: the running services take the new runtime

    def summary(self) -> str:
        parts = [f"{what} {', '.join(names)}" for what, names in (("added", self.added), ("removed", self.removed),
                 ("restarted", self.restarted), ("updated", self.updated)) if names]
        return "; ".join(parts) or "no agent changed"


def plan(old: Settings, new: Settings) -> Plan:
    """Compare the running settings with the file's: what to apply, what to keep."""
    keep: dict[str, object] = {}
    kept: list[str] = []
    for name in type(new).model_fields:
        if name in LIVE_SECTIONS:
            continue
        if getattr(old, name) != getattr(new, name):
            keep[name] = getattr(old, name)
            kept.append(name)
    daemon_keep = {k: getattr(old.daemon, k) for k in type(new.daemon).model_fields
                   if k not in LIVE_DAEMON and getattr(old.daemon, k) != getattr(new.daemon, k)}
    if daemon_keep:
        keep["daemon"] = new.daemon.model_copy(update=daemon_keep)
        kept += [f"daemon.{k}" for k in daemon_keep]
    effective = new.model_copy(update=keep) if keep else new
    before = {a.name: a for a in old.agents}
    after = {a.name: a for a in new.agents}
    result = Plan(effective, kept)
    result.removed = [n for n in before if n not in after]
    for name, agent in after.items():
        previous = before.get(name)
        if previous is None:
            result.added.append(name)
        elif needs_restart(previous, agent):
            result.restarted.append(name)
        elif previous != agent:
            result.updated.append(name)
    return result


def needs_restart(old: AgentSettings, new: AgentSettings) -> bool:
    return any(getattr(old, k, None) != getattr(new, k, None) for k in RESTART_KEYS)


def shared(runtimes: list[AgentRuntime], like: AgentRuntime | None) -> list[AgentRuntime]:
    """The new runtimes with the daemon's one consent gate and token signer (the web routes and senders share them)."""
    if like is None:
        return runtimes
    return [replace(r, gate=like.gate, signer=like.signer) for r in runtimes]


async def apply_reload(sup: Supervisor, new: Settings) -> Plan:
    """Apply ``new`` to the running daemon (see the module docstring); raises before changing anything on failure."""
    app = sup.app
    p = plan(app.settings, new)
    if p.kept:
        log.warning("reload: %s cannot change while running: the old values stay until a restart", ", ".join(p.kept),
                    extra={"kept": p.kept})
    # the database first (rows of added agents, changed addresses): if it fails, nothing has changed yet
    runtimes = shared(await ensure_agents(app.sessionmaker, p.settings, app.clock), app.runtimes[0] if app.runtimes else None)
    running = {a.runtime.name: a for a in app.agents}
    for name in p.removed + p.restarted:  # their batches and sends in flight finish first
        await sup.stop_agent(running[name])
    app.settings = p.settings  # services built from here on read the new settings
    started: list[AgentServices] = []
    agents: list[AgentServices] = []
    for runtime in runtimes:
        services = running.get(runtime.name)
        if services is None or runtime.name in p.restarted:
            services = app.add_services(runtime)
            started.append(services)
        else:
            services.use(runtime)
            services.watcher.stall_after_s = stall_after_s(runtime.settings.imap, p.settings.alerts.watcher_stall_s)
        agents.append(services)
    app.agents, app.runtimes = agents, runtimes
    if app.scheduler is not None:
        app.scheduler.runtimes = runtimes
    loaded = getattr(app.engage, "_loaded", None)  # the knowledge folders are read again at their next use
    if isinstance(loaded, dict):
        loaded.clear()
    for services in started:
        sup.start_agent(services)
    if sup.configure_logging is not None:
        sup.configure_logging(p.settings)
    log.info("configuration reloaded: %s", p.summary(),
             extra={"added": p.added, "removed": p.removed, "restarted": p.restarted, "updated": p.updated})
    await sup.wait_for_logins(started)
    return p
