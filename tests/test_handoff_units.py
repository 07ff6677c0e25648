"""Handoff pieces without servers: the summary synthesizer, pause times, webhook signatures, topics, config."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sqa.agents.engines.base import ConversationState, Decision, EngineOutput, Intent, Slot
from sqa.config import ConfigError, load_settings
from sqa.handoff.mqtt import topic
from sqa.handoff.summary import Kind, LeadFields, synthesize
from sqa.handoff.webhook import sign, verify
from sqa.mailbox.on_human import resume_at
from tests.support import make_settings

LEAD = LeadFields(7, "lee@lead.test", "Lee Lead", "Globex", "Head of BI", "en", None, None)


def _out(decision: Decision, intent: Intent = Intent.NONE, **state: object) -> EngineOutput:
    st = ConversationState(slots={"need": Slot("slow reports", "Reporting takes two days a month", 2),
                                  "budget": Slot("20k EUR", "About 20k EUR is approved", 3)},
                           interest="positive", interest_signal="Can we book a demo next week?", **state)
    return EngineOutput(decision, None, st, "asked for a demo", "offline", intent=intent)


def test_summary_for_a_demo_request() -> None:
    s = synthesize(Kind.HANDOFF, LEAD, _out(Decision.HANDOFF, Intent.MEETING, open_questions=("SSO?",)))
    assert s.subject == "Qualified lead: Lee Lead (Globex)"
    assert s.next_step == "Book the demo the lead asked for."
    assert s.missing == ("timeline", "authority")
    text = s.text()
    assert 'Signal: "Can we book a demo next week?"' in text
    assert '- Need: slow reports (turn 2: "Reporting takes two days a month")' in text
    assert "- Timeline: unknown" in text and "- SSO?" in text and "E-mail: lee@lead.test" in text
    data = s.as_json()
    assert data["bant"]["budget"] == {"value": "20k EUR", "evidence": "About 20k EUR is approved", "turn": 3}
    assert data["open_questions"] == ["SSO?"] and data["summary"] == text


def test_summary_qualified_quote_disqualified_escalated() -> None:
    assert synthesize(Kind.HANDOFF, LEAD, _out(Decision.HANDOFF)).next_step.startswith("Propose a call")
    assert "20k EUR" in synthesize(Kind.HANDOFF, LEAD, _out(Decision.HANDOFF, Intent.QUOTE)).next_step
    out = EngineOutput(Decision.DISQUALIFY, None, ConversationState(), "no fit", "offline", reasons=("a competitor",))
    d = synthesize(Kind.DISQUALIFIED, LEAD, out)
    assert d.why == "Disqualified: a competitor" and d.subject == "Disqualified: Lee Lead (Globex)"
    out = EngineOutput(Decision.ESCALATE, None, ConversationState(open_questions=("On-prem?",)), "blocked", "offline")
    e = synthesize(Kind.ESCALATED, LEAD, out, attention="suspected prompt injection")
    assert e.subject.startswith("Needs a human:") and "suspected prompt injection" in e.why and "On-prem?" in e.next_step


def test_resume_at_is_nine_in_the_leads_zone() -> None:
    now = datetime(2030, 1, 10, 12, tzinfo=timezone.utc)
    assert resume_at("2030-04-01", "America/New_York", now) == datetime(2030, 4, 1, 13, tzinfo=timezone.utc)
    assert resume_at("2030-04-01", None, now) == datetime(2030, 4, 1, 9, tzinfo=timezone.utc)
    assert resume_at("2030-04-01", "Not/AZone", now) == datetime(2030, 4, 1, 9, tzinfo=timezone.utc)
    assert resume_at("2020-01-01", None, now) == datetime(2030, 1, 11, 9, tzinfo=timezone.utc)  # never in the past
    assert resume_at(None, None, now) == datetime(2030, 2, 9, 9, tzinfo=timezone.utc)  # no date: 30 days


def test_webhook_signature_covers_timestamp_and_body() -> None:
    key, body = b"k" * 16, b'{"event_id": 1}'
    headers = {"X-SQA-Timestamp": "1900000000", "X-SQA-Signature": sign(key, "1900000000", body)}
    assert headers["X-SQA-Signature"].startswith("sha256=") and len(headers["X-SQA-Signature"]) == 7 + 64
    assert verify(key, headers, body, now=1900000010)
    assert not verify(key, headers, body + b" ", now=1900000010)
    assert not verify(key, {**headers, "X-SQA-Timestamp": "1900000001"}, body, now=1900000010)  # replayed with a new time
    assert not verify(key, headers, body, now=1900000000 + 3600)  # too old


def test_topic() -> None:
    assert topic("sqa", "sales", 42, "handoff") == "sqa/sales/leads/42/handoff"


def test_config_refusals(tmp_path) -> None:
    with pytest.raises(ConfigError, match="plain http is allowed only for loopback"):
        make_settings(tmp_path, [], handoff={"webhook": {"url": "http://hooks.example.com/x", "secret": "s" * 16}})
    with pytest.raises(ConfigError, match="needs secret or secret_credential"):
        make_settings(tmp_path, [], handoff={"webhook": {"url": "https://hooks.example.com/x"}})
    with pytest.raises(ConfigError, match="topic_prefix"):
        make_settings(tmp_path, [], mqtt={"host": "localhost", "topic_prefix": "sqa/#"})
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "hook").write_text("0123456789abcdef-secret\n")
    (creds / "mq").write_text("mqtt-pass\n")
    (tmp_path / "sqa.toml").write_text("")
    s = load_settings(tmp_path / "sqa.toml", environ={"CREDENTIALS_DIRECTORY": str(creds)},
                      overrides={"handoff": {"webhook": {"url": "https://h.example.com/x", "secret_credential": "hook"}},
                                 "mqtt": {"host": "broker", "username": "sqa", "password_credential": "mq"}})
    assert s.handoff.webhook.key() == b"0123456789abcdef-secret"
    assert s.mqtt.password.get_secret_value() == "mqtt-pass"
