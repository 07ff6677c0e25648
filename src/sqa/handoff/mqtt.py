"""MQTT delivery of handoff events with aiomqtt: QoS 1, one connection per round.

``publish`` returns only when the broker has acknowledged (PUBACK) each message
it reports as sent; anything else is an error string the publisher records and
retries later. QoS 1 is at-least-once: a PUBACK lost with the connection means
the event is sent again, so consumers dedupe on ``event_id``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence

import aiomqtt

from sqa.config import MqttSettings


def topic(prefix: str, agent: str, lead_id: int | None, kind: str) -> str:
    """``<prefix>/<agent>/leads/<lead_id>/<kind>`` (kind: handoff | disqualified | escalated)."""
    return f"{prefix}/{agent}/leads/{lead_id if lead_id is not None else 'none'}/{kind}"


class MqttPublisher:
    def __init__(self, settings: MqttSettings) -> None:
        self.settings = settings

    def topic(self, agent: str, lead_id: int | None, kind: str) -> str:
        return topic(self.settings.topic_prefix, agent, lead_id, kind)

    def _client(self) -> aiomqtt.Client:
        s = self.settings
        return aiomqtt.Client(
            s.host, s.port, username=s.username, password=s.password.get_secret_value() if s.password else None,
            identifier=s.client_id, timeout=s.timeout_s, tls_context=ssl.create_default_context() if s.tls else None)

    async def publish(self, items: Sequence[tuple[str, bytes]], stopping: Callable[[], bool] = lambda: False) -> list[str | None]:
        """Publish each (topic, payload) with QoS 1; per item None when acknowledged, else the error."""
        errors: list[str | None] = ["not tried"] * len(items)
        if not items:
            return errors
        where = f"mqtt {self.settings.host}:{self.settings.port}"
        try:
            async with self._client() as client:
                for i, (name, payload) in enumerate(items):
                    if stopping():
                        break
                    await client.publish(name, payload, qos=1, timeout=self.settings.timeout_s)
                    errors[i] = None
        except (aiomqtt.MqttError, OSError) as exc:  # OSError: e.g. TLS or DNS failures below paho
            for i, e in enumerate(errors):
                if e is not None:
                    errors[i] = f"{where}: {exc}"[:500]
        return errors
