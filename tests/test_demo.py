"""`sqa demo` end to end, as a user runs it: a subprocess of the installed console script."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SQA = str(Path(sys.executable).with_name("sqa"))
LEAD1, LEAD2, LEAD3 = "lee.jordan@globex.test", "olga.petrova@initech.test", "raj.patel@umbrella.test"


def _env() -> dict[str, str]:
    # the demo must not need (nor read) any configuration: point SQA_CONFIG at something that does not exist
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQA_")}
    env["SQA_CONFIG"] = "/nonexistent/sqa.toml"
    return env


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SQA, "demo", *args], capture_output=True, text=True, timeout=120, env=_env())


def _assert_cleaned_up(output: str) -> None:
    roots = re.findall(r"mail in (/tmp/sqa-dovecot-\S+)", output)
    dbs = re.findall(r"SQLite database (/\S+)/sqa\.db", output)
    assert roots and dbs, output
    for path in roots + dbs:
        assert not Path(path).exists(), f"{path} was left behind"
    running = subprocess.run(["pgrep", "-af", "dovecot"], capture_output=True, text=True).stdout
    assert not [line for line in running.splitlines() if roots[0] in line], running


def test_demo_json_summary() -> None:
    proc = _demo("--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 1, f"stdout must hold the summary only:\n{proc.stdout}"
    summary = json.loads(proc.stdout)
    assert summary["ok"] is True and summary["error"] is None, summary
    assert summary["seconds"] > 0  # how long it took is reported, not asserted (timing belongs to benchmarks)

    leads = {lead["email"]: lead for lead in summary["leads"]}
    assert list(leads) == [LEAD1, LEAD2, LEAD3]
    # lead 1: five replies, five answers (four BANT questions and the closing) after the first mail
    assert leads[LEAD1] == {"email": LEAD1, "status": "handed_over",
                            "bant_known": ["need", "timeline", "budget", "authority"], "inbound": 5, "outbound": 6}
    # lead 2: the out-of-office reply is recorded and gets no answer; follow-ups pause until the lead is back
    assert leads[LEAD2] == {"email": LEAD2, "status": "paused", "bant_known": [], "inbound": 1, "outbound": 1}
    assert leads[LEAD3] == {"email": LEAD3, "status": "contacted", "bant_known": [], "inbound": 0, "outbound": 1}
    assert summary["inbound_by_kind"] == {"human": 5, "auto_reply": 1, "unknown_sender": 1}
    assert summary["replies_sent"] == 5
    assert summary["ooo_answered"] is False
    assert summary["unknown_sender_answered"] is False

    # the steps went to stderr, without the daemon's INFO logs or tracebacks
    assert "is now handed_over" in proc.stderr, proc.stderr
    assert " INFO " not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    _assert_cleaned_up(proc.stderr)


def test_demo_prints_each_step_as_it_happens() -> None:
    proc = subprocess.Popen([SQA, "demo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    lines: list[tuple[float, str]] = []
    assert proc.stdout is not None
    for line in proc.stdout:  # read while it runs: each step must arrive when it happens, not at exit
        lines.append((time.monotonic(), line.rstrip("\n")))
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.wait(timeout=60) == 0, "\n".join(l for _, l in lines) + stderr
    ended = time.monotonic()
    out = "\n".join(l for _, l in lines)

    expected = [
        "Dovecot started: IMAP 127.0.0.1:",
        "SMTP server on 127.0.0.1:",
        "SQLite database ",
        "3 leads added: ",
        "daemon started",
        "watcher logged in",
        f"first mail sent to {LEAD1}",
        f"first mail sent to {LEAD2}",
        f"first mail sent to {LEAD3}",
        "Lee Jordan replies (turn 1)",
        "What problem are you hoping to solve",
        "Lee Jordan replies (turn 2)",
        "By when would you need a solution",
        "Lee Jordan replies (turn 3)",
        "budget set aside",
        "Lee Jordan replies (turn 4)",
        "who else would be involved",
        "Lee Jordan replies (turn 5)",
        "pass your answers to Sam Seller",
        f"{LEAD1} is now handed_over",
        '"Automatic reply: Initech and Acme Analytics"',
        "recorded as auto_reply (Auto-Submitted: auto-replied); no answer queued",
        "pat.stranger@example.net (not a lead) writes",
        "recorded as human mail from an unknown sender, left for a human; no answer queued",
        "daemon stopped",
        "servers stopped, temp files removed",
        "Summary",
        "inbound handled: human 5, auto_reply 1, unknown_sender 1",
        "replies sent: 5",
        "out-of-office answered: no",
        "unknown sender answered: no",
        "OK: ",
    ]
    position = 0
    for text in expected:
        found = out.find(text, position)
        assert found >= 0, f"{text!r} missing or out of order in:\n{out}"
        position = found + len(text)
    for email, status in ((LEAD1, "handed_over"), (LEAD2, "paused"), (LEAD3, "contacted")):
        assert re.search(rf"{re.escape(email)}\s+{status}\s", out), out
    # step lines carry the seconds since the start
    assert re.search(r"^\s+\d+\.\d\ds  Dovecot started", out, re.MULTILINE), out
    # streamed: the first step reached us well before the end (the conversation alone takes seconds)
    first_step = next(t for t, l in lines if "Dovecot started" in l)
    assert ended - first_step > 1.0, "the steps were printed all at once at exit"
    assert " INFO " not in out + stderr and "Traceback" not in stderr, stderr
    _assert_cleaned_up(out)


def test_demo_interrupted_cleans_up() -> None:
    proc = subprocess.Popen([SQA, "demo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    assert proc.stdout is not None and proc.stderr is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line)
        if "replies (turn 2)" in line:
            proc.send_signal(signal.SIGINT)  # Ctrl-C in the middle of the conversation
            break
    rest, stderr = proc.communicate(timeout=60)
    out = "".join(seen) + rest
    assert proc.returncode == 130, out + stderr
    assert "interrupted by SIGINT" in stderr and "Traceback" not in stderr, stderr
    assert "Summary" not in out
    _assert_cleaned_up(out)
