"""`sqa simulate`, `sqa leads list --summary` and the next-action line of `sqa lead show` (issue 6, outreach).

Registered by :mod:`sqa.cli`, whose helpers (_settings, _with_db, _agent_id) these use.
Nothing here writes to the database or sends mail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML file (default /etc/sqa/sqa.toml or $SQA_CONFIG)")]


def _base() -> Any:
    """sqa.cli's helpers, imported on use: sqa.cli imports this module."""
    from sqa import cli

    return cli


def describe_next(app_: Any, detail: Any) -> Any:
    """The lead's next action (outreach/nextaction.py) with its agent's settings and clock."""
    from sqa.outreach.nextaction import next_action

    runtime = next((r for r in app_.runtimes if r.id == detail.lead.agent_id), None)
    now = runtime.clock.now() if runtime is not None else app_.clock.now()
    return next_action(detail.lead, detail.outbox, detail.runs, runtime, now)


def print_summary(settings: Any, agent: str | None, json_out: bool) -> None:
    """Counts per status, one row per agent (`sqa leads list --summary`)."""
    from sqa.db.models import LeadStatus
    from sqa.leads import count_by_agent_status

    cli = _base()

    async def go(app_: Any) -> tuple[dict[int, str], dict[int, dict[str, int]]]:
        agent_id = cli._agent_id(app_, agent).id if agent else None
        names = {r.id: r.name for r in app_.runtimes}
        return names, await count_by_agent_status(app_.sessionmaker, agent_id)

    names, counts = cli._run(cli._with_db(settings, go))
    by_name = {names.get(agent_id, f"agent {agent_id}"): c for agent_id, c in sorted(counts.items())}
    if json_out:
        cli.out.print_json(json.dumps({name: {**c, "total": sum(c.values())} for name, c in by_name.items()}))
        return
    statuses = [s.value for s in LeadStatus if any(s.value in c for c in by_name.values())]
    table = Table("agent", *statuses, "total")
    for name, c in by_name.items():
        table.add_row(name, *(str(c.get(s, 0)) for s in statuses), str(sum(c.values())))
    cli.out.print(table)


def simulate(config: ConfigOpt = None, agent: Annotated[str | None, typer.Option("--agent", help="the agent")] = None,
             leads: Annotated[int | None, typer.Option("--leads", help="how many new leads (default intake.per_tick)")] = None,
             json_out: Annotated[bool, typer.Option("--json")] = False,
             body: Annotated[bool, typer.Option("--body", help="also print each mail's text")] = False) -> None:
    """Dry run of intake and first mails: what would be sent, to whom and when; sends and writes nothing."""
    from sqa.outreach.simulate import simulate as plan_for

    cli = _base()
    cli.setup_logging("WARNING")
    settings = cli._settings(config)

    async def go(app_: Any) -> tuple[str, Any]:
        runtime = cli._agent_id(app_, agent)
        return runtime.name, await plan_for(app_.sessionmaker, runtime, runtime.clock.now(), leads)

    name, plan = cli._run(cli._with_db(settings, go))
    if json_out:
        cli.out.print_json(json.dumps({"agent": name, "dry_run": True, "leads": [p.as_json() for p in plan]}))
        return
    cli.out.print(f"dry run for agent {name}: {len(plan)} lead(s); nothing is sent or written", highlight=False)
    table = Table("lead", "to", "zone", "verdict", "subject", "first mail at", "follow-ups", "unresponsive")
    for p in plan:
        fmt = "%Y-%m-%d %H:%M"
        table.add_row(str(p.lead_id), p.email, p.zone, p.verdict + (f" ({p.reason})" if p.reason else ""),
                      p.subject or "", f"{p.first_at:{fmt}} UTC" if p.first_at else "-",
                      ", ".join(f"{d:%Y-%m-%d}" for d in p.followups) or "-",
                      f"{p.unresponsive_at:%Y-%m-%d}" if p.unresponsive_at else "-")
    cli.out.print(table)
    if body:
        for p in plan:
            if p.body:
                cli.out.print(f"\n--- lead {p.lead_id} <{p.email}>: {p.subject}\n{p.body}", markup=False, highlight=False)
