"""Engines behind one interface: `offline` (embedded, deterministic) and `openai` (any OpenAI-compatible endpoint)."""

from __future__ import annotations

from sqa.agents.engines.base import Engine
from sqa.agents.engines.offline import OfflineEngine
from sqa.config import EngineSettings


def make_engine(settings: EngineSettings | str) -> Engine:
    """The configured engine; `openai` refuses an endpoint outside engine.allowed_hosts (ConfigError)."""
    if isinstance(settings, str):  # a kind alone: only engines that need no settings
        settings = EngineSettings(kind=settings)  # type: ignore[arg-type]
    if settings.kind == "offline":
        return OfflineEngine()
    if settings.kind == "openai":
        from sqa.agents.engines.openai import OpenAIEngine

        return OpenAIEngine(settings, fallback=OfflineEngine())
    raise ValueError(f"unknown engine {settings.kind!r}")


__all__ = ["Engine", "OfflineEngine", "make_engine"]
