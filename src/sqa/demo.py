"""`sqa demo`: the whole loop on private local servers, told step by step as it happens.

What runs is the real daemon (the Supervisor with its IDLE watcher and SMTP
sender) against a private Dovecot, an in-process SMTP server and SQLite in a
temp directory, with the offline engine. The SMTP server hands mail for the
agent's and the leads' domains to Dovecot over LMTP, so every lead has a real
mailbox: the demo reads the agent's mail there and answers it, threaded, the
way a mail client would.

The script: three leads get a first mail; lead 1 answers the BANT questions
over several turns until the agent closes and hands it over; lead 2 sends an
out-of-office auto-reply (never answered); a stranger writes (recorded, left
for a human). Then a summary: a table, or with ``--json`` one JSON object on
stdout and nothing else there (the steps then go to stderr).

Every server, the database and the temp files are removed at exit, also on
Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import formataddr
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from sqlalchemy import select

from sqa.config import Settings, load_settings
from sqa.daemon.app import App, build_app
from sqa.daemon.supervisor import Supervisor
from sqa.db.models import AgentRun, Lead, LeadStatus, Message, Outbox
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.demo_mail import agent_words, lead_reply, new_mail, short
from sqa.demo_report import print_summary, summarize
from sqa.sandbox import CapturedMail, DovecotError, DovecotServer, SmtpSink
from sqa.sandbox.ports import free_port

__all__ = ["run_demo", "DemoError"]

T = TypeVar("T")

AGENT_NAME = "ava"
AGENT_DOMAIN = "acme-analytics.test"
AGENT_ADDRESS = f"{AGENT_NAME}@{AGENT_DOMAIN}"
SELLER = "Sam Seller"
STEP_TIMEOUT_S = 20.0  # one effect (a reply, a database row); Dovecot's IDLE push alone takes ~0.5 s
POLL_S = 0.05
STOP_TIMEOUT_S = 20.0  # the daemon's grace + hard deadline below, plus margin
QUIET_LOGGERS = ("sqa", "mail.log", "aioimaplib", "aiosqlite", "asyncio")
# The demo's leads live on private .test domains (no DNS) and it runs at any hour: no address lookup, no
# sending window, no warm-up or pauses between sends; the demo queues its first mails itself (`leads contact`).
DEMO_OUTREACH: dict[str, Any] = {
    "intake": {"auto": False, "validate_email": False},
    "window": {"enabled": False},
    "caps": {"warmup": False, "jitter_s": [0, 0], "per_minute": 1000},
}


@dataclass(frozen=True, slots=True)
class DemoLead:
    email: str
    name: str
    company: str

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[1]

    @property
    def header(self) -> str:
        return formataddr((self.name, self.email))


LEADS = (
    DemoLead("lee.jordan@globex.test", "Lee Jordan", "Globex"),
    DemoLead("olga.petrova@initech.test", "Olga Petrova", "Initech"),
    DemoLead("raj.patel@umbrella.test", "Raj Patel", "Umbrella"),
)

#: Lead 1's answers, turn by turn: interest, then need, timeline, budget, authority.
LEAD1_REPLIES = (
    "Thanks for reaching out. Reporting keeps coming up here at the moment, so I'm happy to hear more.",
    "Our two analysts spend about four days every month pulling numbers from Salesforce and three "
    "spreadsheets into the board pack, and we still find errors after it has gone out.",
    "We'd want something running before the Q3 board meeting, so by the end of June at the latest.",
    "We have roughly 20k EUR set aside for reporting tools this year; more is possible if it replaces a licence.",
    "I run the analytics team and I'd decide together with our CFO, Maria Chen. Procurement only needs to sign off.",
)

OOO_TEXT = (
    "Thank you for your message. I am out of the office until Monday 14 July with no access to email.\n"
    "For anything urgent please contact our office at office@initech.test.\n\nOlga Petrova"
)

STRANGER = DemoLead("pat.stranger@example.net", "Pat Stranger", "Example Net")
STRANGER_SUBJECT = "Question about your reporting tool"
STRANGER_TEXT = "Hi, a colleague forwarded me your name. Do you also support on-premise installations?\n\nPat"


class DemoError(Exception):
    """A step of the demo did not happen (timeout, the daemon stopped, a server did not start)."""


# -- the settings: no configuration file needed ------------------------------------------------


def demo_settings(state_dir: Path, dovecot: DovecotServer, sink: SmtpSink) -> Settings:
    agent = {
        "name": AGENT_NAME, "address": AGENT_ADDRESS, "display_name": "Ava Agent", "company": "Acme Analytics",
        "value_proposition": "We cut the time your team spends on monthly reporting in half.", "seller": SELLER,
        "qualification": {"min_bant": 4},  # the demo shows all four BANT questions before the handoff
        "imap": {"host": dovecot.host, "port": dovecot.imap_port, "security": "plain", "username": AGENT_ADDRESS,
                 "password": dovecot.password, "idle_renew_s": 60, "reconnect_base_s": 0.2, "reconnect_max_s": 2,
                 "timeout_s": 10},
        "smtp": {"host": sink.host, "port": sink.port, "security": "plain", "username": AGENT_ADDRESS,
                 "save_sent": "never", "retry_base_s": 0.2, "retry_max_s": 1, "timeout_s": 10},
        "outreach": DEMO_OUTREACH,
    }
    web = f"127.0.0.1:{free_port()}"  # the unsubscribe links in the demo's mails work, and 8080 may be taken
    overrides = {"state_dir": str(state_dir), "agents": [agent],
                 "daemon": {"instance": "demo", "grace_s": 5, "hard_deadline_s": 10},
                 "web": {"bind": web}, "consent": {"public_base_url": f"http://{web}"}}
    # os.devnull stands for an empty configuration file; environ={} keeps SQA_* variables out.
    return load_settings(os.devnull, environ={}, overrides=overrides)


# -- the demo ----------------------------------------------------------------------------------


class Narrator:
    """One plain line per step, with the seconds since the start, printed at once."""

    def __init__(self, console: Console, started: float) -> None:
        self.console = console
        self.started = started

    def __call__(self, text: str) -> None:
        self.console.print(f"{time.monotonic() - self.started:6.2f}s  {text}", markup=False, highlight=False,
                           soft_wrap=True)


@dataclass
class Demo:
    say: Narrator
    started: float
    dovecot: DovecotServer | None = None
    sink: SmtpSink | None = None
    app: App | None = None
    supervisor: Supervisor | None = None
    runner: asyncio.Task[Any] | None = None
    lead_ids: dict[str, int] = field(default_factory=dict)
    first_mails: dict[str, CapturedMail] = field(default_factory=dict)
    ooo_id: str | None = None
    stranger_id: str | None = None
    error: str | None = None
    daemon_exit: int | None = None

    # -- setup and teardown -------------------------------------------------------------------

    async def start(self, stack: AsyncExitStack) -> None:
        state_dir = Path(tempfile.mkdtemp(prefix="sqa-demo-"))
        stack.callback(shutil.rmtree, state_dir, ignore_errors=True)
        try:
            self.dovecot = DovecotServer.start()  # blocking for ~50 ms: nothing else runs yet
        except (DovecotError, OSError) as exc:
            raise DemoError(f"cannot start Dovecot: {exc}") from None
        stack.callback(self.dovecot.close)
        d = self.dovecot
        self.say(f"Dovecot started: IMAP {d.host}:{d.imap_port}, LMTP {d.host}:{d.lmtp_port}, mail in {d.root}")

        domains = [AGENT_DOMAIN, *(lead.domain for lead in LEADS)]
        self.sink = SmtpSink(local_domains=domains, lmtp=(d.host, d.lmtp_port))
        await self.sink.start()
        stack.push_async_callback(self.sink.stop)
        self.say(f"SMTP server on {self.sink.host}:{self.sink.port}, handing mail for {', '.join(domains)} "
                 "to Dovecot over LMTP")

        settings = demo_settings(state_dir, d, self.sink)
        self.app = await build_app(settings)
        stack.push_async_callback(self.app.close)
        self.say(f"SQLite database {settings.database_url.split('///', 1)[-1]} (schema migrated), "
                 f"engine: {settings.engine.kind}")
        agent = self.app.agents[0]
        self.say(f"agent {agent.runtime.name!r}: {agent.runtime.settings.display_name} <{AGENT_ADDRESS}> "
                 f"of {agent.runtime.settings.company}, hands qualified leads to {SELLER}")

        for lead in LEADS:
            self.lead_ids[lead.email] = await add_lead(
                self.app.sessionmaker, agent.runtime.id,
                LeadInput(email=lead.email, name=lead.name, company=lead.company, source="demo"))
        self.say("3 leads added: " + ", ".join(f"{lead.name} <{lead.email}>" for lead in LEADS))
        queued = await queue_first_mails(self.app.sessionmaker, agent.runtime)
        self.say(f"{len(queued)} first mails queued in the outbox")

        self.supervisor = Supervisor(self.app)
        self.runner = asyncio.create_task(self.supervisor.run(), name="demo-daemon")
        stack.push_async_callback(self.stop_daemon)
        self.say("daemon started: IMAP watcher (IDLE) and SMTP sender")

    async def stop_daemon(self) -> None:
        """Set the stop event and wait for the supervisor's orderly shutdown (idempotent)."""
        runner, self.runner = self.runner, None
        if runner is None or self.supervisor is None:
            return
        self.supervisor.stop.set()
        try:
            self.daemon_exit = int(await asyncio.wait_for(runner, STOP_TIMEOUT_S))
        except (asyncio.TimeoutError, TimeoutError):
            self.daemon_exit = -1
        except Exception as exc:  # noqa: BLE001 - reported in the summary, not hidden
            self.daemon_exit = -1
            self.error = self.error or f"the daemon failed: {exc!r}"

    # -- waiting for effects --------------------------------------------------------------------

    async def wait_until(self, check: Callable[[], T | None | Awaitable[T | None]], what: str,
                         timeout: float = STEP_TIMEOUT_S, interval: float = POLL_S) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = check()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value  # type: ignore[return-value]
            if self.runner is not None and self.runner.done():
                exc = None if self.runner.cancelled() else self.runner.exception()
                how = repr(exc) if exc else f"exit code {self.runner.result()}"
                raise DemoError(f"the daemon stopped while waiting for {what}: {how}")
            if loop.time() >= deadline:
                raise DemoError(f"timed out after {timeout:.0f} s waiting for {what}")
            await asyncio.sleep(interval)

    def _reply_to(self, message_id: str) -> CapturedMail | None:
        assert self.sink is not None
        return next((m for m in self.sink.messages if m.in_reply_to == message_id), None)

    async def _message(self, message_id: str) -> Message | None:
        assert self.app is not None
        async with self.app.sessionmaker() as session:
            return await session.scalar(select(Message).where(Message.message_id == message_id))

    async def _answers(self, message_id: str) -> list[Outbox]:
        assert self.app is not None
        async with self.app.sessionmaker() as session:
            return list(await session.scalars(select(Outbox).where(Outbox.reply_to_message_id == message_id)))

    async def _status_if(self, email: str, wanted: str) -> str | None:
        """The lead's status when it is ``wanted``, else None."""
        assert self.app is not None
        async with self.app.sessionmaker() as session:
            status = await session.scalar(select(Lead.status).where(Lead.id == self.lead_ids[email]))
        return str(status) if status == wanted else None

    async def _in_mailbox(self, user: str, message_id: str | None) -> bytes:
        """The copy of ``message_id`` in ``user``'s Dovecot INBOX, as their mail client sees it."""
        assert self.dovecot is not None and message_id is not None

        async def find() -> bytes | None:
            for raw in await self.dovecot.list_messages(user):
                if str(message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip() == message_id:
                    return raw
            return None

        return await self.wait_until(find, f"{message_id} in the mailbox of {user}", interval=0.1)

    async def _deliver(self, rcpt: str, raw: bytes, mail_from: str) -> None:
        assert self.dovecot is not None
        await asyncio.to_thread(self.dovecot.lmtp_deliver, rcpt, raw, mail_from)

    # -- the script ---------------------------------------------------------------------------------

    async def play(self) -> None:
        assert self.app is not None and self.sink is not None and self.dovecot is not None
        watcher = self.app.agents[0].watcher
        await self.wait_until(lambda: watcher.first_login.is_set(), "IMAP login")
        if watcher.auth_failed:
            raise DemoError(f"the agent cannot log in to IMAP: {watcher.last_error}")
        await self.wait_until(lambda: watcher.last_fetch_ok is not None, "first mailbox sync")
        self.say(f"watcher logged in to {AGENT_ADDRESS}'s INBOX: watching from now on, waiting in IDLE")

        for lead in LEADS:
            mail = await self.wait_until(lambda lead=lead: next(iter(self.sink.to(lead.email)), None),
                                         f"first mail to {lead.email}")
            self.first_mails[lead.email] = mail
            await self._in_mailbox(lead.email, mail.message_id)
            self.say(f"first mail sent to {lead.email}: \"{mail.subject}\" (now in their mailbox)")

        await self.qualify(LEADS[0])
        await self.out_of_office(LEADS[1])
        await self.stranger_writes()

    async def qualify(self, lead: DemoLead) -> None:
        parent = await self._in_mailbox(lead.email, self.first_mails[lead.email].message_id)
        for turn, text in enumerate(LEAD1_REPLIES, start=1):
            message_id, raw = lead_reply(parent, sender=lead, text=text)
            self.say(f"{lead.name} replies (turn {turn}): \"{short(text)}\"")
            sent_at = time.monotonic()
            await self._deliver(AGENT_ADDRESS, raw, lead.email)
            answer = await self.wait_until(lambda: self._reply_to(message_id), f"answer to turn {turn} of {lead.email}")
            self.say(f"agent answers in {time.monotonic() - sent_at:.2f} s: \"{short(agent_words(answer.raw))}\"")
            parent = await self._in_mailbox(lead.email, answer.message_id)
        status = await self.wait_until(lambda: self._status_if(lead.email, LeadStatus.HANDED_OVER),
                                       f"handover of {lead.email}", interval=0.1)
        self.say(f"{lead.email} is now {status}: {SELLER} takes over")

    async def out_of_office(self, lead: DemoLead) -> None:
        parent = await self._in_mailbox(lead.email, self.first_mails[lead.email].message_id)
        subject = "Automatic reply: " + str(message_from_bytes(parent, policy=policy.default)["Subject"])
        self.ooo_id, raw = lead_reply(parent, sender=lead, text=OOO_TEXT, subject=subject, quote=False,
                                      headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"})
        self.say(f"{lead.name} is away: the mail server sends \"{subject}\" (Auto-Submitted: auto-replied)")
        await self._deliver(AGENT_ADDRESS, raw, lead.email)
        row = await self.wait_until(lambda: self._message(self.ooo_id), "out-of-office in the database", interval=0.1)
        answers = await self._answers(self.ooo_id)
        self.say(f"recorded as {row.kind} ({row.reason}); "
                 + ("no answer queued" if not answers else f"ANSWERED with {len(answers)} mail(s)"))

    async def stranger_writes(self) -> None:
        self.stranger_id, raw = new_mail(sender=STRANGER, to=formataddr(("Ava Agent", AGENT_ADDRESS)),
                                         subject=STRANGER_SUBJECT, text=STRANGER_TEXT)
        self.say(f"{STRANGER.email} (not a lead) writes: \"{STRANGER_SUBJECT}\"")
        await self._deliver(AGENT_ADDRESS, raw, STRANGER.email)
        row = await self.wait_until(lambda: self._message(self.stranger_id), "stranger's mail in the database",
                                    interval=0.1)
        assert self.app is not None
        async with self.app.sessionmaker() as session:
            match = await session.scalar(select(AgentRun.decision).where(
                AgentRun.message_id == self.stranger_id, AgentRun.step == "match"))
        answers = await self._answers(self.stranger_id)
        who = "an unknown sender" if row.lead_id is None else f"lead {row.lead_id}"
        action = "left for a human" if match == "unknown_sender" else f"match step: {match or 'none'}"
        self.say(f"recorded as {row.kind} mail from {who}, {action}; "
                 + ("no answer queued" if not answers else f"ANSWERED with {len(answers)} mail(s)"))

    # -- the summary --------------------------------------------------------------------------------


async def _run(*, json_out: bool, console: Console, steps: Console, started: float) -> int:
    demo = Demo(say=Narrator(steps, started), started=started)
    steps.print("SQA Engage demo: the whole loop on private local servers (Dovecot, SMTP, SQLite, offline engine)",
                markup=False, highlight=False, soft_wrap=True)
    async with AsyncExitStack() as stack:
        try:
            await demo.start(stack)
            await demo.play()
        except DemoError as exc:
            demo.error = str(exc)
            steps.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        await demo.stop_daemon()
        demo.say("daemon stopped" + ("" if demo.daemon_exit in (None, 0) else f" (exit code {demo.daemon_exit})"))
        summary = await summarize(demo)
    # everything is closed and removed by now (the exit stack ran in reverse order)
    summary["seconds"] = round(time.monotonic() - started, 2)
    if json_out:
        console.out(json.dumps(summary), highlight=False)
    else:
        demo.say("servers stopped, temp files removed")
        print_summary(console, summary)
    return 0 if summary["ok"] else 1


async def run_demo(*, json_out: bool, console: Console) -> int:
    """Run the demo; print steps (stderr with ``json_out``) and the summary; 0 when it went as expected."""
    started = time.monotonic()
    steps = Console(stderr=True) if json_out else console
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name in QUIET_LOGGERS:  # the daemon's INFO lines would drown the steps
        if logging.getLogger(name).getEffectiveLevel() < logging.WARNING:
            logging.getLogger(name).setLevel(logging.WARNING)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupted: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        if interrupted or task is None:
            return  # cleanup is running; it has its own deadlines
        interrupted.append(sig)
        task.cancel()

    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
            handled.append(sig)
        except (ValueError, RuntimeError, NotImplementedError):
            pass  # not the main thread: the caller owns the signals
    try:
        return await _run(json_out=json_out, console=console, steps=steps, started=started)
    except asyncio.CancelledError:
        if not interrupted:
            raise
        if task is not None:
            task.uncancel()
        Console(stderr=True).print(f"interrupted by {interrupted[0].name}: servers stopped, temp files removed",
                                   markup=False, highlight=False)
        return 128 + int(interrupted[0])
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
