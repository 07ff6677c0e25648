"""Unsubscribe tokens, the List-Unsubscribe headers and footer of every lead mail, and the mailto opt-out."""

from __future__ import annotations

import email.policy
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes

import pytest
from sqlalchemy import select

from sqa.consent import store as consent
from sqa.consent.tokens import TOKEN_CHARS, TokenError, TokenProblem, TokenSigner, VerifyKey
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.db.models import Lead, Outbox, OutboxStatus
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, new_mail, reply_to
from tests.test_effects import _queue_follow_up

LEAD = f"lee@{LEAD_DOMAIN}"
KEY = b"k" * 32
NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


# -- tokens ---------------------------------------------------------------------------------


def test_token_round_trip_is_short_opaque_and_case_insensitive():
    signer = TokenSigner(KEY)
    token = signer.sign(7, 123456, today=NOW.date())
    assert len(token) == TOKEN_CHARS and token == token.lower() and token.isalnum()
    claims = signer.verify(token, now=NOW)
    assert (claims.agent_id, claims.lead_id, claims.issued) == (7, 123456, NOW.date())
    assert signer.verify(token.upper(), now=NOW) == claims  # a mail system may fold a local part's case


@pytest.mark.parametrize("mangle, problem", [
    (lambda t: t[:-1], TokenProblem.MALFORMED),  # truncated
    (lambda t: t[:20], TokenProblem.MALFORMED),
    (lambda t: t + "a", TokenProblem.MALFORMED),
    (lambda t: t[:-2] + "!!", TokenProblem.MALFORMED),
    (lambda t: "", TokenProblem.MALFORMED),
])
def test_truncated_or_mangled_tokens_are_malformed(mangle, problem):
    signer = TokenSigner(KEY)
    with pytest.raises(TokenError) as err:
        signer.verify(mangle(signer.sign(1, 2, today=NOW.date())), now=NOW)
    assert err.value.problem is problem


def test_every_tampered_character_is_refused():
    signer = TokenSigner(KEY)
    token = signer.sign(1, 42, today=NOW.date())
    for i in range(len(token)):
        forged = token[:i] + ("b" if token[i] != "b" else "c") + token[i + 1:]
        with pytest.raises(TokenError) as err:
            signer.verify(forged, now=NOW)
        assert err.value.problem in (TokenProblem.BAD_SIGNATURE, TokenProblem.UNKNOWN_KEY, TokenProblem.MALFORMED)


def test_a_token_of_another_key_is_refused():
    with pytest.raises(TokenError) as err:
        TokenSigner(KEY).verify(TokenSigner(b"x" * 32).sign(1, 2, today=NOW.date()), now=NOW)
    assert err.value.problem in (TokenProblem.UNKNOWN_KEY, TokenProblem.BAD_SIGNATURE)


def test_rotated_keys_verify_until_their_time():
    old_token = TokenSigner(b"old-key-" * 4).sign(3, 9, today=NOW.date())
    still = TokenSigner(KEY, (VerifyKey(b"old-key-" * 4, NOW + timedelta(days=30)),))
    assert still.verify(old_token, now=NOW).lead_id == 9
    retired = TokenSigner(KEY, (VerifyKey(b"old-key-" * 4, NOW - timedelta(seconds=1)),))
    with pytest.raises(TokenError) as err:
        retired.verify(old_token, now=NOW)
    assert err.value.problem is TokenProblem.UNKNOWN_KEY
    # new mail is signed with the current key
    assert still.verify(still.sign(3, 10, today=NOW.date()), now=NOW).lead_id == 10


