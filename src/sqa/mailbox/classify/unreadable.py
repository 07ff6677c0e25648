"""A message that cannot be read at all is quarantined with its reason."""

from __future__ import annotations

from sqa.mailbox.classify.base import Facts, Hit, Kind


class Unreadable:
    name = "unreadable"
    description = "the message cannot be parsed"

    def check(self, facts: Facts) -> Hit | None:
        if facts.msg.unreadable:
            return Hit(Kind.QUARANTINE, facts.msg.unreadable)
        return None


class NoSender:
    """After the bounce rule: many real delivery reports carry no usable From."""

    name = "no_sender"
    description = "no readable From address"

    def check(self, facts: Facts) -> Hit | None:
        if not facts.msg.from_addr:
            return Hit(Kind.QUARANTINE, "no readable From address")
        return None
