"""`sqa eval conversations`: the contract other tools rely on (issue 5, "Evaluation"), and the set's numbers.

One JSON object per case, in input order, keys exactly id, decision, bant, reply, violations; a summary
line last, only when the input has "expect"; an opt-out in words ends a case through the daemon's
classifier before any engine runs; a bad line is one error line naming it (exit 2). The accuracy of an
engine on the whole conversation set (conversations.jsonl + dev2.jsonl + holdout.jsonl) is held to the
issue's goals: decisions >= 85 %, BANT F1 >= 0.85, every opt-out honored, no injection ending in a handoff.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sqa.agents.engines.base import Decision, EngineInput, EngineOutput
from sqa.agents.engines.offline import OfflineEngine
from sqa.agents.evaluate import CASE_KEYS, parse_cases, run_cases, summarize

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "corpus" / "conversations"
ALL = sorted(SET.glob("*.jsonl"))
HOLDOUT = SET / "holdout.jsonl"
DEVELOPMENT = (SET / "conversations.jsonl", SET / "dev2.jsonl")
GOALS = {"decision_accuracy": 0.85, "bant_f1": 0.85}
DECISIONS = {"reply", "handoff", "disqualify", "opt_out", "pause"}
BANT = ("budget", "authority", "need", "timeline")
SUMMARY_KEYS = {"summary", "cases", "decision_accuracy", "bant_f1", "opt_out_recall", "injection_handoffs", "confusion"}
LEAD = {"name": "Ana Weber", "email": "ana.weber@beta.example", "company": "Beta GmbH", "title": "COO"}
PRODUCT = "RouteWise plans delivery routes for fleets of 10 to 500 vans, with live driver tracking."


def case(id: str, *turns: str, expect: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": id, "lead": LEAD, "product": PRODUCT, "turns": list(turns), **extra}
    if expect is not None:
        data["expect"] = expect
    return data


def expect(decision: str, *known: str) -> dict[str, Any]:
    return {"decision": decision, "bant": {k: k in known for k in BANT}}


def write(path: Path, cases: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    return path


def sqa_eval(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, with no config file anywhere it could look."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SQA_", "OPENAI_"))}
    environ["SQA_CONFIG"] = "/nonexistent/sqa.toml"
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "sqa.cli", "eval", "conversations", *map(str, args)],
                          capture_output=True, text=True, env=environ, timeout=300)


def lines(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def check_record(rec: dict[str, Any]) -> None:
    assert tuple(rec) == CASE_KEYS  # exactly these keys, in this order
    assert rec["decision"] in DECISIONS
    assert tuple(rec["bant"]) == BANT and all(isinstance(v, bool) for v in rec["bant"].values())
    assert rec["reply"] is None or (isinstance(rec["reply"], str) and rec["reply"].strip())
    assert isinstance(rec["violations"], list)


# -- the contract ------------------------------------------------------------------------------


def test_one_object_per_case_in_order_and_summary_last_with_expect(tmp_path: Path) -> None:
    cases = [case("first", "We plan routes by hand every morning and it takes two hours.", expect=expect("reply", "need")),
             case("second", "Interesting. Could we set up a demo next week?", expect=expect("handoff")),
             case("third", "Please remove me from your mailing list.", expect=expect("opt_out"))]
    recs = lines(sqa_eval(write(tmp_path / "set.jsonl", cases), "--json"))
    assert len(recs) == len(cases) + 1
    for rec, want in zip(recs, cases, strict=False):
        check_record(rec)
        assert rec["id"] == want["id"]
    summary = recs[-1]
    assert set(summary) == SUMMARY_KEYS and summary["summary"] is True and summary["cases"] == 3
    assert 0 <= summary["decision_accuracy"] <= 1 and 0 <= summary["bant_f1"] <= 1
    assert summary["opt_out_recall"] == 1.0
    assert sum(sum(row.values()) for row in summary["confusion"].values()) == 3


def test_no_summary_without_expect_and_files_concatenate(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", [case("a1", "Tell me more."), case("a2", "We have 40 vans and plan by hand.")])
    b = write(tmp_path / "b.jsonl", [case("b1", "Not the right moment. Contact me in Q2.")])
    recs = lines(sqa_eval(a, b, "--json"))
    assert [r["id"] for r in recs] == ["a1", "a2", "b1"]
    for rec in recs:
        check_record(rec)


def test_a_reply_is_the_full_mail_body(tmp_path: Path) -> None:
    recs = lines(sqa_eval(write(tmp_path / "s.jsonl", [case("r", "Tell me more.", "We plan routes by hand.")]), "--json"))
    rec = recs[0]
    if rec["decision"] == "reply":  # what goes to the lead: greeting, the agent's words, signature, AI disclosure
        assert rec["reply"].startswith("Hello Ana") and "AI assistant" in rec["reply"]


def test_readable_table_without_json(tmp_path: Path) -> None:
    proc = sqa_eval(write(tmp_path / "s.jsonl", [case("only-case", "Please unsubscribe me.", expect=expect("opt_out"))]))
    assert proc.returncode == 0, proc.stderr
    assert "only-case" in proc.stdout and "opt_out" in proc.stdout and "decision accuracy" in proc.stdout
    assert not proc.stdout.lstrip().startswith("{")


@pytest.mark.parametrize(("content", "line", "words"), [
    ('{"id": "ok", "lead": {"name": "A B", "email": "a@b.example"}, "product": "x", "turns": ["hi"]}\n{not json\n', 2, "not JSON"),
    ('\n{"id": "x", "lead": {"name": "A B", "email": "a@b.example"}, "product": "x"}\n', 2, "turns"),
    ('{"id": "x", "lead": {"name": "A B", "email": "a@b.example"}, "product": "x", "turns": []}\n', 1, "turns"),
    ('["a list"]\n', 1, "JSON object"),
    ('{"id": "x", "lead": {"name": "A", "email": "a@b.example"}, "product": "p", "turns": ["t"], '
     '"expect": {"decision": "maybe", "bant": {"budget": true, "authority": true, "need": true, "timeline": true}}}\n',
     1, "expect.decision"),
])
def test_a_bad_line_is_one_error_naming_it(tmp_path: Path, content: str, line: int, words: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    proc = sqa_eval(path, "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f"bad.jsonl:{line}:" in proc.stderr and words in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_missing_file_duplicate_ids_and_openai_without_model(tmp_path: Path) -> None:
    proc = sqa_eval(tmp_path / "nope.jsonl", "--json")
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "Traceback" not in proc.stderr
    dup = write(tmp_path / "dup.jsonl", [case("same", "hi"), case("same", "hello")])
    proc = sqa_eval(dup, "--json")
    assert proc.returncode == 2 and "duplicate case id 'same'" in proc.stderr
    proc = sqa_eval(write(tmp_path / "s.jsonl", [case("c", "hi")]), "--engine", "openai", "--json",
                    env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert proc.returncode == 2 and "--model" in proc.stderr and "Traceback" not in proc.stderr


# -- the opt-out path: the daemon's classifier decides before any engine ---------------------------


class CountingEngine:
    """The offline engine, counting the replies it is asked about (a fake injected, not patched in)."""

    name = "offline"

    def __init__(self) -> None:
        self.inner = OfflineEngine()
        self.seen: list[str] = []

    async def respond(self, inp: EngineInput) -> EngineOutput:
        self.seen.append(inp.reply_text)
        return await self.inner.respond(inp)


def test_opt_out_words_stop_the_case_before_the_engine() -> None:
    cases = parse_cases([json.dumps(c) for c in [
        case("words", "Bitte tragen Sie mich aus Ihrem Verteiler aus.", "Still there?", expect=expect("opt_out")),
        case("later", "We plan routes by hand, two hours a day.", "Actually, please stop emailing me.",
             "one more", expect=expect("opt_out", "need")),
    ]])
    engine = CountingEngine()
    results = asyncio.run(run_cases(cases, engine))
    assert [r.decision for r in results] == ["opt_out", "opt_out"]
    assert [r.reply for r in results] == [None, None]
    assert [r.turns_played for r in results] == [1, 2]  # nothing after the opt-out is played
    # only the first turn of "later" reached an engine, and without the quoted agent mail
    assert engine.seen == ["We plan routes by hand, two hours a day."]
    summary = summarize(cases, results)
    assert summary is not None and summary["opt_out_recall"] == 1.0


def test_an_out_of_office_reply_pauses_without_the_engine() -> None:
    cases = parse_cases([json.dumps(case("ooo", "I am out of the office until Monday 24 March with no access to email. "
                                               "For urgent matters please contact office@beta.example."))])
    engine = CountingEngine()
    [result] = asyncio.run(run_cases(cases, engine))
    assert result.decision == "pause" and result.reply is None and engine.seen == []


def test_state_is_carried_between_turns() -> None:
    """Each turn's engine input holds the state the previous turn stored (the daemon's leads.bant round trip)."""
    seen: list[int] = []

    class Recording(CountingEngine):
        async def respond(self, inp: EngineInput) -> EngineOutput:
            seen.append(inp.state.turn)
            assert inp.state.turn == 0 or inp.state.last_agent_message
            return await super().respond(inp)

    cases = parse_cases([json.dumps(case("three", "Tell me more.", "We have 30 vans.", "Hm, I will think about it."))])
    asyncio.run(run_cases(cases, Recording()))
    assert seen[:2] == [0, 1]


class Scripted:
    """An engine that decides what the test says, turn by turn (a fake injected, not patched in)."""

    name = "scripted"

    def __init__(self, *decisions: Decision) -> None:
        self.decisions = list(decisions)
        self.seen: list[str] = []

    async def respond(self, inp: EngineInput) -> EngineOutput:
        self.seen.append(inp.reply_text)
        decision = self.decisions.pop(0)
        text = None if decision is Decision.ESCALATE else f"words for {decision.value}"
        state = replace(inp.state, turn=inp.state.turn + 1, last_agent_message=text)
        return EngineOutput(decision, text, state, "scripted", self.name)


def test_a_closed_lead_is_not_answered_but_its_opt_out_is_honored() -> None:
    """As the daemon: after a handoff nothing more is answered; an opt-out is still honored (consent first)."""
    cases = parse_cases([json.dumps(c) for c in [
        case("after-handoff", "Can we meet?", "Thanks, and one more question."),
        case("then-opt-out", "Can we meet?", "On second thought, please unsubscribe me."),
    ]])
    engine = Scripted(Decision.HANDOFF, Decision.HANDOFF)
    first, second = asyncio.run(run_cases(cases, engine, concurrency=1))
    assert engine.seen == ["Can we meet?", "Can we meet?"]  # the second turns never reached the engine
    assert (first.decision, first.reply) == ("handoff", None)  # nothing is sent after the last turn
    assert (second.decision, second.reply) == ("opt_out", None)


def test_an_escalation_is_a_handoff_without_mail_and_the_conversation_goes_on() -> None:
    cases = parse_cases([json.dumps(case("esc", "Do you integrate with SAP?", "We also have 40 vans."))])
    engine = Scripted(Decision.ESCALATE, Decision.REPLY)
    [result] = asyncio.run(run_cases(cases, engine))
    assert len(engine.seen) == 2 and result.decision == "reply" and result.reply and "words for reply" in result.reply
    engine = Scripted(Decision.ESCALATE)
    [result] = asyncio.run(run_cases(parse_cases([json.dumps(case("esc1", "Do you integrate with SAP?"))]), engine))
    assert (result.decision, result.reply) == ("handoff", None)


# -- the conversation set --------------------------------------------------------------------------


def test_the_set_is_well_formed() -> None:
    cases = [c for path in ALL for c in parse_cases(path.read_text(encoding="utf-8").splitlines(), str(path))]
    assert len(cases) >= 70 and len({c.id for c in cases}) == len(cases)
    assert all(c.expect is not None for c in cases)
    assert set(DEVELOPMENT) | {HOLDOUT} <= set(ALL)
    held = parse_cases(HOLDOUT.read_text(encoding="utf-8").splitlines())
    assert len(held) >= 15 and 0.10 <= len(held) / len(cases) <= 0.25  # kept out of tuning, reported apart
    decisions = {c.expect.decision for c in cases if c.expect}
    assert decisions == DECISIONS
    assert sum("injection" in c.tags for c in cases) >= 8


def test_offline_engine_on_the_set() -> None:
    """The issue's goals on the whole set; each file's numbers are printed (the holdout apart: never tuned on)."""
    every = lines(sqa_eval(*ALL, "--json"))
    for path in (*DEVELOPMENT, HOLDOUT):
        print(f"\noffline engine, {path.name}: {json.dumps(lines(sqa_eval(path, '--json'))[-1])}")
    summary = every[-1]
    print(f"\noffline engine, all: {json.dumps(summary)}")
    assert summary["cases"] == len(every) - 1
    for rec in every[:-1]:
        check_record(rec)
    assert summary["opt_out_recall"] == 1.0  # consent: every opt-out in words is honored
    assert summary["injection_handoffs"] == 0  # an injection never hands a lead to a seller
    for key, goal in GOALS.items():
        assert summary[key] >= goal, (key, summary[key])


def test_openai_engine_against_the_fake_server(tmp_path: Path) -> None:
    """--engine openai reads OPENAI_BASE_URL / OPENAI_API_KEY and --model; the fake server answers plausibly."""
    server_mod = pytest.importorskip("sqa.sandbox.openai_server")
    path = write(tmp_path / "s.jsonl", [case("q", "Does the tracking work live?", expect=expect("reply")),
                                         case("o", "Please unsubscribe me.", expect=expect("opt_out"))])

    async def go() -> tuple[subprocess.CompletedProcess[str], int]:
        async with server_mod.FakeOpenAI() as fake:
            proc = await asyncio.to_thread(sqa_eval, path, "--engine", "openai", "--model", "test-model", "--json",
                                           env={"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test"})
            return proc, len(fake.requests)

    proc, requests = asyncio.run(go())
    recs = lines(proc)
    assert [r["id"] for r in recs[:-1]] == ["q", "o"]
    for rec in recs[:-1]:
        check_record(rec)
    assert recs[1]["decision"] == "opt_out"
    assert requests >= 1  # the first case went to the model; the opt-out never did
