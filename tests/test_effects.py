"""What each kind of inbound mail does to a lead, driven through the daemon."""

from __future__ import annotations

import asyncio
import email.policy
import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from sqa import cli
from sqa.consent import store as consent
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import AgentRun, ConsentEvent, Direction, Lead, Message, Outbox, OutboxStatus, Priority, utcnow
from sqa.leads import LeadInput, add_lead, lead_detail, queue_first_mails
from sqa.mailbox.compose import Draft, new_message_id
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, new_mail, reply_to
from tests.test_cli import write_config

LEAD = f"lee@{LEAD_DOMAIN}"


async def _started(tmp_path, dovecot, sink, database_url, agent_settings=None):
    agent_settings = agent_settings or agent_dict(dovecot, sink)
    app = await build_app(make_settings(tmp_path, [agent_settings], database_url=database_url))
    agent = app.agents[0]
    lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)
    first = (await sink.wait_for(1))[0]
    return app, agent, lead_id, first


async def _lead(app, lead_id):
    async with app.sessionmaker() as s:
        return await s.get(Lead, lead_id)


async def test_out_of_office_pauses_the_lead_and_gets_no_answer(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        ooo = reply_to(first, sender=LEAD, body="I am out of the office.",
                       extra_headers={"Auto-Submitted": "auto-replied"})
        await deliver(dovecot, agent.runtime.settings.address, ooo)
        await drain_once(app)
        await asyncio.sleep(0.3)
        assert len(smtp_sink.messages) == 1  # no answer to a machine
        lead = await _lead(app, lead_id)
        assert lead.status == "paused"
        assert lead.next_action_at is not None and lead.next_action_at - lead.updated_at > timedelta(days=6)
        assert lead.bant == {} or not lead.bant.get("asked")  # never counted as a reply
    finally:
        await app.close()


async def test_opt_out_between_queueing_and_sending_stops_the_mail(tmp_path, dovecot, smtp_sink, database_url):
    """Consent is a gate at send time: a reply queued before the opt-out never leaves."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        await deliver(dovecot, agent.runtime.settings.address, reply_to(first, sender=LEAD, body="Tell me more."))
        await agent.watcher.drain_once()  # handled: a reply is queued, not sent yet
        async with app.sessionmaker() as s:
            queued = list(await s.scalars(select(Outbox).where(Outbox.status == OutboxStatus.QUEUED)))
        assert len(queued) == 1
        async with app.sessionmaker() as s, s.begin():  # e.g. the one-click link, an admin
            await consent.record(s, LEAD.upper(), agent_id=None, scope=consent.Scope.ALL,
                                 action=consent.Action.OPT_OUT, source=consent.Source.ADMIN, actor="test")
        assert await agent.sender.drain() == 0
        await asyncio.sleep(0.2)
        assert len(smtp_sink.messages) == 1
        async with app.sessionmaker() as s:
            row = await s.get(Outbox, queued[0].id)
            runs = list(await s.scalars(select(AgentRun).where(AgentRun.step == "send", AgentRun.decision == "suppressed")))
        assert row.status == OutboxStatus.CANCELLED and "opted out (admin" in row.last_reply
        assert len(runs) == 1
        # an opt-in afterwards (newest event wins) lets later mail through again; the cancelled one stays cancelled
        async with app.sessionmaker() as s, s.begin():
            await consent.record(s, LEAD, agent_id=None, scope=consent.Scope.ALL, action=consent.Action.OPT_IN,
                                 source=consent.Source.ADMIN, actor="test")
            assert await consent.suppressed(s, [LEAD], agent.runtime.id) == {}
    finally:
        await app.close()


async def test_agent_scoped_opt_out_leaves_other_agents_alone(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        async with app.sessionmaker() as s, s.begin():
            await consent.record(s, LEAD, agent_id=agent.runtime.id, scope=consent.Scope.AGENT,
                                 action=consent.Action.OPT_OUT, source=consent.Source.ADMIN)
            assert LEAD in await consent.suppressed(s, [LEAD], agent.runtime.id)
            assert await consent.suppressed(s, [LEAD], agent.runtime.id + 1000) == {}
            events = list(await s.scalars(select(ConsentEvent)))
        assert [(e.action, e.scope) for e in events] == [("opt_out", "agent")]
    finally:
        await app.close()


# -- helpers for the tests below ------------------------------------------------------------------

OTHER = f"olga@{LEAD_DOMAIN}"


async def _queue_follow_up(app, runtime, lead_id, due_in: timedelta = timedelta(0)) -> str:
    """A follow-up to the lead, queued and due (now, or after ``due_in``) as the follow-up scheduler would leave it."""
    s = runtime.settings
    async with app.sessionmaker() as session, session.begin():
        lead = await session.get(Lead, lead_id)
        message_id = new_message_id(s.domain, lead.token)
        subject, body = "Following up", "Just following up on my last note."
        raw = runtime.render(Draft(from_name=s.display_name, from_addr=s.address, to_name=lead.name, to_addr=lead.email,
                                   subject=subject, body=body, message_id=message_id, loop_marker=runtime.loop_marker,
                                   unsubscribe=runtime.unsubscribe(lead.id)))
        now = utcnow()
        session.add(Message(message_id=message_id, direction=Direction.OUT, agent_id=runtime.id, lead_id=lead.id,
                            kind="follow_up", from_addr=s.address, to_addr=lead.email, subject=subject, text=body))
        session.add(Outbox(message_id=message_id, agent_id=runtime.id, lead_id=lead.id, to_addr=lead.email, raw=raw,
                           priority=Priority.FOLLOW_UP, status=OutboxStatus.QUEUED, next_attempt_at=now + due_in,
                           deadline_at=now + due_in + timedelta(hours=1)))
    return message_id


async def _outbox(app, message_id):
    async with app.sessionmaker() as s:
        return await s.scalar(select(Outbox).where(Outbox.message_id == message_id))


async def _runs(app, step=None):
    async with app.sessionmaker() as s:
        query = select(AgentRun).order_by(AgentRun.id)
        if step is not None:
            query = query.where(AgentRun.step == step)
        return list(await s.scalars(query))


async def _message(app, message_id):
    async with app.sessionmaker() as s:
        return await s.scalar(select(Message).where(Message.message_id == message_id))


async def _consent_events(app):
    async with app.sessionmaker() as s:
        return await consent.export(s)  # the log with plain addresses, oldest first


async def _suppressed(app, runtime, address):
    async with app.sessionmaker() as s:
        return await consent.suppressed(s, [address], runtime.id)


async def _settle(sink, expected: int) -> None:
    """Wait until ``expected`` mails were captured, then a little longer: nothing more may arrive."""
    if expected:
        await sink.wait_for(expected)
    await asyncio.sleep(0.3)
    assert len(sink.messages) == expected, [(m.rcpt_tos, m.subject) for m in sink.messages]


def _sent_to(sink, address):
    return [m for m in sink.messages if address in m.rcpt_tos]


def _body(captured) -> str:
    return message_from_bytes(captured.raw, policy=email.policy.default).get_body(("plain",)).get_content()


async def _deliver_from_null(dovecot, address, raw) -> None:
    """A delivery report arrives with the null return path (MAIL FROM:<>)."""
    await asyncio.to_thread(dovecot.lmtp_deliver, address, raw, "")


def _dsn(first, *, to: str, recipient: str, action: str, status: str, diagnostic: str, text: str,
         subject: str = "Undelivered Mail Returned to Sender") -> bytes:
    """An RFC 3464 report from a remote Postfix, returning our first mail's headers (text/rfc822-headers)."""
    returned = bytes(first.raw).split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").decode()
    boundary = f"B{uuid.uuid4().hex[:16]}/mx.{LEAD_DOMAIN}"
    return f"""\
From: MAILER-DAEMON@mx.{LEAD_DOMAIN} (Mail Delivery System)
To: {to}
Subject: {subject}
Date: {format_datetime(datetime.now(timezone.utc))}
Message-ID: <{uuid.uuid4().hex}@mx.{LEAD_DOMAIN}>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{boundary}"

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.{LEAD_DOMAIN}.

{text}

                   The mail system

<{recipient}>: {diagnostic}

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.{LEAD_DOMAIN}
X-Postfix-Queue-ID: 63DBAE636C
Arrival-Date: {format_datetime(datetime.now(timezone.utc))}

Original-Recipient: rfc822;{recipient}
Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--{boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{returned}

--{boundary}--
""".replace("\n", "\r\n").encode()


HARD_TEXT = ("I'm sorry to have to inform you that your message could not\n"
             "be delivered to one or more recipients. It's attached below.")
SOFT_TEXT = ("####################################################################\n"
             "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
             "####################################################################\n\n"
             "Your message could not be delivered for 4 hours.\nIt will be retried until it is 5 days old.")


# -- opt-out by words ----------------------------------------------------------------------------


async def test_opt_out_reply_is_honored_at_once(tmp_path, dovecot, smtp_sink, database_url):
    """'Please remove me': no answer, opted out, a consent event with the evidence, queued mail cancelled."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        other_id = await add_lead(app.sessionmaker, rt.id, LeadInput(email=OTHER, name="Olga Other", company="Initech"))
        assert await queue_first_mails(app.sessionmaker, rt) == [other_id]  # another lead's mail, due now
        follow_up = await _queue_follow_up(app, rt, lead_id)  # this lead's mail, due now
        reply_id = make_msgid(domain=LEAD_DOMAIN)
        await deliver(dovecot, rt.settings.address,
                      reply_to(first, sender=LEAD, body="Please remove me from your mailing list.",
                               message_id=reply_id))
        await drain_once(app)  # the reply is handled before anything due is sent
        await _settle(smtp_sink, 2)
        assert len(_sent_to(smtp_sink, LEAD)) == 1  # only the first mail: no answer, no follow-up
        assert len(_sent_to(smtp_sink, OTHER)) == 1  # another lead's mail is not touched

        lead = await _lead(app, lead_id)
        assert lead.status == "opted_out" and lead.next_action_at is None
        assert not lead.attention  # a clear request: nothing for a human to check
        events = await _consent_events(app)
        assert [(e.address, e.action, e.scope, e.source, e.agent_id) for e in events] == [
            (LEAD, "opt_out", "all", "reply", rt.id)]
        assert events[0].evidence["message_id"] == reply_id
        assert events[0].evidence["rule"] == "unsubscribe_words"
        assert set(events[0].evidence) == {"message_id", "rule", "unsure", "token"}  # no words: erasure-proof log
        assert "remove me from your mailing list" in (await _message(app, reply_id)).reason
        assert LEAD in await _suppressed(app, rt, LEAD)

        cancelled = await _outbox(app, follow_up)
        assert cancelled.status == OutboxStatus.CANCELLED and cancelled.sent_at is None
        assert cancelled.last_reply.startswith(f"opt-out by {LEAD}")
        runs = await _runs(app)
        assert [(r.step, r.decision, r.detail["cancelled"]) for r in runs if r.step == "consent"] == [
            ("consent", "opt_out", 1)]
        assert [r.message_id for r in runs if (r.step, r.decision) == ("outbox", "cancelled")] == [follow_up]
        assert not [r for r in runs if r.step == "engage"]  # no model and no engine saw the opt-out

        # the next drain changes nothing: the cancelled mail stays cancelled, nothing more leaves
        await drain_once(app)
        await _settle(smtp_sink, 2)
        assert (await _outbox(app, follow_up)).status == OutboxStatus.CANCELLED
    finally:
        await app.close()


async def test_opt_out_after_a_question_in_the_same_batch_stops_the_answer(tmp_path, dovecot, smtp_sink, database_url):
    """A question and then 'remove me', fetched together: the answer queued for the question never leaves."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        question_id = make_msgid(domain=LEAD_DOMAIN)
        await deliver(dovecot, rt.settings.address,
                      reply_to(first, sender=LEAD, body="Tell me more.", message_id=question_id))
        await deliver(dovecot, rt.settings.address,
                      reply_to(first, sender=LEAD, body="Actually, please remove me from your mailing list."))
        await drain_once(app)
        await _settle(smtp_sink, 1)  # only the first mail ever left

        assert (await _lead(app, lead_id)).status == "opted_out"
        async with app.sessionmaker() as s:
            [answer] = list(await s.scalars(select(Outbox).where(Outbox.reply_to_message_id == question_id)))
        assert answer.status == OutboxStatus.CANCELLED and answer.sent_at is None
    finally:
        await app.close()


async def test_german_opt_out_and_a_negated_one(tmp_path, dovecot, smtp_sink, database_url):
    """'Bitte keine weiteren E-Mails.' opts out; "Please don't remove me, ..." is a person: next BANT question."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        other_id = await add_lead(app.sessionmaker, rt.id, LeadInput(email=OTHER, name="Olga Other", company="Initech"))
        await queue_first_mails(app.sessionmaker, rt)
        await drain_once(app)
        await _settle(smtp_sink, 2)
        other_first = _sent_to(smtp_sink, OTHER)[0]

        german_id, keen_id = make_msgid(domain=LEAD_DOMAIN), make_msgid(domain=LEAD_DOMAIN)
        await deliver(dovecot, rt.settings.address,
                      reply_to(first, sender=LEAD, body="Bitte keine weiteren E-Mails.", message_id=german_id))
        await deliver(dovecot, rt.settings.address,
                      reply_to(other_first, sender=OTHER, body="Please don't remove me, tell me more about pricing",
                               message_id=keen_id))
        await drain_once(app)
        await _settle(smtp_sink, 3)

        assert len(_sent_to(smtp_sink, LEAD)) == 1  # no answer to the opt-out
        answer = smtp_sink.messages[-1]
        assert answer.rcpt_tos == [OTHER] and answer.in_reply_to == keen_id
        assert rt.settings.templates.need in " ".join(_body(answer).split())  # the first BANT question

        german, keen = await _lead(app, lead_id), await _lead(app, other_id)
        assert german.status == "opted_out"
        assert keen.status == "qualifying" and keen.bant["asked"] == ["need"]
        events = await _consent_events(app)
        assert [(e.address, e.source, e.evidence["message_id"]) for e in events] == [(LEAD, "reply", german_id)]
        assert "keine weiteren e-mails" in (await _message(app, german_id)).reason.lower()
        assert await _suppressed(app, rt, OTHER) == {}
        classified = {r.message_id: (r.decision, r.detail["rule"]) for r in await _runs(app, "classify")}
        assert classified[german_id] == ("unsubscribe", "unsubscribe_words")
        assert classified[keen_id] == ("human", "default")
    finally:
        await app.close()


# -- opt-out by address --------------------------------------------------------------------------


async def test_mail_to_the_unsubscribe_address_opts_out_whatever_it_says(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        unsubscribe = rt.unsubscribe_address
        assert unsubscribe == rt.settings.address.replace("@", "+unsubscribe@")
        raw = new_mail(sender=LEAD, to=unsubscribe, subject="Thursday",
                       body="Is the webinar on Thursday still at 3pm? Looking forward to it.")
        await deliver(dovecot, unsubscribe, raw)  # plus-addressed: lands in the agent's own inbox
        await drain_once(app)
        await _settle(smtp_sink, 1)  # no answer

        lead = await _lead(app, lead_id)
        assert lead.status == "opted_out"
        events = await _consent_events(app)
        assert [(e.address, e.action, e.scope, e.source) for e in events] == [(LEAD, "opt_out", "all", "mailto")]
        assert events[0].evidence["rule"] == "unsubscribe_address"
        assert LEAD in await _suppressed(app, rt, LEAD)
        [run] = await _runs(app, "consent")
        assert run.decision == "opt_out" and run.detail["via"] == "address" and run.lead_id == lead_id
    finally:
        await app.close()


# -- bounces -------------------------------------------------------------------------------------


async def test_hard_bounce_suppresses_the_address(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        follow_up = await _queue_follow_up(app, rt, lead_id)
        bounce = _dsn(first, to=rt.settings.address, recipient=LEAD, action="failed", status="5.1.1",
                      diagnostic="550 5.1.1 <lee@lead.test>: Recipient address rejected: User unknown", text=HARD_TEXT)
        await _deliver_from_null(dovecot, rt.settings.address, bounce)
        await drain_once(app)
        await _settle(smtp_sink, 1)  # no reply to the mail system, and the follow-up never leaves

        lead = await _lead(app, lead_id)
        assert lead.status == "bounced" and lead.next_action_at is None
        assert lead.bounce_score >= 1.0
        assert "bounced (5.1.1" in (lead.attention or "")  # back to the lead's owner
        why = await _suppressed(app, rt, LEAD)
        assert LEAD in why and "bounce" in why[LEAD]
        [event] = await _consent_events(app)
        assert (event.address, event.action, event.scope, event.source) == (LEAD, "opt_out", "all", "bounce")
        assert event.evidence["status"] == "5.1.1"

        cancelled = await _outbox(app, follow_up)
        assert cancelled.status == OutboxStatus.CANCELLED and cancelled.sent_at is None
        assert "bounced" in cancelled.last_reply
        [hard] = await _runs(app, "bounce")
        assert (hard.decision, hard.lead_id) == ("hard", lead_id)
        assert hard.detail["recipient"] == LEAD and hard.detail["cancelled"] == 1
        [classified] = await _runs(app, "classify")
        assert (classified.decision, classified.detail["rule"]) == ("bounce", "bounce")
    finally:
        await app.close()


async def test_a_bounced_leads_history_holds_the_bounce_and_why(tmp_path, dovecot, smtp_sink, database_url):
    """`sqa lead show` of a bounced lead: the report itself and the classify step's rule and reason are on the
    lead's record, as they are for an opt-out ("why was this lead marked bounced?")."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        bounce = _dsn(first, to=rt.settings.address, recipient=LEAD, action="failed", status="5.1.1",
                      diagnostic="550 5.1.1 <lee@lead.test>: Recipient address rejected: User unknown", text=HARD_TEXT)
        bounce_id = message_from_bytes(bounce)["Message-ID"]
        await _deliver_from_null(dovecot, rt.settings.address, bounce)
        await drain_once(app)
        await _settle(smtp_sink, 1)
        detail = await lead_detail(app.sessionmaker, lead_id)
        assert detail.lead.status == "bounced"
        assert [(r.step, r.decision) for r in detail.runs if r.message_id == bounce_id][-1] == ("bounce", "hard")
        # what fails today: the bounce's messages row and its classify run carry lead_id NULL
        assert [(m.direction, m.kind) for m in detail.messages if m.message_id == bounce_id] == [("in", "bounce")]
        [classified] = [r for r in detail.runs if r.step == "classify" and r.message_id == bounce_id]
        assert classified.detail["rule"] == "bounce" and "5.1.1" in classified.detail["reason"]
    finally:
        await app.close()


