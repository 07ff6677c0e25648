"""What an operator does with consent: opt an address out or in, read its history, export the log.

Everything goes through :mod:`sqa.consent.store` (one transaction per change, the
log append-only); this module adds the admin's rules on top: an erased address is
never opted in again, and an erased address's plain text is never stored again.
"""

from __future__ import annotations

import csv
import getpass
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.consent import store
from sqa.consent.store import LogEntry, Scope, Source
from sqa.db.models import Agent

EXPORT_COLUMNS = ("id", "address", "address_hash", "agent_id", "scope", "action", "source", "evidence", "actor",
                  "created_at")


class ConsentRefused(Exception):
    """An admin change the rules do not allow (the message says why)."""


def actor(environ: Mapping[str, str] | None = None) -> str:
    """Who is at the keyboard: the user behind sudo, else the OS user."""
    env = os.environ if environ is None else environ
    if env.get("SUDO_USER"):
        return env["SUDO_USER"]
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return f"uid {os.getuid()}"


def day(when: datetime) -> str:
    return f"{when:%Y-%m-%d}"


@dataclass(frozen=True, slots=True)
class AdminChange:
    recorded: bool  # False: already so, nothing recorded
    cancelled: int = 0  # queued mails cancelled
    leads: tuple[int, ...] = ()  # leads whose status changed
    erased_at: datetime | None = None  # the address was erased (always suppressed)


async def opt_out(sessionmaker: async_sessionmaker[AsyncSession], address: str, *, agent_id: int | None, reason: str,
                  who: str) -> AdminChange:
    """Opt out for one agent (``agent_id``) or every agent (None)."""
    async with sessionmaker() as session, session.begin():
        erased = await store.erased_at(session, address)
        if erased is not None:  # suppressed for every agent for good; do not store the plain address again
            return AdminChange(recorded=False, erased_at=erased)
        change = await store.opt_out(session, address, agent_id=agent_id, scope=Scope.AGENT if agent_id else Scope.ALL,
                                     source=Source.ADMIN, gate=None, evidence={"reason": reason}, actor=who)
        return AdminChange(change.recorded, change.cancelled, change.leads)


async def opt_in(sessionmaker: async_sessionmaker[AsyncSession], address: str, *, agent_id: int | None,
                 reason: str | None, who: str) -> AdminChange:
    """An explicit opt-in by an admin; refused for an erased address."""
    async with sessionmaker() as session, session.begin():
        erased = await store.erased_at(session, address)
        if erased is not None:
            raise ConsentRefused(f"{store.normalize(address)} was erased on {day(erased)} (GDPR): "
                                 "an erased address cannot be opted in by an admin")
        change = await store.opt_in(session, address, agent_id=agent_id, scope=Scope.AGENT if agent_id else Scope.ALL,
                                    source=Source.ADMIN, evidence={"reason": reason} if reason else None, actor=who)
        return AdminChange(change.recorded, change.cancelled, change.leads)


@dataclass(frozen=True, slots=True)
class AgentState:
    agent: str
    why: str | None  # None: may be mailed
    since: datetime | None

    def line(self) -> str:
        if self.why is None:
            return f"may be mailed by {self.agent}"
        return f"suppressed for {self.agent}: {self.why} since {self.since:%Y-%m-%d %H:%M:%S} UTC"


@dataclass(frozen=True, slots=True)
class AddressReport:
    address: str
    address_hash: str
    erased_at: datetime | None
    events: list[LogEntry]
    agent_names: dict[int, str]
    states: list[AgentState]

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "address_hash": self.address_hash,
                "erased_at": self.erased_at.isoformat() if self.erased_at else None,
                "events": [{**e.as_dict(), "agent": self.agent_names.get(e.agent_id) if e.agent_id else None}
                           for e in self.events],
                "state": [{"agent": s.agent, "suppressed": s.why is not None, "why": s.why,
                           "since": s.since.isoformat() if s.since else None} for s in self.states]}


async def address_report(sessionmaker: async_sessionmaker[AsyncSession], address: str,
                         agents: Iterable[tuple[int, str]]) -> AddressReport:
    """The history of an address and its state for each configured agent ``(id, name)``."""
    async with sessionmaker() as session:
        events = await store.history(session, address)
        names: dict[int, str] = {i: n for i, n in (await session.execute(select(Agent.id, Agent.name))).all()}
        states = []
        for agent_id, name in agents:
            found = (await store.suppressed_since(session, [address], agent_id)).get(store.normalize(address))
            states.append(AgentState(name, *found) if found else AgentState(name, None, None))
        return AddressReport(store.normalize(address), store.address_hash(address), await store.erased_at(session, address),
                             events, names, states)


def summary(evidence: dict[str, Any] | None, width: int = 80) -> str:
    """One short line for a table cell."""
    if not evidence:
        return ""
    text = ", ".join(f"{k}={v}" for k, v in evidence.items())
    return text if len(text) <= width else text[: width - 1] + "…"


async def export_entries(sessionmaker: async_sessionmaker[AsyncSession]) -> list[LogEntry]:
    async with sessionmaker() as session:
        return await store.export(session)


def write_csv(entries: Iterable[LogEntry], fp: IO[str]) -> int:
    """One row per event, written as it goes; evidence JSON-encoded. Returns the number of rows."""
    writer = csv.writer(fp)
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for entry in entries:
        row = entry.as_dict()
        row["evidence"] = json.dumps(row["evidence"], ensure_ascii=False) if row["evidence"] is not None else ""
        writer.writerow(["" if row[c] is None else row[c] for c in EXPORT_COLUMNS])
        n += 1
    return n


def write_json(entries: Iterable[LogEntry], fp: IO[str]) -> int:
    """A JSON array, one event per line, written as it goes. Returns the number of events."""
    fp.write("[")
    n = 0
    for entry in entries:
        fp.write(",\n" if n else "\n")
        fp.write(json.dumps(entry.as_dict(), ensure_ascii=False))
        n += 1
    fp.write("\n]\n" if n else "]\n")
    return n
