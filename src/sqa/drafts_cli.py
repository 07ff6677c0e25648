"""`sqa drafts list|show|approve|edit|reject`: review mode (agents with review_before_send = true).

Registered by :mod:`sqa.cli`, whose helpers (_settings, _with_db, _agent_id) these commands use.
A running daemon sends an approved draft within its sender's idle wait (30 s at most).
Exit codes: 0 done, 1 refused or not found, 2 bad argument, 78 configuration.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

drafts_app = typer.Typer(no_args_is_help=True, help="Review mode: drafts awaiting approval before they are sent.")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML file (default /etc/sqa/sqa.toml or $SQA_CONFIG)")]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="only this agent's drafts")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="who decides (default: the user behind sudo, else the OS user)")]


def _base() -> Any:
    """sqa.cli's helpers, imported on use: sqa.cli imports this module."""
    from sqa import cli

    return cli


def _actor(given: str | None) -> str:
    from sqa.consent.admin import actor

    return given or actor()


def _act(settings: Any, fn: Any) -> Any:
    """Run fn(app) against the database; a DraftError is one line on stderr and exit 1."""
    from sqa.drafts import DraftError

    base = _base()
    try:
        return base._run(base._with_db(settings, fn))
    except DraftError as exc:
        base.err.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


@drafts_app.command("list")
def list_(agent: AgentOpt = None, config: ConfigOpt = None, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Drafts awaiting approval: id, lead, subject, created."""
    from sqa.drafts import list_drafts

    base = _base()
    base.setup_logging("WARNING")
    settings = base._settings(config)

    async def go(app_: Any) -> Any:
        agent_id = base._agent_id(app_, agent).id if agent else None
        return await list_drafts(app_.sessionmaker, agent_id)

    drafts = base._run(base._with_db(settings, go))
    if json_out:
        base.out.print_json(json.dumps([{"id": d.id, "lead_id": d.lead_id, "lead": d.lead, "subject": d.subject,
                                         "created": d.created_at.isoformat()} for d in drafts]))
        return
    table = Table("id", "lead", "subject", "created (UTC)")
    for d in drafts:
        table.add_row(str(d.id), d.lead, d.subject, f"{d.created_at:%Y-%m-%d %H:%M}")
    base.out.print(table)


@drafts_app.command("show")
def show(draft_id: int, config: ConfigOpt = None) -> None:
    """The whole draft as the lead would read it."""
    from sqa.drafts import get_draft

    base = _base()
    base.setup_logging("WARNING")
    settings = base._settings(config)
    draft = base._run(base._with_db(settings, lambda app_: get_draft(app_.sessionmaker, draft_id)))
    if draft is None:
        base.err.print(f"no draft {draft_id}", highlight=False)
        raise typer.Exit(1)
    for label, value in (("Draft", f"{draft.id} ({draft.status})"), ("To", draft.lead), ("Subject", draft.subject),
                         ("Message-ID", draft.message_id), ("Created", f"{draft.created_at:%Y-%m-%d %H:%M:%S} UTC")):
        base.out.print(f"{label}: {value}", markup=False, highlight=False, soft_wrap=True)
    base.out.print("")
    base.out.print(draft.text, markup=False, highlight=False, soft_wrap=True)


@drafts_app.command("approve")
def approve(draft_id: int, actor: ActorOpt = None, config: ConfigOpt = None) -> None:
    """Queue the draft, due now (the consent gate still applies when it is sent)."""
    from sqa.drafts import approve as approve_draft

    base = _base()
    base.setup_logging("WARNING")
    settings = base._settings(config)
    who = _actor(actor)
    _act(settings, lambda app_: approve_draft(app_.sessionmaker, app_.runtimes, draft_id, actor=who))
    base.out.print(f"draft {draft_id} approved by {who}: queued", highlight=False)


@drafts_app.command("edit")
def edit(draft_id: int, text: Annotated[str, typer.Option("--text", help="file with the new words, or - for stdin")],
         approve_too: Annotated[bool, typer.Option("--approve", help="approve it as well")] = False,
         actor: ActorOpt = None, config: ConfigOpt = None) -> None:
    """Replace the agent's words (greeting, signature and footers are added as usual); refused when the guardrails object."""
    from sqa.drafts import edit as edit_draft

    base = _base()
    base.setup_logging("WARNING")
    try:
        words = sys.stdin.read() if text == "-" else Path(text).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        base.err.print(f"cannot read {text}: {exc}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    settings = base._settings(config)
    who = _actor(actor)
    _act(settings, lambda app_: edit_draft(app_.sessionmaker, app_.runtimes, draft_id, words, actor=who,
                                           approve_too=approve_too))
    base.out.print(f"draft {draft_id} edited by {who}" + (": approved, queued" if approve_too else ": still awaiting approval"),
                   highlight=False)


@drafts_app.command("reject")
def reject(draft_id: int, reason: Annotated[str, typer.Option("--reason", help="why (kept on record)")],
           actor: ActorOpt = None, config: ConfigOpt = None) -> None:
    """Cancel the draft: it is never sent; the lead is flagged for a person."""
    from sqa.drafts import reject as reject_draft

    base = _base()
    base.setup_logging("WARNING")
    settings = base._settings(config)
    who = _actor(actor)
    _act(settings, lambda app_: reject_draft(app_.sessionmaker, draft_id, actor=who, reason=reason))
    base.out.print(f"draft {draft_id} rejected by {who}: cancelled", highlight=False)
