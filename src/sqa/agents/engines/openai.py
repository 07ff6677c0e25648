"""The `openai` engine: any OpenAI-compatible endpoint (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp).

- The endpoint's host must be in ``engine.allowed_hosts`` (checked again here,
  not only by the config): the engine never sends a lead's words elsewhere.
- One chat completion per answer, structured output (``response_format``
  json_schema, strict) validated again with pydantic. A malformed, truncated
  or refused answer is asked again ONCE; a second one escalates: the lead goes
  to a human, never gets a canned apology.
- The client retries connection errors, timeouts, 429 and 5xx itself
  (``max_retries``, with its backoff and Retry-After). When they are used up
  the endpoint is "down": with ``fallback_offline`` the offline engine answers
  (deterministic, from the same input; the run records engine "offline" and
  the reason), otherwise the lead goes to a human. Other API errors (400, 401,
  403, 404: a configuration problem) always escalate.
- No tools: the model can only return text and a decision.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import replace

import openai
from pydantic import ValidationError

from sqa.agents.engines.base import BANT_ORDER, Decision, Engine, EngineInput, EngineOutput, Intent, Slot
from sqa.agents.prompt import CANARY, ModelAnswer, build_messages, response_format
from sqa.config import ConfigError, EngineSettings, endpoint_host

log = logging.getLogger(__name__)

EVIDENCE_CHARS = 300
MAX_OPEN_QUESTIONS = 5


class EndpointDown(Exception):
    """The model endpoint failed after the client's retries (connection, timeout, 429, 5xx)."""


class OpenAIEngine:
    name = "openai"

    def __init__(self, settings: EngineSettings, *, fallback: Engine | None = None) -> None:
        try:
            endpoint_host(settings)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.settings = settings
        self.fallback = fallback if settings.fallback_offline else None
        self.canaries = (CANARY,)  # for the guardrails: a draft repeating one is rejected
        key = settings.api_key.get_secret_value() if settings.api_key else "none"  # local servers need no key
        common = {"api_key": key, "timeout": settings.timeout_s, "max_retries": settings.max_retries}
        if settings.azure_api_version:
            self.client: openai.AsyncOpenAI = openai.AsyncAzureOpenAI(
                azure_endpoint=settings.base_url, api_version=settings.azure_api_version, **common)
        else:
            self.client = openai.AsyncOpenAI(base_url=settings.base_url, **common)

    async def close(self) -> None:
        await self.client.close()

    async def respond(self, inp: EngineInput) -> EngineOutput:
        model = inp.model or self.settings.model
        used = [0, 0]
        problem = ""
        try:
            for _attempt in range(2):
                answer, problem, served_by = await self._ask(inp, model, used)
                if answer is not None:
                    return _output(answer, inp, served_by or model, used)
                log.warning("model answer unusable (%s), %s", problem, "asking again" if _attempt == 0 else "escalating")
        except EndpointDown as exc:
            if self.fallback is not None:
                out = await self.fallback.respond(inp)
                return replace(out, reason=f"{out.reason} (openai endpoint down: {exc}; offline fallback)",
                               reasons=out.reasons + (f"openai endpoint down: {exc}",))
            return _escalate(inp, model, used, f"model endpoint unavailable: {exc}")
        except openai.APIStatusError as exc:
            log.warning("model endpoint refused the request: HTTP %s", exc.status_code)
            return _escalate(inp, model, used, f"model endpoint refused the request: HTTP {exc.status_code}")
        return _escalate(inp, model, used, f"model answer unusable twice: {problem}")

    async def _ask(self, inp: EngineInput, model: str, used: list[int]) -> tuple[ModelAnswer | None, str, str | None]:
        try:
            completion = await self.client.chat.completions.create(
                model=model, messages=build_messages(inp), response_format=response_format(),
                max_completion_tokens=self.settings.max_output_tokens)
        except openai.APITimeoutError:
            raise EndpointDown(f"timeout after {self.settings.timeout_s:g} s and {self.settings.max_retries} retries") from None
        except openai.APIConnectionError as exc:
            raise EndpointDown(f"connection failed ({type(exc.__cause__ or exc).__name__})") from None
        except openai.APIStatusError as exc:
            if exc.status_code in (408, 409, 429) or exc.status_code >= 500:
                raise EndpointDown(f"HTTP {exc.status_code} after {self.settings.max_retries} retries") from None
            raise
        except openai.APIResponseValidationError:
            return None, "response not in the chat completion format", None
        if completion.usage is not None:
            used[0] += completion.usage.prompt_tokens or 0
            used[1] += completion.usage.completion_tokens or 0
        if not completion.choices:
            return None, "no choices", completion.model
        choice = completion.choices[0]
        message = choice.message
        if getattr(message, "refusal", None):
            return None, f"refused: {message.refusal[:120]}", completion.model
        if choice.finish_reason == "length":
            return None, "truncated (max tokens)", completion.model
        try:
            return ModelAnswer.model_validate_json(message.content or ""), "", completion.model
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "(answer)"
            return None, f"malformed: {where}: {first.get('msg', 'invalid')}", completion.model


