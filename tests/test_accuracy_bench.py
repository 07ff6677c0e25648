"""benchmarks/accuracy.py prints the JSON other tools read; the classifier never crashes on any corpus.

The accuracy goals are not asserted here: the rules are still being written
(thresholds are added with them). What is asserted is the shape of the output
and the one property that holds now: 0 crashes.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "accuracy.py"
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpora  # noqa: E402

TOP_KEYS = ("kind_accuracy", "per_kind", "unsubscribe_recall", "unsubscribe_precision", "reply_text_pass_rate",
            "return_date_accuracy", "bounce_detection", "bounce_recipient_accuracy", "crashes", "msgs_per_s",
            "corpora", "skipped", "goals")
GOALS = ("kind_accuracy", "unsubscribe", "bounces", "crashes", "speed")
KINDS = ("human", "unsubscribe", "auto_reply", "bounce", "bulk", "self", "quarantine")


def run_bench(*args: str, env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run([sys.executable, str(BENCH), "--json", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr[-3000:]
    return json.loads(lines[-1])  # the last stdout line is the JSON object


def _rate(value: object) -> bool:
    return value is None or (isinstance(value, float | int) and not isinstance(value, bool) and 0 <= value <= 1)


@pytest.fixture(scope="module")
def quick() -> dict:
    return run_bench("--quick")


def test_quick_run_prints_every_key(quick: dict) -> None:
    r = quick
    for key in TOP_KEYS:
        assert key in r, key
    for key in ("kind_accuracy", "unsubscribe_recall", "unsubscribe_precision", "reply_text_pass_rate",
                "return_date_accuracy", "bounce_detection", "bounce_recipient_accuracy"):
        assert _rate(r[key]), (key, r[key])
    labels = [json.loads(l) for l in (ROOT / "corpus" / "labelled" / "labels.jsonl").read_text().splitlines() if l.strip()]
    assert r["corpora"]["labelled"]["messages"] == len(labels)
    for kind in KINDS:  # every kind is in the labelled set
        stats = r["per_kind"][kind]
        assert set(stats) >= {"precision", "recall", "support"}
        assert stats["support"] == sum(1 for c in labels if c["kind"] == kind)
        assert _rate(stats["precision"]) and _rate(stats["recall"])
    assert isinstance(r["msgs_per_s"], float | int) and math.isfinite(r["msgs_per_s"]) and r["msgs_per_s"] > 0
    assert isinstance(r["skipped"], list)
    for name, corpus in r["corpora"].items():
        assert corpus["messages"] > 0, name
    for goal in GOALS:
        assert isinstance(r["goals"][goal]["met"], bool), goal
    assert r["goals"]["crashes"]["met"] == (r["crashes"] == 0)


def test_no_crashes_on_any_corpus(quick: dict) -> None:
    assert quick["crashes"] == 0, quick["crash_list"]


def test_offline_with_an_empty_cache_skips_every_package_and_says_so(tmp_path: Path) -> None:
    r = run_bench("--quick", "--offline", env={"SQA_CORPORA_CACHE": str(tmp_path / "cache")})
    for pin in corpora.PINS:
        assert pin.corpus in r["skipped"]
        assert pin.corpus not in r["corpora"]
        assert r["skipped_reasons"][pin.corpus]
    assert r["crashes"] == 0
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())  # nothing was fetched


def test_a_cache_entry_is_used_only_for_its_pinned_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpora, "CACHE", tmp_path)
    pin = corpora.PINS[0]
    pin.cache_dir.mkdir(parents=True)
    (pin.cache_dir / ".sha256").write_text("0" * 64 + "\n")
    assert corpora.cached(pin) is None
    with pytest.raises(corpora.Unavailable):
        corpora.obtain(pin, allow_download=False)
    (pin.cache_dir / ".sha256").write_text(pin.sha256 + "\n")
    assert corpora.cached(pin) == pin.cache_dir


def test_pins_are_exact() -> None:
    for pin in corpora.PINS:
        assert len(pin.sha256) == 64 and int(pin.sha256, 16) >= 0
        assert pin.version and pin.version in pin.filename


@pytest.mark.parametrize("name", ["flufl.bounce", "bounced", "talon"])
def test_cached_corpora_carry_their_expectations(name: str) -> None:
    """When a corpus is cached, its loader still finds the package's own expectations (a changed layout shows here)."""
    pin = corpora.PIN_BY_CORPUS[name]
    tree = corpora.cached(pin)
    if tree is None:
        pytest.skip(f"{name} is not cached (run benchmarks/accuracy.py --json once with network)")
    cases = corpora.LOADERS[name](tree)
    with_recipients = [c for c in cases if c.expect.get("recipients")]
    if name == "flufl.bounce":
        assert len(cases) >= 110 and len(with_recipients) >= 100
    elif name == "bounced":
        assert len(cases) >= 40 and len(with_recipients) >= 30
        assert sum(1 for c in cases if c.expect.get("bounce") is False) >= 3
    else:
        assert len(cases) >= 20 and all(c.expect.get("reply_texts") or c.expect.get("reply_lacks") for c in cases)
