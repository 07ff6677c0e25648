"""Helpers for tests of the openai engine against the fake server (tests/conftest.py: fake_openai)."""

from __future__ import annotations

from typing import Any

from sqa.agents.engines.base import ConversationState, EngineInput, LeadProfile, Persona, Snippet
from sqa.config import AgentSettings, EngineSettings

PRODUCT = Snippet("product.md#0", "product.md", "Acme Inbox integrates with Salesforce and HubSpot.")
PRICING = Snippet("pricing.md#0", "pricing.md", "The Team plan costs €1,000 per year for up to 20 users.")


def engine_settings(base_url: str, **over: Any) -> EngineSettings:
    values: dict[str, Any] = {"kind": "openai", "base_url": base_url, "allowed_hosts": ["127.0.0.1"],
                              "model": "test-model", "timeout_s": 2.0, "max_retries": 1, "fallback_offline": False}
    values.update(over)
    return EngineSettings(**values)


def agent_settings(**over: Any) -> AgentSettings:
    login = {"host": "127.0.0.1", "port": 1, "security": "plain", "username": "ava@agent.test", "password": "x"}
    values: dict[str, Any] = {"name": "ava", "address": "ava@agent.test", "display_name": "Ava Agent",
                              "company": "Acme Analytics", "value_proposition": "We cut reporting time in half.",
                              "seller": "Sam Seller", "imap": login, "smtp": login}
    values.update(over)
    return AgentSettings(**values)


def engine_input(reply: str = "Does it work with Salesforce?", **over: Any) -> EngineInput:
    values: dict[str, Any] = {
        "reply_text": reply, "state": ConversationState(), "lead": LeadProfile("Ana", "Beta GmbH", "CTO", "en"),
        "questions": {"need": "What problem are you hoping to solve?", "timeline": "By when?",
                      "budget": "Is there a budget?", "authority": "Who else decides?"},
        "closing": "Thank you, Sam Seller will be in touch.",
        "persona": Persona("Ava Agent", "Acme Analytics", "We cut reporting time in half."),
        "snippets": (PRODUCT, PRICING),
    }
    values.update(over)
    return EngineInput(**values)


def answer(text: str | None = "Yes: Acme Inbox integrates with Salesforce. What problem are you hoping to solve?",
           **over: Any) -> dict[str, Any]:
    """A well-formed model answer (the strict schema of sqa.agents.prompt.ModelAnswer)."""
    values: dict[str, Any] = {
        "decision": "reply", "text": text, "cited": ["product.md#0"], "intent": "question",
        "bant": {"need": None, "timeline": None, "budget": None, "authority": None}, "open_questions": [],
        "interest": "positive", "interest_signal": None, "reasons": [], "paused_until": None,
    }
    values.update(over)
    return values
