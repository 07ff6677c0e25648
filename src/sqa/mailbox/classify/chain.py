"""The chain: one table of rules in order; the first rule that decides wins."""

from __future__ import annotations

from sqa.mailbox.classify.auto_submitted import AutoSubmitted
from sqa.mailbox.classify.base import Context, Facts, Kind, Rule, Verdict
from sqa.mailbox.classify.machine_sender import MachineSender
from sqa.mailbox.classify.self_loop import SelfLoop
from sqa.mailbox.classify.unreadable import Unreadable
from sqa.mailbox.parse import InboundMessage

# Order matters: machines are recognised before anything may answer; bounces
# before list and auto-reply rules (real bounces often carry List-Id,
# Precedence: bulk or Auto-Submitted).
CHAIN: tuple[Rule, ...] = (
    Unreadable(),
    SelfLoop(),
    MachineSender(),
    AutoSubmitted(),
)

REPLY_TEXT_KINDS = frozenset({Kind.HUMAN, Kind.UNSUBSCRIBE})


def classify(msg: InboundMessage, ctx: Context, chain: tuple[Rule, ...] = CHAIN) -> Verdict:
    facts = Facts(msg, ctx)
    trail: list[dict[str, str]] = []
    for rule in chain:
        hit = rule.check(facts)
        if hit is None:
            trail.append({"rule": rule.name, "result": "miss"})
            continue
        trail.append({"rule": rule.name, "result": "hit", "kind": hit.kind.value, "reason": hit.reason})
        return Verdict(
            kind=hit.kind, rule=rule.name, reason=hit.reason, trail=tuple(trail),
            reply_text=facts.reply_text if hit.kind in REPLY_TEXT_KINDS else None,
            flags=hit.flags, bounce=hit.bounce, return_date=hit.return_date,
        )
    return Verdict(kind=Kind.HUMAN, rule="default", reason="no machine signal: written by a person",
                   trail=tuple(trail), reply_text=facts.reply_text)
