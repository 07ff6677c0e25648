"""Shared pieces of the benchmarks: private servers, a daemon subprocess, leads and replies.

Every benchmark prints progress to stderr and ONE JSON object as the last line
of stdout (see :func:`emit`).

Investigation hooks (environment): SQA_BENCH_KEEP=1 keeps the state dirs (daemon.log,
sqa.db); SQA_BENCH_PROFILE=PREFIX runs the daemon under cProfile; SQA_BENCH_PYSPY=PREFIX
attaches ``py-spy record --format raw`` (pip install py-spy into the venv first);
SQA_BENCH_WRAPPER=SCRIPT runs SCRIPT instead of ``sqa``; SQA_BENCH_VERBOSE=1 logs every
latency sample.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SQA = VENV_BIN / "sqa" if (VENV_BIN / "sqa").exists() else ROOT / ".venv" / "bin" / "sqa"

AGENT_DOMAIN = "agent.test"
LEAD_DOMAIN = "lead.test"

_T0 = time.monotonic()


# ----------------------------------------------------------------------------- output

def log(msg: str) -> None:
    print(f"[{time.monotonic() - _T0:7.2f}s] {msg}", file=sys.stderr, flush=True)


def emit(result: dict[str, Any]) -> None:
    """The one JSON line other tools read: always the last line of stdout."""
    sys.stdout.flush()
    print(json.dumps(result, sort_keys=False), flush=True)


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) of a non-empty list."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model}


# ----------------------------------------------------------------------------- config

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for our settings: tables, arrays of tables, scalars."""
    lines: list[str] = []

    def table(prefix: str, d: dict[str, Any], header: str | None) -> None:
        if header is not None:
            lines.append(header)
        subs: list[tuple[str, Any]] = []
        for k, v in d.items():
            if v is None:
                continue
            if isinstance(v, dict) or (isinstance(v, list) and v and all(isinstance(x, dict) for x in v)):
                subs.append((k, v))
            else:
                lines.append(f"{k} = {_toml_value(v)}")
        lines.append("")
        for k, v in subs:
            name = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                table(name, v, f"[{name}]")
            else:
                for item in v:
                    table(name, item, f"[[{name}]]")

    table("", data, None)
    return "\n".join(lines) + "\n"


def agent_config(name: str, dovecot: Any, sink: Any, **over: Any) -> dict[str, Any]:
    address = f"{name}@{AGENT_DOMAIN}"
    imap = {"host": dovecot.host, "port": dovecot.imap_port, "security": "plain", "username": address,
            "password": dovecot.password, "idle_renew_s": 300, "reconnect_base_s": 0.2, "reconnect_max_s": 2,
            "timeout_s": 30, "import_history": True}
    smtp = {"host": sink.host, "port": sink.port, "security": "plain", "username": address, "save_sent": "never",
            "retry_base_s": 0.2, "retry_max_s": 1, "timeout_s": 30}
    imap.update(over.pop("imap", {}))
    smtp.update(over.pop("smtp", {}))
    agent = {"name": name, "address": address, "display_name": "Ava Agent", "company": "Acme Analytics",
             "value_proposition": "We cut reporting time in half.", "seller": "Sam Seller",
             "max_replies_per_lead_per_day": 1000, "imap": imap, "smtp": smtp,
             # every lead answers all four BANT questions (the default rule would hand off after two): five
             # answers per lead, the same work per reply as before the real engage agent existed
             "qualification": {"min_bant": 4}}
    agent.update(over)
    return agent


# Worker processes for parse + classify (daemon.analyze_workers); SQA_BENCH_ANALYZE_WORKERS=0 measures the
# in-loop variant for comparison.
ANALYZE_WORKERS = int(os.environ.get("SQA_BENCH_ANALYZE_WORKERS", "1"))


