"""`sqa eval conversations`: play scripted conversations through the engage agent and score the decisions.

The contract (other tools read it)::

    sqa eval conversations FILE.jsonl [FILE...] [--engine offline|openai] [--model NAME] [--json]

Each input line: {"id", "lead": {"name", "email", "company", "title"}, "product": "one sentence",
"turns": ["the lead's first reply", ...], "expect": {"decision", "bant": {...}} (optional),
"tags": [...] (optional, e.g. "injection")}. With ``--json`` it prints one object per case, in input
order, one per line, keys exactly::

    {"id", "decision": "reply|handoff|disqualify|opt_out|pause",
     "bant": {"budget", "authority", "need", "timeline"} (bools: known by the end),
     "reply": the exact mail body sent after the last turn, or null,
     "violations": [{"turn", "code"}, ...] (guardrail findings on the case's drafts)}

and, when any case has "expect", a last line {"summary": true, "cases", "decision_accuracy", "bant_f1",
"opt_out_recall", "injection_handoffs", "confusion"}. ``--engine openai`` reads OPENAI_BASE_URL and
OPENAI_API_KEY and needs ``--model``. A bad input line is one error line naming it, exit 2.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

eval_app = typer.Typer(no_args_is_help=True, help="Evaluate the engage agent on scripted conversations.")
out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def build_engine(kind: str, model: str | None, environ: dict[str, str] | None = None) -> Any:
    """The engine to evaluate; raises ValueError with one readable line when it cannot be built."""
    if kind == "offline":
        from sqa.agents.engines.offline import OfflineEngine

        return OfflineEngine()
    if kind != "openai":
        raise ValueError(f"unknown engine {kind!r} (offline or openai)")
    try:
        from sqa.agents.engines import openai as openai_engine  # E3's engine
    except ImportError:
        raise ValueError("--engine openai: the openai engine is not available in this build yet") from None
    env = os.environ if environ is None else environ
    if not model:
        raise ValueError("--engine openai needs --model NAME")
    if not env.get("OPENAI_BASE_URL") and not env.get("OPENAI_API_KEY"):
        raise ValueError("--engine openai needs OPENAI_BASE_URL and/or OPENAI_API_KEY in the environment")
    factory = getattr(openai_engine, "from_env", None)
    if factory is None:
        raise ValueError("--engine openai: the openai engine has no from_env(model) constructor yet")
    return factory(model=model, environ=dict(env))


def conversations(
    files: Annotated[list[Path], typer.Argument(metavar="FILE.jsonl", show_default=False, help="one case per line")],
    engine: Annotated[str, typer.Option("--engine", help="offline or openai")] = "offline",
    model: Annotated[str | None, typer.Option("--model", help="model name for --engine openai")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON object per case, then a summary line")] = False,
) -> None:
    """Play each conversation through the engage agent and print its decision, BANT and reply."""
    from sqa.agents.evaluate import InputError, check_unique, parse_cases, run_cases, summarize

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    cases = []
    try:
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise _fail(f"cannot read {path}: {exc.__class__.__name__}: {exc}") from None
            cases += parse_cases(text.splitlines(), str(path))
        check_unique(cases)
    except InputError as exc:
        raise _fail(f"bad input: {exc}") from None
    if not cases:
        raise _fail("no cases in the input")
    try:
        eng = build_engine(engine, model)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    results = asyncio.run(run_cases(cases, eng))
    summary = summarize(cases, results)
    if json_out:
        for res in results:
            sys.stdout.write(json.dumps(res.record(), ensure_ascii=False) + "\n")
        if summary is not None:
            sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    table = Table("id", "decision", "expected", "BANT known", "violations", "reply")
    for case, res in zip(cases, results, strict=True):
        want = case.expect.decision if case.expect else ""
        mark = "" if not want or want == res.decision else " ✗"
        reply = " ".join((res.reply or "-").split())
        table.add_row(case.id, res.decision + mark, want, ",".join(k[0].upper() for k, v in res.bant.items() if v),
                      ",".join(v["code"] for v in res.violations), reply[:60])
    out.print(table)
    if summary is not None:
        out.print(f"cases {summary['cases']}  decision accuracy {summary['decision_accuracy']:.1%}  "
                  f"BANT F1 {summary['bant_f1']:.3f}  opt-out recall "
                  f"{'-' if summary['opt_out_recall'] is None else format(summary['opt_out_recall'], '.0%')}  "
                  f"injection handoffs {summary['injection_handoffs']}", highlight=False)


eval_app.command("conversations")(conversations)
