"""The sender against a failing submission server (failures injected by the SMTP sink)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import AgentRun, Outbox, OutboxStatus, utcnow
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.sandbox import SmtpSink
from tests.support import LEAD_DOMAIN, agent_dict, make_settings


async def _app(tmp_path, dovecot, sink, database_url, leads: int = 1, **agent_over):
    settings = make_settings(tmp_path, [agent_dict(dovecot, sink, **agent_over)], database_url=database_url)
    app = await build_app(settings)
    agent = app.agents[0]
    for n in range(leads):
        await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"lead{n}@{LEAD_DOMAIN}", name=f"Lead {n}"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    return app, agent


async def _rows(app) -> list[Outbox]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))


async def _send_runs(app) -> list[tuple[str, str]]:
    async with app.sessionmaker() as session:
        runs = await session.scalars(select(AgentRun).where(AgentRun.step == "send").order_by(AgentRun.id))
        return [(r.message_id, r.decision) for r in runs]


async def _drain_until_sent(app, sink, count: int, timeout: float = 5.0) -> None:
    """Call drain_once (as `sqa run --once` would, repeatedly) until ``count`` mails reached the sink."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(sink.messages) < count:
        assert loop.time() < deadline, f"only {len(sink.messages)} of {count} sent; rejected {sink.rejected}"
        await asyncio.sleep(0.05)
        await drain_once(app)


async def test_421_at_mail_reconnects_and_delivers_once(tmp_path, dovecot, smtp_sink, database_url):
    app, agent = await _app(tmp_path, dovecot, smtp_sink, database_url)
    try:
        smtp_sink.fail_next(421, "4.3.2 Service shutting down", stage="mail")
        await drain_once(app)  # 421: the server hung up; reconnect and try again at once
        assert [(r.stage, r.code) for r in smtp_sink.rejected] == [("mail", 421)]
        await drain_once(app)
        assert len(smtp_sink.messages) == 1
        [row] = await _rows(app)
        assert smtp_sink.messages[0].message_id == row.message_id
        assert row.status == OutboxStatus.SENT and row.attempts == 2
        assert row.last_reply.startswith("250")
    finally:
        await app.close()


async def test_451_at_rcpt_is_retried_after_backoff_and_delivered_once(tmp_path, dovecot, smtp_sink, database_url):
    app, agent = await _app(tmp_path, dovecot, smtp_sink, database_url)
    try:
        smtp_sink.fail_next(451, "4.7.1 Greylisted, try again later", stage="rcpt", count=2)
        failed_at = utcnow()
        await drain_once(app)
        [row] = await _rows(app)
        assert row.status == OutboxStatus.QUEUED
        assert "451 4.7.1 Greylisted" in row.last_reply
        base = agent.runtime.settings.smtp.retry_base_s
        assert row.next_attempt_at - failed_at >= timedelta(seconds=base / 2 * 0.9)  # backed off, not retried at once
        await _drain_until_sent(app, smtp_sink, 1)
        await drain_once(app)
        assert len(smtp_sink.messages) == 1
        assert [r.code for r in smtp_sink.rejected] == [451, 451]
        [row] = await _rows(app)
        assert row.status == OutboxStatus.SENT and row.attempts == 3
        decisions = [d for _, d in await _send_runs(app)]
        assert decisions == ["retry", "retry", "sent"]
    finally:
        await app.close()


async def test_550_at_rcpt_fails_the_row_keeps_the_reply_and_is_not_retried(tmp_path, dovecot, smtp_sink, database_url):
    app, agent = await _app(tmp_path, dovecot, smtp_sink, database_url)
    try:
        smtp_sink.fail_next(550, "5.1.1 <lead0@lead.test>: Recipient address rejected: User unknown", stage="rcpt")
        await drain_once(app)
        for _ in range(3):
            await asyncio.sleep(0.1)
            await drain_once(app)
        assert smtp_sink.messages == []
        assert len(smtp_sink.rejected) == 1  # tried exactly once
        [row] = await _rows(app)
        assert row.status == OutboxStatus.FAILED
        assert row.attempts == 1
        assert row.last_reply == "550 5.1.1 <lead0@lead.test>: Recipient address rejected: User unknown"
        assert [d for _, d in await _send_runs(app)] == ["failed"]
    finally:
        await app.close()


