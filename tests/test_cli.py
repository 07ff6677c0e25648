"""The `sqa` command line against a real configuration file, the session Dovecot and the SMTP sink.

Commands run in-process (typer's CliRunner) in a worker thread, so this test's
event loop keeps serving the SMTP sink meanwhile; each command opens its own
event loop, as it does when a user types it.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from sqa import cli
from sqa.config import load_settings
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.migrate import head_revision
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, reply_to

RUNNER = CliRunner()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[ " + ", ".join(toml_value(v) for v in value) + " ]"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text("".join(f"{key} = {toml_value(value)}\n" for key, value in data.items()))
    return path


def config_data(tmp_path: Path, dovecot: Any, sink: Any, database_url: str | None = None,
                **agent_over: Any) -> dict[str, Any]:
    data = {"state_dir": str(tmp_path / "state"), "agents": [agent_dict(dovecot, sink, **agent_over)],
            "daemon": {"instance": "cli-test", "grace_s": 5, "hard_deadline_s": 10}}
    if database_url:
        data["database"] = {"url": database_url}
    return data


@pytest.fixture
def config(tmp_path: Path, dovecot: Any, smtp_sink: Any, database_url: str) -> Path:
    """A configuration file naming the test's database (SQLite or PostgreSQL, ready for use)."""
    return write_config(tmp_path / "sqa.toml", config_data(tmp_path, dovecot, smtp_sink, database_url))


async def sqa(*args: str | Path, columns: int = 200) -> Result:
    """Run `sqa ARGS` in a worker thread; the loop keeps serving the SMTP sink."""
    argv = [str(a) for a in args]
    return await asyncio.to_thread(RUNNER.invoke, cli.app, argv, env={"COLUMNS": str(columns)})


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.output}\n{result.exception!r}"
    return result


# -- leads add -----------------------------------------------------------------------------------


async def test_leads_add_then_duplicate_rejected(config: Path) -> None:
    added = ok(await sqa("leads", "add", f"lee@{LEAD_DOMAIN}", "--config", config, "--name", "Lee Lead",
                         "--company", "Globex"))
    assert re.fullmatch(r"lead \d+ added\n", added.stdout), added.stdout

    again = await sqa("leads", "add", f"LEE@{LEAD_DOMAIN.upper()}", "--config", config)  # same address, other case
    assert again.exit_code == 1, again.output
    assert again.stdout == ""
    assert re.fullmatch(rf"rejected: lee@{LEAD_DOMAIN} is already lead \d+ of this agent\n", again.stderr), again.stderr

    bad = await sqa("leads", "add", "not-an-address", "--config", config)
    assert bad.exit_code == 1
    assert "rejected: not a valid email address: 'not-an-address'" in bad.stderr

    listed = json.loads(ok(await sqa("leads", "list", "--json", "--config", config)).stdout)
    assert [(l["email"], l["name"], l["company"]) for l in listed] == [(f"lee@{LEAD_DOMAIN}", "Lee Lead", "Globex")]


# -- leads import --------------------------------------------------------------------------------


