"""`sqa consent optout|optin|show|export` and `sqa lead erase`: consent administration from the command line.

Registered by :mod:`sqa.cli`, whose helpers (_settings, _with_db, _agent_id) these commands use.
Exit codes: 0 done (also "already so"), 1 refused or not found, 2 bad argument, 78 configuration.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.table import Table


def _base() -> Any:
    """sqa.cli's helpers, imported on use: sqa.cli imports this module (also when run as ``python -m sqa.cli``)."""
    from sqa import cli

    return cli


consent_app = typer.Typer(no_args_is_help=True, help="Consent: opt-outs and opt-ins, history, the log for auditors.")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML file (default /etc/sqa/sqa.toml or $SQA_CONFIG)")]
AllAgentsOpt = Annotated[bool, typer.Option("--all-agents", help="every agent (default: the one agent, or --agent)")]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="the agent (needed when several are configured)")]


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"


def _address(address: str) -> str:
    from sqa.leads import LeadError, normalize_email

    base = _base()
    try:
        return normalize_email(address)
    except LeadError as exc:
        base.err.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _scope_agent(app_: Any, all_agents: bool, agent: str | None) -> tuple[int | None, str]:
    """(agent id or None for every agent, words for the output)."""
    base = _base()
    if all_agents:
        return None, "all agents"
    runtime = base._agent_id(app_, agent)
    return runtime.id, f"agent {runtime.name}"


def _exclusive(all_agents: bool, agent: str | None) -> None:
    base = _base()
    if all_agents and agent:
        base.err.print("--all-agents and --agent exclude each other", highlight=False)
        raise typer.Exit(2)


@consent_app.command("optout")
def optout(address: str, reason: Annotated[str, typer.Option("--reason", help="why (kept as evidence)")],
           all_agents: AllAgentsOpt = False, agent: AgentOpt = None, config: ConfigOpt = None) -> None:
    """Opt an address out: its queued mail is cancelled and nothing more is sent to it."""
    from sqa.consent import admin

    base = _base()
    base.setup_logging("WARNING")
    _exclusive(all_agents, agent)
    email = _address(address)
    settings = base._settings(config)

    async def go(app_: Any) -> tuple[Any, str]:
        agent_id, scope = _scope_agent(app_, all_agents, agent)
        return await admin.opt_out(app_.sessionmaker, email, agent_id=agent_id, reason=reason, who=admin.actor()), scope

    change, scope = base._run(base._with_db(settings, go))
    if change.erased_at is not None:
        base.out.print(f"{email} is already opted out for all agents (erased on {admin.day(change.erased_at)})", highlight=False)
    elif not change.recorded:
        base.out.print(f"{email} is already opted out ({scope})", highlight=False)
    else:
        base.out.print(f"opted out {email} ({scope}): {change.cancelled} queued mail(s) cancelled, "
                       f"{len(change.leads)} lead(s) marked opted_out", highlight=False)


