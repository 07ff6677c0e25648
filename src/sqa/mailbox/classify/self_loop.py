"""Our own mail coming back: our address as sender, or our loop marker."""

from __future__ import annotations

from sqa.mailbox.classify.base import Facts, Hit, Kind


class SelfLoop:
    name = "self_loop"
    description = "sent by one of our own addresses or carries our loop marker"

    def check(self, facts: Facts) -> Hit | None:
        msg, ctx = facts.msg, facts.ctx
        marker = msg.headers.get("x-sqa-loop")
        if marker and marker.strip() == ctx.loop_marker:
            return Hit(Kind.SELF, "carries our X-SQA-Loop marker")
        if msg.from_addr and msg.from_addr in ctx.own_addresses:
            return Hit(Kind.SELF, f"sent by our own address {msg.from_addr}")
        return None
