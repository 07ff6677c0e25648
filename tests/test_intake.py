"""Intake through the scheduler's tick: selection rules, the address check (a private DNS server), research mode,
re-contact after the cool-down. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, update

from sqa.clock import ManualClock
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import AgentRun, Event, Lead, Outbox, OutboxStatus
from sqa.drafts import approve
from sqa.leads import LeadError, LeadInput, add_lead
from sqa.sandbox.dns import DnsMode, DnsServer, Record
from tests.support import PERMISSIVE_OUTREACH, agent_dict, make_settings

START = datetime(2030, 12, 3, 10, 0, tzinfo=timezone.utc)
GOOD, GONE = "globex-corp.de", "gone-corp.org"


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer({GOOD: [Record("MX", f"mx.{GOOD}")]}) as server:
        yield server


@pytest.fixture
def dns(dns_server: DnsServer) -> Iterator[DnsServer]:
    dns_server.reset()
    dns_server.set(GOOD, [Record("MX", f"mx.{GOOD}")])
    yield dns_server
    dns_server.reset()


def _outreach(dns: DnsServer | None = None, **intake: Any) -> dict[str, Any]:
    checks = ({"validate_email": True, "dns_nameservers": [dns.host], "dns_port": dns.port, "dns_timeout_s": 1}
              if dns is not None else {"validate_email": False})
    return {**PERMISSIVE_OUTREACH, "intake": {"auto": True, **checks, **intake}}


async def _app(tmp_path, dovecot, sink, database_url, outreach, clock=None, **over):
    agent = agent_dict(dovecot, sink, name="intake", outreach=outreach, **over)
    return await build_app(make_settings(tmp_path, [agent], database_url=database_url), clock=clock or ManualClock(START))


async def _add(app, email: str, **fields: Any) -> int:
    return await add_lead(app.sessionmaker, app.agents[0].runtime.id, LeadInput(email=email, **fields), now=START)


async def _leads(app) -> dict[str, Lead]:
    async with app.sessionmaker() as s:
        return {lead.email: lead for lead in await s.scalars(select(Lead))}


async def test_rules_sources_age_required_fields_and_per_tick(tmp_path, dovecot, smtp_sink, database_url):
    outreach = _outreach(sources=["webinar"], created_within_days=30, required_fields=["company"], per_tick=2)
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, outreach)
    try:
        for i in range(3):
            await _add(app, f"w{i}@{GOOD}", company="Globex", source="webinar")
        await _add(app, f"cold@{GOOD}", company="Globex", source="purchased")
        nameless = await _add(app, f"noco@{GOOD}", source="webinar")
        old = await _add(app, f"old@{GOOD}", company="Globex", source="webinar")
        async with app.sessionmaker() as s, s.begin():
            await s.execute(update(Lead).where(Lead.id == old).values(created_at=START - timedelta(days=60)))
        first = await app.scheduler.tick()
        assert first.first == 2 and first.waiting == 1  # per_tick; the one missing a company waits, said once
        second = await app.scheduler.tick()
        assert second.first == 1 and second.waiting == 0
        assert (await app.scheduler.tick()).first == 0
        leads = await _leads(app)
        assert {e for e, lead in leads.items() if lead.status == "contacted"} == {f"w{i}@{GOOD}" for i in range(3)}
        assert leads[f"noco@{GOOD}"].status == "new" and "intake waits: missing company" in leads[f"noco@{GOOD}"].attention
        assert leads[f"cold@{GOOD}"].status == "new" and leads[f"old@{GOOD}"].status == "new"
        async with app.sessionmaker() as s:
            waiting = list(await s.scalars(select(AgentRun).where(AgentRun.step == "intake",
                                                                  AgentRun.lead_id == nameless)))
            kinds = {o.kind for o in await s.scalars(select(Outbox))}
        assert [r.decision for r in waiting] == ["waiting"]
        assert kinds == {"first"}
    finally:
        await app.close()


async def test_intake_takes_no_more_than_a_days_cap_can_send(tmp_path, dovecot, smtp_sink, database_url):
    # a big import is not queued at once: the first mails waiting never exceed the daily cap (here 3)
    outreach = _outreach()
    outreach["caps"] = {**outreach["caps"], "per_day": 3}
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, outreach)
    try:
        for i in range(5):
            await _add(app, f"w{i}@{GOOD}", company="Globex")
        assert (await app.scheduler.tick()).first == 3
        assert (await app.scheduler.tick()).first == 0  # three still wait to be sent
        await app.agents[0].sender.drain()
        assert len(await smtp_sink.wait_for(3)) == 3
        assert (await app.scheduler.tick()).first == 2  # sent: room again
    finally:
        await app.close()


async def test_auto_off_waits_for_leads_contact(tmp_path, dovecot, smtp_sink, database_url):
    from sqa.leads import queue_first_mails

    app = await _app(tmp_path, dovecot, smtp_sink, database_url, PERMISSIVE_OUTREACH)
    try:
        lead_id = await _add(app, f"lee@{GOOD}", name="Lee Lead", company="Globex")
        assert (await app.scheduler.tick()).first == 0
        assert await queue_first_mails(app.sessionmaker, app.agents[0].runtime) == [lead_id]
        await drain_once(app)
        assert (await smtp_sink.wait_for(1))[0].rcpt_tos == [f"lee@{GOOD}"]
    finally:
        await app.close()


async def test_invalid_address_is_disqualified_and_handed_back(tmp_path, dovecot, smtp_sink, database_url, dns):
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, _outreach(dns))
    try:
        lead_id = await _add(app, f"lee@{GONE}", name="Lee Lead", owner="owner@example.com")
        stats = await app.scheduler.tick()
        assert stats.disqualified == 1 and stats.first == 0
        async with app.sessionmaker() as s:
            lead = await s.get(Lead, lead_id)
            [event] = list(await s.scalars(select(Event)))
            rows = list(await s.scalars(select(Outbox)))
        assert lead.status == "disqualified" and lead.finished_at == START
        assert "invalid email: the domain does not receive mail" in lead.attention
        assert event.kind == "disqualified" and event.payload["lead"]["email"] == f"lee@{GONE}"
        assert "invalid email" in event.payload["why"]
        assert [(r.kind, r.to_addr) for r in rows] == [("notice", "owner@example.com")]  # nothing to the lead
    finally:
        await app.close()


async def test_dns_down_is_no_verdict_retried_later(tmp_path, dovecot, smtp_sink, database_url, dns):
    clock = ManualClock(START)
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, _outreach(dns), clock=clock)
    try:
        lead_id = await _add(app, f"lee@{GOOD}", name="Lee Lead")
        dns.fault(GOOD, "MX", DnsMode.SERVFAIL)
        assert (await app.scheduler.tick()).dns_retry == 1
        lead = (await _leads(app))[f"lee@{GOOD}"]
        assert lead.status == "new" and lead.next_action_at == START + timedelta(minutes=10)
        dns.reset()
        dns.set(GOOD, [Record("MX", f"mx.{GOOD}")])
        assert (await app.scheduler.tick()).first == 0  # not before its retry time
        clock.advance(minutes=10)
        await drain_once(app)
        assert (await smtp_sink.wait_for(1))[0].rcpt_tos == [f"lee@{GOOD}"]
        async with app.sessionmaker() as s:
            assert (await s.get(Lead, lead_id)).status == "contacted"
    finally:
        await app.close()


async def test_research_mode_only_drafts_first_mails_and_follow_ups(tmp_path, dovecot, smtp_sink, database_url):
    clock = ManualClock(START)
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, _outreach(), clock=clock, mode="research")
    try:
        lead_id = await _add(app, f"lee@{GOOD}", name="Lee Lead", company="Globex")
        await drain_once(app)
        async with app.sessionmaker() as s:
            [draft] = list(await s.scalars(select(Outbox)))
        assert (draft.kind, draft.status) == ("first", OutboxStatus.AWAITING_APPROVAL)
        assert smtp_sink.messages == []
        await approve(app.sessionmaker, app.runtimes, draft.id, actor="test")
        await drain_once(app)
        assert len(await smtp_sink.wait_for(1)) == 1
        async with app.sessionmaker() as s:
            lead = await s.get(Lead, lead_id)
        clock.set(lead.next_action_at)
        await drain_once(app)
        async with app.sessionmaker() as s:
            rows = list(await s.scalars(select(Outbox).order_by(Outbox.id)))
        assert [(r.kind, r.status) for r in rows] == [("first", "sent"), ("follow_up", "awaiting_approval")]
        await approve(app.sessionmaker, app.runtimes, rows[1].id, actor="test")
        await drain_once(app)
        assert len(await smtp_sink.wait_for(2)) == 2
    finally:
        await app.close()


async def test_a_draft_the_guardrails_reject_waits_for_a_human(tmp_path, dovecot, smtp_sink, database_url):
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, _outreach())
    try:
        lead_id = await _add(app, f"lee@{GOOD}", name="Lee Lead", company="Globex, see www.cheap-pills.com")
        await drain_once(app)
        async with app.sessionmaker() as s:
            [row] = list(await s.scalars(select(Outbox)))
            lead = await s.get(Lead, lead_id)
            [run] = list(await s.scalars(select(AgentRun).where(AgentRun.step == "outreach")))
        assert row.status == OutboxStatus.AWAITING_APPROVAL and smtp_sink.messages == []
        assert "first mail held for review" in lead.attention and "link_not_allowed" in lead.attention
        assert run.decision == "awaiting_approval" and run.detail["violations"]
    finally:
        await app.close()


async def test_recontact_only_after_the_cooldown(tmp_path, dovecot, smtp_sink, database_url):
    app = await _app(tmp_path, dovecot, smtp_sink, database_url, _outreach(cooldown_days=30))
    rt = app.agents[0].runtime
    try:
        lead_id = await _add(app, f"lee@{GOOD}", name="Lee Lead")
        with pytest.raises(LeadError, match="already lead"):
            await _add(app, f"lee@{GOOD}")
        async with app.sessionmaker() as s, s.begin():
            await s.execute(update(Lead).where(Lead.id == lead_id).values(
                status="unresponsive", finished_at=START, followups_sent=3))
        with pytest.raises(LeadError, match="contacted again from 2031-01-02"):
            await add_lead(app.sessionmaker, rt.id, LeadInput(email=f"lee@{GOOD}"), cooldown_days=30,
                           now=START + timedelta(days=10))
        again = await add_lead(app.sessionmaker, rt.id, LeadInput(email=f"lee@{GOOD}", company="Initech"),
                               cooldown_days=30, now=START + timedelta(days=31))
        lead = (await _leads(app))[f"lee@{GOOD}"]
        assert again == lead_id and (lead.status, lead.followups_sent, lead.finished_at) == ("new", 0, None)
        assert (lead.name, lead.company) == ("Lee Lead", "Initech")
    finally:
        await app.close()
