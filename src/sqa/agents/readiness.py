"""Readiness: what to do with a lead after its reply, as one ordered table of named rules.

The first rule that matches decides; every rule gives its written reason.
Default qualification (configurable per agent, AgentSettings.qualification):
qualified = positive interest AND at least `min_bant` BANT dimensions known;
an explicit request for a meeting, a quote or a human is handed off at once.
Injected sentences never reach these rules: extraction flags and drops them.
Opt-out words never get here: the consent rules act before any engine runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqa.agents.engines.base import ConversationState, Decision, Intent, Qualification

if TYPE_CHECKING:
    from sqa.agents.extract import Extraction


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read: this reply's extraction, the merged state, whether the knowledge answered."""

    ex: Extraction
    state: ConversationState
    unanswered: tuple[str, ...]  # the lead's questions the knowledge cannot answer (blocked)
    rule: Qualification


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    reason: str
    intent: Intent = Intent.NONE
    reasons: tuple[str, ...] = ()
    paused_until: date | None = None


def known(state: ConversationState, rule: Qualification) -> list[str]:
    return [slot for slot in rule.order if slot in state.slots]


def _wrong_person(f: Facts) -> Verdict | None:
    if Intent.WRONG_PERSON in f.ex.intents:
        who = f.ex.referral or "a colleague (no name given)"
        return Verdict(Decision.ESCALATE, "wrong person: referred to a colleague", Intent.WRONG_PERSON,
                       (f"referred to: {who}",))
    return None


def _defer(f: Facts) -> Verdict | None:
    if Intent.DEFER in f.ex.intents and f.ex.paused_until is not None:
        return Verdict(Decision.PAUSE, f"asked to be contacted again from {f.ex.paused_until.isoformat()}",
                       Intent.DEFER, paused_until=f.ex.paused_until)
    return None


def _no_fit(f: Facts) -> Verdict | None:
    reasons = list(f.ex.no_fit)
    n, rule = f.ex.employees, f.rule
    if n is not None and ((rule.min_employees is not None and n < rule.min_employees) or
                          (rule.max_employees is not None and n > rule.max_employees)):
        reasons.append(f"company size {n} outside the target profile "
                       f"({rule.min_employees or 0}-{rule.max_employees or 'any'} employees)")
    if reasons:
        return Verdict(Decision.DISQUALIFY, "no fit", Intent.NOT_INTERESTED, tuple(reasons))
    return None


def _not_interested(f: Facts) -> Verdict | None:
    if Intent.NOT_INTERESTED in f.ex.intents and not set(f.ex.intents) & f.rule.handoff_on_intent:
        return Verdict(Decision.DISQUALIFY, "not interested", Intent.NOT_INTERESTED,
                       (f"not interested: \"{f.ex.interest_signal}\"",))
    return None


def _asked_for_seller(f: Facts) -> Verdict | None:
    for intent in (Intent.MEETING, Intent.QUOTE, Intent.HUMAN):
        if intent in f.ex.intents and intent in f.rule.handoff_on_intent:
            reasons = tuple(f"open question: {q}" for q in f.unanswered) + f.ex.escalate
            return Verdict(Decision.HANDOFF, f"asked for a {intent.value}", intent, reasons)
    return None


def _human_topics(f: Facts) -> Verdict | None:
    if f.ex.escalate:
        return Verdict(Decision.ESCALATE, "needs a human: " + f.ex.escalate[0].split(":")[0], Intent.QUESTION,
                       f.ex.escalate)
    return None


def _blocked(f: Facts) -> Verdict | None:
    if f.unanswered:
        return Verdict(Decision.ESCALATE, "blocked: the knowledge cannot answer the lead's question", Intent.QUESTION,
                       tuple(f"open question: {q}" for q in f.unanswered))
    return None


def _qualified(f: Facts) -> Verdict | None:
    have = known(f.state, f.rule)
    if f.state.interest == "positive" and len(have) >= f.rule.min_bant:
        return Verdict(Decision.HANDOFF, f"qualified: positive interest and {len(have)} BANT known ({', '.join(have)})",
                       f.ex.intents[0] if f.ex.intents else Intent.NONE,
                       (f"interest: \"{f.state.interest_signal}\"",) + tuple(
                           f"{s}: {f.state.slots[s].value}" for s in have))
    return None


RULES: tuple[tuple[str, Callable[[Facts], Verdict | None]], ...] = (
    ("wrong_person", _wrong_person),
    ("defer", _defer),
    ("no_fit", _no_fit),
    ("asked_for_seller", _asked_for_seller),
    ("not_interested", _not_interested),
    ("human_topics", _human_topics),
    ("blocked", _blocked),
    ("qualified", _qualified),
)


def decide(f: Facts) -> tuple[str, Verdict]:
    """(rule name, verdict): the first rule that matches, else a reply (ask the next question)."""
    for name, check in RULES:
        verdict = check(f)
        if verdict is not None:
            return name, verdict
    intent = f.ex.intents[0] if f.ex.intents else Intent.NONE
    return "reply", Verdict(Decision.REPLY, "keeps qualifying", intent)
