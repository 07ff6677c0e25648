"""RFC 8058 one-click POST, the confirm page and resubscribe, through the running daemon: the link is
read from the mail the SMTP sink received and posted to the daemon's own web service."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import delete

from sqa.consent import store as consent
from sqa.db.models import Lead, OutboxStatus
from tests.support import LEAD_DOMAIN
from tests.web_support import LEAD, events, lead, list_unsubscribe, outbox_row, queue_mail, running_daemon, \
    settled_outbox_row, token_of

ONE_CLICK = "List-Unsubscribe=One-Click"
BOUNDARY = "----sqa7MA4YWxkTrZu0gW"
MULTIPART = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n"
             f"--{BOUNDARY}--\r\n").encode()


async def _one_click(client, url, encoding: str, **headers: str):
    if encoding == "multipart":
        return await client.post(url, content=MULTIPART,
                                 headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **headers})
    return await client.post(url, content=ONE_CLICK.encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded", **headers})


def _assert_plain_200(response) -> None:
    assert response.status_code == 200, response.text
    assert "location" not in response.headers and "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
async def test_one_click_post_from_the_mail_opts_out_once_and_stops_all_mail(tmp_path, dovecot, smtp_sink,
                                                                           database_url, encoding, caplog):
    caplog.set_level(logging.INFO)
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url) as d:
        url, mailto, post = list_unsubscribe(d.mails[LEAD].raw)
        assert url.startswith(d.base + "/u/") and post == ONE_CLICK
        assert LEAD not in url and token_of(url) in mailto
        lead_id = d.leads[LEAD]
        scheduled = await queue_mail(d.app, lead_id, due_in=timedelta(hours=2))  # a follow-up, not due yet
        async with d.client() as client:
            missing = await client.post(url, content=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
            wrong = await client.post(url, data={"List-Unsubscribe": "Yes"})
            assert (missing.status_code, wrong.status_code) == (400, 400)
            assert await events(d.app) == []

            first = await _one_click(client, url, encoding, **{"User-Agent": "GoogleOneClick/1.0"})
            _assert_plain_200(first)
            assert first.text.strip() == "unsubscribed"
            again = [await _one_click(client, url, encoding) for _ in range(3)]
            again += await asyncio.gather(*(_one_click(client, url, encoding) for _ in range(5)))  # at once
        assert [r.status_code for r in again] == [200] * 8
        assert {r.text.strip() for r in again} == {"already unsubscribed"}

        log = await events(d.app)
        assert len(log) == 1  # one event however often it is posted
        event = log[0]
        assert (event.address, event.action, event.source, event.scope, event.actor) == (
            LEAD, "opt_out", "one_click", "all", "recipient")
        assert event.agent_id == d.agent.runtime.id
        token = token_of(url)
        assert event.evidence["ip"] == "127.0.0.1" and event.evidence["user_agent"] == "GoogleOneClick/1.0"
        assert event.evidence["token_issued"] and event.evidence["path"].startswith("/u/" + token[:6])
        assert token not in str(event.evidence)  # no whole token in the log
        assert (await lead(d.app, lead_id)).status == "opted_out"
        assert (await outbox_row(d.app, scheduled)).status == OutboxStatus.CANCELLED

        later = await queue_mail(d.app, lead_id)  # due now: the gate at send time stops it
        d.agent.sender.wake()
        assert (await settled_outbox_row(d.app, later)).status == OutboxStatus.CANCELLED
        await asyncio.sleep(0.2)
        assert len(smtp_sink.messages) == 1  # only the first mail ever left
        assert len(await events(d.app)) == 1
    web_logs = [r.getMessage() for r in caplog.records if r.name.startswith(("sqa.web", "uvicorn"))]
    assert any("opt-out via one_click" in m and token[:6] in m for m in web_logs)
    assert not any(token in m or LEAD in m for m in web_logs)  # a token prefix at most, no address


async def test_get_changes_nothing_then_confirm_and_resubscribe(tmp_path, dovecot, smtp_sink, database_url):
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url) as d:
        url, lead_id = d.url(), d.leads[LEAD]
        token = token_of(url)
        async with d.client() as client:
            health = await client.get(d.base + "/healthz")
            assert (health.status_code, health.json()["status"]) == (200, "ok")  # the details: tests/test_observe.py
            pages = [await client.get(url) for _ in range(10)]  # link scanners prefetch: nothing changes
            assert {p.status_code for p in pages} == {200}
            assert await events(d.app) == [] and (await lead(d.app, lead_id)).status != "opted_out"
            page = pages[0]
            html = page.text
            assert page.headers["content-type"].startswith("text/html")
            assert '<html lang="en">' in html and "<main>" in html and "<script" not in html
            assert f'<form method="post" action="/u/{token}/confirm">' in html and '<button type="submit"' in html
            assert "l***@lead.test" in html and LEAD not in html
            assert "http" not in html.split("<body>", 1)[1]  # no external resources
            csp = page.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "style-src 'unsafe-inline'" in csp and "form-action 'self'" in csp
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
            assert "set-cookie" not in page.headers

            done = await client.post(f"{url}/confirm")
            assert done.status_code == 200 and "location" not in done.headers
            assert f'action="/u/{token}/resubscribe"' in done.text and "You are unsubscribed" in done.text
            assert [(e.action, e.source, e.actor) for e in await events(d.app)] == [("opt_out", "confirm_page", "recipient")]
            assert (await lead(d.app, lead_id)).status == "opted_out"
            await client.post(f"{url}/confirm")  # a second press: no second event
            assert len(await events(d.app)) == 1
            shown = await client.get(url)  # the page now says so, and offers resubscribe
            assert "You are unsubscribed" in shown.text and "/resubscribe" in shown.text

            back = await client.post(f"{url}/resubscribe")
            assert back.status_code == 200 and "You are subscribed again" in back.text
            await client.post(f"{url}/resubscribe")  # nothing to undo the second time
        log = await events(d.app)
        assert [(e.action, e.source) for e in log] == [("opt_out", "confirm_page"), ("opt_in", "confirm_page")]
        assert log[1].evidence["path"].endswith("/resubscribe") and token not in str(log[1].evidence)
        row = await lead(d.app, lead_id)
        assert row.status == "paused" and "opted in again" in (row.attention or "")
        async with d.app.sessionmaker() as s:
            assert await consent.suppressed(s, [LEAD], d.agent.runtime.id) == {}


async def test_pages_speak_the_leads_language(tmp_path, dovecot, smtp_sink, database_url):
    german, plain = f"greta@{LEAD_DOMAIN}", f"pat@{LEAD_DOMAIN}"
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url, leads={german: "de-AT", plain: None}) as d:
        async with d.client() as client:
            de = await client.get(d.url(german), headers={"Accept-Language": "fr"})  # the lead's language wins
            assert '<html lang="de">' in de.text and "Abmelden" in de.text and "g***@lead.test" in de.text
            expect = {"fr-CH, fr;q=0.9, en;q=0.8": ("fr", "Se désabonner"), "es": ("es", "Darse de baja"),
                      "ja, de;q=0.5": ("de", "Abmelden"), "ja": ("en", "Unsubscribe"), "": ("en", "Unsubscribe")}
            for accept, (lang, word) in expect.items():
                page = await client.get(d.url(plain), headers={"Accept-Language": accept})
                assert f'<html lang="{lang}">' in page.text and word in page.text, accept
            done = await client.post(d.url(german) + "/confirm")
            assert "Sie sind abgemeldet" in done.text and "Wieder anmelden" in done.text
        assert [e.address for e in await events(d.app)] == [german]


async def test_erased_lead_stays_unsubscribed_without_a_new_event(tmp_path, dovecot, smtp_sink, database_url):
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url) as d:
        url = d.url()
        async with d.client() as client:
            assert (await _one_click(client, url, "urlencoded")).status_code == 200
            async with d.app.sessionmaker() as s, s.begin():  # erasure: the row goes, the hashed suppression stays
                await s.execute(delete(Lead).where(Lead.id == d.leads[LEAD]))
                await consent.forget_address(s, [LEAD])
            again = await _one_click(client, url, "multipart")
            assert again.status_code == 200 and again.text.strip() == "already unsubscribed"
            page = await client.get(url)
            assert page.status_code == 200 and "already unsubscribed" in page.text and "l***" not in page.text
            assert (await client.post(url + "/resubscribe")).status_code == 200
        log = await events(d.app)
        assert len(log) == 1 and log[0].address is None and log[0].action == "opt_out"


def _flip(token: str, index: int) -> str:
    ch = token[index]
    return token[:index] + ("a" if ch != "a" else "b") + token[index + 1:]


async def test_bad_tokens_get_4xx_and_change_nothing(tmp_path, dovecot, smtp_sink, database_url):
    from datetime import date

    from sqa.consent.tokens import TokenSigner

    old_live, old_dead = "old-key-still-valid-0123456789", "old-key-retired-0123456789ab"
    rotation = {"old_keys": [{"key": old_live, "verify_until": "2999-01-01T00:00:00Z"},
                             {"key": old_dead, "verify_until": "2001-01-01T00:00:00Z"}]}
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url, consent_over=rotation, agents=2,
                              web={"rate_limit_per_minute": 1000}) as d:
        url, lead_id = d.url(), d.leads[LEAD]
        token = token_of(url)
        runtime, other = d.app.agents[0].runtime, d.app.agents[1].runtime
        scheduled = await queue_mail(d.app, lead_id, due_in=timedelta(hours=2))
        base = d.base + "/u/"
        bad = {
            "truncated": (token[:-3], 400),
            "too long": (token + "aa", 400),
            "not base32": (token[:-1] + "1", 400),
            "tampered lead id": (_flip(token, 6), 404),
            "tampered mac": (_flip(token, 30), 404),
            "forged with another key": (TokenSigner(b"someone-elses-key-123456").sign(runtime.id, lead_id), 404),
            "unknown agent": (runtime.signer.sign(999, lead_id), 404),
            "other agent's token for this lead": (other.signer.sign(other.id, lead_id), 404),
            "rotated-out key": (TokenSigner(old_dead.encode()).sign(runtime.id, lead_id), 404),
            "expired": (runtime.signer.sign(runtime.id, lead_id, today=date.today() - timedelta(days=800)), 404),
        }
        async with d.client() as client:
            for name, (value, status) in bad.items():
                for method, suffix in (("GET", ""), ("POST", ""), ("POST", "/confirm"), ("POST", "/resubscribe")):
                    r = await client.request(method, base + value + suffix, content=ONE_CLICK.encode(),
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
                    assert r.status_code == status, (name, method, suffix, r.status_code)
                    assert "text/html" in r.headers["content-type"] and "This link does not work" in r.text
                    assert r.headers["cache-control"] == "no-store"
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            big = ONE_CLICK.encode() + b"&pad=" + b"x" * 20_000
            assert (await client.post(url, content=big, headers=form)).status_code == 413

            async def chunked():  # no Content-Length: counted as it arrives
                yield ONE_CLICK.encode()
                for _ in range(20):
                    yield b"&pad=" + b"x" * 1000
            assert (await client.post(url, content=chunked(), headers=form)).status_code == 413
            assert await events(d.app) == []
            assert (await lead(d.app, lead_id)).status != "opted_out"
            assert (await outbox_row(d.app, scheduled)).status == OutboxStatus.QUEUED

            # a key being rotated out still verifies until its verify_until
            live = TokenSigner(old_live.encode()).sign(runtime.id, lead_id)
            assert (await client.get(base + live)).status_code == 200
            assert (await _one_click(client, base + live, "urlencoded")).status_code == 200
        assert [e.source for e in await events(d.app)] == ["one_click"]
        assert (await outbox_row(d.app, scheduled)).status == OutboxStatus.CANCELLED


async def test_rate_limit_per_client_ignores_untrusted_forwarded_for(tmp_path, dovecot, smtp_sink, database_url):
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url, web={"rate_limit_per_minute": 3}) as d:
        url = d.url()
        async with d.client() as client:
            spoof = [{"X-Forwarded-For": f"203.0.113.{i}"} for i in range(4)]
            assert (await client.get(url, headers=spoof[0])).status_code == 200
            assert (await client.get(url, headers=spoof[1])).status_code == 200
            assert (await _one_click(client, url, "urlencoded", **spoof[2])).status_code == 200
            limited = await client.get(url, headers=spoof[3])  # another forwarded address, the same peer
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
            assert limited.headers["cache-control"] == "no-store"
            assert (await _one_click(client, url, "urlencoded")).status_code == 429
            assert (await client.get(d.base + "/healthz")).status_code == 200  # not limited
        log = await events(d.app)
        assert len(log) == 1 and log[0].evidence["ip"] == "127.0.0.1"  # the peer, not what it claimed


async def test_trusted_proxy_forwarded_for_names_the_client(tmp_path, dovecot, smtp_sink, database_url):
    web = {"rate_limit_per_minute": 3, "trusted_proxies": ["127.0.0.0/8", "10.0.0.0/8"]}
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url, web=web) as d:
        url = d.url()
        async with d.client() as client:
            # the client may write anything left of the proxies' entries: the right-most untrusted one counts
            chain = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7, 10.1.2.3"}
            assert (await _one_click(client, url, "urlencoded", **chain)).status_code == 200
            assert (await client.get(url, headers={"X-Forwarded-For": "203.0.113.7"})).status_code == 200
            assert (await client.get(url, headers={"X-Forwarded-For": "203.0.113.7"})).status_code == 200
            assert (await client.get(url, headers={"X-Forwarded-For": "203.0.113.7"})).status_code == 429
            assert (await client.get(url, headers={"X-Forwarded-For": "203.0.113.8"})).status_code == 200
            assert (await client.get(url)).status_code == 200  # the proxy itself, with no header: its own bucket
        log = await events(d.app)
        assert len(log) == 1 and log[0].evidence["ip"] == "203.0.113.7"


async def test_port_in_use_is_one_clear_line_and_exit_75(tmp_path, dovecot, smtp_sink, database_url, caplog):
    import logging
    import socket

    from sqa.daemon.app import build_app
    from sqa.daemon.supervisor import ExitCode, Supervisor
    from tests.support import agent_dict, make_settings

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=database_url,
                                 web={"bind": f"127.0.0.1:{port}"})
        app = await build_app(settings)
        try:
            with caplog.at_level(logging.INFO):
                code = await asyncio.wait_for(Supervisor(app).run(), 10)
        finally:
            await app.close()
    assert code == ExitCode.BUSY
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert re.fullmatch(rf"web: cannot listen on 127\.0\.0\.1:{port}: Address already in use; .*web\.bind\)",
                        errors[0].getMessage())