async def test_leads_import_reports_each_rejected_line(config: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text(
        "email,name,company\n"
        "ann@lead.test,Ann Archer,Initech\n"          # line 2: good
        "bob-at-umbrella,Bob Baker,Umbrella\n"        # line 3: not an address
        "ANN@lead.test,Ann Again,Initech\n"           # line 4: repeats line 2
        "carl@lead.test,Carl,Hooli,extra,fields\n"    # line 5: more fields than the header
        'dina@lead.test,Dina Diaz,"Pied Piper, Inc."\n'  # line 6: good (quoted comma)
    )
    result = await sqa("leads", "import", csv_file, "--config", config)
    assert result.exit_code == 1, result.output  # something was rejected
    lines = result.stdout.splitlines()
    assert lines[0] == "added 2 lead(s), rejected 3"
    assert lines[1:] == [
        "  line 3: not a valid email address: 'bob-at-umbrella'",
        "  line 4: ann@lead.test repeats line 2",
        "  line 5: more fields than the header names",
    ]

    # the same file again, as JSON: the good rows are now duplicates of stored leads
    again = await sqa("leads", "import", csv_file, "--json", "--config", config)
    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert report["added"] == 0
    assert {r["line"]: r["reason"] for r in report["rejected"]} == {
        2: "ann@lead.test is already a lead of this agent",
        3: "not a valid email address: 'bob-at-umbrella'",
        4: "ann@lead.test repeats line 2",
        5: "more fields than the header names",
        6: "dina@lead.test is already a lead of this agent",
    }

    no_email = tmp_path / "no-email.csv"
    no_email.write_text("name,company\nEve,Initech\n")
    missing = await sqa("leads", "import", no_email, "--config", config)
    assert missing.exit_code == 1
    assert missing.stdout.splitlines() == ["added 0 lead(s), rejected 1", "  line 1: the header line has no 'email' column"]

    listed = json.loads(ok(await sqa("leads", "list", "--json", "--config", config)).stdout)
    assert [(l["email"], l["company"]) for l in listed] == [("ann@lead.test", "Initech"), ("dina@lead.test", "Pied Piper, Inc.")]


async def test_leads_import_all_good_exits_0(config: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "good.csv"
    csv_file.write_text("\ufeffEmail,Name,Title\nfay@lead.test,Fay Fox,CFO\n")  # BOM and header case as Excel writes it
    result = ok(await sqa("leads", "import", csv_file, "--config", config))
    assert result.stdout.splitlines() == ["added 1 lead(s), rejected 0"]


# -- leads list ----------------------------------------------------------------------------------


async def test_leads_list_table_and_json(config: Path) -> None:
    for email, name, company in ((f"ann@{LEAD_DOMAIN}", "Ann Archer", "Initech"), (f"bob@{LEAD_DOMAIN}", "Bob Baker", "Umbrella")):
        ok(await sqa("leads", "add", email, "--name", name, "--company", company, "--config", config))

    table = ok(await sqa("leads", "list", "--config", config)).stdout
    header = next(line for line in table.splitlines() if "email" in line)
    assert all(col in header for col in ("id", "email", "name", "company", "status", "BANT known")), table
    assert re.search(rf"ann@{LEAD_DOMAIN}\s+│\s+Ann Archer\s+│\s+Initech\s+│\s+new\s", table), table
    assert re.search(rf"bob@{LEAD_DOMAIN}\s+│\s+Bob Baker\s+│\s+Umbrella\s+│\s+new\s", table), table

    rows = json.loads(ok(await sqa("leads", "list", "--json", "--config", config)).stdout)
    assert [{k: r[k] for k in ("email", "name", "company", "status", "bant")} for r in rows] == [
        {"email": f"ann@{LEAD_DOMAIN}", "name": "Ann Archer", "company": "Initech", "status": "new", "bant": []},
        {"email": f"bob@{LEAD_DOMAIN}", "name": "Bob Baker", "company": "Umbrella", "status": "new", "bant": []},
    ]
    assert all(isinstance(r["id"], int) for r in rows)

    contacted = ok(await sqa("leads", "contact", "--config", config))
    assert contacted.stdout.strip() == "queued first mails for 2 lead(s)"
    assert json.loads(ok(await sqa("leads", "list", "--status", "new", "--json", "--config", config)).stdout) == []
    assert len(json.loads(ok(await sqa("leads", "list", "--status", "contacted", "--json", "--config", config)).stdout)) == 2


# -- run --once ----------------------------------------------------------------------------------


async def test_run_once_answers_a_pending_reply(config: Path, dovecot: Any, smtp_sink: Any) -> None:
    settings = load_settings(config, environ={})
    address = settings.agents[0].address
    ok(await sqa("leads", "add", f"lee@{LEAD_DOMAIN}", "--name", "Lee Lead", "--config", config))
    ok(await sqa("leads", "contact", "--config", config))
    ok(await sqa("run", "--once", "--config", config))  # first connect ("from now on") and the first mail
    first = (await smtp_sink.wait_for(1))[0]
    assert first.rcpt_tos == [f"lee@{LEAD_DOMAIN}"]

    reply = reply_to(first, sender=f"Lee Lead <lee@{LEAD_DOMAIN}>", body="Sounds useful, tell me more.",
                     message_id="<cli-run-once@lead.test>")
    await deliver(dovecot, address, reply)
    ok(await sqa("run", "--once", "--config", config))  # the reply is pending: answered, and the answer sent
    messages = await smtp_sink.wait_for(2)
    assert len(messages) == 2
    answer = messages[1]
    assert answer.in_reply_to == "<cli-run-once@lead.test>"
    assert "What problem are you hoping to solve" in answer.message.get_body(("plain",)).get_content()

    ok(await sqa("run", "--once", "--config", config))  # nothing pending: nothing more is sent
    await asyncio.sleep(0.2)
    assert len(smtp_sink.messages) == 2


# -- lead show -----------------------------------------------------------------------------------


async def test_lead_show_after_a_full_turn(config: Path, dovecot: Any, smtp_sink: Any) -> None:
    settings = load_settings(config, environ={})
    app = await build_app(settings)
    try:
        agent = app.agents[0]
        address = agent.runtime.settings.address
        lead_id = await add_lead(app.sessionmaker, agent.runtime.id,
                                 LeadInput(email=f"lee@{LEAD_DOMAIN}", name="Lee Lead", company="Globex"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        await drain_once(app)
        last = (await smtp_sink.wait_for(1))[-1]
        for turn, text in enumerate(("Tell me more.", "Reporting takes our analysts two days a month."), start=2):
            await deliver(dovecot, address, reply_to(last, sender=f"lee@{LEAD_DOMAIN}", body=text))
            await drain_once(app)
            last = (await smtp_sink.wait_for(turn))[-1]
    finally:
        await app.close()

    shown = ok(await sqa("lead", "show", str(lead_id), "--config", config)).stdout
    assert f"lead {lead_id}  Lee Lead <lee@{LEAD_DOMAIN}>  Globex" in shown
    assert "status: qualifying" in shown
    assert re.search(r"need\s+│\s+Reporting takes our analysts two days a month\.", shown), shown
    assert re.search(r"budget\s+│\s+-\s", shown), shown
    for direction, kind in (("out", "first"), ("in", "human"), ("out", "reply")):
        assert re.search(rf"│\s+{direction}\s+│\s+{kind}\s+│", shown), shown
    for step, decision in (("outreach", "queued"), ("classify", "human"), ("engage", "reply"), ("outbox", "queued")):
        assert re.search(rf"│\s+{step}\s+│\s+{decision}\s+│", shown), shown

    detail = json.loads(ok(await sqa("lead", "show", str(lead_id), "--json", "--config", config)).stdout)
    assert detail["id"] == lead_id and detail["email"] == f"lee@{LEAD_DOMAIN}" and detail["status"] == "qualifying"
    assert list(detail["bant"]) == ["need"]
    assert detail["bant"]["need"]["evidence"].startswith("Reporting takes our analysts two days a month.")
    assert [(m["direction"], m["kind"]) for m in detail["messages"]] == [
        ("out", "first"), ("in", "human"), ("out", "reply"), ("in", "human"), ("out", "reply")]
    steps = [(r["step"], r["decision"]) for r in detail["runs"]]
    assert steps[0] == ("outreach", "queued")
    assert steps.count(("engage", "reply")) == 2 and steps.count(("classify", "human")) == 2
    assert all(isinstance(r["latency_ms"], (int, float)) for r in detail["runs"] if r["step"] == "engage")

    missing = await sqa("lead", "show", "999999", "--config", config)
    assert missing.exit_code == 1 and missing.stderr.strip() == "no lead 999999"


# -- db upgrade ----------------------------------------------------------------------------------


async def test_db_upgrade_prints_the_revision(tmp_path: Path, dovecot: Any, smtp_sink: Any,
                                              empty_database_url: str) -> None:
    config = write_config(tmp_path / "sqa.toml", config_data(tmp_path, dovecot, smtp_sink, empty_database_url))
    head = head_revision()
    assert head
    first = ok(await sqa("db", "upgrade", "--config", config))
    assert first.stdout.strip() == f"database schema: (empty) -> {head}"
    again = ok(await sqa("db", "upgrade", "--config", config))
    assert again.stdout.strip() == f"database schema: {head} -> {head}"


# -- configuration errors ------------------------------------------------------------------------


def _broken(tmp_path: Path, dovecot: Any, sink: Any, case: str) -> Path:
    data = config_data(tmp_path, dovecot, sink)
    agent = data["agents"][0]
    if case == "port":
        agent["imap"]["port"] = "imaps"
    elif case == "missing":
        del agent["smtp"]["username"]
    elif case == "plain_remote":
        agent["smtp"]["host"] = "smtp.example.com"
    elif case == "unknown_key":
        agent["imap"]["hostname"] = "x"
    elif case == "duplicate_agents":
        data["agents"] = [agent, dict(agent)]
    elif case == "not_toml":
        path = tmp_path / "sqa.toml"
        path.write_text("state_dir = \n")
        return path
    elif case == "no_file":
        return tmp_path / "missing.toml"
    return write_config(tmp_path / "sqa.toml", data)


@pytest.mark.parametrize(("case", "command", "names"), [
    ("port", ("leads", "list"), "agents[0].imap.port: Input should be a valid integer"),
    ("missing", ("db", "upgrade"), "agents[0].smtp.username: Field required"),
    ("plain_remote", ("run", "--once"), "agents[0].smtp: Value error, security = 'plain' is allowed only for loopback hosts"),
    ("unknown_key", ("lead", "show", "1"), "agents[0].imap.hostname: Extra inputs are not permitted"),
    ("duplicate_agents", ("leads", "add", "x@lead.test"), "agent names must be unique"),
    ("not_toml", ("leads", "contact"), "sqa.toml: not valid TOML"),
    ("no_file", ("leads", "list"), "missing.toml: no such configuration file"),
])
async def test_config_error_exits_78_with_one_line(tmp_path: Path, dovecot: Any, smtp_sink: Any, case: str,
                                                   command: tuple[str, ...], names: str) -> None:
    path = _broken(tmp_path, dovecot, smtp_sink, case)
    result = await sqa(*command, "--config", path, columns=80)  # a narrow terminal must not split the line
    assert result.exit_code == 78, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("config error: ") and names in lines[0], lines[0]
    assert not (tmp_path / "state").exists()  # nothing was created