def settings_dict(state_dir: Path, agents: list[dict[str, Any]], instance: str = "bench") -> dict[str, Any]:
    return {"state_dir": str(state_dir), "agents": agents, "web": {"enabled": False},  # a benchmark that needs it binds a free port
            "daemon": {"instance": instance, "grace_s": 10, "hard_deadline_s": 20, "analyze_workers": ANALYZE_WORKERS}}


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(to_toml(data))
    path.chmod(0o600)
    return path


def load(data: dict[str, Any]):  # noqa: ANN201 - sqa.config.Settings
    from sqa.config import load_settings

    return load_settings(path=ROOT / "tests" / "empty.toml", environ={}, overrides=data)


def state_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_state(path: Path) -> None:
    """Remove a benchmark's state directory (kept when SQA_BENCH_KEEP is set, e.g. to read daemon.log)."""
    if os.environ.get("SQA_BENCH_KEEP"):
        log(f"state kept in {path}")
        return
    shutil.rmtree(path, ignore_errors=True)


# ----------------------------------------------------------------------------- leads

@dataclass(frozen=True, slots=True)
class LeadRec:
    id: int
    email: str
    name: str
    company: str
    first_message_id: str
    subject: str
    first_body: str


async def create_contacted_leads(settings: Any, count: int) -> list[LeadRec]:
    """Leads that got their first mail already: rows written straight into the database.

    Lead rows (status ``contacted``) and their first mails as outbound Message
    rows, bulk-inserted: the state ``queue_first_mails`` + a sent outbox would
    leave, without sending anything.
    """
    from sqlalchemy import insert

    from sqa.agents.engage import LeadView, fill, wrap_body
    from sqa.agents.engines.base import ConversationState
    from sqa.daemon.app import build_app
    from sqa.db.models import Direction, Lead, LeadStatus, Message, utcnow
    from sqa.mailbox.compose import new_message_id

    app = await build_app(settings)  # migrates SQLite, creates the agent row
    try:
        agent = app.agents[0].runtime
        s = agent.settings
        now = utcnow() - timedelta(days=2)  # the first mails went out two days ago
        leads = []
        for i in range(count):
            first = random.choice(FIRST_NAMES)
            last = random.choice(LAST_NAMES)
            leads.append({"agent_id": agent.id, "token": secrets.token_hex(8), "email": f"lead{i}@{LEAD_DOMAIN}",
                          "name": f"{first} {last}", "company": f"{random.choice(COMPANIES)} {i}",
                          "status": LeadStatus.CONTACTED.value, "bant": {}, "followups_sent": 0,
                          "created_at": now, "updated_at": now})
        out: list[LeadRec] = []
        async with app.sessionmaker() as session, session.begin():
            for start in range(0, len(leads), 500):
                chunk = leads[start:start + 500]
                result = await session.execute(insert(Lead).returning(Lead.id, sort_by_parameter_order=True), chunk)
                ids = [r[0] for r in result]
                msgs = []
                for lead_id, row in zip(ids, chunk):
                    view = LeadView(row["name"], row["company"], None, None, ConversationState())
                    subject = fill(s.templates.first_subject, s, view)
                    body = wrap_body(s, view, fill(s.templates.first_body, s, view))
                    mid = new_message_id(s.domain, row["token"])
                    msgs.append({"message_id": mid, "direction": Direction.OUT.value, "agent_id": agent.id,
                                 "lead_id": lead_id, "kind": "first", "from_addr": s.address, "to_addr": row["email"],
                                 "subject": subject, "text": body, "created_at": now})
                    out.append(LeadRec(lead_id, row["email"], row["name"], row["company"], mid, subject, body))
                await session.execute(insert(Message), msgs)
        return out
    finally:
        await app.close()