async def test_connection_dropped_after_data_is_unknown_and_never_resent(tmp_path, dovecot, smtp_sink, database_url):
    app, agent = await _app(tmp_path, dovecot, smtp_sink, database_url, leads=2)
    try:
        smtp_sink.drop_after_data()
        await drain_once(app)
        for _ in range(3):
            await asyncio.sleep(0.1)
            await drain_once(app)
        rows = await _rows(app)
        statuses = sorted(r.status for r in rows)
        assert statuses == [OutboxStatus.SENT, OutboxStatus.UNKNOWN]
        unknown = next(r for r in rows if r.status == OutboxStatus.UNKNOWN)
        assert unknown.attempts == 1
        assert "DATA" in unknown.last_reply
        # the server did receive it: exactly one copy, and the other mail went out normally
        ids = [m.message_id for m in smtp_sink.messages]
        assert sorted(ids) == sorted(r.message_id for r in rows)
        assert ids.count(unknown.message_id) == 1
        # a restarted daemon does not resend it either
        await app.close()
        app = await build_app(app.settings)
        await drain_once(app)
        assert [m.message_id for m in smtp_sink.messages].count(unknown.message_id) == 1
        assert len(smtp_sink.messages) == 2
    finally:
        await app.close()


async def test_smtp_auth_failure_halts_sending_and_alerts(tmp_path, dovecot, database_url, caplog):
    caplog.set_level(logging.WARNING)
    async with SmtpSink(credentials={"placeholder": "x"}) as sink:
        over = {"smtp": {"password": "wrong-password", "retry_max_s": 60}}
        app, agent = await _app(tmp_path, dovecot, sink, database_url, leads=3, **over)
        address = agent.runtime.settings.address
        sink.credentials = {address: "right-password"}
        logins: list[str] = []
        real = sink._authenticate

        def counting(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
            logins.append(mechanism)
            return real(server, session, envelope, mechanism, auth_data)

        sink._authenticate = counting  # type: ignore[method-assign]
        try:
            await drain_once(app)
            assert sink.messages == []
            assert logins, "the sender never tried to log in"
            tried = len(logins)
            assert agent.sender.halt_reason and "535" in agent.sender.halt_reason
            rows = await _rows(app)
            assert [r.status for r in rows] == [OutboxStatus.QUEUED] * 3
            alerts = [r for r in caplog.records if r.levelno == logging.ERROR and "ALERT" in r.getMessage()]
            assert len(alerts) == 1 and agent.runtime.name in alerts[0].getMessage()  # one alarm, not one per connection
            assert "wrong-password" not in caplog.text
            # halted: more drains do not even try
            for _ in range(3):
                await drain_once(app)
            assert len(logins) == tried
            assert sink.messages == []

            # the credentials are fixed and the daemon restarted: the queued mails go out, once each
            await app.close()
            fixed = {**agent_dict_from(app.settings), "smtp": {**agent_dict_from(app.settings)["smtp"],
                                                                "password": "right-password"}}
            app = await build_app(make_settings(tmp_path, [fixed], database_url=database_url))
            await drain_once(app)
            await drain_once(app)
            assert sorted(m.message_id for m in sink.messages) == sorted(r.message_id for r in rows)
            assert [r.status for r in await _rows(app)] == [OutboxStatus.SENT] * 3
        finally:
            await app.close()


def agent_dict_from(settings) -> dict:  # noqa: ANN001
    """The first agent of ``settings`` back as a plain dict (secrets revealed)."""
    data = settings.agents[0].model_dump(mode="json")
    for section in ("imap", "smtp"):
        secret = getattr(settings.agents[0], section).password
        data[section]["password"] = secret.get_secret_value() if secret is not None else None
    return data
