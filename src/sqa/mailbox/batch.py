"""The batch transaction's working set: rows to insert at the end, and one classified message being handled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sqa.agents.engage import EngageAgent
from sqa.db.models import Lead, utcnow
from sqa.mailbox.classify import Verdict
from sqa.mailbox.parse import InboundMessage
from sqa.runtime import AgentRuntime


@dataclass(slots=True)
class BatchRows:
    """Rows a batch inserts at the end, one executemany per table."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)

    def run(self, agent: AgentRuntime, lead_id: int | None, message_id: str | None, step: str, decision: str, **extra: Any) -> None:
        self.runs.append(
            {"agent_id": agent.id, "lead_id": lead_id, "message_id": message_id, "step": step, "decision": decision,
             "detail": extra.get("detail"), "engine": extra.get("engine"), "model": extra.get("model"),
             "tokens_in": extra.get("tokens_in"), "tokens_out": extra.get("tokens_out"),
             "latency_ms": extra.get("latency_ms"), "created_at": utcnow()}
        )


@dataclass(slots=True)
class Inbound:
    """One classified message being handled in the batch transaction."""

    session: AsyncSession
    rows: BatchRows
    agent: AgentRuntime
    engage: EngageAgent
    msg: InboundMessage
    verdict: Verdict
    lead: Lead | None
    sent_today: dict[int, int]

    def run(self, step: str, decision: str, **extra: Any) -> None:
        self.rows.run(self.agent, self.lead.id if self.lead else None, self.msg.message_id, step, decision, **extra)


Handler = Callable[[Inbound], Awaitable[None]]


def attention(lead: Lead, reason: str) -> None:
    """Add a reason for a human to look at the lead."""
    lead.attention = reason if not lead.attention else f"{lead.attention}; {reason}"[:2000]
