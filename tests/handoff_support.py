"""Helpers for the handoff and drafts tests: a scripted engine, an MQTT subscriber, a webhook receiver."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from typing import Any

import aiomqtt

from sqa.agents.engage import EngageAgent
from sqa.agents.engines.base import ConversationState, Decision, EngineInput, EngineOutput, Intent, Slot
from sqa.sandbox import MosquittoServer


@dataclass
class Step:
    """One scripted answer of the engine (the state keeps what the conversation learned)."""

    decision: Decision
    text: str | None = None
    reason: str = "scripted"
    intent: Intent = Intent.NONE
    reasons: tuple[str, ...] = ()
    paused_until: str | None = None
    slots: dict[str, str] = field(default_factory=dict)  # slot -> evidence (value = evidence)
    open_questions: tuple[str, ...] = ()
    signal: str | None = None


class ScriptedEngine:
    """An Engine (the public protocol) that answers from a script: decides what the test needs, deterministically."""

    name = "scripted"

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.inputs: list[EngineInput] = []
        self.last: Step | None = None

    async def respond(self, inp: EngineInput) -> EngineOutput:
        self.inputs.append(inp)
        # a guardrail regeneration (feedback set) answers the same step again: the script is per lead reply
        step = self.last if inp.feedback is not None else self.steps.pop(0)
        self.last = step
        turn = inp.state.turn + 1
        slots = dict(inp.state.slots)
        slots.update({k: Slot(v, v, turn) for k, v in step.slots.items()})
        state = replace(inp.state, slots=slots, turn=turn, open_questions=step.open_questions or inp.state.open_questions,
                        interest="positive" if step.decision is Decision.HANDOFF else inp.state.interest,
                        interest_signal=step.signal or inp.state.interest_signal, last_agent_message=step.text)
        return EngineOutput(step.decision, step.text, state, step.reason, "scripted", model="script-1", tokens_in=11,
                            tokens_out=7, intent=step.intent, reasons=step.reasons, paused_until=step.paused_until)


def use_engine(app: Any, engine: ScriptedEngine) -> None:
    for agent in app.agents:
        agent.watcher.processor.engage = EngageAgent(engine)


def body_of(raw: bytes) -> str:
    return message_from_bytes(raw).get_payload(decode=True).decode()


class Subscriber:
    """An MQTT client subscribed (QoS 1) before the events are published."""

    def __init__(self, broker: MosquittoServer, topic: str) -> None:
        self.broker, self.topic = broker, topic
        self.messages: list[tuple[str, dict[str, Any], int]] = []
        self._got = asyncio.Event()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Subscriber:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), 10)
        return self

    async def _run(self) -> None:
        async with aiomqtt.Client(self.broker.host, self.broker.port, timeout=10) as client:
            await client.subscribe(self.topic, qos=1)
            self._ready.set()
            async for msg in client.messages:
                self.messages.append((str(msg.topic), json.loads(msg.payload), msg.qos))
                self._got.set()

    async def wait_for(self, count: int, timeout: float = 15) -> list[tuple[str, dict[str, Any], int]]:
        async def until() -> None:
            while len(self.messages) < count:
                self._got.clear()
                await self._got.wait()
        await asyncio.wait_for(until(), timeout)
        return list(self.messages)

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A small local HTTP server that records POSTs and answers ``status`` (200 unless a test changes it)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.status = 200
        self._server: asyncio.Server | None = None
        self._got = asyncio.Event()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/hooks/sqa"

    async def __aenter__(self) -> WebhookReceiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("Content-Length") or headers.get("content-length") or 0))
            status = self.status
            if status == 200:
                self.requests.append(Received(path, headers, body))
                self._got.set()
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        finally:
            writer.close()

    async def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        async def until() -> None:
            while len(self.requests) < count:
                self._got.clear()
                await self._got.wait()
        await asyncio.wait_for(until(), timeout)
        return list(self.requests)
