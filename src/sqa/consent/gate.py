"""In-process ordering of opt-outs and sends: no mail is accepted for an address after its opt-out commits.

The outbox gate (the claim re-reads the consent log) stops every mail claimed
after an opt-out committed. This closes the remaining window, mails claimed
before it: an opt-out being decided first *blocks* its address (the sender
checks right before each SMTP transaction and puts a blocked row back; the
next claim then cancels it from the log), then *waits* for sends to that
address already in flight, so their 250 comes before the opt-out's commit.

Blocks expire after ``hold_s`` (the committed log is authoritative long
before); a rolled-back opt-out only delays mail to that address.
One gate per running daemon (App), shared by its agents' senders and every
opt-out path in it (inbound mail, the HTTP routes). Process-local: an opt-out
by another process (``sqa consent optout``) is honored from the next claim on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager



class SendGate:
    def __init__(self, hold_s: float = 600.0) -> None:
        self.hold_s = hold_s
        self._blocked: dict[tuple[str, int | None], float] = {}  # (address, agent id or None = all) -> expiry
        self._inflight: dict[str, int] = {}
        self._idle: dict[str, asyncio.Event] = {}

    def blocked(self, address: str, agent_id: int) -> bool:
        """Is an opt-out of this address, for all agents or for this one, being recorded (or just recorded)?"""
        key = address.strip().lower()
        now = time.monotonic()
        for scope in ((key, None), (key, agent_id)):
            until = self._blocked.get(scope)
            if until is not None:
                if until >= now:
                    return True
                del self._blocked[scope]
        return False

    def release(self, address: str) -> None:
        """An opt-in: lift the blocks of this address."""
        key = address.strip().lower()
        for scope in [k for k in self._blocked if k[0] == key]:
            del self._blocked[scope]

    @contextmanager
    def sending(self, address: str) -> Iterator[None]:
        """Around one SMTP transaction, from MAIL FROM to the final reply."""
        key = address.strip().lower()
        self._inflight[key] = self._inflight.get(key, 0) + 1
        try:
            yield
        finally:
            left = self._inflight[key] - 1
            if left:
                self._inflight[key] = left
            else:
                del self._inflight[key]
                idle = self._idle.pop(key, None)
                if idle is not None:
                    idle.set()

    async def hold(self, address: str, agent_id: int | None, timeout_s: float = 120.0) -> None:
        """Block new sends to ``address`` (by ``agent_id``, None = every agent), then wait for those in flight."""
        key = address.strip().lower()
        now = time.monotonic()
        self._blocked[(key, agent_id)] = now + self.hold_s
        if len(self._blocked) > 10_000:
            self._blocked = {k: v for k, v in self._blocked.items() if v > now}
        if key in self._inflight:
            idle = self._idle.setdefault(key, asyncio.Event())
            try:
                await asyncio.wait_for(idle.wait(), timeout_s)
            except (asyncio.TimeoutError, TimeoutError):
                pass  # a stuck send: its outcome is recorded as unknown by the sender, never resent