FIRST_NAMES = ["Lee", "Maria", "Jonas", "Aiko", "Priya", "Tom", "Fatima", "Lars", "Chen", "Sofia", "Omar", "Eva"]
LAST_NAMES = ["Lead", "Schmidt", "Okafor", "Tanaka", "Rossi", "Novak", "Haddad", "Berg", "Silva", "Moreau"]
COMPANIES = ["Globex", "Initech", "Umbrella", "Hooli", "Stark Analytics", "Wayne Logistics", "Soylent", "Acme Retail"]
ANSWERS = [  # each answers exactly the question asked before it (need, timeline, budget, authority)
    "Sounds interesting, tell me more about how this works for a team like ours.",
    "Our analysts copy numbers between spreadsheets by hand, and the monthly reporting is slow and error-prone.",
    "Ideally before the end of the next quarter.",
    "We have roughly 20k EUR approved for tooling.",
    "I decide together with our CFO; procurement gets involved above 10k.",
    "Thanks for the quick answer. Could you send a short overview?",
]
# Length without BANT content (each turn answers exactly what was asked before it): sentences drawn from five
# neutral word lists (~250,000 combinations), so a reply's filler is its own, as people's text is, and no cache
# of already-read sentences makes the drain look faster than it would be on real mail.
_FILLER_WORDS = (
    ("Thanks again for", "I appreciated", "Many thanks for", "I enjoyed reading", "I printed out", "I bookmarked",
     "We looked at", "I saved", "I liked", "I skimmed", "We went through", "I read through"),
    ("your note", "the overview", "the article you linked", "the short summary", "the slides", "the example report",
     "the case study", "the product sheet", "your message", "the comparison", "the screenshots", "the write-up"),
    ("over coffee", "on the train home", "in the shared folder", "on a rainy afternoon", "at my desk",
     "in our chat channel", "after lunch", "on my tablet", "in the office kitchen", "on the way in", "this morning",
     "in a quiet moment"),
    ("and it was easy to follow", "and the layout was clear", "and the examples were helpful",
     "and the wording was friendly", "and it read well", "and the charts looked tidy", "and the tone was pleasant",
     "and it was pleasant to read", "and nobody found it too long", "and the pictures were nice",
     "and it was a good read", "and the structure made sense"),
    ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fourteen"),
)


def filler(rng: random.Random, sentences: int) -> str:
    """``sentences`` neutral sentences of a reply's own (no BANT, no intent)."""
    opener, thing, where, comment, pages = _FILLER_WORDS
    return " ".join(f"{rng.choice(opener)} {rng.choice(thing)} {rng.choice(where)}, {rng.choice(comment)}; "
                    f"it had {rng.choice(pages)} pages." for _ in range(sentences))


DISCLAIMER = ("This e-mail and any attachments are confidential and may be privileged. If you are not the intended "
              "recipient, please notify the sender immediately and delete this e-mail and its attachments from your "
              "system. Any unauthorised use, disclosure, copying or distribution is prohibited. E-mail transmission "
              "cannot be guaranteed to be secure or error-free; the sender accepts no liability for any damage "
              "caused by this e-mail. Registered office: 1 Example Street, 10115 Berlin; registered at the local "
              "court under HRB 123456; managing directors: J. Doe, M. Mustermann.")


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def _received(i: int, when: datetime) -> str:
    stamp = format_datetime(when)
    return (f"Received: from mail-out{i % 7}.{LEAD_DOMAIN} (mail-out{i % 7}.{LEAD_DOMAIN} [192.0.2.{i % 250 + 1}])\r\n"
            f"\tby mx.{AGENT_DOMAIN} (Postfix) with ESMTPS id {secrets.token_hex(5).upper()}\r\n"
            f"\tfor <x@{AGENT_DOMAIN}>; {stamp}\r\n")


