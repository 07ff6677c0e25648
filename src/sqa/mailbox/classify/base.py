"""The vocabulary of classification: kinds, rules, hits, verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from sqa.mailbox.parse import InboundMessage


class Kind(StrEnum):
    HUMAN = "human"
    UNSUBSCRIBE = "unsubscribe"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    BULK = "bulk"
    SELF = "self"
    QUARANTINE = "quarantine"

    @property
    def answerable(self) -> bool:
        """Only a person gets an answer: never a machine (RFC 3834)."""
        return self is Kind.HUMAN


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules know besides the message: our own identities."""

    own_addresses: frozenset[str]
    loop_marker: str  # value of our X-SQA-Loop header


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that decided, with the evidence."""

    kind: Kind
    reason: str


class Rule(Protocol):
    name: str
    description: str

    def check(self, msg: InboundMessage, ctx: Context) -> Hit | None: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: Kind
    rule: str  # the rule that decided
    reason: str  # one human-readable line
    trail: tuple[dict[str, str], ...] = field(default=())  # every rule consulted: hit or miss

    def as_record(self) -> list[dict[str, str]]:
        return list(self.trail)
