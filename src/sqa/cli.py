"""`sqa`: the command line. Each command maps errors to one clear line and an exit code."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from sqa import classify_cli, consent_cli, drafts_cli, eval_cli, keys_cli, outreach_cli
from sqa.config import ConfigError, Settings, load_settings
from sqa.db.crypto import DecryptError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="SQA Engage: a self-hosted Sales Qualification Agent.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
config_app = typer.Typer(no_args_is_help=True, help="Configuration.")
leads_app = typer.Typer(no_args_is_help=True, help="Leads: add, import, list.")
lead_app = typer.Typer(no_args_is_help=True, help="One lead: show, erase.")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(leads_app, name="leads")
app.add_typer(lead_app, name="lead")
app.add_typer(consent_cli.consent_app, name="consent")
app.add_typer(eval_cli.eval_app, name="eval")
app.add_typer(drafts_cli.drafts_app, name="drafts")
app.add_typer(keys_cli.keys_app, name="keys")

out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML file (default /etc/sqa/sqa.toml or $SQA_CONFIG)")]


def setup_logging(level: str = "INFO") -> None:
    """Text for the commands people run (`sqa run` configures sqa.logs: daemon.log_format, redaction)."""
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("aioimaplib", "aiosqlite", "mail.log", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        err.print(f"[red]config error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(78) from None


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except DecryptError as exc:  # a key missing from storage.key/old_keys: say so, not a traceback
        err.print(f"[red]cannot read stored data:[/] {escape(str(exc))}. Configure the key it was written with "
                  "(storage.key, or storage.old_keys while rotating); `sqa keys status` lists the keys in use.",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(78) from None


async def _with_db(settings: Settings, fn: Any) -> Any:
    """Open the database (migrated), run fn(app), close."""
    from sqa.daemon.app import build_app

    app_ = await build_app(settings, services=False)
    try:
        return await fn(app_)
    finally:
        await app_.close()


def _agent_id(app_: Any, name: str | None) -> Any:
    try:
        return app_.runtime(name)
    except ValueError as exc:
        err.print(str(exc), highlight=False)
        raise typer.Exit(2) from None


# -- run -----------------------------------------------------------------------


@app.command()
def run(config: ConfigOpt = None, once: Annotated[bool, typer.Option(help="handle what is pending, send, and exit")] = False,
        log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING (default daemon.log_level)")] = None) -> None:
    """Run the daemon (under systemd: Type=notify; SIGHUP re-reads the configuration)."""
    from sqa import logs

    settings = _settings(config)

    def configure_logging(s: Settings) -> None:  # at start and after each reload: format, level, secrets to mask
        logs.add_secrets(logs.secrets_of(s))
        logs.setup_logging(log_level or s.daemon.log_level, s.daemon.log_format)

    configure_logging(settings)
    try:
        code = _run(_run_daemon(settings, once, reload=lambda: load_settings(config), configure_logging=configure_logging))
    finally:
        logs.teardown()  # run in-process (tests): the root logger as it was
    raise typer.Exit(code)


async def _run_daemon(settings: Settings, once: bool, reload: Any = None, configure_logging: Any = None) -> int:
    from sqlalchemy.exc import DBAPIError, OperationalError

    from sqa.daemon.app import DatabaseNotReady, build_app
    from sqa.daemon.supervisor import ExitCode, Supervisor, drain_once
    from sqa.mailbox.journal import JournalBusy

    log = logging.getLogger("sqa")
    try:
        app_ = await build_app(settings)
    except DatabaseNotReady as exc:
        log.error("%s", exc)
        return ExitCode.CONFIG
    except JournalBusy as exc:
        log.error("%s", exc)
        return ExitCode.BUSY
    except (OperationalError, DBAPIError, OSError) as exc:
        log.error("cannot open the database: %s", exc)
        return ExitCode.UNAVAILABLE
    try:
        if once:
            stats = await drain_once(app_)
            log.info("drained: %s", stats)
            return ExitCode.OK
        sup = Supervisor(app_, load_settings=reload, configure_logging=configure_logging)
        sup.install_signals()
        return await sup.run()
    finally:
        await app_.close()


# -- db ------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None, revision: str = "head") -> None:
    """Apply the schema migrations (needed for PostgreSQL; SQLite is upgraded by `sqa run`)."""
    setup_logging("WARNING")
    settings = _settings(config)

    async def go() -> tuple[str | None, str | None]:
        from sqa.db import migrate
        from sqa.db.session import make_engine

        engine = make_engine(settings.database_url)
        try:
            return await migrate.upgrade(engine, revision)
        finally:
            await engine.dispose()

    before, after = _run(go())
    out.print(f"database schema: {before or '(empty)'} -> {after}")


# -- config --------------------------------------------------------------------


@config_app.command("check")
def config_check(config: ConfigOpt = None) -> None:
    """Validate the configuration, then try the database and each agent's IMAP and SMTP login."""
    setup_logging("CRITICAL")
    settings = _settings(config)
    out.print(f"ok   configuration: {len(settings.agents)} agent(s)", soft_wrap=True)
    from sqa.daemon.checks import run_checks

    results = _run(run_checks(settings))
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        out.print(f"{mark} {result.name}: {result.detail}", markup=False, highlight=False, soft_wrap=True)  # one line each, also in a pipe; server text is not markup
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


