"""Mail from the mail system that is NOT a delivery report, and the null return path.

Runs after ``bounce``: a delivery report from mailer-daemon/postmaster has already been claimed
there, by its content. What reaches this rule from such a sender is something else (a
postmaster's question, a notice): it is never answered and never called a bounce.
"""

from __future__ import annotations

from sqa.mailbox.classify.base import Facts, Hit, Kind
from sqa.mailbox.classify.bounce import system_sender


class MachineSender:
    name = "machine_sender"
    description = "mailer-daemon/postmaster sender (not a delivery report) or null return path <>"

    def check(self, facts: Facts) -> Hit | None:
        msg = facts.msg
        sender = system_sender(msg)
        if sender:
            return Hit(Kind.BULK, f"sent by the mail system ({sender}) but not a delivery report "
                                  "(no delivery-status, failed recipient or returned message): no reply, no bounce")
        if msg.return_path == "":
            return Hit(Kind.AUTO_REPLY, "null return path <> (automated message)")
        return None
