"""Alerts that cannot stay silent: one ERROR log line, a counter, an MQTT event.

An alert is what an operator must act on (a refused IMAP or SMTP login, a
stalled watcher, a bounce or complaint rate over its threshold, cold mail halted for complaints). ``raise_alert`` is the one
call the sites make; it never blocks and never raises:

- the ERROR line ``ALERT agent NAME: message`` with ``alert_kind`` and
  ``agent`` as structured fields (sqa.logs turns them into JSON keys);
- ``sqa_alerts_total{agent,kind}``: an in-memory count the /metrics collector
  reads at scrape time (this process only: alerts are events, not rows);
- an event on ``<topic_prefix>/<agent>/alerts`` (JSON: kind, agent, message,
  time; QoS 1) when MQTT is configured. The event is put on a bounded queue
  that ``AlertPublisher`` drains: a broker that is down or slow never holds up
  a watcher or a sender. Beyond the bound the oldest queued alert is dropped,
  with a log line, because the newest says most about the present.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timezone

from sqa.config import MqttSettings
from sqa.handoff.mqtt import MqttPublisher

log = logging.getLogger(__name__)

# Alert kinds (the metric's `kind` label and the event's `kind`): a fixed vocabulary.
IMAP_AUTH = "imap_auth"
SMTP_AUTH = "smtp_auth"
WATCHER_STALLED = "watcher_stalled"
BOUNCE_RATE = "bounce_rate"
COMPLAINT_RATE = "complaint_rate"
SENDING_HALTED = "sending_halted"
KINDS = (IMAP_AUTH, SMTP_AUTH, WATCHER_STALLED, BOUNCE_RATE, COMPLAINT_RATE, SENDING_HALTED)

QUEUE_MAX = 1000  # alerts waiting for the broker; beyond: the oldest is dropped


@dataclass(frozen=True, slots=True)
class Alert:
    agent: str
    kind: str
    message: str
    time: str  # ISO 8601 UTC

    def payload(self) -> bytes:
        return json.dumps({"kind": self.kind, "agent": self.agent, "message": self.message, "time": self.time},
                          ensure_ascii=False, sort_keys=True).encode("utf-8")


class AlertQueue:
    """The alerts one publisher has yet to send (bounded; the oldest goes first when full)."""

    def __init__(self, maxlen: int = QUEUE_MAX) -> None:
        self.items: deque[Alert] = deque()
        self.maxlen = maxlen
        self.dropped = 0
        self.ready = asyncio.Event()

    def put(self, alert: Alert) -> None:
        if len(self.items) >= self.maxlen:
            old = self.items.popleft()
            self.dropped += 1
            log.warning("alert queue full (%d): dropped the oldest alert (%s, agent %s, %s)", self.maxlen, old.kind,
                        old.agent, old.time, extra={"agent": old.agent, "alert_kind": old.kind})
        self.items.append(alert)
        self.ready.set()


class AlertRecord:
    """This process's alerts: counts for /metrics and the queues of the running publishers."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.queues: list[AlertQueue] = []

    def add(self, alert: Alert) -> None:
        self.counts[(alert.agent, alert.kind)] += 1
        for queue in self.queues:
            queue.put(alert)


ALERTS = AlertRecord()


def raise_alert(agent: str, kind: str, message: str) -> Alert:
    """Log, count and queue one alert (never blocks, never raises). ``message`` must hold no secret."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    alert = Alert(agent, kind, message, now)
    log.error("ALERT agent %s: %s", agent, message, extra={"agent": agent, "alert_kind": kind})
    ALERTS.add(alert)
    return alert


class AlertPublisher:
    """Service "alert-publisher": sends queued alerts to ``<prefix>/<agent>/alerts`` with QoS 1.

    An alert the broker did not acknowledge stays at the head of the queue and
    is tried again after a capped backoff; alerts are not stored in the database,
    so those still queued at shutdown are lost (the log line and the counter
    remain).
    """

    name = "alert-publisher"

    def __init__(self, settings: MqttSettings, record: AlertRecord = ALERTS, maxlen: int = QUEUE_MAX,
                 retry_max_s: float = 60.0) -> None:
        self.mqtt = MqttPublisher(settings)
        self.prefix = settings.topic_prefix
        self.record = record
        self.queue = AlertQueue(maxlen)
        self.retry_max_s = retry_max_s
        self.published = 0
        record.queues.append(self.queue)  # from now on: alerts raised before run() starts are kept too

    def topic(self, agent: str) -> str:
        return f"{self.prefix}/{agent}/alerts"

    def close(self) -> None:
        if self.queue in self.record.queues:
            self.record.queues.remove(self.queue)

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            if not self.queue.items:
                self.queue.ready.clear()
                await _wait(stop, self.queue.ready, None)
                continue
            batch = list(self.queue.items)
            errors = await self.mqtt.publish([(self.topic(a.agent), a.payload()) for a in batch], stopping=stop.is_set)
            sent = 0
            for alert, error in zip(batch, errors):
                if error is not None:
                    break
                if self.queue.items and self.queue.items[0] is alert:  # not dropped meanwhile
                    self.queue.items.popleft()
                sent += 1
            self.published += sent
            if sent < len(batch) and not stop.is_set():
                failures += 1
                delay = min(self.retry_max_s, 0.5 * 2**failures)
                log.warning("alerts not delivered to MQTT (%d waiting): %s; retry in %.1f s", len(self.queue.items),
                            errors[sent], delay)
                await _wait(stop, None, delay)
            else:
                failures = 0


async def _wait(stop: asyncio.Event, wake: asyncio.Event | None, timeout: float | None) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
