"""The optional HTTP webhook: a POST of each event's JSON, signed with HMAC-SHA256.

Headers: ``X-SQA-Timestamp`` (Unix seconds), ``X-SQA-Signature: sha256=<hex>``
where the MAC is HMAC-SHA256(secret, timestamp + "." + body) — the timestamp is
signed too, so a receiver can refuse replays older than a few minutes —, and
``X-SQA-Event`` (the event id; deliveries are at-least-once: dedupe on it).
Any 2xx is success; anything else is retried with capped backoff. Redirects are
not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

import httpx2

from sqa.config import WebhookSettings

SIGNATURE_HEADER = "X-SQA-Signature"
TIMESTAMP_HEADER = "X-SQA-Timestamp"
EVENT_HEADER = "X-SQA-Event"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: bytes, headers: Mapping[str, str], body: bytes, *, max_age_s: float = 300.0,
           now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (constant-time compare)."""
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp = lower.get(TIMESTAMP_HEADER.lower(), "")
    given = lower.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > max_age_s:
        return False
    return hmac.compare_digest(given, sign(secret, timestamp, body))


class WebhookPoster:
    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self._key = settings.key()

    async def post(self, items: list[tuple[int, bytes]]) -> list[str | None]:
        """POST each (event id, body); per item None on a 2xx, else the error."""
        errors: list[str | None] = []
        async with httpx2.AsyncClient(timeout=self.settings.timeout_s, follow_redirects=False) as client:
            for event_id, body in items:
                timestamp = str(int(time.time()))
                headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp, EVENT_HEADER: str(event_id),
                           SIGNATURE_HEADER: sign(self._key, timestamp, body), "User-Agent": "sqa-engage"}
                try:
                    response = await client.post(self.settings.url, content=body, headers=headers)
                except httpx2.HTTPError as exc:
                    errors.append(f"webhook: {type(exc).__name__}: {exc}"[:500])
                    continue
                ok = 200 <= response.status_code < 300
                errors.append(None if ok else f"webhook: HTTP {response.status_code}")
        return errors
