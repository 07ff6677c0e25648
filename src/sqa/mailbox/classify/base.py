"""The vocabulary of classification: kinds, facts, rules, hits, verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Protocol

from sqa.mailbox.parse import InboundMessage


class Kind(StrEnum):
    HUMAN = "human"
    UNSUBSCRIBE = "unsubscribe"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"  # a feedback-loop report (RFC 5965 ARF): a recipient marked our mail as spam
    BULK = "bulk"
    SELF = "self"
    QUARANTINE = "quarantine"

    @property
    def answerable(self) -> bool:
        """Only a person gets an answer: never a machine (RFC 3834)."""
        return self is Kind.HUMAN


class Flag(StrEnum):
    """Extra findings a rule reports with its kind."""

    UNSURE = "unsure"  # an opt-out honored although the words were not clear: a human should look
    LEFT_COMPANY = "left_company"  # "no longer with the company": tell the lead's owner
    TICKET = "ticket"  # a helpdesk acknowledgement
    VIA_ADDRESS = "via_address"  # mail to our unsubscribe address
    SOFT = "soft"  # a temporary delivery failure
    POLICY = "policy"  # 5.7.x: a reputation/policy signal, not a bad address


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules know besides the message: our own identities."""

    own_addresses: frozenset[str]
    loop_marker: str  # value of our X-SQA-Loop header
    unsubscribe_addresses: frozenset[str] = frozenset()  # agent+unsubscribe@domain
    domain: str = ""  # our Message-ID domain


@dataclass(frozen=True, slots=True)
class BounceInfo:
    recipients: tuple[str, ...]  # the failed addresses, lower-cased
    permanent: bool  # 5.1.x and friends: the address is bad; False for 4.x.x, delayed, x.2.2, 5.7.x
    status: str | None = None  # the DSN status code, e.g. "5.1.1"
    original_message_id: str | None = None  # the Message-ID of our mail that bounced, when returned


@dataclass(frozen=True, slots=True)
class ComplaintInfo:
    """What a feedback-loop report (RFC 5965) says about the mail it complains of."""

    feedback_type: str  # abuse, fraud, virus, other (lower-cased)
    recipients: tuple[str, ...]  # Original-Rcpt-To, Removal-Recipient, the returned mail's To/Cc (lower-cased; often redacted)
    original_message_id: str | None = None  # the Message-ID of the returned mail (ours when it names our domain)
    unsubscribe: tuple[str, ...] = ()  # the returned mail's List-Unsubscribe targets: our signed links name the lead
    reporter: str = ""  # User-Agent of the report, else the sender's domain


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that decided, with the evidence and what it found."""

    kind: Kind
    reason: str  # one human-readable line
    flags: frozenset[Flag] = frozenset()
    bounce: BounceInfo | None = None
    return_date: date | None = None
    complaint: ComplaintInfo | None = None


class Facts:
    """The message plus what is derived from it, each computed once and only when a rule asks."""

    def __init__(self, msg: InboundMessage, ctx: Context) -> None:
        self.msg = msg
        self.ctx = ctx

    @cached_property
    def reply_text(self) -> str:
        """The NEW text the sender wrote: quotes, signature, mobile footers and disclaimers removed."""
        from sqa.mailbox.replytext import extract_reply

        return extract_reply(self.msg)


class Rule(Protocol):
    name: str
    description: str

    def check(self, facts: Facts) -> Hit | None: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: Kind
    rule: str  # the rule that decided
    reason: str  # one human-readable line
    trail: tuple[dict[str, str], ...] = field(default=())  # every rule consulted: hit or miss
    reply_text: str | None = None  # for human and unsubscribe
    flags: frozenset[Flag] = frozenset()
    bounce: BounceInfo | None = None
    return_date: date | None = None
    complaint: ComplaintInfo | None = None

    def as_record(self) -> list[dict[str, str]]:
        return list(self.trail)
