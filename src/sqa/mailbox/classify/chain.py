"""The chain: one table of rules in order; the first rule that decides wins."""

from __future__ import annotations

from sqa.mailbox.classify.auto_submitted import AutoSubmitted
from sqa.mailbox.classify.base import Context, Kind, Rule, Verdict
from sqa.mailbox.classify.machine_sender import MachineSender
from sqa.mailbox.classify.self_loop import SelfLoop
from sqa.mailbox.classify.unreadable import Unreadable
from sqa.mailbox.parse import InboundMessage

# Order matters: machines are recognised before anything may answer.
CHAIN: tuple[Rule, ...] = (
    Unreadable(),
    SelfLoop(),
    MachineSender(),
    AutoSubmitted(),
)


def classify(msg: InboundMessage, ctx: Context, chain: tuple[Rule, ...] = CHAIN) -> Verdict:
    trail: list[dict[str, str]] = []
    for rule in chain:
        hit = rule.check(msg, ctx)
        if hit is None:
            trail.append({"rule": rule.name, "result": "miss"})
            continue
        trail.append({"rule": rule.name, "result": "hit", "kind": hit.kind.value, "reason": hit.reason})
        return Verdict(kind=hit.kind, rule=rule.name, reason=hit.reason, trail=tuple(trail))
    return Verdict(kind=Kind.HUMAN, rule="default", reason="no machine signal: written by a person", trail=tuple(trail))
