"""The new text of a reply: quoted history, signature, mobile footers and disclaimers removed."""

from __future__ import annotations

from sqa.mailbox.parse import InboundMessage


def extract_reply(msg: InboundMessage) -> str:
    """Minimal for now: the body up to the first quoted line."""
    lines: list[str] = []
    for line in msg.text.splitlines():
        if line.startswith(">"):
            break
        lines.append(line)
    return "\n".join(lines).strip()
