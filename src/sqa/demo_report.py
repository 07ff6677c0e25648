"""The demo's summary: computed from the database and the SMTP server, printed as a table (or JSON by the caller)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from sqa.agents.engines.base import BANT_ORDER
from sqa.db.models import Direction, Lead, LeadStatus, Message, Outbox, OutboxStatus

if TYPE_CHECKING:
    from sqa.demo import Demo


async def summarize(demo: Demo) -> dict[str, Any]:
    """The outcome: each lead's status and BANT, inbound by kind, replies sent, whether a machine got an answer."""
    result: dict[str, Any] = {"leads": [], "inbound_by_kind": {}, "replies_sent": 0, "seconds": 0.0,
                              "ooo_answered": False, "unknown_sender_answered": False, "ok": False,
                              "error": demo.error}
    if demo.app is not None:
        agent_id = demo.app.agents[0].runtime.id
        async with demo.app.sessionmaker() as session:
            leads = list(await session.scalars(select(Lead).where(Lead.agent_id == agent_id).order_by(Lead.id)))
            counts = {(lead_id, direction): n for lead_id, direction, n in await session.execute(
                select(Message.lead_id, Message.direction, func.count()).where(Message.agent_id == agent_id)
                .group_by(Message.lead_id, Message.direction))}
            kinds: dict[str, int] = {}
            for kind, lead_id, n in await session.execute(
                    select(Message.kind, Message.lead_id, func.count())
                    .where(Message.agent_id == agent_id, Message.direction == Direction.IN)
                    .group_by(Message.kind, Message.lead_id)):
                # a person's mail that matches no lead is counted apart: it is left for a human
                key = "unknown_sender" if kind == "human" and lead_id is None else kind
                kinds[key] = kinds.get(key, 0) + n
            result["replies_sent"] = int(await session.scalar(
                select(func.count()).select_from(Outbox).where(
                    Outbox.agent_id == agent_id, Outbox.status == OutboxStatus.SENT,
                    Outbox.reply_to_message_id.is_not(None))) or 0)
        result["leads"] = [
            {"email": lead.email, "status": lead.status,
             "bant_known": [s for s in BANT_ORDER if s in (lead.bant or {}).get("slots", {})],
             "inbound": counts.get((lead.id, Direction.IN.value), 0),
             "outbound": counts.get((lead.id, Direction.OUT.value), 0)}
            for lead in leads]
        result["inbound_by_kind"] = dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        result["ooo_answered"] = await answered(demo, demo.ooo_id)
        result["unknown_sender_answered"] = await answered(demo, demo.stranger_id)
    if demo.daemon_exit not in (None, 0) and result["error"] is None:
        result["error"] = f"the daemon stopped with exit code {demo.daemon_exit}"
    first = result["leads"][0] if result["leads"] else {}
    result["ok"] = (result["error"] is None and first.get("status") == LeadStatus.HANDED_OVER.value
                    and demo.ooo_id is not None and demo.stranger_id is not None
                    and not result["ooo_answered"] and not result["unknown_sender_answered"])
    result["seconds"] = round(time.monotonic() - demo.started, 2)
    return result


async def answered(demo: Demo, message_id: str | None) -> bool:
    """Did anything answer ``message_id``: an outbox row, or a mail seen by the SMTP server?"""
    if message_id is None:
        return False
    if any(row.status != OutboxStatus.CANCELLED for row in await demo._answers(message_id)):
        return True
    assert demo.sink is not None
    return any(m.in_reply_to == message_id for m in demo.sink.messages)


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    table = Table(title="Summary", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("lead", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("BANT known")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    for lead in summary["leads"]:
        table.add_row(lead["email"], lead["status"], ", ".join(lead["bant_known"]) or "-", str(lead["inbound"]),
                      str(lead["outbound"]))
    console.print()
    console.print(table)
    kinds = ", ".join(f"{kind} {n}" for kind, n in summary["inbound_by_kind"].items()) or "none"
    yes_no = {True: "yes", False: "no"}
    for line in (
        f"inbound handled: {kinds}",
        f"replies sent: {summary['replies_sent']}",
        f"out-of-office answered: {yes_no[summary['ooo_answered']]}",
        f"unknown sender answered: {yes_no[summary['unknown_sender_answered']]}",
        f"elapsed: {summary['seconds']:.1f} s",
    ):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if summary["ok"]:
        console.print("OK: lead 1 was qualified and handed over; the auto-reply and the stranger got no answer",
                      markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(f"FAILED: {summary['error'] or 'the expected outcome was not reached'}", markup=False,
                      highlight=False, soft_wrap=True)
