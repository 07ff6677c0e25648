"""Review mode: `sqa drafts list|show|approve|edit|reject` through the CLI beside the running daemon's app.

Each command runs in-process (typer's CliRunner) in a worker thread while the test's loop serves the SMTP
sink; the daemon's sender drains for real. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sqa.agents.engines.base import Decision
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.config import load_settings
from sqa.db.models import AgentRun, Lead, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.handoff_support import ScriptedEngine, Step, body_of, use_engine
from tests.support import LEAD_DOMAIN, agent_dict, deliver, reply_to
from tests.test_cli import write_config
from tests.test_consent_admin import ADMIN, ok, sqa

LEAD = f"lee@{LEAD_DOMAIN}"
QUESTION = "What does slow reporting cost your team today?"


def _config(tmp_path: Path, dovecot: Any, sink: Any, database_url: str, **agent_over: Any) -> Path:
    agent = agent_dict(dovecot, sink, review_before_send=True, **agent_over)
    data = {"state_dir": str(tmp_path / "state"), "agents": [agent],
            "daemon": {"instance": "drafts-test", "grace_s": 5, "hard_deadline_s": 10},
            "database": {"url": database_url}, "web": {"enabled": False}}
    return write_config(tmp_path / "sqa.toml", data)


async def _draft(tmp_path, dovecot, sink, database_url, *steps: Step, **agent_over: Any) -> tuple[Any, Any, Path, int, Any]:
    """The app, its agent, the config, the id of the draft awaiting approval, and the lead's reply."""
    config = _config(tmp_path, dovecot, sink, database_url, **agent_over)
    app = await build_app(load_settings(config, environ={}))
    agent = app.agents[0]
    await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)
    first = (await sink.wait_for(1))[0]  # first mails are not drafts of a reply: sent at once
    use_engine(app, ScriptedEngine(*(steps or (Step(Decision.REPLY, QUESTION),))))
    reply = reply_to(first, sender=f"Lee Lead <{LEAD}>", body="Tell me more.", message_id="<r1@lead.test>")
    await deliver(dovecot, agent.runtime.settings.address, reply)
    await drain_once(app)
    async with app.sessionmaker() as s:
        (draft,) = list(await s.scalars(select(Outbox).where(Outbox.status == OutboxStatus.AWAITING_APPROVAL)))
    assert [m.rcpt_tos for m in sink.messages].count([LEAD]) == 1  # drained, but the draft waits
    return app, agent, config, draft.id, reply


async def _outbox(app: Any, draft_id: int) -> Outbox:
    async with app.sessionmaker() as s:
        return await s.get(Outbox, draft_id)


async def _review_runs(app: Any) -> list[tuple[str, dict]]:
    async with app.sessionmaker() as s:
        return [(r.decision, r.detail) for r in await s.scalars(
            select(AgentRun).where(AgentRun.step == "review").order_by(AgentRun.id))]


