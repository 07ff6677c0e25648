"""The one interface every engine implements, and the minimal payload it receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

BANT_ORDER = ("need", "timeline", "budget", "authority")


class Decision(StrEnum):
    REPLY = "reply"  # the text goes to the lead
    HANDOFF = "handoff"  # qualified or asked for a meeting/quote/human: a seller takes over (summary, events)
    DISQUALIFY = "disqualify"  # a clear no-fit, with written reasons
    OPT_OUT = "opt_out"  # decided by the consent rules before any engine runs (eval reports it)
    PAUSE = "pause"  # "contact me in Q2": paused until state.paused_until
    ESCALATE = "escalate"  # blocked (knowledge cannot answer), pricing/legal/complaint, guardrail failure: a human


class Intent(StrEnum):
    MEETING = "meeting"  # asks for a meeting, demo or call
    QUOTE = "quote"  # asks for a quote / pricing
    HUMAN = "human"  # asks for a person
    NOT_INTERESTED = "not_interested"
    WRONG_PERSON = "wrong_person"  # not me (maybe with a referral)
    DEFER = "defer"  # later: "contact me in Q2"
    QUESTION = "question"  # a product question
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Snippet:
    """A retrieved piece of the agent's knowledge; an engine may state a fact only from one it cites."""

    id: str  # "<file>#<n>", stable for a knowledge folder
    source: str  # file name
    text: str
    score: float = 0.0
    title: str = ""  # the heading the text stands under (retrieval context; not quoted)


@dataclass(frozen=True, slots=True)
class Slot:
    value: str
    evidence: str
    turn: int


@dataclass(frozen=True, slots=True)
class ConversationState:
    """What the engine knows of a thread instead of its transcript: size stays flat."""

    slots: dict[str, Slot] = field(default_factory=dict)  # need, timeline, budget, authority
    asked: tuple[str, ...] = ()
    last_agent_message: str | None = None
    turn: int = 0
    open_questions: tuple[str, ...] = ()  # the lead's questions not answered yet
    interest: str | None = None  # "positive" | "negative" | None
    interest_signal: str | None = None  # the quote that showed it
    language: str | None = None  # the lead's language as last detected (en, de, fr, es)

    def to_json(self) -> dict[str, Any]:
        return {
            "slots": {k: {"value": s.value, "evidence": s.evidence, "turn": s.turn} for k, s in self.slots.items()},
            "asked": list(self.asked),
            "last_agent_message": self.last_agent_message,
            "turn": self.turn,
            "open_questions": list(self.open_questions),
            "interest": self.interest,
            "interest_signal": self.interest_signal,
            "language": self.language,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ConversationState:
        data = data or {}
        return cls(
            slots={k: Slot(**v) for k, v in (data.get("slots") or {}).items()},
            asked=tuple(data.get("asked") or ()),
            last_agent_message=data.get("last_agent_message"),
            turn=int(data.get("turn") or 0),
            open_questions=tuple(data.get("open_questions") or ()),
            interest=data.get("interest"),
            interest_signal=data.get("interest_signal"),
            language=data.get("language"),
        )


@dataclass(frozen=True, slots=True)
class LeadProfile:
    """The allow-listed lead fields a prompt may contain."""

    first_name: str
    company: str | None
    title: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class Persona:
    """Who the agent is, for the prompt."""

    display_name: str
    company: str
    value_proposition: str


@dataclass(frozen=True, slots=True)
class Qualification:
    """The agent's qualification rule (AgentSettings.qualification, target_profile)."""

    min_bant: int = 2  # qualified = positive interest AND at least this many BANT dimensions known
    order: tuple[str, ...] = BANT_ORDER  # the order BANT questions are asked in
    handoff_on_intent: frozenset[Intent] = frozenset({Intent.MEETING, Intent.QUOTE, Intent.HUMAN})
    min_employees: int | None = None  # optional target profile: company size
    max_employees: int | None = None


@dataclass(frozen=True, slots=True)
class EngineInput:
    """Everything an engine may see (minimal payload: no transcript, no other lead, allow-listed lead fields)."""

    reply_text: str  # the lead's NEW text only (quotes stripped): untrusted data
    state: ConversationState
    lead: LeadProfile
    questions: dict[str, str]  # BANT slot -> the agent's question template
    closing: str
    persona: Persona | None = None
    snippets: tuple[Snippet, ...] = ()  # retrieved for this reply
    feedback: str | None = None  # a guardrail's reason when this is the one regeneration
    qualification: Qualification = Qualification()
    today: date | None = None  # "contact me in Q2" is resolved against it (default: today, UTC)
    model: str | None = None  # the agent's model override (AgentSettings.model); engines without models ignore it


@dataclass(frozen=True, slots=True)
class EngineOutput:
    decision: Decision
    text: str | None  # the agent's words (without greeting, signature, footer)
    state: ConversationState
    reason: str
    engine: str
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    intent: Intent = Intent.NONE
    cited: tuple[str, ...] = ()  # Snippet ids the text relies on
    reasons: tuple[str, ...] = ()  # written reasons (disqualification, escalation)
    paused_until: str | None = None  # ISO date, with Decision.PAUSE


class Engine(Protocol):
    name: str

    async def respond(self, inp: EngineInput) -> EngineOutput: ...
