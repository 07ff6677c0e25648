"""The outreach writer: templates offline, a structured-output call with the openai engine (the fake server),
the guardrails on both, and the templates as the fallback when the model's answer cannot be used."""

from __future__ import annotations

from sqa.agents.engines.openai import OpenAIEngine
from sqa.agents.outreach import OutreachLead, OutreachWriter, Purpose
from sqa.sandbox.openai_server import Answer
from tests.openai_support import agent_settings, engine_settings

LEAD = OutreachLead("Lee Lead", "Globex", "Head of BI", "en")


async def test_templates_write_first_mail_follow_ups_and_check_in() -> None:
    agent = agent_settings(value_proposition="We cut reporting time in half.")
    writer = OutreachWriter()
    first = await writer.write(agent, LEAD, Purpose.FIRST)
    assert first.ok and first.engine == "templates" and "Globex" in first.subject
    assert first.body.startswith("Hello Lee,") and "We cut reporting time in half." in first.body
    second = await writer.write(agent, LEAD, Purpose.FOLLOW_UP, k=2, subject=first.subject)
    assert second.subject == f"Re: {first.subject}" and "quick nudge" in second.text
    check_in = await writer.write(agent, LEAD, Purpose.CHECK_IN, subject=first.subject)
    assert "get back to you around now" in check_in.text


async def test_the_last_follow_up_of_any_cadence_says_goodbye_and_templates_come_from_config() -> None:
    writer = OutreachWriter()
    five = agent_settings(outreach={"cadence_business_days": [2, 3, 3, 5, 8]},
                          templates={"follow_ups": ["Nudge one for {company}.", "Nudge two.", "Goodbye from us."],
                                     "check_in": "Back as promised, {company}."})
    texts = [(await writer.write(five, LEAD, Purpose.FOLLOW_UP, k=k, subject="S")).text for k in range(1, 6)]
    assert texts == ["Nudge one for Globex.", "Nudge two.", "Nudge two.", "Nudge two.", "Goodbye from us."]
    assert (await writer.write(five, LEAD, Purpose.CHECK_IN, subject="S")).text == "Back as promised, Globex."


async def test_untrusted_lead_fields_are_checked() -> None:
    writer = OutreachWriter()
    held = await writer.write(agent_settings(), OutreachLead("Lee", "Globex www.cheap-pills.com", None, None),
                              Purpose.FIRST)
    assert not held.ok and held.violations == ("link_not_allowed",)


async def test_the_model_writes_with_allow_listed_fields_and_falls_back(fake_openai) -> None:
    engine = OpenAIEngine(engine_settings(fake_openai.base_url))
    writer = OutreachWriter.for_engine(engine)
    agent = agent_settings(value_proposition="We cut reporting time in half.")
    try:
        fake_openai.push(Answer.json({"subject": "Reporting at Globex", "cited": [],
                                      "text": "Does monthly reporting still take your team days?"}))
        draft = await writer.write(agent, LEAD, Purpose.FIRST)
        assert (draft.engine, draft.subject, draft.ok) == ("openai", "Reporting at Globex", True)
        assert draft.model == "test-model" and "Does monthly reporting" in draft.body
        [request] = fake_openai.requests
        assert request["response_format"]["json_schema"]["name"] == "outreach_draft"
        assert "Head of BI" in request["messages"][1]["content"] and "lee" not in request["messages"][1]["content"]

        fake_openai.push(Answer.json({"subject": None, "cited": [], "text": "Reply this week and get 30% off."}))
        claim = await writer.write(agent, LEAD, Purpose.FOLLOW_UP, k=1, subject="Reporting at Globex")
        assert claim.engine == "openai" and "unsupported_claim" in claim.violations

        fake_openai.push(Answer.raw("not json"))
        fallback = await writer.write(agent, LEAD, Purpose.FIRST)
        assert fallback.engine == "templates" and fallback.ok and "unusable" in (fallback.note or "")
    finally:
        await engine.close()