async def test_soft_bounces_score_once_a_day_and_a_real_reply_resets(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        full = _dsn(first, to=rt.settings.address, recipient=LEAD, action="delayed", status="4.2.2",
                    diagnostic="452 4.2.2 <lee@lead.test>: Mailbox full", text=SOFT_TEXT,
                    subject="Delayed Mail (still being retried)")
        await _deliver_from_null(dovecot, rt.settings.address, full)
        await drain_once(app)
        await _settle(smtp_sink, 1)
        lead = await _lead(app, lead_id)
        assert lead.status == "contacted"  # not bounced
        assert lead.bounce_score == 0.5 and lead.bounce_scored_at is not None
        assert await _suppressed(app, rt, LEAD) == {} and await _consent_events(app) == []

        delayed = _dsn(first, to=rt.settings.address, recipient=LEAD, action="delayed", status="4.4.7",
                       diagnostic="451 4.4.7 delivery temporarily suspended: connection timed out", text=SOFT_TEXT,
                       subject="Delayed Mail (still being retried)")
        await _deliver_from_null(dovecot, rt.settings.address, delayed)
        await drain_once(app)
        await _settle(smtp_sink, 1)
        lead = await _lead(app, lead_id)
        assert lead.status == "contacted" and lead.bounce_score == 0.5  # once a day, not once a report
        assert [(r.decision, r.detail["status"], r.detail["score"]) for r in await _runs(app, "bounce")] == [
            ("soft", "4.2.2", 0.5), ("soft", "4.4.7", 0.5)]

        # a day later (the last score moved back 25 h) the next soft bounce counts again
        async with app.sessionmaker() as s, s.begin():
            await s.execute(update(Lead).where(Lead.id == lead_id).values(
                bounce_scored_at=utcnow() - timedelta(hours=25)))
        await _deliver_from_null(dovecot, rt.settings.address, _dsn(
            first, to=rt.settings.address, recipient=LEAD, action="delayed", status="4.2.2",
            diagnostic="452 4.2.2 <lee@lead.test>: Mailbox full", text=SOFT_TEXT,
            subject="Delayed Mail (still being retried)"))
        await drain_once(app)
        await _settle(smtp_sink, 1)
        lead = await _lead(app, lead_id)
        assert lead.status == "contacted" and lead.bounce_score == 1.0  # below the threshold (3.0): still soft
        assert await _suppressed(app, rt, LEAD) == {}

        # the lead writes: the address works after all
        await deliver(dovecot, rt.settings.address,
                      reply_to(first, sender=LEAD, body="Sorry, my inbox was full. Tell me more."))
        await drain_once(app)
        await _settle(smtp_sink, 2)
        assert smtp_sink.messages[-1].rcpt_tos == [LEAD]  # answered as usual
        lead = await _lead(app, lead_id)
        assert lead.bounce_score == 0.0 and lead.bounce_scored_at is None
        assert lead.status == "qualifying"
    finally:
        await app.close()


async def test_policy_bounce_is_recorded_not_suppressed(tmp_path, dovecot, smtp_sink, database_url):
    """5.7.1 (our IP on a blocklist) says nothing about the address: recorded as policy, nothing suppressed."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        bounce = _dsn(first, to=rt.settings.address, recipient=LEAD, action="failed", status="5.7.1",
                      diagnostic="550 5.7.1 Service unavailable, Client host [198.51.100.25] blocked using Spamhaus",
                      text=HARD_TEXT)
        await _deliver_from_null(dovecot, rt.settings.address, bounce)
        await drain_once(app)
        await _settle(smtp_sink, 1)  # no reply to the mail system

        lead = await _lead(app, lead_id)
        assert lead.status == "contacted" and not lead.bounce_score
        assert await _suppressed(app, rt, LEAD) == {} and await _consent_events(app) == []
        [run] = await _runs(app, "bounce")
        assert (run.decision, run.lead_id) == ("policy", lead_id)
        assert run.detail["status"] == "5.7.1" and run.detail["policy"] is True and run.detail["permanent"] is False

        # mail to the address still goes out (the handler records only)
        follow_up = await _queue_follow_up(app, rt, lead_id)
        await drain_once(app)
        await _settle(smtp_sink, 2)
        assert (await _outbox(app, follow_up)).status == OutboxStatus.SENT
    finally:
        await app.close()


# -- auto-replies --------------------------------------------------------------------------------


@pytest.mark.parametrize("stated", ["ahead", "march-2025"])
async def test_out_of_office_with_a_return_date_pauses_until_the_day_after(tmp_path, dovecot, smtp_sink, database_url,
                                                                           stated):
    """'ahead': a return date 10 days from now, sent now; 'march-2025': "until Friday 14 March 2025" in a notice
    dated Monday 3 March 2025 (the year-less reading and the sent day come from the Date header)."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        if stated == "ahead":
            sent = datetime.now(timezone.utc)
            back = sent.date() + timedelta(days=10)
        else:
            sent = datetime(2025, 3, 3, 9, 30, tzinfo=timezone(timedelta(hours=1)))
            back = date(2025, 3, 14)
        said = f"{back:%A} {back.day} {back:%B} {back.year}"  # "Friday 14 March 2025"
        ooo = reply_to(first, sender=LEAD,
                       body=f"Thank you for your email. I am out of the office until {said} with limited access "
                            "to email. For anything urgent please call the front desk.",
                       extra_headers={"Auto-Submitted": "auto-replied"})
        ooo = _with_date(ooo, sent)
        await deliver(dovecot, rt.settings.address, ooo)
        await drain_once(app)
        await _settle(smtp_sink, 1)  # no answer

        lead = await _lead(app, lead_id)
        assert lead.status == "paused"
        assert lead.next_action_at == datetime.combine(back + timedelta(days=1), time(0, 0), tzinfo=timezone.utc)
        assert not (lead.bant or {}).get("asked")  # never counted as a reply
        [run] = await _runs(app, "auto_reply")
        assert run.decision == "paused" and run.detail["return_date"] == back.isoformat()
    finally:
        await app.close()


def _with_date(raw: bytes, when: datetime) -> bytes:
    msg = message_from_bytes(raw, policy=email.policy.default)
    msg.replace_header("Date", format_datetime(when))
    return bytes(msg)


async def test_left_the_company_notice_asks_for_attention(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    rt = agent.runtime
    try:
        notice = reply_to(first, sender=LEAD,
                          body="Thank you for your message. Lee Lead has left the company. "
                               "Please direct your enquiries to info@lead.test.",
                          extra_headers={"Auto-Submitted": "auto-replied"})
        await deliver(dovecot, rt.settings.address, notice)
        await drain_once(app)
        await _settle(smtp_sink, 1)  # no answer

        lead = await _lead(app, lead_id)
        assert "left the company" in (lead.attention or "")
        assert lead.status == "paused" and lead.next_action_at is not None
        [run] = await _runs(app, "auto_reply")
        assert "left_company" in run.detail["flags"]
    finally:
        await app.close()


# -- why ---------------------------------------------------------------------------------------------


async def test_lead_show_says_why_a_reply_was_an_opt_out(tmp_path, dovecot, smtp_sink, database_url):
    """`sqa lead show ID --json` answers "why was this treated as an opt-out?": the rule and its reason."""
    agent_settings = agent_dict(dovecot, smtp_sink)
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url, agent_settings)
    try:
        reply_id = make_msgid(domain=LEAD_DOMAIN)
        await deliver(dovecot, agent.runtime.settings.address,
                      reply_to(first, sender=LEAD, body="Please remove me from your mailing list.",
                               message_id=reply_id))
        await drain_once(app)
        await _settle(smtp_sink, 1)
    finally:
        await app.close()

    config = write_config(tmp_path / "sqa.toml", {
        "state_dir": str(tmp_path), "agents": [agent_settings], "database": {"url": database_url},
        "daemon": {"instance": "test", "grace_s": 5, "hard_deadline_s": 10}})
    result = await asyncio.to_thread(CliRunner().invoke, cli.app,
                                     ["lead", "show", str(lead_id), "--json", "--config", str(config)],
                                     env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["status"] == "opted_out"
    [inbound] = [m for m in shown["messages"] if m["message_id"] == reply_id]
    assert inbound["kind"] == "unsubscribe"
    assert 'asks to opt out: "please remove me from your mailing list."' in inbound["reason"]
    [classified] = [r for r in shown["runs"] if r["step"] == "classify"]
    assert classified["decision"] == "unsubscribe"
    assert classified["detail"]["rule"] == "unsubscribe_words"
    assert "remove me from your mailing list" in classified["detail"]["reason"]
    [honored] = [r for r in shown["runs"] if r["step"] == "consent"]
    assert honored["decision"] == "opt_out" and honored["detail"]["scope"] == "all"


async def test_a_colleague_opting_out_in_the_thread_does_not_opt_out_the_lead(tmp_path, dovecot, smtp_sink, database_url):
    """Never opt someone out for someone else: only the writer's address is suppressed."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    colleague = f"pat@{LEAD_DOMAIN}"
    try:
        await deliver(dovecot, agent.runtime.settings.address,
                      reply_to(first, sender=colleague, body="Please remove me from this list."))
        await drain_once(app)
        async with app.sessionmaker() as s:
            lead = await s.get(Lead, lead_id)
            blocked = await consent.suppressed(s, [LEAD, colleague], agent.runtime.id)
        assert set(blocked) == {colleague}
        assert lead.status == "contacted" and colleague in (lead.attention or "")
    finally:
        await app.close()
