"""Data at rest (issue 7): column encryption with a customer-managed key, `sqa keys rotate`, the retention purge.

The daemon tests run on SQLite and PostgreSQL (database_url) against the private Dovecot and SMTP sink; what
is stored is read back with raw SQL, past the column types, to see ciphertext where the ORM shows plaintext.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from sqa.clock import ManualClock
from sqa.config import ConfigError, load_settings
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db import crypto
from sqa.db.models import AgentRun, Lead, Message, Outbox
from sqa.db.oauth_store import get_tokens, put_tokens
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, deliver, reply_to
from tests.test_cli import config_data, ok, sqa, write_config

KEY_A = crypto.generate_key()
KEY_B = crypto.generate_key()
LEAD = f"lee@{LEAD_DOMAIN}"
REPLY = "Reporting takes our analysts two days a month."
START = datetime(2030, 12, 3, 10, 0, tzinfo=timezone.utc)  # later than any real "now": every row is in its past


# -- units -----------------------------------------------------------------------------------------


def test_keyring_round_trip_and_clear_errors() -> None:
    a, b = crypto.parse_key(KEY_A), crypto.parse_key(KEY_B)
    ring_a = crypto.Keyring(a)
    token = ring_a.seal("Grüße, budget 50k".encode(), "messages.text")
    assert token.startswith(f"enc:v1:{crypto.key_id(a)}:") and "budget" not in token
    assert crypto.Keyring(b, [a]).open(token, "messages.text").decode() == "Grüße, budget 50k"  # an old key decrypts
    with pytest.raises(crypto.DecryptError, match=rf"messages.text: .*key {crypto.key_id(a)}, which is not configured"):
        crypto.Keyring(b).open(token, "messages.text")
    with pytest.raises(crypto.DecryptError, match=r"messages.subject: .*does not decrypt"):
        ring_a.open(token, "messages.subject")  # the column is the associated data: no swapping between columns
    assert crypto.stored_key_id("plain words") is None and crypto.stored_key_id(token.encode()) == crypto.key_id(a)
    with pytest.raises(crypto.KeyFormatError, match="32 bytes"):
        crypto.parse_key("c2hvcnQ=")


def test_storage_keys_in_the_config(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "sqa-key").write_text(KEY_B + "\n")
    settings = load_settings(empty, environ={"CREDENTIALS_DIRECTORY": str(tmp_path / "creds")},
                             overrides={"storage": {"key_credential": "sqa-key", "old_keys": [{"key": KEY_A}]}})
    ring = crypto.keyring_from(settings)
    assert ring is not None and ring.current_id == crypto.key_id(crypto.parse_key(KEY_B))
    assert set(ring.key_ids) == {crypto.key_id(crypto.parse_key(k)) for k in (KEY_A, KEY_B)}
    with pytest.raises(ConfigError, match=r"storage.key: Value error, (not base64|a key is 32 bytes)"):
        load_settings(empty, environ={}, overrides={"storage": {"key": "too-short"}})
    assert crypto.keyring_from(load_settings(empty, environ={})) is None  # no key: plaintext
    assert load_settings(empty, environ={}).retention.text_days == 30


# -- through the daemon ------------------------------------------------------------------------------


async def _turn(tmp_path: Path, dovecot: Any, sink: Any, database_url: str, clock: ManualClock | None = None,
                **extra: Any) -> tuple[Path, Any, int]:
    """A config file with ``extra`` sections; the daemon sends the first mail and answers the lead's reply."""
    data = {**config_data(tmp_path, dovecot, sink, database_url), **extra}
    config = write_config(tmp_path / "sqa.toml", data)
    app = await build_app(load_settings(config, environ={}), clock=clock or ManualClock(datetime.now(timezone.utc)))
    agent = app.agents[0]
    lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)
    first = (await sink.wait_for(1))[-1]
    await deliver(dovecot, agent.runtime.settings.address, reply_to(first, sender=LEAD, body=REPLY))
    await drain_once(app)
    await sink.wait_for(2)
    return config, app, lead_id