def reply_raw(lead: LeadRec, agent_address: str, *, turn: int, message_id: str, parent_id: str,
              references: list[str], rng: random.Random, when: datetime | None = None) -> bytes:
    """A realistic lead reply (median ~4.6 KB; about a third multipart/alternative with HTML).

    Threading: In-Reply-To = ``parent_id``, References = ``references`` + parent.
    """
    when = when or datetime.now(timezone.utc)
    answer = ANSWERS[turn % len(ANSWERS)]
    extra = filler(rng, 2 * rng.choice((0, 2, 4, 7, 8, 10, 13)))
    first = lead.name.split()[0]
    plain = (f"Hi Ava,\n\n{answer}\n\n{extra}\n\nBest regards,\n{lead.name}\n{lead.company}\n"
             f"Phone +49 30 {rng.randint(1000000, 9999999)}\n\n{DISCLAIMER}\n\n"
             f"On {format_datetime(when - timedelta(days=1))}, Ava Agent <{agent_address}> wrote:\n"
             f"{_quote(lead.first_body)}\n")
    refs = " ".join([*references, parent_id])
    dkim = ("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + LEAD_DOMAIN + "; s=sel1;\r\n"
            "\th=from:to:subject:date:message-id:in-reply-to:references:mime-version;\r\n"
            f"\tbh={secrets.token_urlsafe(32)}=;\r\n\tb=" + "\r\n\t".join(secrets.token_urlsafe(60) for _ in range(5)) + "\r\n")
    headers = (
        "Return-Path: <" + lead.email + ">\r\n"
        + "Delivered-To: " + agent_address + "\r\n"
        + _received(turn, when) + _received(turn + 3, when - timedelta(seconds=2)) + dkim
        + f"From: {lead.name} <{lead.email}>\r\n"
        + f"To: Ava Agent <{agent_address}>\r\n"
        + f"Subject: Re: {lead.subject}\r\n"
        + f"Date: {format_datetime(when)}\r\n"
        + f"Message-ID: {message_id}\r\n"
        + f"In-Reply-To: {parent_id}\r\n"
        + f"References: {refs}\r\n"
        + "MIME-Version: 1.0\r\n"
        + "X-Mailer: Benchmark Mail 4.2\r\n"
        + f"Thread-Topic: {lead.subject}\r\n"
    )
    plain_crlf = plain.replace("\n", "\r\n")
    if rng.random() < 0.35:
        boundary = "b1_" + secrets.token_hex(12)
        html_body = ("<html><body><div dir=\"ltr\">" + "<br>".join(
            f"<p>{line}</p>" if line else "" for line in plain.splitlines()) + "</div></body></html>")
        html_body = "\r\n".join(html_body[i:i + 76] for i in range(0, len(html_body), 76))
        body = (f"--{boundary}\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                f"{plain_crlf}\r\n--{boundary}\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n"
                f"Content-Transfer-Encoding: 8bit\r\n\r\n{html_body}\r\n--{boundary}--\r\n")
        headers += f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n"
    else:
        body = plain_crlf
        headers += "Content-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: 8bit\r\n"
    return (headers + "\r\n" + body).encode("utf-8")


def reply_id(lead: LeadRec, turn: int, tag: str = "r") -> str:
    return f"<{tag}{turn}.{lead.id}.{secrets.token_hex(4)}@{LEAD_DOMAIN}>"


# ----------------------------------------------------------------------------- the daemon as a subprocess