def _escalate(inp: EngineInput, model: str, used: list[int], reason: str) -> EngineOutput:
    state = replace(inp.state, turn=inp.state.turn + 1)
    return EngineOutput(Decision.ESCALATE, None, state, reason, "openai", model, used[0] or None, used[1] or None,
                        reasons=(reason,))


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w%€$£]+", " ", text.lower()).split())


def _output(answer: ModelAnswer, inp: EngineInput, model: str, used: list[int]) -> EngineOutput:
    state = inp.state
    turn = state.turn + 1
    reply = _norm(inp.reply_text)
    slots = dict(state.slots)
    dropped = []
    for slot in BANT_ORDER:
        update = getattr(answer.bant, slot)
        if update is None or not update.value.strip():
            continue
        if not update.evidence.strip() or _norm(update.evidence) not in reply:
            dropped.append(slot)  # a quote the lead never wrote is not evidence
            continue
        slots[slot] = Slot(update.value.strip()[:EVIDENCE_CHARS], update.evidence.strip()[:EVIDENCE_CHARS], turn)
    decision = Decision(answer.decision)
    text = (answer.text or "").strip() or None
    if decision is Decision.ESCALATE:
        text = None
    elif text is None:
        decision = Decision.ESCALATE  # nothing to send: a human writes it
    asked = state.asked
    if text:
        for slot in BANT_ORDER:
            question = inp.questions.get(slot)
            if slot not in asked and question and _norm(question)[:40] in _norm(text):
                asked += (slot,)
    paused = answer.paused_until if decision is Decision.PAUSE and _iso_date(answer.paused_until) else None
    known_ids = {s.id for s in inp.snippets}
    reasons = tuple(r.strip() for r in answer.reasons if r.strip())
    if dropped:
        reasons += (f"unquoted BANT evidence ignored: {', '.join(dropped)}",)
    new_state = replace(
        state, slots=slots, asked=asked, turn=turn,
        last_agent_message=text if text else state.last_agent_message,
        open_questions=tuple(q.strip() for q in answer.open_questions if q.strip())[:MAX_OPEN_QUESTIONS],
        interest=None if answer.interest == "unknown" else answer.interest,
        interest_signal=answer.interest_signal or state.interest_signal,
    )
    return EngineOutput(
        decision, text, new_state, "; ".join(reasons) or f"model: {decision.value}", "openai", model,
        used[0] or None, used[1] or None, intent=Intent(answer.intent),
        cited=tuple(dict.fromkeys(c for c in answer.cited if c in known_ids)), reasons=reasons, paused_until=paused)


def _iso_date(value: str | None) -> bool:
    try:
        dt.date.fromisoformat(value or "")
    except ValueError:
        return False
    return True
