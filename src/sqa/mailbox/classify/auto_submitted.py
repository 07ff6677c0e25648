"""RFC 3834: ``Auto-Submitted`` present and not ``no``."""

from __future__ import annotations

from sqa.mailbox.classify.base import Facts, Hit, Kind


class AutoSubmitted:
    name = "auto_submitted"
    description = "Auto-Submitted header other than 'no' (RFC 3834)"

    def check(self, facts: Facts) -> Hit | None:
        msg, ctx = facts.msg, facts.ctx
        value = msg.headers.get("auto-submitted")
        if value is None:
            return None
        token = value.split(";", 1)[0].strip().lower()
        if token and token != "no":
            return Hit(Kind.AUTO_REPLY, f"Auto-Submitted: {token}")
        return None