async def _raw(app: Any, sql: str, **params: Any) -> list[Any]:
    async with app.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def test_encrypted_columns_through_the_daemon(tmp_path, dovecot, smtp_sink, database_url) -> None:
    config, app, lead_id = await _turn(tmp_path, dovecot, smtp_sink, database_url, storage={"key": KEY_A})
    kid = crypto.key_id(crypto.parse_key(KEY_A))
    try:
        inbound = await _raw(app, "SELECT text, subject FROM messages WHERE direction = 'in' AND lead_id = :l", l=lead_id)
        assert len(inbound) == 1
        for stored in inbound[0]:
            assert stored.startswith(f"enc:v1:{kid}:") and "Reporting" not in stored and "Re:" not in stored
        for (raw,) in await _raw(app, "SELECT raw FROM outbox WHERE lead_id = :l", l=lead_id):
            assert bytes(raw).startswith(b"enc:v1:") and b"Subject" not in bytes(raw)
        (bant,) = (await _raw(app, "SELECT CAST(bant AS TEXT) FROM leads WHERE id = :l", l=lead_id))[0]
        assert bant.startswith('"enc:v1:') and "analysts" not in bant
        async with app.sessionmaker() as s:  # the ORM reads plaintext
            text_ = await s.scalar(select(Message.text).where(Message.lead_id == lead_id, Message.direction == "in"))
            assert text_.startswith(REPLY)
            assert (await s.get(Lead, lead_id)).bant["slots"]["need"]["evidence"].startswith(REPLY)
    finally:
        await app.close()
    shown = ok(await sqa("lead", "show", str(lead_id), "--json", "--config", config)).stdout
    detail = json.loads(shown)
    assert detail["bant"]["need"]["evidence"].startswith(REPLY)
    assert [m["subject"] for m in detail["messages"]][1].startswith("Re: ")

    status = json.loads(ok(await sqa("keys", "status", "--json", "--config", config)).stdout)
    text_col = next(c for c in status["columns"] if c["column"] == "messages.text")
    assert status["current_key"] == kid and text_col["by_key"] == {kid: 3} and text_col["plaintext"] == 0


async def test_rotation_then_the_old_key_goes(tmp_path, dovecot, smtp_sink, database_url) -> None:
    # rows written before any key (plaintext) and under key A, then rotated to B
    config, app, lead_id = await _turn(tmp_path, dovecot, smtp_sink, database_url)
    await app.close()
    data = {**config_data(tmp_path, dovecot, smtp_sink, database_url), "storage": {"key": KEY_A}}
    write_config(config, data)
    app = await build_app(load_settings(config, environ={}), services=False)
    try:
        async with app.sessionmaker() as s, s.begin():
            s.add(Message(message_id="<under-a@lead.test>", direction="in", agent_id=app.runtimes[0].id, lead_id=lead_id,
                          kind="human", subject="under A", text="written under key A"))
        await put_tokens(app.sessionmaker, app.runtimes[0].id, "microsoft", access_token="at-1", refresh_token="rt-1",
                         expires_at=START)
    finally:
        await app.close()
    (tmp_path / "b.key").write_text(KEY_B + "\n")
    rotated = json.loads(ok(await sqa("keys", "rotate", "--new-key-file", tmp_path / "b.key", "--batch", "2", "--json",
                                      "--config", config)).stdout)
    kid_b = crypto.key_id(crypto.parse_key(KEY_B))
    by_column = {c["column"]: c for c in rotated["columns"]}
    assert rotated["key"] == kid_b
    assert by_column["messages.text"]["rewritten"] == 4 and by_column["messages.text"]["from_plaintext"] == 3
    assert by_column["oauth_tokens.refresh_token"]["rewritten"] == 1
    again = json.loads(ok(await sqa("keys", "rotate", "--new-key-file", tmp_path / "b.key", "--json",
                                    "--config", config)).stdout)
    assert all(c["rewritten"] == 0 for c in again["columns"])  # resumable: only what is left is done

    write_config(config, {**data, "storage": {"key": KEY_B}})  # key A removed: everything still reads
    status = json.loads(ok(await sqa("keys", "status", "--json", "--config", config)).stdout)
    assert all(set(c["by_key"]) <= {kid_b} and c["plaintext"] == 0 for c in status["columns"]), status
    app = await build_app(load_settings(config, environ={}), services=False)
    try:
        async with app.sessionmaker() as s:
            texts = list(await s.scalars(select(Message.text).where(Message.lead_id == lead_id).order_by(Message.id)))
        assert "written under key A" in texts and any(t and t.startswith(REPLY) for t in texts)
        tokens = await get_tokens(app.sessionmaker, app.runtimes[0].id, "microsoft")
        assert (tokens.access_token, tokens.refresh_token, tokens.expires_at) == ("at-1", "rt-1", START)
        assert "rt-1" not in repr(tokens)
        # a wrong key: a clear error naming the column, not ciphertext handed out as text
        crypto.use(app.engine, crypto.Keyring(crypto.parse_key(KEY_A)))
        async with app.sessionmaker() as s:
            with pytest.raises(crypto.DecryptError, match=rf"messages.(text|subject): .*key {kid_b}, which is not configured"):
                await s.scalars(select(Message).where(Message.lead_id == lead_id))
        crypto.use(app.engine, None)
        async with app.sessionmaker() as s:
            with pytest.raises(crypto.DecryptError, match=r"no key is configured"):
                await s.scalar(select(Message.text).where(Message.message_id == "<under-a@lead.test>"))
    finally:
        await app.close()
    wrong = await sqa("keys", "status", "--config", write_config(config, {**data, "storage": {"key": KEY_A}}))
    assert wrong.exit_code == 1 and f"{kid_b}" in wrong.stderr and "cannot be read" in wrong.stderr
    shown = await sqa("lead", "show", str(lead_id), "--config", config)  # the key it was written with is gone
    assert shown.exit_code == 78 and "cannot read stored data" in shown.stderr and kid_b in shown.stderr
    assert "storage.key" in shown.stderr and shown.exception is None or isinstance(shown.exception, SystemExit)


