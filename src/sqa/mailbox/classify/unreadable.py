"""A message that cannot be read at all is quarantined with its reason."""

from __future__ import annotations

from sqa.mailbox.classify.base import Context, Hit, Kind
from sqa.mailbox.parse import InboundMessage


class Unreadable:
    name = "unreadable"
    description = "the message cannot be parsed"

    def check(self, msg: InboundMessage, ctx: Context) -> Hit | None:
        if msg.unreadable:
            return Hit(Kind.QUARANTINE, msg.unreadable)
        if not msg.from_addr:
            return Hit(Kind.QUARANTINE, "no readable From address")
        return None
