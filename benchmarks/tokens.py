"""Prompt size per turn and concurrency of the openai engine, against the local fake OpenAI server.

1. One 10-turn conversation through the real engage agent with engine.kind =
   openai: the fake server answers plausible JSON (records the lead's words as
   the BANT slot asked last, asks the next, quotes a knowledge snippet when the
   lead asks a question) and returns usage. Prompt tokens per turn come from
   that usage field; the server counts them with a fixed rule, printed as
   ``token_rule`` (ceil(chars/4) per message: no offline tokenizer is
   installed). ``ratio`` = turn 10 / turn 1 (goal <= 1.2: the conversation state,
   not the transcript, keeps the prompt flat).
2. 200 conversations at once (``--quick``: 20) with a 2 s model latency
   (``--quick``: 0.2 s): every lead's reply is answered concurrently by one
   engine (one client, its connection pool), as the daemon's agents share it.
   ``wall_s`` = first request to last answer (goal <= 10).

Last line of stdout: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit, log, machine, percentile  # noqa: E402
from sqa.agents.engage import EngageAgent, LeadView  # noqa: E402
from sqa.agents.engines import make_engine  # noqa: E402
from sqa.agents.engines.base import ConversationState  # noqa: E402
from sqa.config import AgentSettings, EngineSettings  # noqa: E402
from sqa.sandbox.openai_server import TOKEN_RULE, FakeOpenAI  # noqa: E402

KNOWLEDGE = {
    "product.md": "# Acme Reports\n\nAcme Reports builds your monthly reports from the CRM automatically.\n\n"
                  "Acme Reports integrates with Salesforce and HubSpot.\n\n"
                  "Setup takes one afternoon with our onboarding team.\n",
    "faq.md": "# FAQ\n\nData is stored in the EU (Frankfurt).\n\nReports can be exported as PDF and Excel.\n\n"
              "Single sign-on works with SAML and Azure AD.\n",
}
TURNS = (
    "Thanks for reaching out. How does it work?",
    "Our analysts spend two days a month building reports by hand.",
    "We would like something in place by the end of Q3.",
    "We have set aside around 20k EUR for this.",
    "I decide together with our CFO.",
    "Does it integrate with Salesforce?",
    "Where is the data stored?",
    "Can we export reports as PDF?",
    "Does single sign-on work with Azure AD?",
    "How long does the setup take?",
)


def _agent_settings(knowledge: Path) -> AgentSettings:
    login = {"host": "127.0.0.1", "port": 1, "security": "plain", "username": "ava@agent.test", "password": "x"}
    values = {"name": "ava", "address": "ava@agent.test", "display_name": "Ava Agent", "company": "Acme Analytics",
              "value_proposition": "We cut reporting time in half.", "seller": "Sam Seller", "imap": login,
              "smtp": login}
    if "knowledge_dir" in AgentSettings.model_fields:
        values["knowledge_dir"] = knowledge
    return AgentSettings(**values)


async def _conversation(agent: EngageAgent, settings: AgentSettings, fake: FakeOpenAI, turns: tuple[str, ...]) -> list[int]:
    state = ConversationState()
    tokens: list[int] = []
    decisions: list[str] = []
    for text in turns:
        before = len(fake.requests)
        result = await agent.respond(settings, LeadView("Lee Lead", "Globex", "Head of Analytics", "en", state), text)
        out = result.output
        if out.engine != "openai":
            raise SystemExit(f"turn {len(tokens) + 1} was not answered by the openai engine: {out.reason}")
        usage = fake.usage[before]  # the usage returned for this turn's first request (a regeneration adds one)
        if usage is None:
            raise SystemExit(f"turn {len(tokens) + 1}: no usage returned")
        tokens.append(usage["prompt_tokens"])
        decisions.append(out.decision.value + ("+regenerated" if result.regenerated else ""))
        state = out.state
    log(f"decisions: {decisions}")
    return tokens


async def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="sqa-tokens-") as tmp:
        knowledge = Path(tmp)
        for name, text in KNOWLEDGE.items():
            (knowledge / name).write_text(text)
        settings = _agent_settings(knowledge)
        async with FakeOpenAI() as fake:
            engine = make_engine(EngineSettings(kind="openai", base_url=fake.base_url, allowed_hosts=["127.0.0.1"],
                                                model="fake-model", timeout_s=30, max_retries=0, fallback_offline=False))
            agent = EngageAgent(engine)
            try:
                log("one 10-turn conversation")
                per_turn = await _conversation(agent, settings, fake, TURNS)
                usage = per_turn
                log(f"prompt tokens per turn: {usage}")

                n, latency = (20, 0.2) if args.quick else (args.conversations, args.latency)
                fake.requests.clear()
                fake.usage.clear()
                fake.latency_s = latency
                log(f"{n} conversations at once, model latency {latency} s")
                times: list[float] = []

                async def one(i: int) -> None:
                    t0 = time.perf_counter()
                    view = LeadView(f"Lead {i}", f"Company {i}", "CTO", "en", ConversationState())
                    result = await agent.respond(settings, view, TURNS[i % 3])
                    if result.output.engine != "openai":
                        raise SystemExit(f"conversation {i}: {result.output.reason}")
                    times.append(time.perf_counter() - t0)

                started = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(n)))
                wall = time.perf_counter() - started
            finally:
                await engine.close()
    return {
        "benchmark": "tokens",
        "token_rule": TOKEN_RULE,
        "prompt_tokens_per_turn": usage,
        "turn1_prompt_tokens": usage[0],
        "turn10_prompt_tokens": usage[-1],
        "ratio": round(usage[-1] / usage[0], 3),
        "max_ratio": round(max(usage) / usage[0], 3),
        "conversations": n,
        "model_latency_s": latency,
        "requests": len(fake.requests),
        "wall_s": round(wall, 3),
        "reply_p50_s": round(percentile(times, 50), 3),
        "reply_p99_s": round(percentile(times, 99), 3),
        "goals": {"ratio": 1.2, "wall_s": 10.0},
        "quick": bool(args.quick),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always the last line)")
    parser.add_argument("--quick", action="store_true", help="20 conversations with 0.2 s latency instead of 200 with 2 s")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--latency", type=float, default=2.0)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if not args.json:
        for key, value in result.items():
            print(f"{key}: {value}", file=sys.stderr)
    emit(result)


if __name__ == "__main__":
    main()
