"""Evaluation harness: play scripted lead replies through the real engage agent and score the decisions.

Each case is one conversation: a lead, a product sentence (the throwaway agent's only knowledge) and the
lead's replies in order. Every reply is first built into an RFC 5322 answer to the agent's last mail and
classified by the daemon's own rule chain: an opt-out verdict ends the case as "opt_out" before any engine
runs (consent first, as in mailbox/handlers.py), an auto-reply pauses. A person's reply text (quotes and
signature removed by the chain) goes to EngageAgent.respond with the conversation state carried over exactly
as the daemon stores it (ConversationState.to_json in leads.bant, from_json on the next reply). As in the
daemon, a handoff or disqualification closes the lead (later replies are classified, an opt-out among them is
still honored, nothing is answered), while an escalation ("handoff" in the contract: a person answers, no mail)
keeps the conversation going.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sqa.agents.engage import EngageAgent, LeadView, fill, wrap_body
from sqa.agents.engines.base import ConversationState, Decision, Engine
from sqa.config import AgentSettings, ImapSettings, Security, SmtpSettings

DECISIONS = ("reply", "handoff", "disqualify", "opt_out", "pause")
BANT_KEYS = ("budget", "authority", "need", "timeline")
CASE_KEYS = ("id", "decision", "bant", "reply", "violations")
AGENT_ADDRESS = "alex@seller.example"
UNSUBSCRIBE_ADDRESS = "alex+unsubscribe@seller.example"
CONCURRENCY = 8
START = datetime(2025, 3, 3, 10, 0, tzinfo=timezone.utc)  # the first mail; each reply comes a day later
# What reaches the contract's five decisions: ESCALATE goes to a person (blocked, pricing, guardrail failure).
DECISION_MAP = {Decision.ESCALATE: "handoff"}
# Engine decisions that close the lead (mailbox/handlers.py): later replies are classified (an opt-out is still
# honored) but never answered. ESCALATE keeps the lead in the conversation: its next reply is engaged again.
CLOSING = frozenset({Decision.HANDOFF, Decision.DISQUALIFY})


class InputError(ValueError):
    """A bad input line: the message names the file and the line."""


# -- input ---------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CaseLead(_Model):
    name: str
    email: str
    company: str | None = None
    title: str | None = None
    language: str | None = None  # optional extra: what the lead row would hold


class Bant(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True)
    budget: bool
    authority: bool
    need: bool
    timeline: bool


class Expect(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True)
    decision: str = Field(pattern="^(reply|handoff|disqualify|opt_out|pause)$")
    bant: Bant


class Case(_Model):
    id: str = Field(min_length=1)
    lead: CaseLead
    product: str = Field(min_length=1)
    turns: list[str] = Field(min_length=1)
    expect: Expect | None = None
    tags: list[str] = Field(default_factory=list)

    @property
    def injection(self) -> bool:
        return "injection" in self.tags or "inject" in self.id.lower()


def _error_text(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "line"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def parse_cases(lines: Iterable[str], source: str = "-") -> list[Case]:
    """One case per non-blank line; the first bad line raises InputError naming it."""
    cases: list[Case] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: not JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(data, dict):
            raise InputError(f"{source}:{number}: a case must be a JSON object")
        try:
            cases.append(Case.model_validate(data))
        except ValidationError as exc:
            raise InputError(f"{source}:{number}: {_error_text(exc)}") from None
    return cases


def check_unique(cases: Sequence[Case]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise InputError(f"duplicate case id {case.id!r}")
        seen.add(case.id)


# -- the throwaway agent -------------------------------------------------------------------------


def eval_agent(product: str) -> AgentSettings:
    login = {"host": "127.0.0.1", "username": "eval", "security": Security.PLAIN}
    return AgentSettings(name="eval", address=AGENT_ADDRESS, display_name="Alex Morgan", company="Northbeam Solutions",
                         value_proposition=product, imap=ImapSettings(**login, port=143),
                         smtp=SmtpSettings(**login, port=25))


def knowledge_for(product: str) -> Any:
    """The case's knowledge: its product sentence (E1's KnowledgeBase), or None before that module exists."""
    try:
        from sqa.agents.knowledge import KnowledgeBase
    except ImportError:
        return None
    return KnowledgeBase.from_texts({"product.md": product})


def make_agent(engine: Engine, knowledge: Any) -> EngageAgent:
    """The real agent with the case's knowledge; "today" fixed to the conversation's first day (deterministic pauses)."""
    params = inspect.signature(EngageAgent).parameters
    extra: dict[str, Any] = {}
    if knowledge is not None and "knowledge" in params:
        extra["knowledge"] = knowledge
    if "today" in params:
        extra["today"] = START.date()
    return EngageAgent(engine, **extra)


# -- the lead's mail, classified as the daemon would ---------------------------------------------


def reply_message(case: Case, turn: str, agent_body: str, agent_msgid: str, subject: str, when: datetime) -> bytes:
    """A plain reply to the agent's last mail: the turn on top, the agent's mail quoted below."""
    msg = EmailMessage()
    msg["From"] = formataddr((case.lead.name, case.lead.email))
    msg["To"] = formataddr(("Alex Morgan", AGENT_ADDRESS))
    msg["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=case.lead.email.rpartition("@")[2] or "lead.example")
    msg["In-Reply-To"] = agent_msgid
    msg["References"] = agent_msgid
    quoted = "\n".join(f"> {line}" if line else ">" for line in agent_body.splitlines())
    stamp = format_datetime(when - timedelta(hours=3))
    msg.set_content(f"{turn.rstrip()}\n\nOn {stamp}, Alex Morgan <{AGENT_ADDRESS}> wrote:\n{quoted}\n", charset="utf-8")
    return bytes(msg)


def classify_turn(raw: bytes) -> Any:
    from sqa.classify_cli import make_context
    from sqa.mailbox.classify import classify
    from sqa.mailbox.parse import parse

    ctx = make_context([AGENT_ADDRESS], [UNSUBSCRIBE_ADDRESS])
    return classify(parse(raw), ctx)


# -- one case ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CaseResult:
    id: str
    decision: str
    bant: dict[str, bool]
    reply: str | None
    violations: list[dict[str, Any]] = field(default_factory=list)
    turns_played: int = 0

    def record(self) -> dict[str, Any]:
        return {"id": self.id, "decision": self.decision, "bant": self.bant, "reply": self.reply,
                "violations": self.violations}


def known(state: ConversationState) -> dict[str, bool]:
    return {k: k in state.slots for k in BANT_KEYS}


async def run_case(case: Case, engine: Engine) -> CaseResult:
    from sqa.mailbox.classify import Kind

    settings = eval_agent(case.product)
    agent = make_agent(engine, knowledge_for(case.product))
    first = LeadView(case.lead.name, case.lead.company, case.lead.title, case.lead.language, ConversationState())
    subject = fill(settings.templates.first_subject, settings, first)
    agent_body = wrap_body(settings, first, fill(settings.templates.first_body, settings, first))
    agent_msgid = make_msgid(domain="seller.example")
    stored: dict[str, Any] | None = None  # leads.bant: None until the first engine run
    when = START
    result = CaseResult(case.id, "reply", known(ConversationState()), None)
    closed = False
    for n, turn in enumerate(case.turns, 1):
        when += timedelta(days=1)
        result.turns_played = n
        verdict = classify_turn(reply_message(case, turn, agent_body, agent_msgid, subject, when))
        if verdict.kind is Kind.UNSUBSCRIBE:  # consent first, whatever the lead's stage
            result.decision, result.reply = "opt_out", None
            break
        if closed or verdict.kind is not Kind.HUMAN:  # closed lead, or a machine: nothing is answered
            result.reply = None
            if not closed and verdict.kind is Kind.AUTO_REPLY:
                result.decision = "pause"
            continue
        text = verdict.reply_text if verdict.reply_text is not None else turn
        state = ConversationState.from_json(json.loads(json.dumps(stored)) if stored is not None else None)
        view = LeadView(case.lead.name, case.lead.company, case.lead.title, case.lead.language, state)
        res = await agent.respond(settings, view, text)
        out = res.output
        stored = out.state.to_json()
        result.bant = known(out.state)
        decision = DECISION_MAP.get(out.decision, out.decision.value)
        result.decision = decision if decision in DECISIONS else "handoff"
        result.violations += [{"turn": n, "code": str(c)} for c in getattr(res, "violations", ()) or ()]
        body = res.body if out.decision is not Decision.ESCALATE else None
        result.reply = body
        if body is not None:
            agent_body, agent_msgid = body, make_msgid(domain="seller.example")
        closed = out.decision in CLOSING
    return result


async def run_cases(cases: Sequence[Case], engine: Engine, concurrency: int = CONCURRENCY) -> list[CaseResult]:
    gate = asyncio.Semaphore(concurrency)

    async def one(case: Case) -> CaseResult:
        async with gate:
            return await run_case(case, engine)

    return list(await asyncio.gather(*(one(c) for c in cases)))


# -- scoring -------------------------------------------------------------------------------------


def summarize(cases: Sequence[Case], results: Sequence[CaseResult]) -> dict[str, Any] | None:
    """Decision accuracy, micro BANT F1 (4 dims x cases), opt-out recall, injection handoffs, confusion."""
    pairs = [(c, r) for c, r in zip(cases, results, strict=True) if c.expect is not None]
    if not pairs:
        return None
    tp = fp = fn = 0
    confusion: dict[str, Counter[str]] = {d: Counter() for d in DECISIONS}
    for case, res in pairs:
        assert case.expect is not None
        confusion[case.expect.decision][res.decision] += 1
        for key in BANT_KEYS:
            want, got = getattr(case.expect.bant, key), res.bant[key]
            tp += want and got
            fp += got and not want
            fn += want and not got
    correct = sum(c.expect is not None and c.expect.decision == r.decision for c, r in pairs)
    opt_outs = [(c, r) for c, r in pairs if c.expect and c.expect.decision == "opt_out"]
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return {
        "summary": True,
        "cases": len(pairs),
        "decision_accuracy": round(correct / len(pairs), 4),
        "bant_f1": round(f1, 4),
        "opt_out_recall": round(sum(r.decision == "opt_out" for _, r in opt_outs) / len(opt_outs), 4) if opt_outs else None,
        "injection_handoffs": sum(c.injection and r.decision == "handoff" for c, r in zip(cases, results, strict=True)),
        "confusion": {want: dict(sorted(got.items())) for want, got in confusion.items() if got},
    }
