"""Engines behind one interface: `offline` (embedded) and, later, `openai`."""

from sqa.agents.engines.base import Engine
from sqa.agents.engines.offline import OfflineEngine


def make_engine(kind: str) -> Engine:
    if kind == "offline":
        return OfflineEngine()
    raise ValueError(f"unknown engine {kind!r}")


__all__ = ["Engine", "OfflineEngine", "make_engine"]
