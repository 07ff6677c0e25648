"""The engage agent: retrieval -> engine -> guardrails (one regeneration) -> the next message of the thread.

    knowledge.search(reply text) -> engine.respond(EngineInput: persona, snippets, allow-listed lead fields)
    -> guardrails.check -> a violation: regenerate once with the reason -> still one: ESCALATE with the reasons

A reply that tries to instruct the agent (prompt injection) is flagged for a
human (EngageResult.attention) and can never cause a handoff, whatever the
engine says.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqa.agents import guardrails
from sqa.agents.engines.base import (
    BANT_ORDER,
    ConversationState,
    Decision,
    Engine,
    EngineInput,
    EngineOutput,
    Intent,
    LeadProfile,
    Persona,
    Qualification,
    Snippet,
)
from sqa.agents.extract import detect_language
from sqa.agents.knowledge import EMPTY, KnowledgeBase
from sqa.agents.lexicon import INJECTION, fold
from sqa.agents.texts import local_seller, text as wording
from sqa.config import AgentSettings

log = logging.getLogger(__name__)
TOP_K = 3


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
    violations: tuple[str, ...] = ()  # guardrail codes found on the final draft
    attention: str | None = None  # why a human should look (e.g. suspected prompt injection)
    snippets: tuple[Snippet, ...] = ()  # what retrieval gave the engine
    regenerated: bool = False


def first_name(name: str | None) -> str:
    if name and name.strip():
        return name.strip().split()[0]
    return "there"


def fill(template: str, agent: AgentSettings, lead: LeadView, language: str | None = None) -> str:
    values = {
        "first_name": first_name(lead.name),
        "company": lead.company or "your company",
        "agent_company": agent.company,
        "display_name": agent.display_name,
        "seller": local_seller(agent.seller, language),
        "value_proposition": agent.value_proposition,
        "answer": "{answer}",  # filled by the engine
    }
    return template.format_map(values)


def wrap_body(agent: AgentSettings, lead: LeadView, text: str, language: str | None = None) -> str:
    t = agent.templates
    greeting, signature = wording("greeting", language, t), wording("signature", language, t)
    parts = [fill(greeting, agent, lead, language), text, fill(signature, agent, lead, language)]
    footer = fill(wording("footer", language, t), agent, lead, language).strip()
    body = "\n\n".join(p.strip() for p in parts if p.strip())
    return f"{body}\n\n-- \n{footer}\n" if footer else body + "\n"


def qualification(agent: AgentSettings) -> Qualification:
    q, target = agent.qualification, agent.target_profile
    return Qualification(min_bant=q.min_bant, order=tuple(q.order),
                         handoff_on_intent=frozenset(Intent(i) for i in q.handoff_on_intent),
                         min_employees=target.min_employees if target else None,
                         max_employees=target.max_employees if target else None)


def suspected_injection(text: str) -> bool:
    return bool(INJECTION.search(fold(text or "")))


def _no_handoff_if(injected: bool, out: EngineOutput) -> EngineOutput:
    """A reply that tried to instruct the agent never hands the lead off: a human decides."""
    if not injected or out.decision is not Decision.HANDOFF:
        return out
    return replace(out, decision=Decision.ESCALATE, text=None,
                   reason="suspected prompt injection: no handoff, a human decides",
                   reasons=out.reasons + ("suspected_prompt_injection",))


class EngageAgent:
    """One per daemon; knowledge is loaded once per agent (by name) from its knowledge_dir.

    `knowledge` (tests, the eval harness): one knowledge base for every agent instead of the folders.
    `today`: the date "contact me in Q2" is resolved against (default: today, UTC).
    """

    def __init__(self, engine: Engine, *, knowledge: KnowledgeBase | None = None,
                 today: date | None = None, canaries: tuple[str, ...] = ()) -> None:
        self.engine = engine
        self.knowledge = knowledge
        self.today = today
        self.canaries = canaries
        self._loaded: dict[tuple[str, Path | None], KnowledgeBase] = {}

    def knowledge_for(self, agent: AgentSettings) -> KnowledgeBase:
        if self.knowledge is not None:
            return self.knowledge
        key = (agent.name, agent.knowledge_dir)
        if key not in self._loaded:
            self._loaded[key] = KnowledgeBase.from_dir(agent.knowledge_dir) if agent.knowledge_dir else EMPTY
        return self._loaded[key]

    def _input(self, agent: AgentSettings, lead: LeadView, reply_text: str,
               snippets: tuple[Snippet, ...]) -> EngineInput:
        language = lead.language or detect_language(reply_text) or lead.state.language
        t = agent.templates
        questions = {slot: fill(wording(slot, language, t), agent, lead, language) for slot in BANT_ORDER}
        questions["answer"] = fill(wording("answer", language, t), agent, lead, language)
        questions["pause"] = fill(wording("pause", language, t), agent, lead, language)
        return EngineInput(
            reply_text=reply_text,
            state=lead.state,
            lead=LeadProfile(first_name(lead.name), lead.company, lead.title, lead.language),
            questions=questions,
            closing=fill(wording("closing", language, t), agent, lead, language),
            persona=Persona(agent.display_name, agent.company, agent.value_proposition),
            snippets=snippets,
            qualification=qualification(agent),
            today=self.today,
            model=agent.model,
        )

    def _check(self, agent: AgentSettings, inp: EngineInput, out: EngineOutput) -> list[guardrails.Violation]:
        if not out.text:
            return []
        return guardrails.check(out.text, inp, out, canaries=self.canaries,
                                allowed_emails=frozenset({agent.address.lower()}))

    async def respond(self, agent: AgentSettings, lead: LeadView, reply_text: str) -> EngageResult:
        started = time.perf_counter()
        kb = self.knowledge_for(agent)
        snippets = tuple(kb.search(reply_text, k=TOP_K))
        if kb.snippets and kb.snippets[0].id not in {s.id for s in snippets}:
            snippets += (kb.snippets[0],)  # the overview (score 0): what "what is it about?" is answered from
        inp = self._input(agent, lead, reply_text, snippets)
        injected = suspected_injection(reply_text)
        attention = "suspected prompt injection: the reply tried to instruct the agent" if injected else None
        out = _no_handoff_if(injected, await self.engine.respond(inp))
        violations = self._check(agent, inp, out)
        regenerated = False
        if violations:
            regenerated = True
            retry = replace(inp, feedback=guardrails.feedback(violations))
            out = _no_handoff_if(injected, await self.engine.respond(retry))  # the regeneration too
            violations = self._check(agent, retry, out)
            if violations:
                codes = tuple(dict.fromkeys(v.code for v in violations))
                log.info("engage: draft still violates %s after one regeneration: a human takes over", codes)
                out = replace(out, decision=Decision.ESCALATE, text=None, cited=(),
                              reason="guardrails rejected the draft twice", reasons=codes)
        latency = (time.perf_counter() - started) * 1000
        language = out.state.language or lead.language
        body = wrap_body(agent, lead, out.text, language) if out.text else None
        return EngageResult(out, body, latency, tuple(dict.fromkeys(v.code for v in violations)), attention,
                            snippets, regenerated)
