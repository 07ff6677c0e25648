"""A message that cannot be read at all is quarantined with its reason."""

from __future__ import annotations

from sqa.mailbox.classify.base import Facts, Hit, Kind


class Unreadable:
    name = "unreadable"
    description = "the message cannot be parsed"

    def check(self, facts: Facts) -> Hit | None:
        msg, ctx = facts.msg, facts.ctx
        if msg.unreadable:
            return Hit(Kind.QUARANTINE, msg.unreadable)
        if not msg.from_addr:
            return Hit(Kind.QUARANTINE, "no readable From address")
        return None
