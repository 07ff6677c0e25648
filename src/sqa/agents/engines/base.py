"""The one interface every engine implements, and the minimal payload it receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

BANT_ORDER = ("need", "timeline", "budget", "authority")


class Decision(StrEnum):
    REPLY = "reply"
    HANDOFF = "handoff"
    DISQUALIFY = "disqualify"
    OPT_OUT = "opt_out"
    PAUSE = "pause"


@dataclass(frozen=True, slots=True)
class Slot:
    value: str
    evidence: str
    turn: int


@dataclass(frozen=True, slots=True)
class ConversationState:
    """What the engine knows of a thread instead of its transcript: size stays flat."""

    slots: dict[str, Slot] = field(default_factory=dict)
    asked: tuple[str, ...] = ()
    last_agent_message: str | None = None
    turn: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "slots": {k: {"value": s.value, "evidence": s.evidence, "turn": s.turn} for k, s in self.slots.items()},
            "asked": list(self.asked),
            "last_agent_message": self.last_agent_message,
            "turn": self.turn,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ConversationState:
        data = data or {}
        return cls(
            slots={k: Slot(**v) for k, v in (data.get("slots") or {}).items()},
            asked=tuple(data.get("asked") or ()),
            last_agent_message=data.get("last_agent_message"),
            turn=int(data.get("turn") or 0),
        )


@dataclass(frozen=True, slots=True)
class LeadProfile:
    """The allow-listed lead fields a prompt may contain."""

    first_name: str
    company: str | None
    title: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class EngineInput:
    reply_text: str
    state: ConversationState
    lead: LeadProfile
    questions: dict[str, str]  # BANT slot -> the agent's question template
    closing: str


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


class Engine(Protocol):
    name: str

    async def respond(self, inp: EngineInput) -> EngineOutput: ...
