"""The summary synthesizer: why, BANT with evidence, open questions, a next step (deterministic).

It reads only what the engage agent decided (EngineOutput: decision, intent,
reasons, the conversation state with its evidence quotes) and the lead's own
fields; no model is asked. The same Summary is the seller's mail, the MQTT
payload and the webhook body.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqa.agents.engines.base import BANT_ORDER, ConversationState, Decision, EngineOutput, Intent

LABELS = {"need": "Need", "timeline": "Timeline", "budget": "Budget", "authority": "Authority"}


class Kind(StrEnum):
    """The event kinds (and the last segment of their MQTT topic)."""

    HANDOFF = "handoff"
    DISQUALIFIED = "disqualified"
    ESCALATED = "escalated"

    @classmethod
    def of(cls, decision: Decision) -> Kind | None:
        return {Decision.HANDOFF: cls.HANDOFF, Decision.DISQUALIFY: cls.DISQUALIFIED,
                Decision.ESCALATE: cls.ESCALATED}.get(decision)


@dataclass(frozen=True, slots=True)
class LeadFields:
    id: int
    email: str
    name: str | None
    company: str | None
    title: str | None
    language: str | None
    timezone: str | None
    owner: str | None

    @property
    def label(self) -> str:
        who = self.name or self.email
        return f"{who} ({self.company})" if self.company else who


@dataclass(frozen=True, slots=True)
class BantItem:
    dimension: str
    value: str
    evidence: str
    turn: int


@dataclass(frozen=True, slots=True)
class Summary:
    kind: Kind
    lead: LeadFields
    why: str
    signal: str | None  # the lead's words that showed the interest (or the no-fit)
    reasons: tuple[str, ...]
    intent: str
    bant: tuple[BantItem, ...]
    missing: tuple[str, ...]  # BANT dimensions not known yet
    open_questions: tuple[str, ...]
    next_step: str

    @property
    def subject(self) -> str:
        if self.kind is Kind.HANDOFF:
            return f"Qualified lead: {self.lead.label}"
        if self.kind is Kind.DISQUALIFIED:
            return f"Disqualified: {self.lead.label}"
        return f"Needs a human: {self.lead.label}"

    def text(self) -> str:
        lines = [self.subject, "", f"Why: {self.why}"]
        if self.signal:
            lines.append(f'Signal: "{self.signal}"')
        if self.reasons:
            lines += ["", "Reasons:"] + [f"- {r}" for r in self.reasons]
        lines += ["", "BANT:"]
        known = {b.dimension: b for b in self.bant}
        for dim in BANT_ORDER:
            b = known.get(dim)
            lines.append(f'- {LABELS[dim]}: {b.value} (turn {b.turn}: "{b.evidence}")' if b else f"- {LABELS[dim]}: unknown")
        if self.open_questions:
            lines += ["", "Open questions:"] + [f"- {q}" for q in self.open_questions]
        lines += ["", f"Recommended next step: {self.next_step}", "", "Lead:"]
        lead = self.lead
        for label, value in (("Name", lead.name), ("E-mail", lead.email), ("Company", lead.company),
                             ("Title", lead.title), ("Language", lead.language), ("Time zone", lead.timezone),
                             ("Owner", lead.owner), ("Lead id", str(lead.id))):
            if value:
                lines.append(f"{label}: {value}")
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        lead = self.lead
        return {
            "kind": self.kind.value,
            "lead_id": lead.id,
            "lead": {"name": lead.name, "email": lead.email, "company": lead.company, "title": lead.title,
                     "language": lead.language, "timezone": lead.timezone},
            "why": self.why,
            "signal": self.signal,
            "reasons": list(self.reasons),
            "intent": self.intent,
            "bant": {b.dimension: {"value": b.value, "evidence": b.evidence, "turn": b.turn} for b in self.bant},
            "bant_missing": list(self.missing),
            "open_questions": list(self.open_questions),
            "next_step": self.next_step,
            "summary": self.text(),
        }


def synthesize(kind: Kind, lead: LeadFields, out: EngineOutput, *, attention: str | None = None) -> Summary:
    state: ConversationState = out.state
    bant = tuple(BantItem(d, s.value, s.evidence, s.turn) for d in BANT_ORDER if (s := state.slots.get(d)) is not None)
    missing = tuple(d for d in BANT_ORDER if d not in state.slots)
    reasons = tuple(r for r in out.reasons if r) or ((out.reason,) if out.reason and kind is not Kind.HANDOFF else ())
    if attention and attention not in reasons:
        reasons = (*reasons, attention)
    questions = tuple(dict.fromkeys(q for q in state.open_questions if q))
    return Summary(kind, lead, _why(kind, out, bant, reasons), state.interest_signal, reasons, out.intent.value, bant,
                   missing, questions, _next_step(kind, out, state, missing, questions))


def _why(kind: Kind, out: EngineOutput, bant: tuple[BantItem, ...], reasons: tuple[str, ...]) -> str:
    if kind is Kind.DISQUALIFIED:
        return "Disqualified: " + ("; ".join(reasons) or "no fit")
    if kind is Kind.ESCALATED:
        return "Needs a human: " + ("; ".join(reasons) or out.reason or "the agent could not go on alone")
    asked = {Intent.MEETING: "The lead asked for a meeting.", Intent.QUOTE: "The lead asked for a quote or pricing.",
             Intent.HUMAN: "The lead asked to talk to a person."}.get(out.intent)
    if asked:
        return asked
    return f"Qualified: positive interest and {len(bant)} of 4 BANT dimensions known" + (f" ({out.reason})." if out.reason else ".")


def _next_step(kind: Kind, out: EngineOutput, state: ConversationState, missing: tuple[str, ...],
               questions: tuple[str, ...]) -> str:
    if kind is Kind.DISQUALIFIED:
        if out.intent is Intent.WRONG_PERSON:
            return "Contact the colleague the lead named, if any; this lead is not the buyer."
        return "No action needed; re-contact only if their situation changes."
    if kind is Kind.ESCALATED:
        if questions:
            return "Answer the lead's open question(s) yourself in the thread: " + "; ".join(questions)
        return "Read the thread and reply to the lead yourself; the agent will not answer this one."
    signal = (state.interest_signal or "").lower()
    if out.intent is Intent.MEETING:
        what = next((w for w in ("demo", "call", "meeting") if w in signal), "meeting")
        return f"Book the {what} the lead asked for."
    if out.intent is Intent.QUOTE:
        budget = state.slots.get("budget")
        return "Send the quote the lead asked for" + (f" (their budget: {budget.value})." if budget else ".")
    if out.intent is Intent.HUMAN:
        return "Call or write to the lead: they asked for a person."
    if missing:
        return "Propose a call to agree next steps and confirm " + ", ".join(LABELS[m].lower() for m in missing) + "."
    return "Propose a call to agree next steps."
