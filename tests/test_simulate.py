"""`sqa simulate` (a dry run: nothing sent, nothing written), `sqa leads list --summary`, the next action of
`sqa lead show`, and the leads CSV's country and timezone columns. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from sqa.config import load_settings
from sqa.daemon.app import build_app
from sqa.db.models import AgentRun, Lead, Message, Outbox
from tests.support import PERMISSIVE_OUTREACH
from tests.test_cli import config_data, ok, sqa, write_config

OUTREACH: dict[str, Any] = {**PERMISSIVE_OUTREACH, "intake": {"auto": True, "validate_email": False},
                            "window": {"enabled": True, "timezone": "Europe/Berlin"}}


def _config(tmp_path: Path, dovecot: Any, sink: Any, database_url: str) -> Path:
    return write_config(tmp_path / "sqa.toml", config_data(tmp_path, dovecot, sink, database_url, name="sim",
                                                           outreach=OUTREACH))


async def _counts(config: Path) -> tuple[int, ...]:
    app = await build_app(load_settings(config, environ={}), services=False)
    try:
        async with app.sessionmaker() as s:
            return tuple([await s.scalar(select(func.count()).select_from(t)) for t in (Outbox, Message, AgentRun)]
                         + [await s.scalar(select(func.count()).select_from(Lead).where(Lead.status == "new"))])
    finally:
        await app.close()


async def _update_lead(config: Path, lead_id: int, **values: Any) -> None:
    app = await build_app(load_settings(config, environ={}), services=False)
    try:
        async with app.sessionmaker() as s, s.begin():
            await s.execute(update(Lead).where(Lead.id == lead_id).values(**values))
    finally:
        await app.close()


async def test_simulate_shows_what_would_go_and_writes_nothing(tmp_path, dovecot, smtp_sink, database_url):
    config = _config(tmp_path, dovecot, smtp_sink, database_url)
    csv = tmp_path / "leads.csv"
    csv.write_text("email,name,company,country,timezone\n"
                   "lee@globex.de,Lee Lead,Globex,,\n"
                   "ann@initech.example,Ann,Initech,US,America/New_York\n"
                   "bo@umbrella.example,Bo,Umbrella,,\n")
    ok(await sqa("leads", "import", csv, "-c", config))
    before = await _counts(config)
    result = ok(await sqa("simulate", "--agent", "sim", "--leads", "2", "--json", "-c", config))
    plan = json.loads(result.stdout)
    assert plan["dry_run"] is True and [p["email"] for p in plan["leads"]] == ["lee@globex.de", "ann@initech.example"]
    lee, ann = plan["leads"]
    assert (lee["zone"], ann["zone"]) == ("Europe/Berlin", "America/New_York")  # ccTLD; the lead's own zone
    for p in (lee, ann):
        assert p["verdict"] == "send" and "Globex" in lee["subject"] and "List-Unsubscribe" not in p["body"]
        first = datetime.fromisoformat(p["first_at"])
        local = first.astimezone(ZoneInfo(p["zone"]))
        assert local.isoweekday() <= 5 and 9 <= local.hour < 17  # inside the window in the lead's zone
        dates = [first] + [datetime.fromisoformat(d) for d in p["followups"]] + [datetime.fromisoformat(p["unresponsive_at"])]
        assert len(dates) == 5 and dates == sorted(dates)
        assert dates[1] - dates[0] >= timedelta(days=3)
    text = ok(await sqa("simulate", "--agent", "sim", "-c", config, "--body", columns=250)).stdout
    assert "dry run for agent sim: 3 lead(s); nothing is sent or written" in text and "bo@umbrella.example" in text
    assert "I'm reaching out from Acme Analytics" in text
    assert await _counts(config) == before and smtp_sink.messages == []


async def test_leads_list_summary_and_lead_show_next_action(tmp_path, dovecot, smtp_sink, database_url):
    config = _config(tmp_path, dovecot, smtp_sink, database_url)
    for email in ("a@globex.de", "b@globex.de", "c@globex.de"):
        ok(await sqa("leads", "add", email, "-c", config, "--timezone", "Europe/Berlin"))
    shown = json.loads(ok(await sqa("lead", "show", "1", "--json", "-c", config)).stdout)
    assert shown["next_action"]["kind"] == "first_mail" and "intake round" in shown["next_action"]["text"]
    ok(await sqa("leads", "contact", "-c", config, "--limit", "1"))
    shown = json.loads(ok(await sqa("lead", "show", "1", "--json", "-c", config)).stdout)
    assert shown["next_action"]["kind"] == "first_mail" and "first mail queued" in shown["next_action"]["text"]

    await _update_lead(config, 2, status="contacted", followups_sent=1,
                       next_action_at=datetime(2031, 1, 7, 9, 0, tzinfo=timezone.utc))
    text = ok(await sqa("lead", "show", "2", "-c", config)).stdout
    assert "next action: follow-up 2 of 3 due 2031-01-07 10:00 Europe/Berlin" in text
    await _update_lead(config, 3, status="paused", paused_from="contacted",
                       next_action_at=datetime(2031, 1, 8, 0, 0, tzinfo=timezone.utc))
    text = ok(await sqa("lead", "show", "3", "-c", config)).stdout
    assert "next action: resumes 2031-01-08 01:00 Europe/Berlin (out of office)" in text

    summary = json.loads(ok(await sqa("leads", "list", "--summary", "--json", "-c", config)).stdout)
    assert summary == {"sim": {"contacted": 2, "paused": 1, "total": 3}}
    table = ok(await sqa("leads", "list", "--summary", "-c", config)).stdout
    assert "contacted" in table and "paused" in table and "sim" in table


async def test_csv_country_and_timezone_are_checked(tmp_path, dovecot, smtp_sink, database_url):
    config = _config(tmp_path, dovecot, smtp_sink, database_url)
    csv = tmp_path / "leads.csv"
    csv.write_text("email,country,timezone\n"
                   "a@globex.de,de,Europe/Berlin\n"
                   "b@globex.de,Deutschland,\n"
                   "c@globex.de,,Mars/Olympus\n")
    result = await sqa("leads", "import", csv, "--json", "-c", config)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["added"] == 1
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert "ISO 3166 alpha-2" in reasons[3] and "unknown time zone 'Mars/Olympus'" in reasons[4]
    shown = json.loads(ok(await sqa("lead", "show", "1", "--json", "-c", config)).stdout)
    assert (shown["country"], shown["timezone"]) == ("DE", "Europe/Berlin")
    bad = await sqa("leads", "add", "d@globex.de", "--timezone", "Nowhere/Town", "-c", config)
    assert bad.exit_code == 1 and "unknown time zone" in bad.stderr