class Daemon:
    """``sqa run --config FILE`` as a child process; stderr goes to a log file."""

    def __init__(self, config: Path, log_path: Path) -> None:
        self.config = config
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self._log_offset = 0

    def start(self) -> None:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        fh = open(self.log_path, "ab")
        try:
            env = dict(os.environ)
            env.pop("SQA_CONFIG", None)
            self.started_at = time.monotonic()
            cmd = [str(SQA), "run", "--config", str(self.config)]
            wrapper = os.environ.get("SQA_BENCH_WRAPPER")  # investigation only: a script standing in for `sqa`
            if wrapper:
                cmd = [sys.executable, wrapper, "run", "--config", str(self.config)]
            profile = os.environ.get("SQA_BENCH_PROFILE")  # investigation only: cProfile the daemon
            if profile:
                cmd = [sys.executable, "-m", "cProfile", "-o", f"{profile}.{time.time_ns()}.prof",
                       "-m", "sqa.cli", "run", "--config", str(self.config)]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=fh, stderr=fh, env=env, cwd=str(ROOT))
            pyspy = os.environ.get("SQA_BENCH_PYSPY")  # investigation only: sample the daemon with py-spy
            if pyspy:
                subprocess.Popen([str(VENV_BIN / "py-spy"), "record", "--nonblocking", "--format", "raw", "-r", "500", "-o",
                                  f"{pyspy}.{time.time_ns()}.txt", "--pid", str(self.proc.pid)],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            fh.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_since_start(self) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_offset)
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    async def wait_log(self, needle: str, timeout: float = 30.0) -> float:
        """Wait until the daemon's log (since start) contains ``needle``; return the monotonic time seen."""
        deadline = time.monotonic() + timeout
        while True:
            if needle in self.log_since_start():
                return time.monotonic()
            if not self.alive():
                raise RuntimeError(f"daemon exited ({self.proc.returncode if self.proc else None}) before "
                                   f"logging {needle!r}:\n{self.log_since_start()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"daemon did not log {needle!r} within {timeout}s:\n{self.log_since_start()[-3000:]}")
            await asyncio.sleep(0.01)

    def status_kb(self, key: str) -> int | None:
        """A field of /proc/PID/status in kB (VmHWM = peak resident set)."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            return None
        return None

    def cpu_s(self) -> float | None:
        """User + system CPU seconds the daemon used so far."""
        return proc_cpu_s(self.pid)

    def thread_cpu_s(self) -> dict[str, float]:
        """CPU seconds per thread of the daemon (the main loop vs. the SQLite worker threads)."""
        out: dict[str, float] = {}
        try:
            tids = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return out
        for tid in tids:
            cpu = proc_cpu_s_task(self.pid, int(tid))
            if cpu is None:
                continue
            kind = "main" if int(tid) == self.pid else "other threads"
            out[kind] = round(out.get(kind, 0.0) + cpu, 2)
        return out

    def kill(self) -> bool:
        """SIGKILL (unless already sent) and reap; True when the process was running until now."""
        if self.proc is None or self.proc.returncode is not None:
            return False
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.proc.wait() == -signal.SIGKILL

    async def terminate(self, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def proc_cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def proc_cpu_s_task(pid: int, tid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def group_cpu_s(pgid: int) -> float:
    """CPU seconds of every live process in a process group (e.g. Dovecot and its children)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def descendants_cpu_s(pid: int) -> float:
    """CPU seconds of the live descendants of ``pid`` (e.g. the daemon's analysis worker processes)."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total = 0.0
    for child in parent:
        p = parent[child]
        while p > 1 and p != pid:
            p = parent.get(p, 0)
        if p == pid and child != pid:
            total += cpu[child]
    return total


# ----------------------------------------------------------------------------- database peeks (read only)

def db_path(state: Path) -> Path:
    return state / "sqa.db"


def db_query(state: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(str(db_path(state)), timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def db_scalar(state: Path, sql: str, params: tuple = ()) -> Any:
    rows = db_query(state, sql, params)
    return rows[0][0] if rows else None


# ----------------------------------------------------------------------------- servers

async def start_servers(local_domains: tuple[str, ...] = ()):  # noqa: ANN201
    """A private Dovecot and an SMTP sink in this loop."""
    from sqa.sandbox import DovecotServer, SmtpSink

    dovecot = await asyncio.to_thread(DovecotServer.start)
    sink = SmtpSink(local_domains=local_domains, lmtp=(dovecot.host, dovecot.lmtp_port))
    await sink.start()
    log(f"dovecot imap {dovecot.imap_port} lmtp {dovecot.lmtp_port}; smtp sink {sink.port}")
    return dovecot, sink
