"""The benchmarks run (quick variants) and print the JSON other tools read.

Timings are reported by the benchmarks, never asserted here; what is asserted
is the shape of the output and one correctness property: under repeated
SIGKILLs the daemon neither loses nor duplicates an answer.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 240

E2E_KEYS = ("latency_p50_s", "latency_p99_s", "push_p50_s", "latency_ratio", "overhead_p50_ms", "overhead_p99_ms",
            "drain_msgs", "drain_rate", "baseline_rate", "drain_ratio", "peak_rss_mb")
CONSENT_KEYS = ("optouts", "sent_after_optout", "optout_commit_p50_s", "optout_commit_p99_s", "http_floor_p50_s",
                "post_ratio", "mails_sent", "mails_cancelled", "peak_rss_mb")
SCHEDULE_KEYS = ("scheduler_tick_ms_p50", "scheduler_tick_ms_p99", "baseline_query_ms_p99", "tick_ratio",
                 "due_to_queued_s_p50", "due_to_queued_s_p99", "followups_queued", "sent", "violations", "peak_rss_mb")
CRASH_KEYS = ("kills", "inbound", "replies_expected", "replies_sent", "lost", "duplicates", "unknown", "seconds")


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    """The quick benchmarks, run at the same time (each starts its own servers)."""
    procs = {
        name: subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), "--quick", "--json"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("e2e", "crash", "consent_race", "schedule")
    }
    out: dict[str, dict] = {}
    failures = []
    for name, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            failures.append(f"{name}: no result within {TIMEOUT_S} s\n{stderr[-3000:]}")
            continue
        lines = stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            failures.append(f"{name}: exit code {proc.returncode}\n{stderr[-3000:]}")
            continue
        out[name] = json.loads(lines[-1])  # the last stdout line is the JSON object
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
    return out


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@pytest.mark.slow
def test_e2e_prints_every_key_with_sane_values(results: dict[str, dict]) -> None:
    r = results["e2e"]
    missing = [k for k in E2E_KEYS if k not in r]
    assert not missing, f"missing keys {missing} in {r}"
    for key in E2E_KEYS:
        assert _number(r[key]), (key, r[key])
    assert r["drain_msgs"] == 1000
    for key in ("latency_p50_s", "latency_p99_s", "push_p50_s", "drain_rate", "baseline_rate", "peak_rss_mb"):
        assert r[key] > 0, (key, r[key])
    assert r["latency_p99_s"] >= r["latency_p50_s"]
    assert r["overhead_p99_ms"] >= r["overhead_p50_ms"]
    assert r["latency_ratio"] == pytest.approx(r["latency_p50_s"] / r["push_p50_s"], rel=0.01)
    assert r["drain_ratio"] == pytest.approx(r["drain_rate"] / r["baseline_rate"], rel=0.01)
    # the drain counted every inbound mail as handled, and answered each once
    assert r["drain_handled"] == r["drain_msgs"]
    assert r["drain_duplicates"] == 0


@pytest.mark.slow
def test_crash_prints_every_key_and_loses_or_duplicates_nothing(results: dict[str, dict]) -> None:
    r = results["crash"]
    missing = [k for k in CRASH_KEYS if k not in r]
    assert not missing, f"missing keys {missing} in {r}"
    for key in CRASH_KEYS:
        assert _number(r[key]), (key, r[key])
    for key in ("kills", "inbound", "replies_expected", "replies_sent", "lost", "duplicates", "unknown"):
        assert isinstance(r[key], int), (key, r[key])
    assert r["kills"] >= 5
    assert r["inbound"] == 60 and r["replies_expected"] == 60
    assert r["seconds"] > 0
    # exactly once across SIGKILLs: a correctness property, not a timing
    assert r["lost"] == 0, r
    assert r["duplicates"] == 0, r
    assert r["replies_sent"] == r["replies_expected"]
    assert r["sequence_errors"] == 0, r  # each lead got need, timeline, budget, authority, closing once


@pytest.mark.slow
def test_consent_race_prints_every_key_and_sends_nothing_after_an_opt_out(results: dict[str, dict]) -> None:
    r = results["consent_race"]
    missing = [k for k in CONSENT_KEYS if k not in r]
    assert not missing, f"missing keys {missing} in {r}"
    for key in CONSENT_KEYS:
        assert _number(r[key]), (key, r[key])
    assert r["optouts"] == r["optouts_planned"] == 33  # every opt-out of every channel committed
    assert r["post_non_200"] == 0
    assert r["mails_sent"] + r["mails_cancelled"] == r["mails_queued"] == 300 and not r["mails_other"]
    assert r["optout_commit_p99_s"] >= r["optout_commit_p50_s"] > 0
    # the send-time gate: a correctness property, not a timing
    assert r["sent_after_optout"] == 0, r


@pytest.mark.slow
def test_schedule_prints_every_key_and_breaks_no_window_or_cap(results: dict[str, dict]) -> None:
    r = results["schedule"]
    missing = [k for k in SCHEDULE_KEYS if k not in r]
    assert not missing, f"missing keys {missing} in {r}"
    for key in SCHEDULE_KEYS:
        assert _number(r[key]), (key, r[key])
    assert r["leads"] == 5000 and r["followups_queued"] >= 5000  # every seeded follow-up was queued
    assert r["scheduler_tick_ms_p99"] >= r["scheduler_tick_ms_p50"] > 0
    assert r["due_to_queued_s_p99"] >= r["due_to_queued_s_p50"] >= 0
    assert r["sent"] > 0 and r["checked_sends"] == r["sent"]
    # the sending policy: a correctness property, not a timing
    assert r["violations"] == 0, r["violation_examples"]
