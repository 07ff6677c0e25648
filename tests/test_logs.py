"""Structured logs: JSON lines off a terminal, one line per decision with its ids, secrets and message bodies
never in the output (the daemon run as `sqa run --once` with known secrets, its stderr read as journald would)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
from pathlib import Path

from sqa import logs
from sqa.config import load_settings
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, reply_to
from tests.toml_support import write

API_KEY = "sk-test-0123456789abcdefghij"
WEBHOOK_SECRET = "whsec-logs-0123456789abcdef"
TOKEN_KEY = "token-key-logs-0123456789abcdef"
LEAD_WORDS = "Our analysts lose two whole days every month on the Fenwick report."


def _logger(fmt: str = "json", secrets: tuple[str, ...] = ()) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    """A handler as sqa.logs builds it, with its own Redactor (the process-wide one collects every test's secrets)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter() if fmt == "json" else logging.Formatter(logs.TEXT_FORMAT))
    redactor = logs.Redactor()
    redactor.add(secrets)
    handler.addFilter(redactor)
    logger = logging.getLogger(f"sqa.test_logs.{fmt}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream, handler


def test_json_line_has_fields_and_redacts_secrets():
    logger, stream, handler = _logger(secrets=("correct-horse-battery",))
    try:
        logger.info("agent %s: message %s", "sales", "<m1@x>", extra={"agent": "sales", "lead_id": 7, "kind": "human"})
        logger.warning("login failed for user with password=%s", "hunter2hunter2")
        logger.info("connecting with %s", "correct-horse-battery", extra={"detail": "key correct-horse-battery"})
        logger.info("header Authorization: Bearer abcdefghijklmnop, key %s", API_KEY)
        try:
            raise ValueError("bad secret correct-horse-battery")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    first = lines[0]
    assert set(first) >= {"ts", "level", "logger", "msg", "agent", "lead_id", "kind"}
    assert first["msg"] == "agent sales: message <m1@x>" and first["lead_id"] == 7 and first["level"] == "INFO"
    assert first["ts"].endswith("Z") and first["logger"] == "sqa.test_logs.json"
    assert lines[1]["msg"] == "login failed for user with password=***"
    assert lines[2]["msg"] == "connecting with ***" and lines[2]["detail"] == "key ***"
    assert "abcdefghijklmnop" not in lines[3]["msg"] and API_KEY not in lines[3]["msg"]
    assert "ValueError: bad secret ***" in lines[4]["exc"]
    text = stream.getvalue()
    for secret in ("hunter2hunter2", "correct-horse-battery", API_KEY):
        assert secret not in text


def test_auto_format_is_json_off_a_terminal(monkeypatch):
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    assert logs.wants_json("auto", io.StringIO())  # a pipe or a file: not a TTY
    assert not logs.wants_json("text", io.StringIO()) and logs.wants_json("json", io.StringIO())
    r, w = os.openpty()
    try:
        with os.fdopen(w, "w", closefd=False) as tty:
            assert not logs.wants_json("auto", tty)
            monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
            assert logs.wants_json("auto", tty)  # under systemd
    finally:
        os.close(r)
        os.close(w)


def test_priority_prefix_only_when_stderr_is_the_journal_stream(tmp_path, monkeypatch):
    path = tmp_path / "log"
    with path.open("w") as fh:
        st = os.fstat(fh.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert logs.under_journald(fh)
        record = logging.LogRecord("sqa", logging.ERROR, __file__, 1, "boom", None, None)
        assert logs.JsonFormatter(priority_prefix=True).format(record).startswith('<3>{"ts"')
        monkeypatch.setenv("JOURNAL_STREAM", "1:2")
        assert not logs.under_journald(fh)


def test_secrets_of_finds_every_secret_str(tmp_path):
    settings = load_settings(write(tmp_path / "s.toml", {
        "state_dir": str(tmp_path), "engine": {"api_key": API_KEY}, "consent": {"token_key": TOKEN_KEY},
        "agents": [{"name": "a", "address": "a@agent.test", "display_name": "A",
                    "imap": {"host": "127.0.0.1", "security": "plain", "username": "a", "password": "imap-pass-1"},
                    "smtp": {"host": "127.0.0.1", "security": "plain", "username": "a", "password": "smtp-pass-1"}}]}),
        environ={})
    assert {API_KEY, TOKEN_KEY, "imap-pass-1", "smtp-pass-1"} <= set(logs.secrets_of(settings))


async def test_daemon_logs_decisions_as_json_without_secrets_or_bodies(tmp_path, dovecot, smtp_sink, database_url):
    agent = agent_dict(dovecot, smtp_sink)
    config = {"state_dir": str(tmp_path), "database": {"url": database_url}, "web": {"enabled": False},
              "daemon": {"instance": "test", "grace_s": 5, "hard_deadline_s": 10, "log_level": "DEBUG"},
              "engine": {"kind": "offline", "api_key": API_KEY}, "consent": {"token_key": TOKEN_KEY},
              "handoff": {"webhook": {"url": "http://127.0.0.1:9/hook", "secret": WEBHOOK_SECRET, "timeout_s": 1}},
              "agents": [agent]}
    path = write(tmp_path / "sqa.toml", config)
    app = await build_app(load_settings(path, environ={}))
    try:
        runtime = app.agents[0].runtime
        lead_id = await add_lead(app.sessionmaker, runtime.id, LeadInput(email=f"lee@{LEAD_DOMAIN}", name="Lee Lead"))
        await queue_first_mails(app.sessionmaker, runtime)
        await drain_once(app)  # first connect and the first mail
    finally:
        await app.close()
    first = (await smtp_sink.wait_for(1))[0]
    await deliver(dovecot, agent["address"], reply_to(first, sender=f"lee@{LEAD_DOMAIN}", body=LEAD_WORDS,
                                                      message_id="<logs-reply@lead.test>"))
    env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NOTIFY_SOCKET") and not k.startswith("SQA_")}
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("sqa")), "run", "--once", "--config", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    answer = (await smtp_sink.wait_for(2))[1]
    reply_text = answer.message.get_body(("plain",)).get_content().strip().splitlines()

    text = err.decode()
    records = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    for secret in (dovecot.password, API_KEY, WEBHOOK_SECRET, TOKEN_KEY):
        assert secret not in text
    assert LEAD_WORDS not in text and "Fenwick" not in text
    for line in reply_text:
        if len(line) > 20:  # the greeting and short lines aside: no sentence of our reply is logged
            assert line not in text, line
    decided = [r for r in records if r.get("message_id") == "<logs-reply@lead.test>" and r["logger"] == "sqa.mailbox.inbound"]
    assert len(decided) == 1
    assert decided[0]["lead_id"] == lead_id and decided[0]["agent"] == agent["name"] and decided[0]["kind"] == "human"
    assert decided[0]["step"] == "engage" and decided[0]["decision"]
    sent = [r for r in records if r["logger"] == "sqa.mailbox.sender" and r.get("message_id") == answer.message_id]
    assert len(sent) == 1 and sent[0]["decision"] == "sent" and sent[0]["lead_id"] == lead_id and sent[0]["kind"] == "reply"
