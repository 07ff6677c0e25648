"""The chain: one table of rules in order; the first rule that decides wins."""

from __future__ import annotations

from sqa.mailbox.classify.auto_reply import AutoReplyHeaders, AutoReplyText
from sqa.mailbox.classify.base import Context, Facts, Kind, Rule, Verdict
from sqa.mailbox.classify.bounce import Bounce
from sqa.mailbox.classify.complaint import Complaint
from sqa.mailbox.classify.bulk import Bulk
from sqa.mailbox.classify.machine_sender import MachineSender
from sqa.mailbox.classify.self_loop import SelfLoop
from sqa.mailbox.classify.unreadable import NoSender, Unreadable
from sqa.mailbox.classify.unsubscribe import UnsubscribeAddress, UnsubscribeWords
from sqa.mailbox.parse import InboundMessage

# Order matters (STANDARDS.md): machines are recognised before anything may
# answer; a feedback-loop report (multipart/report like a DSN, often from a
# system sender) before bounces; bounces before the list and auto-reply rules (real bounces often carry
# List-Id, Precedence: bulk or Auto-Submitted) and before the From check (many
# carry no usable From); mail to our unsubscribe address is an opt-out whatever
# it says; header signals before text signals; opt-out words are read last, in
# the new text only, once every machine has been ruled out. No rule = a person.
CHAIN: tuple[Rule, ...] = (
    Unreadable(),
    SelfLoop(),
    Complaint(),
    Bounce(),
    NoSender(),
    UnsubscribeAddress(),
    AutoReplyHeaders(),
    Bulk(),
    MachineSender(),
    AutoReplyText(),
    UnsubscribeWords(),
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
            flags=hit.flags, bounce=hit.bounce, return_date=hit.return_date, complaint=hit.complaint,
        )
    return Verdict(kind=Kind.HUMAN, rule="default", reason="no machine signal: written by a person",
                   trail=tuple(trail), reply_text=facts.reply_text)
