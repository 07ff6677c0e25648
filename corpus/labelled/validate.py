#!/usr/bin/env python3
"""Check the labelled corpus is consistent.

    python3 corpus/labelled/validate.py

- every file named in labels.jsonl exists and every .eml has exactly one label;
- labels have the documented fields and value types;
- the minimum count per kind is met;
- every message except the quarantine ones parses with email.message_from_bytes
  and has at least one header;
- every human/unsubscribe reply_text really occurs in the message's decoded text
  (whitespace-normalised; HTML reduced to text), so a label cannot drift from its file;
- every bounce recipient occurs in the raw bytes.
Exits non-zero on the first class of failure, printing all failures found.
"""

from __future__ import annotations

import collections
import email
import html
import json
import re
import sys
from datetime import date
from email import policy
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
KINDS = ("human", "unsubscribe", "auto_reply", "bounce", "bulk", "self", "quarantine")
MINIMUM = {"human": 55, "unsubscribe": 30, "auto_reply": 30, "bounce": 25, "bulk": 15, "self": 5, "quarantine": 5}
FIELDS = {"file", "kind", "reply_text", "return_date", "bounce", "language", "note"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "head"):
            self.skip += 1
        if tag in ("br", "p", "div", "tr", "li"):
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "head") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(s: str) -> str:
    p = _Text()
    p.feed(s)
    return "".join(p.out)


def norm(s: str) -> str:
    return " ".join(s.split())


def decoded_texts(raw: bytes) -> list[str]:
    """Every readable rendering of the message: each text part decoded leniently, plus the raw bytes."""
    out = [raw.decode("utf-8", "replace"), raw.decode("latin-1")]
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    for part in msg.walk():
        if part.get_content_maintype() != "text" and part is not msg:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        for cs in ("utf-8", "cp1252", "latin-1"):
            try:
                t = payload.decode(cs)
                break
            except UnicodeDecodeError:
                continue
        out.append(t)
        if "<" in t and ">" in t:
            out.append(html.unescape(html_text(t)))
    return out


def _in_order(paras: list[str], text: str) -> bool:
    pos = 0
    for p in paras:
        i = text.find(p, pos)
        if i < 0:
            return False
        pos = i + len(p)
    return True


def main() -> int:
    errors: list[str] = []
    labels = [json.loads(line) for line in (HERE / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    files = {p.name for p in (HERE / "messages").glob("*.eml")}
    named = [lab["file"] for lab in labels]
    for dup, n in collections.Counter(named).items():
        if n > 1:
            errors.append(f"{dup}: labelled {n} times")
    for f in sorted(set(named) - files):
        errors.append(f"{f}: in labels.jsonl but missing")
    for f in sorted(files - set(named)):
        errors.append(f"{f}: .eml without a label")

    for lab in labels:
        f = lab["file"]
        if set(lab) != FIELDS:
            errors.append(f"{f}: fields {sorted(set(lab) ^ FIELDS)} differ")
        kind = lab.get("kind")
        if kind not in KINDS:
            errors.append(f"{f}: unknown kind {kind!r}")
            continue
        if (kind in ("human", "unsubscribe")) != isinstance(lab["reply_text"], str):
            errors.append(f"{f}: reply_text must be a string exactly for human/unsubscribe")
        if lab["return_date"] is not None:
            if kind != "auto_reply":
                errors.append(f"{f}: return_date on a {kind}")
            try:
                date.fromisoformat(lab["return_date"])
            except ValueError:
                errors.append(f"{f}: bad return_date {lab['return_date']!r}")
        b = lab["bounce"]
        if (kind == "bounce") != (b is not None):
            errors.append(f"{f}: bounce object must be present exactly for kind bounce")
        if b is not None and (not b.get("recipients") or not isinstance(b.get("permanent"), bool)):
            errors.append(f"{f}: bounce needs recipients and a boolean permanent")
        if not lab["note"]:
            errors.append(f"{f}: empty note")
        path = HERE / "messages" / f
        if not path.exists():
            continue
        raw = path.read_bytes()
        if kind != "quarantine":
            try:
                msg = email.message_from_bytes(raw)
            except Exception as exc:  # noqa: BLE001 - report anything
                errors.append(f"{f}: message_from_bytes raised {exc!r}")
                continue
            if not msg.keys():
                errors.append(f"{f}: parsed without any header")
            try:
                email.message_from_bytes(raw, policy=policy.default).get("subject")
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{f}: policy.default parse raised {exc!r}")
        if kind in ("human", "unsubscribe") and lab["reply_text"]:
            want = norm(lab["reply_text"])
            texts = [norm(t) for t in decoded_texts(raw)]
            # inline answers are non-contiguous: then every paragraph must occur, in order
            paras = [norm(p) for p in re.split(r"\n\s*\n", lab["reply_text"]) if p.strip()]
            if not any(want in t for t in texts) and not any(_in_order(paras, t) for t in texts):
                errors.append(f"{f}: reply_text not found in the decoded message")
        if b:
            low = raw.lower()
            for r in b["recipients"]:
                if r.lower().encode() not in low:
                    errors.append(f"{f}: bounce recipient {r} not in the message")

    counts = collections.Counter(lab["kind"] for lab in labels)
    for kind, need in MINIMUM.items():
        if counts[kind] < need:
            errors.append(f"kind {kind}: {counts[kind]} < {need}")
    malformed = sum(1 for lab in labels if lab["note"].startswith(("[malformed]", "[nested]")))
    if malformed < 10:
        errors.append(f"only {malformed} malformed-but-readable messages")

    langs = collections.Counter(lab["language"] or "none" for lab in labels)
    by_kind_lang = collections.defaultdict(collections.Counter)
    for lab in labels:
        by_kind_lang[lab["kind"]][lab["language"] or "none"] += 1
    print(f"{len(labels)} messages")
    for kind in KINDS:
        print(f"  {kind:12} {counts[kind]:4}   " + ", ".join(f"{k}={v}" for k, v in sorted(by_kind_lang[kind].items())))
    print("languages: " + ", ".join(f"{k}={v}" for k, v in sorted(langs.items())))
    print(f"malformed-but-readable: {malformed}")
    print(f"auto-replies with a return_date: {sum(1 for lab in labels if lab['return_date'])}")
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
