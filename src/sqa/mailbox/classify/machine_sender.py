"""Mail from the mail system itself: mailer-daemon, postmaster, or a null return path."""

from __future__ import annotations

from sqa.mailbox.classify.base import Facts, Hit, Kind

SYSTEM_LOCALPARTS = frozenset({"mailer-daemon", "postmaster"})


class MachineSender:
    name = "machine_sender"
    description = "mailer-daemon/postmaster sender or null return path <>"

    def check(self, facts: Facts) -> Hit | None:
        msg, ctx = facts.msg, facts.ctx
        local = (msg.from_addr or "").split("@", 1)[0]
        if local in SYSTEM_LOCALPARTS:
            return Hit(Kind.BOUNCE, f"sent by the mail system ({msg.from_addr})")
        if msg.return_path == "":
            return Hit(Kind.AUTO_REPLY, "null return path <> (automated message)")
        return None
