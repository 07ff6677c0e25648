"""OAuth2 / SASL XOAUTH2 end to end: the daemon against Dovecot's oauth2 passdb, which validates every
token at a local introspection server (sqa.sandbox.oauth_server), and an SMTP sink that checks XOAUTH2
tokens against the same server. The token endpoint rotates the refresh token on every refresh."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import pytest_asyncio

from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor, drain_once
from sqa.db.oauth_store import get_tokens
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.mailbox import oauth
from sqa.sandbox import DovecotServer, SmtpSink
from sqa.sandbox.oauth_server import OAuthServer
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to

LEAD = f"lee@{LEAD_DOMAIN}"


@pytest.fixture(scope="module")
def oauth_server():
    with OAuthServer() as server:
        yield server


@pytest.fixture(scope="module")
def oauth_dovecot(oauth_server):
    """A Dovecot of this module's own: XOAUTH2 through the oauth2 passdb (refused logins must not slow
    down the shared server through Dovecot's auth penalty)."""
    server = DovecotServer.start(oauth2_introspection_url=oauth_server.introspection_url)
    try:
        yield server
    finally:
        server.close()


@pytest_asyncio.fixture(loop_scope="session")
async def oauth_sink(oauth_server, oauth_dovecot):
    async with SmtpSink(local_domains=("agent.test",), lmtp=(oauth_dovecot.host, oauth_dovecot.lmtp_port),
                        oauth=oauth_server) as sink:
        yield sink


def _oauth_agent(dovecot, sink, server: OAuthServer, name: str, **over):
    address = f"{name}@agent.test"
    section = {"token_url": server.token_url, "client_id": server.client_id, "client_secret": server.client_secret,
               "refresh_token": server.grant(address), "scope": "https://mail.example/IMAP https://mail.example/SMTP"}
    imap = {"auth": "xoauth2", "password": None, **over.pop("imap", {})}
    return agent_dict(dovecot, sink, name=name, imap=imap, smtp={"auth": "xoauth2"}, oauth=section, **over)


async def _app(tmp_path, agents, database_url):
    app = await build_app(make_settings(tmp_path, agents, database_url=database_url))
    for agent in app.agents:
        await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=LEAD, name="Lee Lead", company="Globex"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
    return app


async def _stored(app, agent) -> str | None:
    provider = oauth.provider_for(agent.runtime.settings.imap)
    stored = await get_tokens(app.sessionmaker, agent.runtime.id, provider.slot)
    return stored.refresh_token if stored is not None else None


async def test_daemon_answers_a_reply_over_xoauth2_and_refreshes_a_refused_token(
        tmp_path, oauth_server, oauth_dovecot, oauth_sink, database_url):
    name = f"o{time.monotonic_ns() % 10**9}"
    config = _oauth_agent(oauth_dovecot, oauth_sink, oauth_server, name)
    initial = config["oauth"]["refresh_token"]
    address = config["address"]
    app = await _app(tmp_path, [config], database_url)
    agent = app.agents[0]
    try:
        await drain_once(app)  # the watcher logs in (first connect), the first mail goes out over SMTP
        first = (await oauth_sink.wait_for(1))[0]
        provider = oauth.provider_for(agent.runtime.settings.imap)
        assert provider is oauth.provider_for(agent.runtime.settings.smtp)  # one token for IMAP and SMTP
        assert provider.refreshes == 1
        # the rotated refresh token is stored; the initial one no longer works at the server
        [current] = oauth_server.current_refresh_tokens(address)
        assert current != initial and await _stored(app, agent) == current

        await deliver(oauth_dovecot, address, reply_to(first, sender=LEAD, body="Tell me more about pricing tiers.",
                                                        message_id="<r1@lead.test>"))
        await drain_once(app)
        assert len(oauth_sink.by_in_reply_to().get("<r1@lead.test>", [])) == 1
        assert provider.refreshes == 1  # the cached access token served every login

        # the server stops accepting the access token early: NO [AUTHENTICATIONFAILED], one refresh, one retry
        oauth_server.expire_access_tokens()
        await deliver(oauth_dovecot, address, reply_to(first, sender=LEAD, body="We have about 40 people in sales.",
                                                        message_id="<r2@lead.test>"))
        await drain_once(app)
        assert len(oauth_sink.by_in_reply_to().get("<r2@lead.test>", [])) == 1
        assert provider.refreshes == 2
        [current] = oauth_server.current_refresh_tokens(address)
        assert await _stored(app, agent) == current
        assert not agent.watcher.auth_failed and agent.sender.halt_reason is None
    finally:
        await app.close()

    # a restarted daemon starts from the stored (rotated) token, not the configured initial one
    app = await build_app(app.settings)
    try:
        restarted = oauth.provider_for(app.agents[0].runtime.settings.imap)
        assert restarted is not provider and restarted.refreshes == 0
        await deliver(oauth_dovecot, address, reply_to(first, sender=LEAD, body="Budget is approved for Q3.",
                                                        message_id="<r3@lead.test>"))
        await drain_once(app)
        assert len(oauth_sink.by_in_reply_to().get("<r3@lead.test>", [])) == 1
        assert restarted.refreshes == 1
    finally:
        await app.close()