async def test_retention_purges_text_and_keeps_the_results(tmp_path, dovecot, smtp_sink, database_url) -> None:
    clock = ManualClock(START)
    config, app, lead_id = await _turn(tmp_path, dovecot, smtp_sink, database_url, clock, storage={"key": KEY_A},
                                       retention={"text_days": 30})
    try:
        async with app.sessionmaker() as s:  # written on the real clock: put them at START like a live daemon
            for model in (Message, Outbox):
                rows = list(await s.scalars(select(model).where(model.lead_id == lead_id)))
                assert rows and all(getattr(r, "text", None) or getattr(r, "raw", None) for r in rows)
        await _raw_update(app, lead_id, START)
        assert await app.scheduler.retention.purge() is not None  # nothing is 30 days old yet
        assert await _count_text(app, lead_id) == (3, 2)
        clock.advance(days=29)
        await drain_once(app)
        assert await _count_text(app, lead_id) == (3, 2)
        clock.advance(days=2)
        await drain_once(app)
        assert await _count_text(app, lead_id) == (0, 0)  # text gone (inbound, outbound, sent mail)
        async with app.sessionmaker() as s:
            msgs = list(await s.scalars(select(Message).where(Message.lead_id == lead_id).order_by(Message.id)))
            assert [(m.direction, m.kind) for m in msgs] == [("out", "first"), ("in", "human"), ("out", "reply")]
            assert all(m.subject for m in msgs)  # kept: follow-ups thread on it
            lead = await s.get(Lead, lead_id)
            assert lead.status == "qualifying" and lead.bant["slots"]["need"]["evidence"].startswith(REPLY)
            assert await s.scalar(select(AgentRun.id).where(AgentRun.lead_id == lead_id, AgentRun.step == "engage"))
            assert {o.status for o in await s.scalars(select(Outbox).where(Outbox.lead_id == lead_id))} == {"sent"}
        assert await app.scheduler.retention.maybe_run() is None  # at most once per interval
    finally:
        await app.close()
    detail = json.loads(ok(await sqa("lead", "show", str(lead_id), "--json", "--config", config)).stdout)
    assert detail["status"] == "qualifying" and detail["bant"]["need"]["evidence"].startswith(REPLY)
    shown = ok(await sqa("lead", "show", str(lead_id), "--config", config)).stdout
    assert re.search(r"│\s+in\s+│\s+human\s+│", shown), shown


async def _raw_update(app: Any, lead_id: int, when: datetime) -> None:
    """Inbound rows carry the system time, outbound ones the agent clock: put all at ``when``."""
    async with app.sessionmaker() as s, s.begin():
        for model in (Message, Outbox):
            for row in await s.scalars(select(model).where(model.lead_id == lead_id)):
                row.created_at = when
                if isinstance(row, Outbox) and row.sent_at is not None:
                    row.sent_at = when


async def _count_text(app: Any, lead_id: int) -> tuple[int, int]:
    (texts,) = (await _raw(app, "SELECT COUNT(text) FROM messages WHERE lead_id = :l", l=lead_id))[0]
    (raws,) = (await _raw(app, "SELECT COUNT(raw) FROM outbox WHERE lead_id = :l", l=lead_id))[0]
    return texts, raws


async def test_retention_zero_keeps_everything(tmp_path, dovecot, smtp_sink, database_url) -> None:
    clock = ManualClock(START)
    _, app, lead_id = await _turn(tmp_path, dovecot, smtp_sink, database_url, clock, retention={"text_days": 0})
    try:
        clock.advance(days=400)
        await drain_once(app)
        assert await _count_text(app, lead_id) == (3, 2)
    finally:
        await app.close()
