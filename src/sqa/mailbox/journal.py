"""A tiny per-agent send journal that survives a killed process.

The outbox row is claimed in the database before sending and marked sent after;
between the two, the database cannot know how far a send got. The journal
can: ``D id`` is appended just before the message data goes to the server and
``S id`` right after its final reply. Each is one ``write(2)`` on an O_APPEND
file: the kernel keeps it when the process is SIGKILLed. On restart, a claimed
row with no ``D`` never reached the server (safe to send), ``S`` was accepted,
and ``D`` alone is an unknown outcome that is never resent blindly.
"""

from __future__ import annotations

import fcntl
import os
from enum import StrEnum
from pathlib import Path


class Mark(StrEnum):
    DATA = "D"
    SENT = "S"


class JournalBusy(RuntimeError):
    """Another process holds this journal: two senders must never share one."""


class SendJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the kernel when we die
        except BlockingIOError:
            os.close(self._fd)
            raise JournalBusy(f"{path} is held by another sqa process using the same state directory "
                              "(a running daemon and `sqa run --once` must not share one)") from None

    def mark(self, mark: Mark, outbox_id: int) -> None:
        os.write(self._fd, f"{mark.value} {outbox_id}\n".encode())

    def read(self) -> dict[int, Mark]:
        """The furthest mark per outbox id."""
        marks: dict[int, Mark] = {}
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return marks
        for line in text.splitlines():
            kind, _, ident = line.partition(" ")
            if kind in ("D", "S") and ident.isdigit():
                oid = int(ident)
                if marks.get(oid) is not Mark.SENT:
                    marks[oid] = Mark(kind)
        return marks

    def clear(self) -> None:
        """Forget everything: call only when no claimed row is in flight."""
        os.ftruncate(self._fd, 0)

    def close(self) -> None:
        os.close(self._fd)