async def test_list_show_approve_sends(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, config, draft_id, _ = await _draft(tmp_path, dovecot, smtp_sink, database_url)
    try:
        listed = ok(await sqa("drafts", "list", "-c", config)).output
        assert str(draft_id) in listed and "Lee Lead" in listed and "Re: " in listed
        shown = ok(await sqa("drafts", "show", str(draft_id), "-c", config)).output
        assert QUESTION in shown and "To stop receiving these emails" in shown and "Message-ID: <sqa." in shown
        await drain_once(app)
        assert len(smtp_sink.messages) == 1
        ok(await sqa("drafts", "approve", str(draft_id), "-c", config))
        await drain_once(app)
        sent = (await smtp_sink.wait_for(2))[1]
        assert sent.rcpt_tos == [LEAD] and QUESTION in body_of(sent.raw)
        assert (await _outbox(app, draft_id)).status == OutboxStatus.SENT
        assert await _review_runs(app) == [("approved", {"actor": ADMIN})]
        again = await sqa("drafts", "approve", str(draft_id), "-c", config)
        assert again.exit_code == 1 and "is sent, not awaiting approval" in again.output
        assert "Lee Lead" not in ok(await sqa("drafts", "list", "-c", config)).output
    finally:
        await app.close()


async def test_edit_sends_new_text_with_same_message_id(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, config, draft_id, reply = await _draft(tmp_path, dovecot, smtp_sink, database_url)
    try:
        before = await _outbox(app, draft_id)
        words = tmp_path / "words.txt"
        words.write_text("Happy to show you around, Lee. Which reports take your team the longest today?\n")
        out = ok(await sqa("drafts", "edit", str(draft_id), "--text", words, "-c", config)).output
        assert "still awaiting approval" in out
        await drain_once(app)
        assert len(smtp_sink.messages) == 1  # an edit alone does not approve
        ok(await sqa("drafts", "approve", str(draft_id), "-c", config))
        await drain_once(app)
        sent = message_from_bytes((await smtp_sink.wait_for(2))[1].raw)
        text = sent.get_payload(decode=True).decode()
        assert "Which reports take your team the longest" in text and QUESTION not in text
        assert text.startswith("Hello Lee,") and "To stop receiving these emails" in text
        assert sent["Message-ID"] == before.message_id and sent["In-Reply-To"] == "<r1@lead.test>"
        assert sent["List-Unsubscribe"] and sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert [d for d, _ in await _review_runs(app)] == ["edited", "approved"]
        assert QUESTION in (await _review_runs(app))[0][1]["previous"]  # the agent's words stay on record
    finally:
        await app.close()


async def test_edit_refused_by_guardrails_then_from_stdin_with_approve(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, config, draft_id, _ = await _draft(tmp_path, dovecot, smtp_sink, database_url)
    try:
        bad = await sqa("drafts", "edit", str(draft_id), "--text", "-", "-c", config,
                        input="Great news: you get 90% off if you sign this week!\n")
        assert bad.exit_code == 1 and "refused by the guardrails" in bad.output and "unsupported_claim" in bad.output
        assert (await _outbox(app, draft_id)).status == OutboxStatus.AWAITING_APPROVAL
        ok(await sqa("drafts", "edit", str(draft_id), "--text", "-", "--approve", "-c", config,
                     input="Thanks Lee. Could we talk briefly next week?\n"))
        await drain_once(app)
        assert "talk briefly next week" in body_of((await smtp_sink.wait_for(2))[1].raw)
    finally:
        await app.close()


async def test_reject_is_never_sent(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, config, draft_id, _ = await _draft(tmp_path, dovecot, smtp_sink, database_url)
    try:
        ok(await sqa("drafts", "reject", str(draft_id), "--reason", "too pushy", "-c", config))
        await drain_once(app)
        assert len(smtp_sink.messages) == 1
        row = await _outbox(app, draft_id)
        assert row.status == OutboxStatus.CANCELLED and "too pushy" in row.last_reply
        async with app.sessionmaker() as s:
            lead = await s.scalar(select(Lead).where(Lead.email == LEAD))
        assert "rejected" in lead.attention
        assert await _review_runs(app) == [("rejected", {"actor": ADMIN, "reason": "too pushy"})]
    finally:
        await app.close()


async def test_opt_out_cancels_a_draft_awaiting_approval(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, config, draft_id, reply = await _draft(tmp_path, dovecot, smtp_sink, database_url)
    try:
        await deliver(dovecot, agent.runtime.settings.address, reply_to(reply, sender=LEAD, body="Unsubscribe me."))
        await drain_once(app)
        assert (await _outbox(app, draft_id)).status == OutboxStatus.CANCELLED
        late = await sqa("drafts", "approve", str(draft_id), "-c", config)
        assert late.exit_code == 1 and "cancelled, not awaiting approval" in late.output
        await drain_once(app)
        assert len(smtp_sink.messages) == 1
    finally:
        await app.close()


async def test_handoff_notice_to_the_seller_never_waits_for_approval(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, config, draft_id, _ = await _draft(
        tmp_path, dovecot, smtp_sink, database_url, Step(Decision.HANDOFF, "Sam will call you tomorrow."),
        sellers=[{"name": "Sam Seller", "email": "sam@sellers.test"}])
    try:
        await drain_once(app)
        assert [m.rcpt_tos for m in smtp_sink.messages] == [[LEAD], ["sam@sellers.test"]]  # the closing words wait
        assert (await _outbox(app, draft_id)).status == OutboxStatus.AWAITING_APPROVAL
        async with app.sessionmaker() as s:
            lead = await s.scalar(select(Lead).where(Lead.email == LEAD))
        assert lead.status == "handed_over" and lead.owner == "sam@sellers.test"
    finally:
        await app.close()
