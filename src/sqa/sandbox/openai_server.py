"""A small OpenAI-compatible HTTP server in the current asyncio loop, with scripted answers.

It speaks ``POST /v1/chat/completions`` (HTTP/1.1, keep-alive) well enough for
the real ``openai`` client: it records every request body and answers from a
script queue - a good JSON answer, garbage, a refusal, an HTTP status (429,
500, ...), a hang (the client's timeout fires) - or, when the queue is empty,
from a default responder that writes a plausible engage answer from the
request itself. ``latency_s`` delays every answer.

Usage is counted with a fixed rule, stated as ``TOKEN_RULE``: a message's
tokens = ceil(characters / 4), summed over the request's messages (prompt) or
the answer's content (completion). No real tokenizer is installed that works
offline; the rule is what OpenAI documents as a rough English average.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Answer", "FakeOpenAI", "TOKEN_RULE", "count_tokens", "plausible_answer"]

TOKEN_RULE = "ceil(chars/4) per message"
CHARS_PER_TOKEN = 4


def count_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Answer:
    """One scripted answer. Build with the class methods."""

    kind: str  # content | refusal | status | hang
    content: str | None = None
    status: int = 200
    respond: Callable[[dict[str, Any]], Answer] | None = None  # dynamic: decides from the request

    @classmethod
    def json(cls, obj: dict[str, Any]) -> Answer:
        return cls("content", json.dumps(obj))

    @classmethod
    def raw(cls, text: str) -> Answer:  # e.g. garbage that is not the schema
        return cls("content", text)

    @classmethod
    def refusal(cls, text: str = "I'm sorry, I can't help with that.") -> Answer:
        return cls("refusal", text)

    @classmethod
    def error(cls, status: int) -> Answer:
        return cls("status", status=status)

    @classmethod
    def hang(cls) -> Answer:  # never answers; the client's timeout must fire
        return cls("hang")

    @classmethod
    def dynamic(cls, respond: Callable[[dict[str, Any]], Answer]) -> Answer:
        return cls("dynamic", respond=respond)


@dataclass
class FakeOpenAI:
    latency_s: float = 0.0
    default: Callable[[dict[str, Any]], Answer] | None = None  # when the script is empty (default: plausible_answer)
    host: str = "127.0.0.1"
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request body, in arrival order
    headers: list[dict[str, str]] = field(default_factory=list)
    usage: list[dict[str, int] | None] = field(default_factory=list)  # per request: the usage returned (None: no 200)
    script: deque[Answer] = field(default_factory=deque)
    port: int = 0
    _server: asyncio.AbstractServer | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def push(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def reset(self) -> None:
        self.script.clear()
        self.requests.clear()
        self.headers.clear()
        self.usage.clear()
        self.latency_s = 0.0
        self.default = None

    async def start(self) -> FakeOpenAI:
        self._server = await asyncio.start_server(self._accept, self.host, 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeOpenAI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- HTTP ---------------------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or close() cancelled a hanging answer
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        line = await reader.readline()
        if not line:
            return False
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = h.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            await _send(writer, 404, {"error": {"message": f"no route {method} {path}", "type": "not_found"}})
            return True
        request = json.loads(body or b"{}")
        self.requests.append(request)
        self.headers.append(headers)
        self.usage.append(None)
        index = len(self.requests) - 1
        answer = self.script.popleft() if self.script else (self.default or plausible_answer)(request)
        while answer.kind == "dynamic":
            assert answer.respond is not None
            answer = answer.respond(request)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if answer.kind == "hang":
            await reader.read()  # until the client gives up and closes
            return False
        if answer.kind == "status":
            kind = "rate_limit_exceeded" if answer.status == 429 else "server_error"
            await _send(writer, answer.status, {"error": {"message": f"scripted {answer.status}", "type": kind}},
                        {"retry-after-ms": "5"})
            return True
        content = answer.content if answer.kind == "content" else None
        refusal = answer.content if answer.kind == "refusal" else None
        prompt = sum(count_tokens(str(m.get("content") or "")) for m in request.get("messages", []))
        completion = count_tokens(content or refusal or "")
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        self.usage[index] = usage
        await _send(writer, 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}],
            "usage": usage,
        })
        return True


async def _send(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any],
                extra: dict[str, str] | None = None) -> None:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Error")
    head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(body)}",
            "connection: keep-alive"] + [f"{k}: {v}" for k, v in (extra or {}).items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()


# --- a plausible model, for the default answer and benchmarks -----------------------------------------

_BLOCK = re.compile(r"<<<LEAD MESSAGE (\w+)>>>\n(.*)\n<<<END LEAD MESSAGE \1>>>", re.S)


def request_context(request: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The context JSON and the lead's message of a request built by sqa.agents.prompt."""
    user = next((m["content"] for m in request.get("messages", []) if m.get("role") == "user"), "")
    context: dict[str, Any] = {}
    for line in user.splitlines():
        if line.startswith("{"):
            try:
                context = json.loads(line)
            except ValueError:
                pass
            break
    m = _BLOCK.search(user)
    return context, (m.group(2) if m else "")


def plausible_answer(request: dict[str, Any]) -> Answer:
    """Record the lead's first sentence as the slot asked last, ask the next one; hand off when all are known."""
    context, message = request_context(request)
    state = context.get("state") or {}
    known, asked = dict(state.get("known") or {}), list(state.get("asked") or [])
    questions = context.get("questions") or {}
    quote = re.split(r"(?<=[.!?])\s", message.strip(), maxsplit=1)[0][:120]
    bant: dict[str, Any] = {k: None for k in ("need", "timeline", "budget", "authority")}
    if asked and asked[-1] not in known and quote:
        bant[asked[-1]] = {"value": quote, "evidence": quote}
        known[asked[-1]] = True
    pending = [s for s in ("need", "timeline", "budget", "authority") if s not in known and s not in asked]
    decision, text = ("reply", questions.get(pending[0], "Could you tell me more?")) if pending else (
        "handoff", context.get("closing") or "Thank you.")
    cited, intent = [], "none"
    snippets = context.get("snippets") or []
    if "?" in message and snippets and decision == "reply":  # answer from the first snippet, quoted
        first = re.split(r"(?<=[.!?])\s", snippets[0]["text"].strip(), maxsplit=1)[0]
        text, cited, intent = f"{first} {text}", [snippets[0]["id"]], "question"
    return Answer.json({
        "decision": decision, "text": text, "cited": cited, "intent": intent, "bant": bant, "open_questions": [],
        "interest": "positive" if len(known) >= 2 else "unknown", "interest_signal": None, "reasons": [],
        "paused_until": None,
    })
