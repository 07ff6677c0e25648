"""`sqa consent optout|optin|show|export`, `sqa lead erase` and the import refusals, through the CLI and the daemon.

Each command runs in-process (typer's CliRunner) in a worker thread while this
test's event loop keeps serving the SMTP sink; the daemon's app stays open
beside it (the CLI takes no send journal) and its sender drains for real.
Every test runs on SQLite and on PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
import json
import os
import re
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from typer.testing import CliRunner, Result

from sqa import cli
from sqa.config import load_settings
from sqa.consent import store as consent
from sqa.consent.admin import EXPORT_COLUMNS
from sqa.daemon.app import build_app
from sqa.db.models import AgentRun, ConsentAddress, ConsentEvent, Lead, LeadStatus, Message, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.mailbox import outbox as outbox_q
from tests.support import LEAD_DOMAIN, agent_dict
from tests.test_cli import write_config

RUNNER = CliRunner()
ANN = f"ann@{LEAD_DOMAIN}"
BOB = f"bob@{LEAD_DOMAIN}"
ADMIN = "alice-admin"  # $SUDO_USER in these runs: the actor


async def sqa(*args: str | Path, input: str | None = None, sudo_user: str | None = ADMIN) -> Result:
    argv = [str(a) for a in args]
    env = {"COLUMNS": "200", "SUDO_USER": sudo_user}
    return await asyncio.to_thread(RUNNER.invoke, cli.app, argv, input=input, env=env)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.output}\n{result.exception!r}"
    return result


def today() -> str:
    return f"{datetime.now(timezone.utc):%Y-%m-%d}"


def make_config(tmp_path: Path, dovecot: Any, sink: Any, database_url: str, agents: int = 1) -> Path:
    data = {"state_dir": str(tmp_path / "state"), "agents": [agent_dict(dovecot, sink) for _ in range(agents)],
            "daemon": {"instance": "consent-admin-test", "grace_s": 5, "hard_deadline_s": 10},
            "database": {"url": database_url}, "web": {"enabled": False}}
    return write_config(tmp_path / "sqa.toml", data)


async def started(config: Path) -> Any:
    """The daemon's app (with its senders) on the test's configuration."""
    return await build_app(load_settings(config, environ={}))


async def leads_with_first_mail(app: Any, agent: Any, *emails: str) -> list[int]:
    ids = [await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=e, name=e.split("@")[0].title()))
           for e in emails]
    await queue_first_mails(app.sessionmaker, agent.runtime)
    return ids


async def rows(app: Any, stmt: Any) -> list[Any]:
    async with app.sessionmaker() as s:
        return list((await s.execute(stmt)).all())


def sent_to(sink: Any) -> list[tuple[str, str]]:
    """(recipient, sender) of every mail the sink accepted."""
    return [(rcpt, m.mail_from) for m in sink.messages for rcpt in m.rcpt_tos]


# -- optout --------------------------------------------------------------------------------------


async def test_admin_optout_cancels_queued_mail_and_the_sender_sends_nothing(tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url)
    app = await started(config)
    try:
        agent = app.agents[0]
        name = agent.runtime.name
        ann_id, bob_id = await leads_with_first_mail(app, agent, ANN, BOB)

        done = ok(await sqa("consent", "optout", ANN.upper(), "--reason", "asked by phone", "--config", config))
        assert done.stdout == (f"opted out {ANN} (agent {name}): 1 queued mail(s) cancelled, "
                               "1 lead(s) marked opted_out\n")
        again = ok(await sqa("consent", "optout", ANN, "--reason", "asked again", "--config", config))
        assert again.stdout == f"{ANN} is already opted out (agent {name})\n"

        bad = await sqa("consent", "optout", "ann-at-lead", "--reason", "x", "--config", config)
        assert bad.exit_code == 2 and bad.stdout == ""
        assert bad.stderr == "not a valid email address: 'ann-at-lead'\n"
        missing_reason = await sqa("consent", "optout", ANN, "--config", config)
        assert missing_reason.exit_code == 2

        assert await agent.sender.drain() == 1
        assert [rcpt for rcpt, _ in sent_to(smtp_sink)] == [BOB]  # nothing to Ann
        [(status, reason)] = await rows(app, select(Outbox.status, Outbox.last_reply).where(Outbox.lead_id == ann_id))
        assert status == OutboxStatus.CANCELLED and reason == f"opt-out by {ANN} (admin, scope agent)"
        [(lead_status,)] = await rows(app, select(Lead.status).where(Lead.id == ann_id))
        assert lead_status == LeadStatus.OPTED_OUT
        events = await rows(app, select(ConsentEvent.agent_id, ConsentEvent.scope, ConsentEvent.action,
                                        ConsentEvent.source, ConsentEvent.evidence, ConsentEvent.actor))
        assert events == [(agent.runtime.id, "agent", "opt_out", "admin", {"reason": "asked by phone"}, ADMIN)]
    finally:
        await app.close()


async def test_actor_is_the_os_user_without_sudo(tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url)
    ok(await sqa("consent", "optout", ANN, "--all-agents", "--reason", "letter", "--config", config, sudo_user=None))
    shown = json.loads(ok(await sqa("consent", "show", ANN, "--json", "--config", config)).stdout)
    [event] = shown["events"]
    assert (event["actor"], event["scope"], event["agent_id"]) == (getpass.getuser(), "all", None)


async def test_agent_scoped_optout_leaves_the_other_agents_mail_alone(tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url, agents=2)
    app = await started(config)
    try:
        one, two = app.agents
        await leads_with_first_mail(app, one, ANN)
        await leads_with_first_mail(app, two, ANN)

        ambiguous = await sqa("consent", "optout", ANN, "--reason", "x", "--config", config)
        assert ambiguous.exit_code == 2
        assert ambiguous.stderr.strip() == (f"several agents are configured: pass --agent "
                                            f"({one.runtime.name}, {two.runtime.name})")
        both = await sqa("consent", "optout", ANN, "--all-agents", "--agent", one.runtime.name, "--reason", "x",
                         "--config", config)
        assert both.exit_code == 2 and both.stderr.strip() == "--all-agents and --agent exclude each other"

        done = ok(await sqa("consent", "optout", ANN, "--agent", one.runtime.name, "--reason", "not for sales",
                            "--config", config))
        assert done.stdout.startswith(f"opted out {ANN} (agent {one.runtime.name}): 1 queued mail(s) cancelled")

        assert await one.sender.drain() == 0
        assert await two.sender.drain() == 1
        assert sent_to(smtp_sink) == [(ANN, two.runtime.settings.address)]

        shown = ok(await sqa("consent", "show", ANN, "--config", config)).stdout
        assert re.search(rf"^suppressed for {one.runtime.name}: opted out \(admin, scope agent\) since {today()} ",
                         shown, re.M), shown
        assert f"\nmay be mailed by {two.runtime.name}\n" in shown
        assert re.search(rf"│ opt_out\s+│ agent\s+│ {one.runtime.name}\s+│ admin\s+│ {ADMIN}\s+│ reason=not for sales",
                         shown), shown
    finally:
        await app.close()


# -- optin ---------------------------------------------------------------------------------------


async def test_optin_enables_mail_again(tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url)
    app = await started(config)
    try:
        agent = app.agents[0]
        [ann_id] = await leads_with_first_mail(app, agent, ANN)
        nothing = ok(await sqa("consent", "optin", ANN, "--config", config))
        assert nothing.stdout == f"{ANN} is not opted out (agent {agent.runtime.name}): nothing to do\n"

        ok(await sqa("consent", "optout", ANN, "--all-agents", "--reason", "by phone", "--config", config))
        assert await agent.sender.drain() == 0
        done = ok(await sqa("consent", "optin", ANN, "--all-agents", "--reason", "signed the form again", "--config", config))
        assert done.stdout == f"opted in {ANN} (all agents): 1 lead(s) paused for a human to check\n"
        [(status, attention)] = await rows(app, select(Lead.status, Lead.attention).where(Lead.id == ann_id))
        assert status == LeadStatus.PAUSED and attention.startswith("opted in again (admin)")

        async with app.sessionmaker() as s, s.begin():  # a human looked and restarts the outreach
            await s.execute(update(Lead).where(Lead.id == ann_id).values(status=LeadStatus.NEW))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        assert await agent.sender.drain() == 1
        assert [rcpt for rcpt, _ in sent_to(smtp_sink)] == [ANN]
        shown = json.loads(ok(await sqa("consent", "show", ANN, "--json", "--config", config)).stdout)
        assert [(e["action"], e["scope"], e["evidence"]) for e in shown["events"]] == [
            ("opt_out", "all", {"reason": "by phone"}), ("opt_in", "all", {"reason": "signed the form again"})]
        assert shown["state"] == [{"agent": agent.runtime.name, "suppressed": False, "why": None, "since": None}]
    finally:
        await app.close()


# -- show / export -------------------------------------------------------------------------------


async def test_show_and_export_for_auditors(tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url)
    app = await started(config)
    try:
        agent = app.agents[0]
        [ann_id, _] = await leads_with_first_mail(app, agent, ANN, BOB)
        ok(await sqa("consent", "optout", BOB, "--reason", 'said "stop", twice', "--config", config))
        ok(await sqa("lead", "erase", str(ann_id), "--yes", "--config", config))
    finally:
        await app.close()

    empty = ok(await sqa("consent", "show", f"nobody@{LEAD_DOMAIN}", "--config", config)).stdout
    assert "no consent events" in empty and f"may be mailed by {agent.runtime.name}" in empty

    text = ok(await sqa("consent", "export", "--format", "csv", "--config", config)).stdout
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == EXPORT_COLUMNS
    bob, ann = list(reader)
    assert (bob["address"], bob["address_hash"], bob["scope"], bob["source"], bob["actor"]) == (
        BOB, consent.address_hash(BOB), "agent", "admin", ADMIN)
    assert json.loads(bob["evidence"]) == {"reason": 'said "stop", twice'}
    assert (ann["address"], ann["address_hash"], ann["scope"], ann["source"]) == (
        "", consent.address_hash(ANN), "all", "erasure")
    assert json.loads(ann["evidence"]) == {"lead_id": ann_id}

    target = tmp_path / "audit" / "consent.json"
    target.parent.mkdir()
    wrote = ok(await sqa("consent", "export", "--format", "json", "--output", target, "--config", config))
    assert wrote.stdout == f"exported 2 consent event(s) to {target}\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600  # the log names people
    exported = json.loads(target.read_text())
    assert [(e["address"], e["address_hash"], e["action"], e["source"]) for e in exported] == [
        (BOB, consent.address_hash(BOB), "opt_out", "admin"), (None, consent.address_hash(ANN), "opt_out", "erasure")]
    assert set(exported[0]) == set(EXPORT_COLUMNS)
    assert json.loads(ok(await sqa("consent", "export", "--format", "json", "--config", config)).stdout) == exported

    bad = await sqa("consent", "export", "--format", "xml", "--config", config)
    assert bad.exit_code == 2
    unwritable = await sqa("consent", "export", "--format", "csv", "-o", tmp_path / "no" / "such" / "dir.csv",
                           "--config", config)
    assert unwritable.exit_code == 1 and unwritable.stderr.startswith("cannot write ")


# -- erase ---------------------------------------------------------------------------------------


async def test_erase_deletes_the_lead_keeps_the_hashed_suppression_and_refuses_reimport(
        tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url)
    app = await started(config)
    try:
        agent = app.agents[0]
        [ann_id] = await leads_with_first_mail(app, agent, ANN)
        assert await agent.sender.drain() == 1  # one sent mail: a message row, an outbox row, runs

        kept = await sqa("lead", "erase", str(ann_id), "--config", config, input="n\n")
        assert kept.exit_code == 1 and f"Erase lead {ann_id} Ann <{ANN}> and all its mail?" in kept.stdout
        assert await rows(app, select(Lead.id).where(Lead.id == ann_id)) == [(ann_id,)]

        done = ok(await sqa("lead", "erase", str(ann_id), "--config", config, input="y\n"))
        runs = re.search(r"erased lead \d+: 1 message\(s\), 1 outbox row\(s\), (\d+) agent run\(s\); "
                         r"the address stays suppressed \(hashed\) for every agent\n$", done.stdout)
        assert runs and int(runs[1]) >= 2, done.stdout

        for table, column in ((Lead, Lead.email), (Message, Message.to_addr), (Outbox, Outbox.to_addr),
                              (ConsentAddress, ConsentAddress.address)):
            assert await rows(app, select(func.count()).select_from(table).where(column == ANN)) == [(0,)], table
        assert await rows(app, select(func.count()).select_from(AgentRun).where(AgentRun.lead_id == ann_id)) == [(0,)]
        assert await rows(app, select(ConsentEvent.address_hash, ConsentEvent.source, ConsentEvent.scope,
                                      ConsentEvent.evidence, ConsentEvent.actor)) == [
            (consent.address_hash(ANN), "erasure", "all", {"lead_id": ann_id}, ADMIN)]
        missing = await sqa("lead", "erase", str(ann_id), "--yes", "--config", config)
        assert missing.exit_code == 1 and missing.stderr == f"not erased: no lead {ann_id}\n"

        erased_msg = f"{ANN} was erased on {today()} (GDPR); it stays suppressed and cannot be imported again"
        again = await sqa("leads", "add", ANN.upper(), "--config", config)
        assert again.exit_code == 1 and again.stderr == f"rejected: {erased_msg}\n"

        ok(await sqa("consent", "optout", BOB, "--reason", "by phone", "--config", config))
        csv_file = tmp_path / "again.csv"
        csv_file.write_text(f"email,name\ncarl@{LEAD_DOMAIN},Carl\n{ANN},Ann\n{BOB},Bob\n")
        imported = await sqa("leads", "import", csv_file, "--json", "--config", config)
        assert imported.exit_code == 1
        assert json.loads(imported.stdout) == {"added": 1, "rejected": [
            {"line": 3, "reason": erased_msg},
            {"line": 4, "reason": f"{BOB} opted out (admin, scope agent) on {today()}: not imported"}]}

        # the history stays, hashed; the address is suppressed for good
        shown = ok(await sqa("consent", "show", ANN, "--config", config)).stdout
        assert f"log key sha256 {consent.address_hash(ANN)}" in shown
        assert f"erased on {today()} (GDPR)" in shown
        assert re.search(rf"│ opt_out\s+│ all\s+│ {agent.runtime.name}\s+│ erasure\s+│ {ADMIN}\s+│ lead_id={ann_id}", shown), shown
        assert f"suppressed for {agent.runtime.name}: opted out (erasure, scope all) since {today()}" in shown
        as_json = json.loads(ok(await sqa("consent", "show", ANN, "--json", "--config", config)).stdout)
        assert [e["address"] for e in as_json["events"]] == [None]

        refused = await sqa("consent", "optin", ANN, "--config", config)
        assert refused.exit_code == 1
        assert refused.stderr == (f"refused: {ANN} was erased on {today()} (GDPR): "
                                  "an erased address cannot be opted in by an admin\n")
        already = ok(await sqa("consent", "optout", ANN, "--all-agents", "--reason", "x", "--config", config))
        assert already.stdout == f"{ANN} is already opted out for all agents (erased on {today()})\n"
        assert await rows(app, select(func.count()).select_from(ConsentAddress).where(ConsentAddress.address == ANN)) == [(0,)]
        assert await rows(app, select(func.count()).select_from(ConsentEvent)) == [(2,)]  # erasure + Bob's; no new one
    finally:
        await app.close()


async def test_erase_opts_out_the_same_address_at_other_agents(tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url, agents=2)
    app = await started(config)
    try:
        one, two = app.agents
        [ann_one] = await leads_with_first_mail(app, one, ANN)
        [ann_two] = await leads_with_first_mail(app, two, ANN)
        done = ok(await sqa("lead", "erase", str(ann_one), "--yes", "--config", config))
        assert done.stdout.splitlines()[1] == (f"note: {ANN} is also lead(s) {ann_two} of other agents: now opted out "
                                               "(1 queued mail(s) cancelled); erase them too for a full erasure")
        assert await one.sender.drain() == 0 and await two.sender.drain() == 0
        assert smtp_sink.messages == []
        assert await rows(app, select(Lead.status).where(Lead.id == ann_two)) == [(LeadStatus.OPTED_OUT,)]
    finally:
        await app.close()


async def test_erase_is_refused_while_a_mail_to_the_lead_is_sending(tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url)
    app = await started(config)
    try:
        agent = app.agents[0]
        [ann_id] = await leads_with_first_mail(app, agent, ANN)
        async with app.sessionmaker() as s, s.begin():  # another sender has claimed the mail: it is on the wire
            [claimed] = await outbox_q.claim(s, agent.runtime.id, "other-daemon", 10)

        refused = await sqa("lead", "erase", str(ann_id), "--yes", "--config", config)
        assert refused.exit_code == 1
        assert refused.stderr == "not erased: a mail to this lead is being sent right now; try again in a minute\n"
        assert await rows(app, select(Outbox.status).where(Outbox.id == claimed.id)) == [(OutboxStatus.SENDING,)]
        assert await rows(app, select(Lead.status).where(Lead.id == ann_id)) == [(LeadStatus.CONTACTED,)]
        assert await rows(app, select(func.count()).select_from(ConsentEvent)) == [(0,)]  # nothing recorded

        async with app.sessionmaker() as s, s.begin():  # that sender finished
            await s.execute(update(Outbox).where(Outbox.id == claimed.id).values(status=OutboxStatus.SENT, claimed_by=None))
        ok(await sqa("lead", "erase", str(ann_id), "--yes", "--config", config))
        assert await rows(app, select(func.count()).select_from(Outbox)) == [(0,)]
    finally:
        await app.close()


# -- import refusals, batched --------------------------------------------------------------------


async def test_import_refuses_suppressed_rows_across_chunks(tmp_path, dovecot, smtp_sink, database_url):
    config = make_config(tmp_path, dovecot, smtp_sink, database_url)
    settings = load_settings(config, environ={})
    app = await build_app(settings, services=False)
    try:
        blocked = {7: "p7", 501: "p501", 1203: "p1203"}  # data rows in the first, second and third chunk
        async with app.sessionmaker() as s, s.begin():
            for name in blocked.values():
                await consent.opt_out(s, f"{name}@{LEAD_DOMAIN}", agent_id=None, scope=consent.Scope.ALL,
                                      source=consent.Source.REPLY, gate=None, evidence={"message_id": "<x@lead.test>"})
    finally:
        await app.close()
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("email\n" + "".join(f"p{i}@{LEAD_DOMAIN}\n" for i in range(1300)))
    result = await sqa("leads", "import", csv_file, "--json", "--config", config)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["added"] == 1300 - 3
    assert report["rejected"] == [
        {"line": i + 2, "reason": f"{name}@{LEAD_DOMAIN} opted out (reply, scope all) on {today()}: not imported"}
        for i, name in blocked.items()]
