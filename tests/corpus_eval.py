"""Score the classifier on the labelled corpus: `python -m tests.corpus_eval [--chain MODULE:NAME] [--kind K] [-v]`.

Prints per-kind precision and recall, reply-text, return-date and bounce
accuracy, and every miss with the rule and reason that decided it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqa.mailbox.classify import Context, classify
from sqa.mailbox.classify.chain import CHAIN
from sqa.mailbox.parse import parse

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "labelled"
CTX = Context(own_addresses=frozenset({"ava@acme-analytics.test"}), loop_marker="ava@acme-analytics.test",
              unsubscribe_addresses=frozenset({"ava+unsubscribe@acme-analytics.test"}), domain="acme-analytics.test")


def norm(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


@dataclass
class Score:
    total: int
    correct: int
    per_kind: dict[str, tuple[float, float, int]]  # precision, recall, support
    reply_ok: int
    reply_total: int
    date_ok: int
    date_total: int
    bounce_ok: int
    bounce_total: int
    misses: list[str]
    rate: float


def labels() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines() if line.strip()]


def evaluate(chain=CHAIN, kind: str | None = None) -> Score:  # noqa: ANN001
    cases = [c for c in labels() if kind is None or c["kind"] == kind]
    raws = [(CORPUS / "messages" / c["file"]).read_bytes() for c in cases]
    started = time.perf_counter()
    verdicts = [classify(parse(raw), CTX, chain) for raw in raws]
    rate = len(raws) / max(1e-9, time.perf_counter() - started)
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    support: Counter[str] = Counter()
    misses: list[str] = []
    reply_ok = reply_total = date_ok = date_total = bounce_ok = bounce_total = 0
    for case, v in zip(cases, verdicts):
        want, got = case["kind"], v.kind.value
        support[want] += 1
        predicted[got] += 1
        if want == got:
            tp[want] += 1
        else:
            misses.append(f"KIND {case['file']}: want {want}, got {got} by {v.rule}: {v.reason}")
        if want in ("human", "unsubscribe") and case.get("reply_text") is not None:
            reply_total += 1
            if norm(v.reply_text) == norm(case["reply_text"]):
                reply_ok += 1
            else:
                misses.append(f"TEXT {case['file']}: want {norm(case['reply_text'])!r}\n{' ' * 10}got  {norm(v.reply_text)!r}")
        if want == "auto_reply":
            date_total += 1
            got_date = v.return_date.isoformat() if v.return_date else None
            if got_date == case.get("return_date"):
                date_ok += 1
            else:
                misses.append(f"DATE {case['file']}: want {case.get('return_date')}, got {got_date}")
        if want == "bounce" and case.get("bounce"):
            bounce_total += 1
            exp = case["bounce"]
            ok = v.bounce is not None and sorted(v.bounce.recipients) == sorted(a.lower() for a in exp["recipients"]) \
                and v.bounce.permanent == exp["permanent"]
            if ok:
                bounce_ok += 1
            else:
                got_b = (sorted(v.bounce.recipients), v.bounce.permanent) if v.bounce else None
                misses.append(f"BOUNCE {case['file']}: want {(sorted(exp['recipients']), exp['permanent'])}, got {got_b}")
    per_kind = {}
    for k in sorted(set(support) | set(predicted)):
        precision = tp[k] / predicted[k] if predicted[k] else 0.0
        recall = tp[k] / support[k] if support[k] else 0.0
        per_kind[k] = (precision, recall, support[k])
    return Score(len(cases), sum(tp.values()), per_kind, reply_ok, reply_total, date_ok, date_total,
                 bounce_ok, bounce_total, misses, rate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chain", help="module:NAME of a rule tuple to use instead of chain.CHAIN")
    parser.add_argument("--kind", help="only cases labelled with this kind")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    chain = CHAIN
    if args.chain:
        module, name = args.chain.split(":")
        chain = getattr(importlib.import_module(module), name)
    s = evaluate(chain, args.kind)
    print(f"kind accuracy {s.correct}/{s.total} = {s.correct / max(1, s.total):.3f}   ({s.rate:.0f} msg/s incl. parse)")
    for k, (p, r, n) in s.per_kind.items():
        print(f"  {k:12s} precision {p:.3f} recall {r:.3f} support {n}")
    print(f"reply_text {s.reply_ok}/{s.reply_total}  return_date {s.date_ok}/{s.date_total}  bounce {s.bounce_ok}/{s.bounce_total}")
    if args.verbose:
        for miss in s.misses:
            print(miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
