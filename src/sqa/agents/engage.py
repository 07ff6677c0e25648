"""The engage agent (minimal): turn a human reply into the next message of the thread."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqa.agents.engines.base import BANT_ORDER, ConversationState, Engine, EngineInput, EngineOutput, LeadProfile
from sqa.config import AgentSettings


@dataclass(frozen=True, slots=True)
class LeadView:
    """The lead fields the agent reads (never the whole row)."""

    name: str | None
    company: str | None
    title: str | None
    language: str | None
    state: ConversationState


@dataclass(frozen=True, slots=True)
class EngageResult:
    output: EngineOutput
    body: str | None  # full mail body: greeting, the agent's words, signature, footer
    latency_ms: float


def first_name(name: str | None) -> str:
    if name and name.strip():
        return name.strip().split()[0]
    return "there"


def fill(template: str, agent: AgentSettings, lead: LeadView) -> str:
    values = {
        "first_name": first_name(lead.name),
        "company": lead.company or "your company",
        "agent_company": agent.company,
        "display_name": agent.display_name,
        "seller": agent.seller,
        "value_proposition": agent.value_proposition,
    }
    return template.format_map(values)


def wrap_body(agent: AgentSettings, lead: LeadView, text: str) -> str:
    t = agent.templates
    parts = [fill(t.greeting, agent, lead), text, fill(t.signature, agent, lead)]
    footer = fill(t.footer, agent, lead).strip()
    body = "\n\n".join(p.strip() for p in parts if p.strip())
    return f"{body}\n\n-- \n{footer}\n" if footer else body + "\n"


class EngageAgent:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def respond(self, agent: AgentSettings, lead: LeadView, reply_text: str) -> EngageResult:
        questions = {slot: fill(getattr(agent.templates, slot), agent, lead) for slot in BANT_ORDER}
        inp = EngineInput(
            reply_text=reply_text,
            state=lead.state,
            lead=LeadProfile(first_name(lead.name), lead.company, lead.title, lead.language),
            questions=questions,
            closing=fill(agent.templates.closing, agent, lead),
        )
        started = time.perf_counter()
        out = await self.engine.respond(inp)
        latency = (time.perf_counter() - started) * 1000
        body = wrap_body(agent, lead, out.text) if out.text else None
        return EngageResult(out, body, latency)