# -- leads ---------------------------------------------------------------------


@leads_app.command("add")
def leads_add(email: str, config: ConfigOpt = None, agent: Annotated[str | None, typer.Option()] = None,
              name: str | None = None, company: str | None = None, title: str | None = None,
              language: str | None = None, timezone: str | None = None, owner: str | None = None,
              country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2, e.g. DE")] = None) -> None:
    """Add one lead (an address whose conversation ended before the agent's cool-down is re-opened)."""
    from sqa.leads import LeadError, LeadInput, add_lead

    setup_logging("WARNING")
    settings = _settings(config)

    async def go(app_: Any) -> int:
        runtime = _agent_id(app_, agent)
        data = LeadInput(email=email, name=name, company=company, title=title, language=language, timezone=timezone,
                         owner=owner, source="cli", country=country)
        return await add_lead(app_.sessionmaker, runtime.id, data,
                              cooldown_days=runtime.settings.outreach.intake.cooldown_days, now=runtime.clock.now())

    try:
        lead_id = _run(_with_db(settings, go))
    except LeadError as exc:
        err.print(f"rejected: {exc}", highlight=False)
        raise typer.Exit(1) from None
    out.print(f"lead {lead_id} added")


@leads_app.command("import")
def leads_import(file: Path, config: ConfigOpt = None, agent: Annotated[str | None, typer.Option()] = None,
                 json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Import leads from a CSV file with a header line (email required; name, company, title, language, timezone, owner, source)."""
    from sqa.leads import import_leads, read_csv

    setup_logging("WARNING")
    settings = _settings(config)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"cannot read {file}: {exc}")
        raise typer.Exit(1) from None
    rows = list(read_csv(text))

    async def go(app_: Any) -> Any:
        runtime = _agent_id(app_, agent)
        with Progress(console=err, transient=True, disable=json_out) as progress:
            task = progress.add_task("importing", total=len(rows))
            return await import_leads(app_.sessionmaker, runtime.id, rows, progress=lambda n: progress.advance(task, n),
                                      cooldown_days=runtime.settings.outreach.intake.cooldown_days)

    report = _run(_with_db(settings, go))
    if json_out:
        again = {"reopened": report.reopened} if report.reopened else {}  # known addresses past the cool-down
        out.print_json(json.dumps({"added": report.added, **again,
                                   "rejected": [{"line": l, "reason": r} for l, r in report.rejected]}))
    else:
        again = f", re-opened {report.reopened}" if report.reopened else ""
        out.print(f"added {report.added} lead(s){again}, rejected {len(report.rejected)}")
        for line, reason in report.rejected:
            out.print(f"  line {line}: {reason}", highlight=False)
    raise typer.Exit(0 if not report.rejected else 1)


@leads_app.command("list")
def leads_list(config: ConfigOpt = None, agent: Annotated[str | None, typer.Option()] = None,
               status: str | None = None, json_out: Annotated[bool, typer.Option("--json")] = False,
               summary: Annotated[bool, typer.Option("--summary", help="counts per status (per agent)")] = False) -> None:
    """List leads as a table (or, with --summary, how many are in each status)."""
    from sqa.leads import list_leads

    setup_logging("WARNING")
    settings = _settings(config)
    if summary:
        outreach_cli.print_summary(settings, agent, json_out)
        return

    async def go(app_: Any) -> Any:
        agent_id = _agent_id(app_, agent).id if agent else None
        return await list_leads(app_.sessionmaker, agent_id, status)

    leads = _run(_with_db(settings, go))
    if json_out:
        out.print_json(json.dumps([{"id": l.id, "email": l.email, "name": l.name, "company": l.company, "status": l.status,
                                    "bant": sorted((l.bant or {}).get("slots", {}))} for l in leads]))
        return
    table = Table("id", "email", "name", "company", "status", "BANT known")
    for l in leads:
        table.add_row(str(l.id), l.email, l.name or "", l.company or "", l.status, ", ".join(sorted((l.bant or {}).get("slots", {}))))
    out.print(table)


@leads_app.command("contact")
def leads_contact(config: ConfigOpt = None, agent: Annotated[str | None, typer.Option()] = None, limit: int = 100) -> None:
    """Queue the first mail for new leads (minimal outreach; sent by the daemon)."""
    from sqa.leads import queue_first_mails

    setup_logging("WARNING")
    settings = _settings(config)

    async def go(app_: Any) -> list[int]:
        return await queue_first_mails(app_.sessionmaker, _agent_id(app_, agent), limit)

    queued = _run(_with_db(settings, go))
    out.print(f"queued first mails for {len(queued)} lead(s)")


def _deciding_rule(trail: list | None) -> str | None:
    """The rule that decided a message's kind ("default" when none did: a person)."""
    if not trail:
        return None
    hits = [t.get("rule") for t in trail if t.get("result") == "hit"]
    return hits[0] if hits else "default"


@lead_app.command("show")
def lead_show(lead_id: int, config: ConfigOpt = None, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Status, BANT, messages and agent runs of one lead."""
    from sqa.leads import lead_detail

    setup_logging("WARNING")
    settings = _settings(config)
    async def go(app_: Any) -> Any:
        found = await lead_detail(app_.sessionmaker, lead_id)
        return found, (outreach_cli.describe_next(app_, found) if found is not None else None)

    detail, nxt = _run(_with_db(settings, go))
    if detail is None:
        err.print(f"no lead {lead_id}")
        raise typer.Exit(1)
    lead = detail.lead
    slots = (lead.bant or {}).get("slots", {})
    if json_out:
        out.print_json(json.dumps({
            "id": lead.id, "email": lead.email, "name": lead.name, "company": lead.company, "status": lead.status,
            "country": lead.country, "timezone": lead.timezone, "followups_sent": lead.followups_sent,
            "next_action": nxt.as_json(), "bant": slots,
            "messages": [{"direction": m.direction, "kind": m.kind, "message_id": m.message_id, "subject": m.subject,
                          "reason": m.reason, "rule": _deciding_rule(m.rules), "rules": m.rules,
                          "at": m.created_at.isoformat()} for m in detail.messages],
            "runs": [{"step": r.step, "decision": r.decision, "detail": r.detail, "engine": r.engine,
                      "latency_ms": r.latency_ms, "at": r.created_at.isoformat()} for r in detail.runs],
        }, default=str))
        return
    out.print(f"[bold]lead {lead.id}[/]  {lead.name or ''} <{lead.email}>  {lead.company or ''}", highlight=False)
    out.print(f"status: {lead.status}")
    out.print(f"next action: {nxt.text}", markup=False, highlight=False)
    bant = Table("BANT", "answer (evidence)", "turn")
    for slot in ("budget", "authority", "need", "timeline"):
        s = slots.get(slot)
        bant.add_row(slot, s["evidence"] if s else "-", str(s["turn"]) if s else "")
    out.print(bant)
    msgs = Table("when", "dir", "kind", "subject", "why")
    for m in detail.messages:
        why = f"{_deciding_rule(m.rules)}: {m.reason}" if m.reason else ""
        msgs.add_row(m.created_at.strftime("%Y-%m-%d %H:%M:%S"), m.direction, m.kind, (m.subject or "")[:60], why[:80])
    out.print(msgs)
    runs = Table("when", "step", "decision", "detail")
    for r in detail.runs:
        runs.add_row(r.created_at.strftime("%H:%M:%S"), r.step, r.decision, json.dumps(r.detail, default=str)[:80] if r.detail else "")
    out.print(runs)


lead_app.command("erase")(consent_cli.lead_erase)


# -- demo ----------------------------------------------------------------------


@app.command()
def demo(json_out: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False) -> None:
    """Run the whole loop on private local servers (Dovecot, SMTP, SQLite, offline engine)."""
    from sqa.demo import run_demo

    setup_logging("WARNING")
    raise typer.Exit(_run(run_demo(json_out=json_out, console=out)))


# -- classify ------------------------------------------------------------------

app.command("classify")(classify_cli.classify)
app.command("simulate")(outreach_cli.simulate)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
