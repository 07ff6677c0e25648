"""The "handoff-publisher" service: deliver pending events rows to MQTT and the webhook.

The rows are written in the batch transaction that made the decision, so a crash
after that commit loses nothing: at the next start the row is still pending.
A round claims due rows in a short transaction (SKIP LOCKED on PostgreSQL; the
claim moves next_attempt_at a lease ahead, so a process that dies mid-round
leaves them due again after the lease), delivers them outside any transaction,
then stamps mqtt_sent_at / webhook_sent_at; a failed channel is retried with
capped exponential backoff until it acknowledges. An event done for every
channel configured at the time gets next_attempt_at NULL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.config import Settings
from sqa.db.models import Event, utcnow
from sqa.db.session import READ_ONLY
from sqa.handoff.mqtt import MqttPublisher
from sqa.handoff.webhook import WebhookPoster
from sqa.mailbox.outbox import backoff

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Due:
    id: int
    agent: str
    lead_id: int | None
    kind: str
    body: bytes
    attempts: int
    mqtt_sent: bool
    webhook_sent: bool


def event_body(event_id: int, payload: dict[str, Any]) -> bytes:
    """The JSON both channels carry: the stored payload plus its event id (for deduplication)."""
    return json.dumps({"event_id": event_id, **payload}, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


class HandoffPublisher:
    name = "handoff-publisher"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings.handoff
        self.mqtt = MqttPublisher(settings.mqtt) if settings.mqtt is not None else None
        self.webhook = WebhookPoster(settings.handoff.webhook) if settings.handoff.webhook is not None else None
        self._wake = asyncio.Event()
        self.delivered_total = 0

    @property
    def enabled(self) -> bool:
        return self.mqtt is not None or self.webhook is not None

    def wake(self) -> None:
        """Called after a batch commits: its events may be due now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            await self.publish_due(stop)
            await _wait(stop, self._wake, await self._seconds_to_next_due())

    async def publish_due(self, stop: asyncio.Event | None = None) -> int:
        """Rounds until nothing is due; returns how many events were fully delivered."""
        done = 0
        while self.enabled and (stop is None or not stop.is_set()):
            rows = await self._claim()
            if not rows:
                break
            done += await self._deliver(rows, stop)
            if len(rows) < BATCH:
                break
        return done

    def _pending(self) -> Any:
        channels = []
        if self.mqtt is not None:
            channels.append(Event.mqtt_sent_at.is_(None))
        if self.webhook is not None:
            channels.append(Event.webhook_sent_at.is_(None))
        return or_(*channels)

    async def _claim(self) -> list[Due]:
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            due = (select(Event.id).where(Event.next_attempt_at <= now, self._pending())
                   .order_by(Event.next_attempt_at, Event.id).limit(BATCH).with_for_update(skip_locked=True)
                   .scalar_subquery())
            result = await session.execute(
                update(Event).where(Event.id.in_(due))
                .values(next_attempt_at=now + LEASE, attempts=Event.attempts + 1)
                .returning(Event.id, Event.agent_id, Event.lead_id, Event.kind, Event.payload, Event.attempts,
                           Event.mqtt_sent_at, Event.webhook_sent_at)
                .execution_options(synchronize_session=False))
            rows = result.all()
        out = [Due(r.id, r.payload.get("agent", str(r.agent_id)), r.lead_id, r.kind, event_body(r.id, r.payload),
                   r.attempts, r.mqtt_sent_at is not None, r.webhook_sent_at is not None) for r in rows]
        out.sort(key=lambda d: d.id)
        return out

    async def _deliver(self, rows: list[Due], stop: asyncio.Event | None) -> int:
        errors: dict[int, list[str]] = {r.id: [] for r in rows}
        mqtt_ok: set[int] = set()
        hook_ok: set[int] = set()
        if self.mqtt is not None:
            todo = [r for r in rows if not r.mqtt_sent]
            results = await self.mqtt.publish([(self.mqtt.topic(r.agent, r.lead_id, r.kind), r.body) for r in todo],
                                              stopping=lambda: stop is not None and stop.is_set())
            for r, err in zip(todo, results):
                (errors[r.id].append(err) if err else mqtt_ok.add(r.id))
        if self.webhook is not None:
            todo = [r for r in rows if not r.webhook_sent]
            results = await self.webhook.post([(r.id, r.body) for r in todo])
            for r, err in zip(todo, results):
                (errors[r.id].append(err) if err else hook_ok.add(r.id))
        now = utcnow()
        updates = []
        delivered = 0
        for r in rows:
            values: dict[str, Any] = {"id": r.id}
            if r.id in mqtt_ok:
                values["mqtt_sent_at"] = now
            if r.id in hook_ok:
                values["webhook_sent_at"] = now
            if errors[r.id]:
                values["next_attempt_at"] = now + timedelta(
                    seconds=backoff(r.attempts, self.settings.retry_base_s, self.settings.retry_max_s))
                values["last_error"] = "; ".join(errors[r.id])[:2000]
                log.warning("event %d (%s, lead %s) not delivered, attempt %d: %s", r.id, r.kind, r.lead_id,
                            r.attempts, values["last_error"])
            else:
                values["next_attempt_at"] = None
                values["last_error"] = None
                delivered += 1
            updates.append(values)
        async with self.sessionmaker() as session, session.begin():
            for group in _same_keys(updates):
                await session.execute(update(Event), group)
        self.delivered_total += delivered
        return delivered

    async def _seconds_to_next_due(self) -> float:
        if not self.enabled:
            return self.settings.poll_s
        async with self.sessionmaker(execution_options=READ_ONLY) as session:
            nxt: datetime | None = await session.scalar(select(func.min(Event.next_attempt_at)).where(self._pending()))
        if nxt is None:
            return self.settings.poll_s
        return max(0.0, min(self.settings.poll_s, (nxt - utcnow()).total_seconds()))


def _same_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(r)), []).append(r)
    return list(groups.values())


async def _wait(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    """Sleep until ``stop`` or ``wake`` is set, or ``timeout`` passes."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
