"""The outbox sender of one agent: claim due rows, send over reused SMTP connections, record.

Exactly once: a row carries its final Message-ID before it is claimed; the
claim is committed before any byte goes out; the send journal tells, after a
crash, which claimed rows never reached the server (sent again), which were
accepted (marked sent) and which are unknown (held, never resent blindly).

The sending policy (outreach/policy.py: window, caps, warm-up, jitter) is
applied inside the claim; this sender keeps its pauses between cold mails and
takes "now" from the agent's clock, so tests move time without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from sqa.db.models import Outbox, OutboxStatus
from sqa.db.session import READ_ONLY
from sqa.mailbox import outbox
from sqa.mailbox.journal import Mark, SendJournal
from sqa.mailbox.outbox import Claimed, Outcome, Result
from sqa.mailbox.smtp import SmtpAuthFailed, SmtpConnection, SmtpPermanent, SmtpReconnect, SmtpTemporary, SmtpUnknownOutcome
from sqa.observe.alerts import SMTP_AUTH, raise_alert
from sqa.outreach.policy import SendPolicy
from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

IDLE_WAIT_S = 30.0
# Rows per claim: the claim and the record each wait for the database write lock (~30 ms per batch
# measured while the watcher is busy), so 50 rows cost ~0.6 ms per message and 200 rows ~0.15 ms
# (benchmarks/e2e.py drain: ~400 -> ~540 msg/s). A reply arriving meanwhile waits for the batch.
BATCH = 200


class Sender:
    def __init__(self, sessionmaker, agent: AgentRuntime, journal: SendJournal, *, instance: str,  # noqa: ANN001
                 save_sent: bool, batch: int = BATCH) -> None:
        self.sessionmaker = sessionmaker
        self.agent = agent
        self.journal = journal
        self.instance = instance
        self.save_sent = save_sent
        self.batch = batch
        self.smtp = agent.settings.smtp
        self._pool = [SmtpConnection(self.smtp) for _ in range(self.smtp.connections)]
        self._wake = asyncio.Event()
        self.halted_until: float = 0.0  # monotonic; set after an authentication failure
        self.halt_reason: str | None = None
        self.sent_total = 0
        self.on_sent: Callable[[], None] = lambda: None  # e.g. wake the Sent-folder copier
        self.last_send_ok: float | None = None
        self._unsettled = False  # claimed rows whose outcome is not in the database yet
        self.outreach = agent.settings.outreach
        self.policy = SendPolicy(self.outreach, self.smtp.retry_deadline_s, agent=agent.name)

    @property
    def name(self) -> str:
        return f"sender:{self.agent.name}"

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> dict[str, int]:
        counts = await outbox.recover(self.sessionmaker, self.agent.id, self.instance, self.journal.read(), self.save_sent,
                                      now=self.agent.clock.now(), outreach=self.outreach)
        self.journal.clear()
        self._unsettled = False
        if any(counts.values()):
            log.warning("agent %s: outbox recovery after an unclean stop: %s", self.agent.name, counts)
        return counts

    async def run(self, stop: asyncio.Event) -> None:
        await self.recover()
        failures = 0
        try:
            while not stop.is_set():
                try:
                    await self.drain(stop)
                    failures = 0
                except Exception:  # noqa: BLE001 - logged with traceback, backed off, retried
                    failures += 1
                    log.exception("agent %s: sender loop failed (attempt %d)", self.agent.name, failures)
                    await _wait(stop, None, min(60.0, 2.0**failures))
                    await self._settle_after_failure()
                    continue
                # woken meanwhile (the watcher queued replies): drain again at once, no need to ask the database
                await _wait(stop, self._wake, 0.0 if self._wake.is_set() else await self._seconds_to_next_due())
                self._wake.clear()
        finally:
            await self.close()

    async def _settle_after_failure(self) -> None:
        """Rows claimed by a batch whose outcome could not be recorded go through recovery."""
        try:
            await self.recover()
        except Exception:  # noqa: BLE001 - the database may still be down; the next loop tries again
            log.exception("agent %s: outbox recovery failed", self.agent.name)

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Send everything due now; return how many were sent."""
        sent = 0
        stats: dict[str, int] = {}
        while stop is None or not stop.is_set():
            if self.halted_until > time.monotonic():
                break
            if self._unsettled:
                # A batch whose outcome never reached the database: settle it from the journal before
                # claiming more. Otherwise the next batch's journal.clear() erased its marks, and a later
                # recovery requeued (resent) rows the server had already accepted.
                await self.recover()  # raises while the database is down: nothing new is claimed
            self._unsettled = True  # from the claim until the outcome is recorded
            async with self.sessionmaker() as session, session.begin():
                rows = await outbox.claim(session, self.agent.id, self.instance, self.batch, now=self.agent.clock.now(),
                                          stats=stats, policy=self.policy)
            if not rows:
                self._unsettled = False
                if stats["claimed"] >= self.batch:
                    continue  # a full claim, all of it stopped by the consent gate: more may be due
                break
            outcomes = await self._send_batch(rows, stop)
            async with self.sessionmaker() as session, session.begin():
                await outbox.record(session, self.agent.id, outcomes, self.save_sent, now=self.agent.clock.now(),
                                    outreach=self.outreach)
            self.journal.clear()  # every claimed row of the batch is settled in the database
            self._unsettled = False
            self._log_outcomes(outcomes)
            ok = sum(o.result is Result.SENT for o in outcomes)
            sent += ok
            self.sent_total += ok
            if ok:
                self.on_sent()
            if stats["claimed"] < self.batch and not any(o.result is Result.RETRY for o in outcomes):
                # a short claim took everything due at that moment: no second (empty) claim transaction. Rows
                # queued since then woke the sender (its next wait is zero); a retry due at once claims again.
                break
        return sent

    async def _seconds_to_next_due(self) -> float:
        """Until the next row this sender may claim is due (by the agent's clock), at most IDLE_WAIT_S."""
        if self.halted_until > time.monotonic():
            return self.halted_until - time.monotonic()
        now = self.agent.clock.now()
        paused = self.policy.paused_kinds(now)  # cold rows due now but paused (jitter, full minute): until the pause ends
        query = select(func.min(Outbox.next_attempt_at)).where(
            Outbox.agent_id == self.agent.id, Outbox.status == OutboxStatus.QUEUED)
        if paused:
            query = query.where(Outbox.kind.not_in(paused))
        async with self.sessionmaker(execution_options=READ_ONLY) as session:
            nxt = await session.scalar(query)
        times = [t for t in (nxt, self.policy.resume_at(now)) if t is not None]
        if not times:
            return IDLE_WAIT_S
        return max(0.0, min(IDLE_WAIT_S, (min(times) - now).total_seconds()))

    async def _send_batch(self, rows: list[Claimed], stop: asyncio.Event | None = None) -> list[Outcome]:
        todo = deque(rows)
        outcomes: list[Outcome] = []

        def halted() -> bool:
            return self.halted_until > time.monotonic()

        def stopping() -> bool:
            return stop is not None and stop.is_set()

        async def worker(conn: SmtpConnection) -> None:
            while todo and not halted() and not stopping():  # on stop: finish the sends in flight, start none
                row = todo.popleft()
                outcomes.append(await self._send_one(conn, row))

        await asyncio.gather(*(worker(c) for c in self._pool[: max(1, min(len(self._pool), len(rows)))]))
        reason = (self.halt_reason or "sending halted") if halted() else "not sent: the daemon is stopping"
        for row in todo:  # put the rest back untouched, due at once (a halt holds them, not a due time)
            outcomes.append(Outcome(row, Result.RETRY, reason, tried=False))
        return outcomes

    async def _send_one(self, conn: SmtpConnection, row: Claimed) -> Outcome:
        if self.agent.gate.blocked(row.to_addr, self.agent.id):  # an opt-out is landing: the next claim reads the log and cancels
            return Outcome(row, Result.RETRY, "held: an opt-out for this address is being recorded", 1.0, tried=False,
                           gated=True)
        try:
            with self.agent.gate.sending(row.to_addr):
                reply = await conn.send(self.agent.settings.address, row.to_addr, row.raw,
                                        before_data=lambda: self.journal.mark(Mark.DATA, row.id))
        except SmtpAuthFailed as exc:
            self._halt(exc)  # the halt holds the row back; once the login is fixed it is due at once
            return Outcome(row, Result.RETRY, exc.reply)
        except SmtpUnknownOutcome as exc:
            log.error("agent %s: %s for %s: outcome unknown, held for a human", self.agent.name, exc.reply, row.message_id)
            return Outcome(row, Result.UNKNOWN, exc.reply)
        except SmtpPermanent as exc:
            log.warning("agent %s: %s refused permanently: %s", self.agent.name, row.message_id, exc.reply)
            return Outcome(row, Result.FAILED, exc.reply)
        except SmtpTemporary as exc:
            if isinstance(exc, SmtpReconnect) and row.attempts <= 1:
                delay = 0.0  # 421: the connection is closed; the next claim reconnects and tries at once
            else:
                delay = outbox.backoff(row.attempts, self.smtp.retry_base_s, self.smtp.retry_max_s)
            log.info("agent %s: %s deferred (%s), retry in %.0f s", self.agent.name, row.message_id, exc.reply, delay)
            return Outcome(row, Result.RETRY, exc.reply, delay)
        self.journal.mark(Mark.SENT, row.id)
        self.last_send_ok = time.monotonic()
        return Outcome(row, Result.SENT, reply)

    def _log_outcomes(self, outcomes: list[Outcome]) -> None:
        """One line per recorded send outcome (ids, kinds, the server's reply code; never the mail)."""
        if not log.isEnabledFor(logging.INFO):
            return
        name = self.agent.name
        for o in outcomes:
            row = o.row
            log.info("agent %s: %s %s (lead %s): %s", name, row.kind, row.message_id, row.lead_id, o.result.value,
                     extra={"agent": name, "lead_id": row.lead_id, "message_id": row.message_id, "kind": row.kind,
                            "outbox_id": row.id, "decision": o.result.value, "attempt": row.attempts,
                            "reply": o.reply[:200] if o.result is not Result.SENT else None})

    def _halt(self, exc: SmtpAuthFailed) -> None:
        if self.halted_until > time.monotonic():
            return  # another pooled connection already raised the alarm for this failure
        self.halt_reason = f"SMTP authentication failed: {exc.reply}"
        self.halted_until = time.monotonic() + self.smtp.retry_max_s
        stopped = f"{self.halt_reason}; sending stopped for {timedelta(seconds=self.smtp.retry_max_s)}"
        if getattr(exc, "alerted", False):  # an OAuth2 refresh failure: the token provider alerted once
            log.warning("agent %s: %s", self.agent.name, stopped)
        else:
            raise_alert(self.agent.name, SMTP_AUTH, f"{stopped} (fix the credentials and reload)")

    async def close(self) -> None:
        await asyncio.gather(*(c.quit() for c in self._pool), return_exceptions=True)


async def _wait(stop: asyncio.Event, wake: asyncio.Event | None, timeout: float) -> None:
    """Sleep until ``stop`` or ``wake`` is set, or ``timeout`` passes."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
