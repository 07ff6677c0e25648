"""The mailbox watcher of one agent: IDLE push, UID high-water mark, reconnect.

The database (messages + mailbox_state) is the truth; the keyword set on the
server after each commit is a courtesy for people looking at the mailbox.
Nothing here marks a message read, deletes it, or moves it unless `move_to`
is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from sqa.config import ImapSettings
from sqa.db.models import MailboxState, utcnow
from sqa.db.session import READ_ONLY
from sqa.mailbox.imap import ImapAuthError, ImapClient, ImapCommandError, ImapError, SelectInfo
from sqa.mailbox.inbound import Fetched, InboundProcessor
from sqa.mailbox.outbox import backoff
from sqa.observe.alerts import IMAP_AUTH, WATCHER_STALLED, raise_alert
from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

# Batches fetched (and being analysed) ahead of the one in its transaction.
PREFETCH = 2

_IMAP_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def imap_date(when: datetime) -> str:
    return f"{when.day}-{_IMAP_MONTHS[when.month - 1]}-{when.year}"


class Watcher:
    def __init__(self, sessionmaker, agent: AgentRuntime, processor: InboundProcessor,  # noqa: ANN001
                 on_batch: Callable[[], None] = lambda: None) -> None:
        self.sessionmaker = sessionmaker
        self.agent = agent
        self.settings = agent.settings.imap
        self.processor = processor
        self.on_batch = on_batch
        self.connected = False
        self.reconnects = 0
        self.last_fetch_ok: float | None = None
        # monotonic time the mailbox went down (or the watcher was built); None while connected (/healthz)
        self.down_since: float | None = time.monotonic()
        self.last_error: str | None = None
        self.auth_failed = False
        self.first_login = asyncio.Event()  # set after the first login attempt, good or bad
        self.handled_total = 0
        # stall detection (check_stall, called by the supervisor): monotonic time of the last sign of progress
        # (the connect, a finished sync: one follows every IDLE renewal or poll), and whether it was alerted
        self.progress_at: float | None = None
        self.stalled = False
        self.stall_after_s = stall_after_s(self.settings)

    def check_stall(self, now: float) -> bool:
        """True while connected without progress for longer than ``stall_after_s``; alerts once per stall.

        A watcher blocked in a command the server never answers (an IDLE whose socket died without a FIN, a
        FETCH that hangs) still counts as connected: only the missing progress tells.
        """
        if not self.connected or self.progress_at is None or now - self.progress_at <= self.stall_after_s:
            return False
        if not self.stalled:
            self.stalled = True
            raise_alert(self.agent.name, WATCHER_STALLED, f"mailbox {self.settings.folder} connected but no fetch or "
                        f"IDLE renewal for {now - self.progress_at:.0f} s (threshold {self.stall_after_s:.0f} s)")
        return True

    def _progress(self) -> None:
        self.progress_at = time.monotonic()
        if self.stalled:
            self.stalled = False
            log.warning("agent %s: mailbox %s is making progress again after a stall", self.agent.name,
                        self.settings.folder, extra={"agent": self.agent.name})

    @property
    def name(self) -> str:
        return f"watcher:{self.agent.name}"

    async def run(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            client = ImapClient(self.settings)
            delay = 0.0
            try:
                await client.connect()
                self.auth_failed = False
                self.first_login.set()
                info = await client.select(self.settings.folder)
                self.connected, attempt, self.last_error, self.down_since = True, 0, None, None
                self._progress()
                log.info("agent %s: watching %s (UIDVALIDITY %d, %d messages, IDLE %s)", self.agent.name,
                         self.settings.folder, info.uidvalidity, info.exists,
                         "yes" if client.idle_supported and self.settings.idle else "no: polling")
                await self.sync(client, info, stop)
                while not stop.is_set():
                    if client.new_mail_announced:  # mail came in while we were busy: no IDLE push will tell
                        await self.sync(client, info, stop)
                        continue
                    if client.idle_supported and self.settings.idle:
                        await client.wait_for_new_mail(self.settings.idle_renew_s, stop)
                    else:
                        await _sleep(stop, self.settings.poll_interval_s)
                    if stop.is_set():
                        break
                    await asyncio.wait_for(client.noop(), self.settings.noop_timeout_s)
                    await self.sync(client, info, stop)
            except ImapAuthError as exc:
                self.auth_failed, self.last_error = True, str(exc)
                self.first_login.set()
                delay = self.settings.auth_retry_s
                if getattr(exc, "alerted", False):  # an OAuth2 refresh failure: the token provider alerted once
                    log.warning("agent %s: IMAP %s; next try in %.0f s", self.agent.name, exc, delay)
                else:
                    raise_alert(self.agent.name, IMAP_AUTH, f"IMAP {exc}; next try in {delay:.0f} s")
            except (ImapError, asyncio.TimeoutError, TimeoutError, OSError, OperationalError, DBAPIError) as exc:
                attempt += 1
                self.last_error = str(exc) or exc.__class__.__name__
                delay = backoff(attempt, self.settings.reconnect_base_s, self.settings.reconnect_max_s)
                log.warning("agent %s: mailbox connection problem (%s); reconnecting in %.1f s", self.agent.name, self.last_error, delay)
            except Exception:  # noqa: BLE001 - logged with traceback; the loop goes on
                attempt += 1
                delay = backoff(attempt, self.settings.reconnect_base_s, self.settings.reconnect_max_s)
                log.exception("agent %s: watcher failed; restarting in %.1f s", self.agent.name, delay)
            finally:
                self.first_login.set()
                if self.connected:
                    self.reconnects += 0 if stop.is_set() else 1
                    self.down_since = time.monotonic()
                self.connected, self.stalled = False, False
                await client.logout()
            await _sleep(stop, delay)

    async def drain_once(self, stop: asyncio.Event | None = None) -> None:
        """Connect, handle everything pending, disconnect (tests, benchmarks, `sqa run --once`)."""
        stop = stop or asyncio.Event()
        client = ImapClient(self.settings)
        try:
            await client.connect()
            info = await client.select(self.settings.folder)
            await self.sync(client, info, stop)
        finally:
            await client.logout()

    async def sync(self, client: ImapClient, info: SelectInfo, stop: asyncio.Event) -> int:
        """Fetch and handle every message above the high-water mark, in batches."""
        folder = self.settings.folder
        client.new_mail_announced = False  # what is announced from here on is found by this sync or the next
        state = await self._state(folder)
        if state is None:
            await self._start_state(client, info)
            state = await self._state(folder)
            assert state is not None
        resync = state.uidvalidity != info.uidvalidity
        if resync:
            log.warning("agent %s: UIDVALIDITY of %s changed %d -> %d: resyncing since %s, deduplicating by Message-ID",
                        self.agent.name, folder, state.uidvalidity, info.uidvalidity, state.watch_since.date())
            uids = await client.search_uids("SINCE", imap_date(state.watch_since))
        else:
            uids = await client.uids_after(state.last_uid)
        handled = 0
        batch = self.settings.fetch_batch
        chunks = [uids[start : start + batch] for start in range(0, len(uids), batch)]
        # Pipelined: while batch N is in its transaction, batches N+1.. are fetched and analysed (a worker
        # process when configured). Batches are still handled one at a time and in UID order, each in its own
        # transaction, and flagged on the server only after their commit. One IMAP connection: a lock keeps
        # its commands (FETCH of the next batch, STORE of the last one) from interleaving.
        imap_lock = asyncio.Lock()
        ahead: deque[asyncio.Task[tuple[list[Fetched], asyncio.Future, int]]] = deque()
        todo = iter(chunks)
        try:
            while True:
                while len(ahead) < PREFETCH and not stop.is_set():  # stop: take no new work; what was fetched is finished
                    chunk = next(todo, None)
                    if chunk is None:
                        break
                    ahead.append(asyncio.ensure_future(self._fetch_and_analyze(client, chunk, imap_lock)))
                if not ahead:
                    break
                fetched, analysis, upto = await ahead.popleft()
                handled += await self._handle(client, info, fetched, upto, analysis, imap_lock)
        finally:
            for task in ahead:  # an error ends this sync: what was only fetched is fetched again next time
                task.cancel()
            for task in ahead:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    _fetched, analysis, _upto = await task
                    analysis.cancel()
                    if analysis.done() and not analysis.cancelled():
                        analysis.exception()  # retrieved: no "never retrieved" warning
        if resync and not stop.is_set():  # everything older than our start stays untouched
            await self.processor.process(folder, info.uidvalidity, [], max([*uids, (info.uidnext or 1) - 1]))
        self.last_fetch_ok = time.monotonic()
        self._progress()
        return handled

    async def _fetch_and_analyze(self, client: ImapClient, uids: list[int], imap_lock: asyncio.Lock,
                                 ) -> tuple[list[Fetched], asyncio.Future, int]:
        async with imap_lock:
            fetched = await self._fetch(client, uids)
        # the analysis runs on (in a worker process when configured) while earlier batches are handled
        return fetched, asyncio.ensure_future(self.processor.analyze(fetched)), max(uids)

    async def _fetch(self, client: ImapClient, uids: list[int]) -> list[Fetched]:
        """Whole messages, except that mail above ``max_message_bytes`` is read only that far."""
        limit = self.settings.max_message_bytes
        fetched: list[Fetched] = []
        big = 0
        for uid, raw, size in await client.fetch_limited(uids, limit):
            if size > limit:
                big += 1
                fetched.append(Fetched(uid, raw, size))
            else:
                fetched.append(Fetched(uid, raw))
        if big:
            log.warning("agent %s: %d message(s) larger than %d bytes: reading only their start", self.agent.name, big, limit)
        return sorted(fetched, key=lambda f: f.uid)

    async def _handle(self, client: ImapClient, info: SelectInfo, fetched: list[Fetched], upto: int,
                      analysis: asyncio.Future | None = None, imap_lock: asyncio.Lock | None = None) -> int:
        folder = self.settings.folder
        try:
            # a failing analysis is treated like a failing transaction: one by one, quarantine what fails
            analyzed = await analysis if analysis is not None else None
            outcome = await self.processor.process(folder, info.uidvalidity, fetched, upto, analyzed)
            done, quarantined = outcome.handled + outcome.duplicates, outcome.quarantined
        except (OperationalError, DBAPIError, ImapError):
            raise  # the database or the server is unwell: retry the batch later, quarantine nothing
        except Exception:  # noqa: BLE001 - find the message that fails, quarantine it, go on
            log.exception("agent %s: batch of %d failed; handling one by one", self.agent.name, len(fetched))
            done, quarantined = [], []
            for item in fetched:
                try:
                    outcome = await self.processor.process(folder, info.uidvalidity, [item], item.uid)
                    done += outcome.handled + outcome.duplicates
                    quarantined += outcome.quarantined
                except (OperationalError, DBAPIError):
                    raise
                except Exception as exc:  # noqa: BLE001
                    reason = f"handling failed: {exc.__class__.__name__}: {exc}"
                    log.error("agent %s: UID %d quarantined: %s", self.agent.name, item.uid, reason)
                    await self.processor.quarantine(folder, info.uidvalidity, item, reason)
                    quarantined.append(item.uid)
            if fetched:
                await self.processor.process(folder, info.uidvalidity, [], upto)
        self.handled_total += len(done)
        self.on_batch()
        async with imap_lock or contextlib.nullcontext():
            await self._mark(client, info, done, quarantined)
        return len(done)

    async def _mark(self, client: ImapClient, info: SelectInfo, done: list[int], quarantined: list[int]) -> None:
        """After commit: keyword (and optional move). Correctness never depends on it."""
        try:
            if info.keywords_allowed:
                await client.add_keyword(done, self.settings.processed_keyword)
                await client.add_keyword(quarantined, self.settings.quarantine_keyword)
            if self.settings.move_to and done:
                await client.move(done, self.settings.move_to)
        except ImapCommandError as exc:
            log.warning("agent %s: could not flag handled messages: %s", self.agent.name, exc)

    async def _state(self, folder: str) -> MailboxState | None:
        async with self.sessionmaker(execution_options=READ_ONLY) as session:
            return await session.scalar(
                select(MailboxState).where(MailboxState.agent_id == self.agent.id, MailboxState.mailbox == folder)
            )

    async def _start_state(self, client: ImapClient, info: SelectInfo) -> None:
        """First connect: from now on, unless importing history was asked for."""
        if self.settings.import_history:
            last = 0
        elif info.uidnext is not None:
            last = info.uidnext - 1
        else:
            existing = await client.search_uids("ALL")
            last = existing[-1] if existing else 0
        async with self.sessionmaker() as session, session.begin():
            session.add(MailboxState(agent_id=self.agent.id, mailbox=self.settings.folder, uidvalidity=info.uidvalidity,
                                     last_uid=last, watch_since=utcnow()))
        log.info("agent %s: first connect to %s: %s", self.agent.name, self.settings.folder,
                 "importing history" if self.settings.import_history else f"starting from now on (after UID {last})")


def stall_after_s(imap: ImapSettings, configured: float | None = None) -> float:
    """The stall threshold: ``alerts.watcher_stall_s``, else two renewal (or poll) intervals + the NOOP timeout + 60 s."""
    if configured is not None:
        return configured
    # with idle on, a server without IDLE is polled: the longer of the two intervals
    interval = max(imap.idle_renew_s, imap.poll_interval_s) if imap.idle else imap.poll_interval_s
    return 2 * interval + imap.noop_timeout_s + 60.0


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        return
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except (asyncio.TimeoutError, TimeoutError):
        pass
