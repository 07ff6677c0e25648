"""Logging for the daemon: JSON lines for machines, text for a terminal, secrets redacted either way.

Why JSON lines: under systemd, journald (or a log shipper reading a file)
keeps one record per line, and `journalctl -o cat | jq 'select(.lead_id == 42)'`
finds every decision about a lead only when the fields are fields, not words
in a sentence. python-systemd (native journald fields) is not a dependency:
a JSON object per line works with journald and with files alike. Under
systemd (``$JOURNAL_STREAM`` names our stderr) each line also starts with the
syslog priority prefix ``<N>``, which journald strips and turns into the
entry's PRIORITY, so `journalctl -p err -u sqa` shows the errors and alerts.

A line is ``{"ts", "level", "logger", "msg", ...fields}``: the fields are what
the call passed in ``extra={...}`` (``agent``, ``lead_id``, ``message_id``,
``kind``, ``decision``, ``alert_kind``...), and ``exc`` holds a traceback.

Redaction: a handler filter replaces every configured secret (every SecretStr
in the settings: IMAP/SMTP passwords, API key, webhook secret, token keys,
MQTT password; plus what ``add_secrets`` is given) and anything shaped like a
credential (``password=…``, ``Bearer …``, ``sk-…``) with ``***`` in the
message, its arguments, its fields and its traceback. It is a safety net: the
code logs ids and kinds, never secrets or message bodies, in the first place.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

from pydantic import BaseModel, SecretStr

MASK = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("aioimaplib", "aiosqlite", "mail.log", "asyncio", "aiosmtplib", "httpx", "httpcore", "openai")
MIN_SECRET_LEN = 4  # shorter "secrets" would mask ordinary words
# structured fields that hold ids and fixed vocabularies, not free text: not scanned (a line per message is hot)
SAFE_FIELDS = frozenset({"agent", "kind", "step", "decision", "rule", "alert_kind"})

# credential-shaped text: key=value / key: value pairs, bearer tokens, OpenAI-style keys
_SHAPES = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|token[_-]?key"
    r"|client[_-]?secret|authorization)\b[\"']?\s*[=:]\s*)(?P<q>[\"']?)(?P<val>(?:(?:Bearer|Basic|Token)\s+)?[^\s\"',;}]+)"
    r"|(?P<bearer>\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}"
    r"|\bsk-[A-Za-z0-9_-]{16,}",
    re.IGNORECASE)

_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {"message", "asctime",
                                                                                               "taskName"}


def _mask_shape(m: re.Match[str]) -> str:
    if m.group("key") is not None:
        return f"{m.group('key')}{m.group('q')}{MASK}"
    if m.group("bearer") is not None:
        return f"{m.group('bearer')}{MASK}"
    return "sk-" + MASK


class Redactor(logging.Filter):
    """Masks secrets in a record before any handler formats it (attached to our handler, so child loggers pass)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._known: re.Pattern[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        new = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LEN}
        if new - self.secrets:
            self.secrets |= new
            alternatives = sorted(self.secrets, key=len, reverse=True)  # the longest first: no partial masks
            self._known = re.compile("|".join(re.escape(s) for s in alternatives))

    def redact(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(MASK, text)
        return _SHAPES.sub(_mask_shape, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None  # formatted once here; handlers format it again for free
        for key, value in record.__dict__.items():
            if isinstance(value, str) and key not in _STANDARD and key not in SAFE_FIELDS:
                record.__dict__[key] = self.redact(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return True


REDACTOR = Redactor()


def add_secrets(values: Iterable[str]) -> None:
    REDACTOR.add(values)


def secrets_of(settings: BaseModel) -> list[str]:
    """Every SecretStr value in a settings model, however deep (new secret keys are covered without a list)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name, None))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, bytes):
            return

    walk(settings)
    return found


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ms), level, logger, msg, the record's extra fields, exc."""

    def __init__(self, priority_prefix: bool = False) -> None:
        super().__init__()
        self.priority_prefix = priority_prefix

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        doc: dict[str, Any] = {"ts": ts, "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in doc:
                doc[key] = value
        if record.exc_info or record.exc_text:
            doc["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        line = json.dumps(doc, ensure_ascii=False, default=str)
        return f"<{_syslog_priority(record.levelno)}>{line}" if self.priority_prefix else line


def _syslog_priority(levelno: int) -> int:
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    return 6 if levelno >= logging.INFO else 7


def under_journald(stream: TextIO) -> bool:
    """``$JOURNAL_STREAM`` is ``DEV:INODE`` of the journald socket systemd connected our stderr to."""
    value = os.environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return value == f"{st.st_dev}:{st.st_ino}"


def wants_json(fmt: str, stream: TextIO) -> bool:
    """auto: JSON unless the stream is a terminal (under journald, or into a file or pipe)."""
    if fmt != "auto":
        return fmt == "json"
    if os.environ.get("JOURNAL_STREAM"):
        return True
    try:
        return not stream.isatty()
    except (ValueError, AttributeError):
        return True


_saved_level: int | None = None  # the root level before the first setup_logging (restored by teardown)


def setup_logging(level: str = "INFO", fmt: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """(Re)configure the root logger with one handler of ours; again on reload, replacing it (others stay)."""
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.set_name("sqa")
    if wants_json(fmt, stream):
        handler.setFormatter(JsonFormatter(priority_prefix=under_journald(stream)))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    global _saved_level
    if _saved_level is None:
        _saved_level = root.level
    for old in [h for h in root.handlers if h.get_name() == "sqa"]:
        root.removeHandler(old)
        old.close()  # a StreamHandler flushes; it never closes the stream it was given
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def teardown() -> None:
    """Remove our handler and restore the root level (a daemon run in-process, e.g. by a test, leaves no trace)."""
    global _saved_level
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "sqa"]:
        root.removeHandler(old)
        old.close()
    if _saved_level is not None:
        root.setLevel(_saved_level)
        _saved_level = None
