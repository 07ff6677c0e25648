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
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

eval_app = typer.Typer(no_args_is_help=True, help="Evaluate the engage agent on scripted conversations.")
out = Console()
err = Console(stderr=True)
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"  # what the openai SDK uses without OPENAI_BASE_URL


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def build_engine(kind: str, model: str | None, environ: Mapping[str, str] | None = None) -> Any:
    """The engine to evaluate; raises ValueError with one readable line when it cannot be built.

    openai: the endpoint from OPENAI_BASE_URL (default the OpenAI API) and OPENAI_API_KEY; that endpoint's
    host is the allow-list (the operator named it); no offline fallback, so the numbers are the model's.
    """
    from sqa.agents.engines import make_engine
    from sqa.config import ConfigError, EngineSettings

    if kind == "offline":
        return make_engine("offline")
    if kind != "openai":
        raise ValueError(f"unknown engine {kind!r} (offline or openai)")
    env = os.environ if environ is None else environ
    if not model:
        raise ValueError("--engine openai needs --model NAME")
    base_url = (env.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL).rstrip("/")
    host = (urlsplit(base_url).hostname or "").lower()
    try:
        settings = EngineSettings(kind="openai", base_url=base_url, api_key=env.get("OPENAI_API_KEY") or None,
                                  model=model, allowed_hosts=[host] if host else [], fallback_offline=False)
        return make_engine(settings)
    except (ValidationError, ConfigError, ValueError) as exc:
        detail = exc.errors()[0].get("msg", str(exc)) if isinstance(exc, ValidationError) else str(exc)
        raise ValueError(f"--engine openai: OPENAI_BASE_URL {base_url!r}: {detail}") from None
    except ImportError as exc:
        raise ValueError(f"--engine openai is not available: {exc}") from None


def conversations(
    files: Annotated[list[Path], typer.Argument(metavar="FILE.jsonl", show_default=False, help="one case per line")],
    engine: Annotated[str, typer.Option("--engine", help="offline or openai")] = "offline",
    model: Annotated[str | None, typer.Option("--model", help="model name for --engine openai")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON object per case, then a summary line")] = False,
) -> None:
    """Play each conversation through the engage agent and print its decision, BANT and reply."""
    from sqa.agents.evaluate import InputError, check_unique, parse_cases, summarize

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
    results = asyncio.run(_run(cases, eng))
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


async def _run(cases: list[Any], engine: Any) -> list[Any]:
    from sqa.agents.evaluate import run_cases

    try:
        return await run_cases(cases, engine)
    finally:
        close = getattr(engine, "close", None)
        if close is not None:
            await close()


eval_app.command("conversations")(conversations)
