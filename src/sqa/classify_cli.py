"""`sqa classify`: classify raw RFC 5322 files with the rule chain, no database and no config file.

The contract (other tools read it)::

    sqa classify [--json] [--self ADDRESS ...] [--unsubscribe ADDRESS ...] PATH...

``-`` reads the message from standard input (as bytes). With ``--json`` it
prints one JSON object per input, in input order, one per line::

    {"path": "...", "kind": "human|unsubscribe|auto_reply|bounce|bulk|self|quarantine",
     "rule": "the rule that decided", "reason": "one human-readable line",
     "reply_text": str | null, "return_date": "YYYY-MM-DD" | null,
     "bounce": null | {"recipients": [...], "permanent": bool, "status": str | null,
                       "original_message_id": str | null},
     "flags": [...],
     "rules": [the whole trail: every rule consulted, in order,
               {"rule": name, "result": "hit" | "miss", "kind": ..., "reason": ...}],
     "message_id": str | null, "from": str | null, "subject": str | null, "truncated": bool}

``rules`` is the verdict's whole trail (misses too); the entries with
``"result": "hit"`` are the hits, and ``rule`` names the one that decided
(``default`` when none did and the message is human).

It exits 0 for any input however malformed: a directory, a missing or
unreadable file, binary junk or an empty file each get a line with kind
``quarantine`` and the reason. Without ``--json`` it prints one readable line
per input.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from sqa.mailbox.classify.base import Context, Kind, Rule, Verdict
from sqa.mailbox.parse import InboundMessage, parse

# The chain and its rules are imported on first use: `sqa --help` and the other commands stay fast.

# Like the daemon (Settings.max_message_bytes): larger mail is read only this far.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_LOOP_MARKER = "sqa"
KEYS = ("path", "kind", "rule", "reason", "reply_text", "return_date", "bounce", "flags", "rules",
        "message_id", "from", "subject", "truncated")

log = logging.getLogger("sqa.classify")


def make_context(own: Iterable[str] = (), unsubscribe: Iterable[str] = (), loop_marker: str | None = None,
                 domain: str | None = None) -> Context:
    """Our identities from the command line: the loop marker is the first own address (else "sqa")."""
    own_list = [a.strip().lower() for a in own if a and a.strip()]
    marker = loop_marker if loop_marker is not None else (own_list[0] if own_list else DEFAULT_LOOP_MARKER)
    if domain is None:
        domain = own_list[0].rpartition("@")[2] if own_list and "@" in own_list[0] else ""
    return Context(own_addresses=frozenset(own_list), loop_marker=marker,
                   unsubscribe_addresses=frozenset(a.strip().lower() for a in unsubscribe if a and a.strip()),
                   domain=domain.lower())


def read_input(path: str, max_bytes: int = DEFAULT_MAX_BYTES,
               stdin: IO[bytes] | None = None) -> tuple[bytes | None, bool, str | None]:
    """(raw, truncated, error): the first ``max_bytes`` of a file, or of stdin for ``-``; error says why not."""
    try:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            raw = stream.read(max_bytes + 1)
        else:
            if os.path.isdir(path):
                return None, False, "cannot read input: is a directory"
            with Path(path).open("rb") as fh:
                raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        return None, False, "cannot read input: no such file"
    except PermissionError:
        return None, False, "cannot read input: permission denied"
    except IsADirectoryError:
        return None, False, "cannot read input: is a directory"
    except (OSError, ValueError, AttributeError) as exc:  # ValueError: NUL in the name, a closed stdin; no stdin at all
        return None, False, f"cannot read input: {exc.__class__.__name__}: {exc}"
    if raw is None:  # a non-blocking stream with nothing to read
        raw = b""
    if len(raw) > max_bytes:
        return raw[:max_bytes], True, None
    return raw, False, None


def _clean(value: Any) -> Any:
    """Strings safe to print as UTF-8: raw 8-bit header bytes (surrogate escapes) decoded leniently."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") \
                if _only_escapes(value) else value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _only_escapes(value: str) -> bool:
    try:
        value.encode("utf-8", "surrogateescape")
        return True
    except UnicodeEncodeError:
        return False


def quarantine_record(path: str, rule: str, reason: str, truncated: bool = False) -> dict[str, Any]:
    return _clean({"path": path, "kind": Kind.QUARANTINE.value, "rule": rule, "reason": reason, "reply_text": None,
                   "return_date": None, "bounce": None, "flags": [],
                   "rules": [{"rule": rule, "result": "hit", "kind": Kind.QUARANTINE.value, "reason": reason}],
                   "message_id": None, "from": None, "subject": None, "truncated": truncated})


