"""Knowledge: chunking into stable snippet ids, BM25 search, the folder and its config key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqa.agents.knowledge import KnowledgeBase, KnowledgeError, tokens
from sqa.config import ConfigError, load_settings

FACTS = """# Acme Reports

Acme Reports builds the monthly board pack from Salesforce and spreadsheets automatically.

## Hosting

Runs in EU data centers in Frankfurt. On-premise installation is available on the Enterprise plan.

## Integrations

Connectors for Salesforce, HubSpot and Excel.
"""
FAQ = """### Do you offer single sign-on?
Yes: SAML 2.0 and OpenID Connect on every plan.
"""


def test_chunks_have_stable_ids_and_headings() -> None:
    kb = KnowledgeBase.from_texts({"facts.md": FACTS, "faq.md": FAQ})
    assert [s.id for s in kb.snippets] == ["facts.md#1", "facts.md#2", "facts.md#3", "faq.md#1"]
    assert kb.snippets[0].text == "Acme Reports builds the monthly board pack from Salesforce and spreadsheets automatically."
    ids = {s.id: s for s in kb.snippets}
    assert ids["facts.md#2"].title == "Hosting" and ids["facts.md#2"].text.startswith("Runs in EU data centers")
    assert ids["faq.md#1"].title == "Do you offer single sign-on?" and ids["faq.md#1"].source == "faq.md"
    again = KnowledgeBase.from_texts({"faq.md": FAQ, "facts.md": FACTS})
    assert [s.id for s in again.snippets] == [s.id for s in kb.snippets]  # order of the mapping does not matter


def test_search_ranks_the_answering_snippet_first() -> None:
    kb = KnowledgeBase.from_texts({"facts.md": FACTS, "faq.md": FAQ})
    assert kb.search("Do you support on-premise installations?")[0].id == "facts.md#2"
    assert kb.search("Is there an Excel connector?")[0].id == "facts.md#3"
    assert kb.search("single sign-on?")[0].id == "faq.md#1"
    assert kb.search("zzz qqq") == [] and kb.search("") == []
    hits = kb.search("Salesforce", k=2)
    assert len(hits) == 2 and hits[0].score >= hits[1].score > 0


def test_multilingual_terms_meet() -> None:
    kb = KnowledgeBase.from_texts({"facts.md": FACTS})
    assert kb.search("Wo werden die Daten gespeichert? In der EU?")[0].id == "facts.md#2"
    assert set(tokens("Intégration")) == set(tokens("integrations"))


def test_from_dir_reads_md_and_txt_only(tmp_path: Path) -> None:
    (tmp_path / "facts.md").write_text(FACTS)
    (tmp_path / "pricing.txt").write_text("Plans start at 49 EUR per user and month.")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    kb = KnowledgeBase.from_dir(tmp_path)
    assert {s.source for s in kb.snippets} == {"facts.md", "pricing.txt"}
    assert kb.is_pricing(kb.search("price per user")[0])
    with pytest.raises(KnowledgeError, match="not a directory"):
        KnowledgeBase.from_dir(tmp_path / "missing")


def test_missing_knowledge_dir_is_a_config_error(tmp_path: Path) -> None:
    agent = {"name": "a", "address": "a@x.example", "display_name": "A", "knowledge_dir": str(tmp_path / "nope"),
             "imap": {"host": "127.0.0.1", "port": 143, "security": "plain", "username": "a"},
             "smtp": {"host": "127.0.0.1", "port": 25, "security": "plain", "username": "a"}}
    with pytest.raises(ConfigError, match=r"agents\[0\].*knowledge_dir: .*nope is not a directory"):
        load_settings(Path(__file__).with_name("empty.toml"), environ={}, overrides={"agents": [agent]})
    agent["knowledge_dir"] = str(tmp_path)
    settings = load_settings(Path(__file__).with_name("empty.toml"), environ={}, overrides={"agents": [agent]})
    assert settings.agents[0].knowledge_dir == tmp_path and settings.agents[0].qualification.min_bant == 2
