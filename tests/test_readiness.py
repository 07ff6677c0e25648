"""Readiness: the first matching rule decides, with written reasons (the default rule and a configured one)."""

from __future__ import annotations

from datetime import date

from sqa.agents.engines.base import ConversationState, Decision, Intent, Qualification, Slot
from sqa.agents.extract import extract
from sqa.agents.readiness import Facts, decide

TODAY = date(2026, 5, 10)


def verdict(text: str, *, state: ConversationState | None = None, rule: Qualification = Qualification(),
            unanswered: tuple[str, ...] = ()):
    ex = extract(text, 1, today=TODAY)
    state = state or ConversationState()
    merged = ConversationState(slots={**state.slots, **ex.slots}, interest=ex.interest or state.interest,
                               interest_signal=ex.interest_signal or state.interest_signal)
    return decide(Facts(ex, merged, unanswered, rule))


def slot(value: str) -> Slot:
    return Slot(value, value, 1)


def test_positive_interest_and_two_bant_hand_off() -> None:
    name, v = verdict("Sounds great. We need it by Q3 and I decide.")
    assert (name, v.decision) == ("qualified", Decision.HANDOFF)
    assert "2 BANT known (timeline, authority)" in v.reason and any(r.startswith("interest:") for r in v.reasons)


def test_one_bant_keeps_qualifying_and_min_bant_is_configurable() -> None:
    assert verdict("Sounds great, we need it by Q3.")[1].decision is Decision.REPLY
    assert verdict("Sounds great, we need it by Q3.", rule=Qualification(min_bant=1))[1].decision is Decision.HANDOFF
    assert verdict("Sounds great. We need it by Q3 and I decide.",
                   rule=Qualification(min_bant=3))[1].decision is Decision.REPLY


def test_bant_known_from_earlier_turns_counts() -> None:
    earlier = ConversationState(slots={"need": slot("manual reports")}, interest="positive", interest_signal="keen")
    assert verdict("By March.", state=earlier)[1].decision is Decision.HANDOFF


def test_requests_hand_off_at_once_unless_switched_off() -> None:
    for text, intent in (("Can we book a demo?", Intent.MEETING), ("Please send me a quote.", Intent.QUOTE),
                         ("I want to talk to a human.", Intent.HUMAN)):
        name, v = verdict(text)
        assert (name, v.decision, v.intent) == ("asked_for_seller", Decision.HANDOFF, intent), text
    only_meetings = Qualification(handoff_on_intent=frozenset({Intent.MEETING}))
    assert verdict("Please send me a quote.", rule=only_meetings)[1].decision is Decision.REPLY


def test_blocked_question_escalates_with_the_open_question() -> None:
    name, v = verdict("Do you integrate with SAP?", unanswered=("Do you integrate with SAP?",))
    assert (name, v.decision) == ("blocked", Decision.ESCALATE)
    assert v.reasons == ("open question: Do you integrate with SAP?",)


def test_legal_pricing_and_complaints_go_to_a_human() -> None:
    assert verdict("Can you send us your DPA and the contract terms?")[1].decision is Decision.ESCALATE
    assert verdict("Is there a discount for NGOs?")[1].decision is Decision.ESCALATE
    assert verdict("How did you get my email address? This is unacceptable.")[1].decision is Decision.ESCALATE


def test_no_fit_disqualifies_with_reasons_even_with_a_request() -> None:
    name, v = verdict("We already bought Tableau last month.")
    assert (name, v.decision) == ("no_fit", Decision.DISQUALIFY)
    assert v.reasons and v.reasons[0].startswith("bought elsewhere")
    assert verdict("I'm a student, can we book a demo for my thesis?")[1].decision is Decision.DISQUALIFY


def test_target_profile_size() -> None:
    rule = Qualification(min_employees=50)
    name, v = verdict("We are 8 employees and love the idea.", rule=rule)
    assert (name, v.decision) == ("no_fit", Decision.DISQUALIFY)
    assert "company size 8 outside the target profile" in v.reasons[0]
    assert verdict("We are 80 employees and love the idea.", rule=rule)[1].decision is Decision.REPLY


def test_not_interested_disqualifies() -> None:
    name, v = verdict("Thanks, but we're happy with our current setup and have no plans to change.")
    assert v.decision is Decision.DISQUALIFY and name in ("no_fit", "not_interested")


def test_defer_pauses_until_the_date() -> None:
    name, v = verdict("Not now - please contact me in Q3.")
    assert (name, v.decision, v.paused_until) == ("defer", Decision.PAUSE, date(2026, 7, 1))


def test_wrong_person_escalates_with_the_referred_contact() -> None:
    name, v = verdict("I'm not the right person, please contact jane.doe@globex.example.")
    assert (name, v.decision, v.intent) == ("wrong_person", Decision.ESCALATE, Intent.WRONG_PERSON)
    assert v.reasons == ("referred to: jane.doe@globex.example",)