def verdict_record(path: str, verdict: Verdict, msg: InboundMessage | None = None, truncated: bool = False) -> dict[str, Any]:
    """The JSON object for one classified message."""
    bounce = None
    if verdict.bounce is not None:
        b = verdict.bounce
        bounce = {"recipients": list(b.recipients), "permanent": bool(b.permanent), "status": b.status,
                  "original_message_id": b.original_message_id}
    readable = msg is not None and not msg.unreadable
    return _clean({
        "path": path,
        "kind": verdict.kind.value,
        "rule": verdict.rule,
        "reason": " ".join(str(verdict.reason).split()),  # one line
        "reply_text": verdict.reply_text,
        "return_date": verdict.return_date.isoformat() if verdict.return_date else None,
        "bounce": bounce,
        "flags": sorted(f.value for f in verdict.flags),
        "rules": [dict(entry) for entry in verdict.trail],
        "message_id": msg.message_id if readable and msg.has_message_id else None,
        "from": msg.from_addr if readable else None,
        "subject": (msg.subject or None) if readable else None,
        "truncated": truncated,
    })


def classify_raw(path: str, raw: bytes, ctx: Context, chain: tuple[Rule, ...] | None = None,
                 truncated: bool = False) -> dict[str, Any]:
    """Parse and classify one message (default: chain.CHAIN); a failure inside becomes a quarantine record."""
    from sqa.mailbox.classify.chain import CHAIN
    from sqa.mailbox.classify.chain import classify as run_chain

    try:
        msg = parse(raw)
    except Exception as exc:  # noqa: BLE001 - parse promises not to raise; be sure anyway
        log.error("parse failed for %s:\n%s", path, traceback.format_exc())
        return quarantine_record(path, "parse", f"parser error: {exc.__class__.__name__}: {exc}", truncated)
    try:
        verdict = run_chain(msg, ctx, CHAIN if chain is None else chain)
    except Exception as exc:  # noqa: BLE001 - a rule that raises must not stop the run
        log.error("classification failed for %s:\n%s", path, traceback.format_exc())
        return quarantine_record(path, "error", f"classifier error: {exc.__class__.__name__}: {exc}", truncated)
    try:
        return verdict_record(path, verdict, msg, truncated)
    except Exception as exc:  # noqa: BLE001 - a verdict we cannot write out still gets its line
        log.error("cannot write the verdict for %s:\n%s", path, traceback.format_exc())
        return quarantine_record(path, "error", f"cannot write the verdict: {exc.__class__.__name__}: {exc}", truncated)


def classify_paths(paths: Iterable[str], ctx: Context, max_bytes: int = DEFAULT_MAX_BYTES,
                   stdin: IO[bytes] | None = None, chain: tuple[Rule, ...] | None = None) -> Iterator[dict[str, Any]]:
    """One record per path, in order."""
    for path in paths:
        raw, truncated, error = read_input(path, max_bytes, stdin)
        if error is not None or raw is None:
            yield quarantine_record(path, "input", error or "cannot read input")
            continue
        yield classify_raw(path, raw, ctx, chain, truncated)


def human_line(record: dict[str, Any]) -> str:
    """One readable line: kind, path, deciding rule and reason, then what was found."""
    extra: list[str] = []
    if record.get("bounce"):
        b = record["bounce"]
        extra.append(f"bounce {'hard' if b['permanent'] else 'soft'} {','.join(b['recipients']) or '?'}"
                     + (f" {b['status']}" if b.get("status") else ""))
    if record.get("return_date"):
        extra.append(f"back {record['return_date']}")
    if record.get("flags"):
        extra.append("flags " + ",".join(record["flags"]))
    if record.get("reply_text"):
        text = " ".join(record["reply_text"].split())
        extra.append("text " + json.dumps(text[:60] + ("..." if len(text) > 60 else ""), ensure_ascii=False))
    if record.get("truncated"):
        extra.append("truncated")
    tail = f"  [{'; '.join(extra)}]" if extra else ""
    path = record["path"].replace("\n", "\\n")
    return f"{record['kind']:<11} {path}  {record['rule']}: {record['reason']}{tail}"


def _write(line: str) -> None:
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `sqa classify ... | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
        except OSError:
            pass
        raise typer.Exit(0) from None


def classify(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", show_default=False,
                                               help="raw RFC 5322 files; - reads one message from stdin")],
    json_out: Annotated[bool, typer.Option("--json", help="one JSON object per input, one per line")] = False,
    own: Annotated[list[str] | None, typer.Option(
        "--self", metavar="ADDRESS", help="one of our own addresses (repeat); the first is the loop marker")] = None,
    unsubscribe: Annotated[list[str] | None, typer.Option(
        "--unsubscribe", metavar="ADDRESS", help="our unsubscribe address (repeat): mail to it is an opt-out")] = None,
    loop_marker: Annotated[str | None, typer.Option(
        "--loop-marker", metavar="VALUE", help="our X-SQA-Loop value (default: the first --self, else 'sqa')")] = None,
    max_bytes: Annotated[int, typer.Option(
        "--max-bytes", min=1024, help="read at most this much of each input, like the daemon")] = DEFAULT_MAX_BYTES,
) -> None:
    """Classify raw messages with the rule chain (no database, no config file). Exits 0 for any input."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    ctx = make_context(own or (), unsubscribe or (), loop_marker)
    for record in classify_paths(paths, ctx, max_bytes):
        _write(json.dumps(record, ensure_ascii=False, default=str) if json_out else human_line(record))
    raise typer.Exit(0)