@consent_app.command("optin")
def optin(address: str, reason: Annotated[str | None, typer.Option("--reason", help="why (kept as evidence)")] = None,
          all_agents: AllAgentsOpt = False, agent: AgentOpt = None, config: ConfigOpt = None) -> None:
    """Opt an address in again (an explicit opt-in; refused for an erased address)."""
    from sqa.consent import admin

    base = _base()
    base.setup_logging("WARNING")
    _exclusive(all_agents, agent)
    email = _address(address)
    settings = base._settings(config)

    async def go(app_: Any) -> tuple[Any, str]:
        agent_id, scope = _scope_agent(app_, all_agents, agent)
        return await admin.opt_in(app_.sessionmaker, email, agent_id=agent_id, reason=reason, who=admin.actor()), scope

    try:
        change, scope = base._run(base._with_db(settings, go))
    except admin.ConsentRefused as exc:
        base.err.print(f"refused: {exc}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if not change.recorded:
        base.out.print(f"{email} is not opted out ({scope}): nothing to do", highlight=False)
    else:
        base.out.print(f"opted in {email} ({scope}): {len(change.leads)} lead(s) paused for a human to check",
                       highlight=False)


@consent_app.command("show")
def show(address: str, config: ConfigOpt = None, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The consent history of an address and whether each agent may mail it now."""
    from sqa.consent import admin

    base = _base()
    base.setup_logging("WARNING")
    email = _address(address)
    settings = base._settings(config)

    async def go(app_: Any) -> Any:
        return await admin.address_report(app_.sessionmaker, email, [(r.id, r.name) for r in app_.runtimes])

    report = base._run(base._with_db(settings, go))
    if json_out:
        base.out.print_json(data=report.as_dict())
        return
    base.out.print(f"{report.address}  (log key sha256 {report.address_hash})", highlight=False, soft_wrap=True)
    if report.erased_at is not None:
        base.out.print(f"erased on {admin.day(report.erased_at)} (GDPR): the lead's data is gone, the hashed log stays",
                       highlight=False)
    if report.events:
        table = Table("when (UTC)", "action", "scope", "agent", "source", "actor", "evidence")
        for e in report.events:
            table.add_row(f"{e.created_at:%Y-%m-%d %H:%M:%S}", e.action, e.scope,
                          report.agent_names.get(e.agent_id, str(e.agent_id)) if e.agent_id else "",
                          e.source, e.actor or "", admin.summary(e.evidence))
        base.out.print(table)
    else:
        base.out.print("no consent events")
    for state in report.states:
        base.out.print(state.line(), highlight=False, soft_wrap=True)


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    """The file (created 0600: the log names people) or stdout."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8", newline="") as fp:
        yield fp


@consent_app.command("export")
def export(fmt: Annotated[Format, typer.Option("--format", help="csv or json")],
           output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: stdout)")] = None,
           config: ConfigOpt = None) -> None:
    """The whole consent log for auditors, oldest first (erased addresses: address empty, hash kept)."""
    from sqa.consent import admin

    base = _base()
    base.setup_logging("WARNING")
    settings = base._settings(config)
    entries = base._run(base._with_db(settings, lambda app_: admin.export_entries(app_.sessionmaker)))
    try:
        with _output(output) as fp:
            n = (admin.write_csv if fmt is Format.CSV else admin.write_json)(entries, fp)
    except OSError as exc:
        base.err.print(f"cannot write {output}: {exc.strerror or exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    if output is not None:
        base.out.print(f"exported {n} consent event(s) to {output}", highlight=False)


def lead_erase(lead_id: int, config: ConfigOpt = None,
               yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False) -> None:
    """GDPR erasure: delete the lead and its mail; its hashed address stays suppressed so it is never imported again."""
    from sqa.consent.admin import actor
    from sqa.erase import EraseRefused, erase_lead, lead_summary

    base = _base()
    base.setup_logging("WARNING")
    settings = base._settings(config)

    async def go(app_: Any) -> Any:
        lead = await lead_summary(app_.sessionmaker, lead_id)
        if lead is None:
            raise EraseRefused(f"no lead {lead_id}")
        if not yes:
            who = " ".join(x for x in (lead.name, f"<{lead.email}>", lead.company) if x)
            typer.confirm(f"Erase lead {lead.id} {who} and all its mail? This cannot be undone", abort=True)
        return await erase_lead(app_.sessionmaker, lead_id, actor=actor())

    try:
        done = base._run(base._with_db(settings, go))
    except EraseRefused as exc:
        base.err.print(f"not erased: {exc}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    base.out.print(f"erased lead {done.lead_id}: {done.messages} message(s), {done.outbox} outbox row(s), "
                   f"{done.runs} agent run(s); the address stays suppressed (hashed) for every agent", highlight=False)
    if done.other_leads:
        base.out.print(f"note: {done.address} is also lead(s) {', '.join(map(str, done.other_leads))} of other agents: "
                       f"now opted out ({done.cancelled} queued mail(s) cancelled); erase them too for a full erasure",
                       highlight=False, soft_wrap=True)