async def test_revoked_grant_alerts_once_without_a_loop_and_other_agents_go_on(
        tmp_path, oauth_server, oauth_dovecot, database_url, caplog):
    caplog.set_level(logging.INFO)
    suffix = time.monotonic_ns() % 10**9
    good_address = f"p{suffix}@agent.test"
    async with SmtpSink(local_domains=("agent.test",), lmtp=(oauth_dovecot.host, oauth_dovecot.lmtp_port),
                        oauth=oauth_server, credentials={good_address: "smtp-pass"}) as sink:
        revoked = _oauth_agent(oauth_dovecot, sink, oauth_server, f"o{suffix}", imap={"auth_retry_s": 3600})
        secret = revoked["oauth"]["refresh_token"]
        oauth_server.revoke(revoked["address"])  # consent withdrawn before the daemon starts
        good = agent_dict(oauth_dovecot, sink, name=f"p{suffix}", smtp={"password": "smtp-pass"})
        app = await _app(tmp_path, [revoked, good], database_url)
        bad_agent, good_agent = app.agents
        requests_before = oauth_server.token_requests
        sup = Supervisor(app)
        started = time.monotonic()
        runner = asyncio.create_task(sup.run())
        try:
            await asyncio.wait_for(bad_agent.watcher.first_login.wait(), 10)
            first = next(m for m in await sink.wait_for(1) if m.rcpt_tos == [LEAD])  # the good agent's first mail
            await deliver(oauth_dovecot, good_address, reply_to(first, sender=LEAD, body="Sounds interesting, go on.",
                                                                 message_id="<good@lead.test>"))
            await sink.wait_for(2)
            # watch for ~3 s in all: a tight loop would ask the token endpoint again and again
            await asyncio.sleep(max(0.0, 3.0 - (time.monotonic() - started)))
            assert oauth_server.token_requests - requests_before == 1
            assert bad_agent.watcher.auth_failed and not bad_agent.watcher.connected
            assert "invalid_grant" in (bad_agent.watcher.last_error or "")
            assert bad_agent.sender.halt_reason and "invalid_grant" in bad_agent.sender.halt_reason
            alerts = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and "ALERT" in r.getMessage()]
            assert len(alerts) == 1, alerts
            assert alerts[0].startswith(f"ALERT agent {bad_agent.runtime.name}: OAuth2 token refresh failed: invalid_grant")
            # the other agent is untouched: connected, its reply answered
            assert good_agent.watcher.connected
            assert len(sink.by_in_reply_to().get("<good@lead.test>", [])) == 1
            assert all(m.mail_from != revoked["address"] for m in sink.messages)
            assert secret not in caplog.text and oauth_server.client_secret not in caplog.text
        finally:
            sup.stop.set()
            code = await asyncio.wait_for(runner, 20)
            await app.close()
        assert code == 0


async def test_config_check_logs_in_with_the_stored_rotated_token(
        tmp_path, oauth_server, oauth_dovecot, oauth_sink, database_url):
    from tests.test_cli import sqa, write_config

    name = f"c{time.monotonic_ns() % 10**9}"
    agent = _oauth_agent(oauth_dovecot, oauth_sink, oauth_server, name)
    app = await _app(tmp_path, [agent], database_url)
    try:
        await drain_once(app)  # the first login rotated the refresh token; only the stored one works now
        assert oauth_server.current_refresh_tokens(agent["address"]) != [agent["oauth"]["refresh_token"]]
    finally:
        await app.close()
    written = {**agent, "imap": {k: v for k, v in agent["imap"].items() if v is not None}}  # TOML has no null
    config = write_config(tmp_path / "sqa.toml", {"state_dir": str(tmp_path), "database": {"url": database_url},
                                                  "agents": [written]})
    oauth._PROVIDERS.clear()  # `sqa config check` is a process of its own: no provider of the daemon's is there
    result = await sqa("config", "check", "--config", config)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if name in line]
    assert any("IMAP" in line and "login ok" in line for line in lines), result.output
    assert any("SMTP" in line and "login ok" in line for line in lines), result.output
    app = await build_app(app.settings)  # the daemon goes on from the token the check stored
    try:
        [current] = oauth_server.current_refresh_tokens(agent["address"])
        assert await _stored(app, app.agents[0]) == current
    finally:
        await app.close()