def test_expired_tokens_are_refused():
    signer = TokenSigner(KEY, max_age_days=60)
    token = signer.sign(1, 2, today=date(2026, 9, 1))
    assert signer.verify(token, now=datetime(2026, 10, 30, tzinfo=timezone.utc)).lead_id == 2
    with pytest.raises(TokenError) as err:
        signer.verify(token, now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert err.value.problem is TokenProblem.EXPIRED


def test_short_keys_are_refused():
    with pytest.raises(ValueError):
        TokenSigner(b"short")


# -- headers and footer of the mail a lead receives ---------------------------------------


async def _started(tmp_path, dovecot, sink, database_url, **agent_over):
    settings = make_settings(tmp_path, [agent_dict(dovecot, sink, postal_address="Acme Analytics, 1 Main St, Springfield",
                                                   **agent_over)],
                             database_url=database_url, consent={"public_base_url": "https://sqa.example.com/mail"})
    app = await build_app(settings)
    agent = app.agents[0]
    lead_id = await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
    await queue_first_mails(app.sessionmaker, agent.runtime)
    await drain_once(app)
    first = (await sink.wait_for(1))[0]
    return app, agent, lead_id, first


def _links(raw: bytes) -> tuple[str, str]:
    msg = message_from_bytes(bytes(raw), policy=email.policy.default)
    value = " ".join(str(msg["List-Unsubscribe"]).split())
    https, mailto = [part.strip().strip("<>") for part in value.split(",")]
    return https, mailto


async def test_every_lead_mail_carries_one_click_headers_and_a_visible_footer(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        msg = message_from_bytes(bytes(first.raw), policy=email.policy.default)
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = _links(first.raw)
        assert https.startswith("https://sqa.example.com/mail/u/")
        token = https.rsplit("/", 1)[1]
        assert agent.runtime.signer.verify(token).lead_id == lead_id
        assert mailto == f"mailto:{agent.runtime.settings.address.split('@')[0]}+unsubscribe-{token}@agent.test?subject=unsubscribe"
        assert "lee" not in https and LEAD_DOMAIN not in https and "lee" not in mailto  # never the plain address
        body = msg.get_body(("plain",)).get_content()
        assert f"To stop receiving these emails, unsubscribe: {https}" in body
        assert "Acme Analytics, 1 Main St, Springfield" in body
        assert "written by an AI assistant" in body  # EU AI Act Art. 50 disclosure line

        # the answer to a reply carries the same links (same lead, same token)
        await deliver(dovecot, agent.runtime.settings.address, reply_to(first, sender=LEAD, body="Tell me more."))
        await drain_once(app)
        second = (await smtp_sink.wait_for(2))[1]
        assert _links(second.raw) == (https, mailto)
        assert "unsubscribe: " + https in message_from_bytes(bytes(second.raw), policy=email.policy.default)\
            .get_body(("plain",)).get_content()
    finally:
        await app.close()


async def test_a_reply_quoting_our_footer_is_not_an_opt_out(tmp_path, dovecot, smtp_sink, database_url):
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        https, _ = _links(first.raw)
        quoted = f"Sounds good, tell me more.\n\n> Hello Lee,\n> To stop receiving these emails, unsubscribe: {https}\n"
        await deliver(dovecot, agent.runtime.settings.address, reply_to(first, sender=LEAD, body=quoted))
        await drain_once(app)
        await smtp_sink.wait_for(2)
        async with app.sessionmaker() as s:
            assert (await s.get(Lead, lead_id)).status != "opted_out"
            assert await consent.export(s) == []
    finally:
        await app.close()


# -- mailto -----------------------------------------------------------------------------------


async def test_mail_to_the_token_address_opts_out_the_named_lead_whoever_sends_it(tmp_path, dovecot, smtp_sink, database_url):
    """A forwarding alias or a mail client with another From: the token names the lead."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        follow_up = await _queue_follow_up(app, agent.runtime, lead_id)
        _, mailto = _links(first.raw)
        to = mailto.removeprefix("mailto:").split("?")[0]
        await deliver(dovecot, agent.runtime.settings.address,
                      new_mail(sender=f"lee.private@{LEAD_DOMAIN}", to=to, subject="unsubscribe", body=""))
        await drain_once(app)
        async with app.sessionmaker() as s:
            lead = await s.get(Lead, lead_id)
            row = await s.scalar(select(Outbox).where(Outbox.message_id == follow_up))
            [event] = await consent.export(s)
            assert await consent.suppressed(s, [LEAD], agent.runtime.id)
            assert not await consent.suppressed(s, [f"lee.private@{LEAD_DOMAIN}"], agent.runtime.id)
        assert lead.status == "opted_out"
        assert row.status == OutboxStatus.CANCELLED
        assert (event.address, event.source, event.scope, event.evidence["token"]) == (LEAD, "mailto", "all", True)
        assert len(smtp_sink.messages) == 1  # the follow-up never left, nothing answered the opt-out
    finally:
        await app.close()


async def test_a_forged_token_address_opts_out_only_the_writer(tmp_path, dovecot, smtp_sink, database_url):
    """No one can opt out someone else: without a valid token, the writer's own address is suppressed."""
    app, agent, lead_id, first = await _started(tmp_path, dovecot, smtp_sink, database_url)
    try:
        _, mailto = _links(first.raw)
        to = mailto.removeprefix("mailto:").split("?")[0]
        local, domain = to.split("@")
        forged = local[:-3] + ("aaa" if not local.endswith("aaa") else "bbb") + "@" + domain
        mallory = f"mallory@{LEAD_DOMAIN}"
        await deliver(dovecot, agent.runtime.settings.address, new_mail(sender=mallory, to=forged, subject="unsubscribe", body=""))
        await drain_once(app)
        async with app.sessionmaker() as s:
            lead = await s.get(Lead, lead_id)
            events = await consent.export(s)
            assert not await consent.suppressed(s, [LEAD], agent.runtime.id)
        assert lead.status != "opted_out"
        assert [(e.address, e.source, e.evidence["token"]) for e in events] == [(mallory, "mailto", False)]
    finally:
        await app.close()


async def test_agent_scoped_links_stop_only_that_agent(tmp_path, dovecot, smtp_sink, database_url):
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, name="first"), agent_dict(dovecot, smtp_sink, name="second")],
                             database_url=database_url, consent={"link_scope": "agent"})
    app = await build_app(settings)
    try:
        one, two = app.agents
        ids = [await add_lead(app.sessionmaker, a.runtime.id, LeadInput(email=LEAD, name="Lee")) for a in (one, two)]
        await queue_first_mails(app.sessionmaker, one.runtime)
        await drain_once(app)
        first = (await smtp_sink.wait_for(1))[0]
        _, mailto = _links(first.raw)
        to = mailto.removeprefix("mailto:").split("?")[0]
        await deliver(dovecot, one.runtime.settings.address, new_mail(sender=LEAD, to=to, subject="unsubscribe", body=""))
        await drain_once(app)
        await queue_first_mails(app.sessionmaker, two.runtime)
        await drain_once(app)
        await smtp_sink.wait_for(2)
        async with app.sessionmaker() as s:
            assert (await s.get(Lead, ids[0])).status == "opted_out"
            assert (await s.get(Lead, ids[1])).status == "contacted"
            assert await consent.suppressed(s, [LEAD], one.runtime.id)
            assert not await consent.suppressed(s, [LEAD], two.runtime.id)
        assert smtp_sink.messages[1].mail_from == two.runtime.settings.address
    finally:
        await app.close()
