"""/healthz and /metrics of the running daemon: scraped while mail flows, a mailbox that cannot be reached
turning /healthz to 503, and the details kept from clients outside web.metrics_allow."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2 as httpx
from prometheus_client.parser import text_string_to_metric_families

from sqa.daemon.app import App, build_app
from sqa.daemon.supervisor import Supervisor
from sqa.observe import health
from sqa.sandbox.ports import free_port
from tests.support import LEAD_DOMAIN, agent_dict, deliver, make_settings, reply_to
from tests.web_support import LEAD, running_daemon


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """(sample name, labels) -> value of a Prometheus exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, base: str) -> dict:
    response = await client.get(base + "/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def until(check, timeout: float = 20.0):  # noqa: ANN001, ANN201
    """Poll ``check`` (async, returns a truthy value when done) until it does; its last value."""
    async def loop():  # noqa: ANN202
        while not (result := await check()):
            await asyncio.sleep(0.05)
        return result
    return await asyncio.wait_for(loop(), timeout)


async def test_healthz_and_metrics_move_while_mail_flows(tmp_path, dovecot, smtp_sink, database_url):
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url) as d:
        name = d.agent.runtime.name
        async with d.client() as client:
            async def connected():  # noqa: ANN202
                r = await client.get(d.base + "/healthz")
                agent = r.json()["agents"][name]
                synced = agent["watcher"]["connected"] and agent["watcher"]["last_fetch_at"]
                return r if synced and agent["outbox"]["sending"] == 0 else None  # logged in, first mail recorded

            first = await until(connected)
            assert first.status_code == 200 and first.headers["content-type"] == "application/json"
            doc = first.json()
            assert doc["status"] == "ok" and doc["problems"] == [] and doc["down_after_s"] == health.DOWN_AFTER_S
            agent = doc["agents"][name]
            assert agent["watcher"]["login_failed"] is False and agent["watcher"]["reconnects"] == 0
            assert agent["watcher"]["last_fetch_at"].endswith("Z") and agent["watcher"]["seconds_since_fetch"] >= 0
            assert agent["sender"]["running"] is True and agent["sender"]["halted"] is None
            assert agent["sender"]["last_send_at"] is not None  # the first mail went out
            assert agent["outbox"] == {"awaiting_approval": 0, "queued": 0, "sending": 0, "unknown": 0}
            assert LEAD not in first.text and LEAD_DOMAIN not in first.text  # no lead data

            before = await scrape(client, d.base)
            assert value(before, "sqa_mails_sent_total", agent=name, kind="first") == 1
            assert value(before, "sqa_messages_total", agent=name, direction="out", kind="first") == 1
            assert value(before, "sqa_leads", agent=name, status="contacted") == 1
            assert value(before, "sqa_imap_connected", agent=name) == 1
            assert value(before, "sqa_sender_running", agent=name) == 1
            assert value(before, "sqa_replies_sent_total", agent=name) == 0
            again = await scrape(client, d.base)  # nothing happened: a second scrape says the same
            stamp = "sqa_imap_last_fetch_timestamp_seconds"  # derived from the monotonic clock: equal to the microsecond
            assert abs(value(again, stamp, agent=name) - value(before, stamp, agent=name)) < 0.01
            assert {k: v for k, v in again.items() if k[0] != stamp} == {k: v for k, v in before.items() if k[0] != stamp}

            reply = reply_to(d.mails[LEAD], sender=f"Lee Lead <{LEAD}>", body="Sounds interesting, tell me more.")
            await deliver(dovecot, d.agent.runtime.settings.address, reply)

            async def replied():  # noqa: ANN202
                m = await scrape(client, d.base)
                return m if value(m, "sqa_replies_sent_total", agent=name) == 1 else None

            after = await until(replied)
            raw = (await client.get(d.base + "/metrics")).text
        assert value(after, "sqa_messages_total", agent=name, direction="in", kind="human") == 1
        assert value(after, "sqa_mails_sent_total", agent=name, kind="reply") == 1
        assert value(after, "sqa_leads", agent=name, status="qualifying") == 1
        assert value(after, "sqa_leads", agent=name, status="contacted") == 0
        assert value(after, "sqa_agent_runs_total", agent=name, step="engage", decision="reply") == 1
        assert value(after, "sqa_outbox", agent=name, status="sent") == 2
        assert value(after, "sqa_imap_handled_total", agent=name) >= 1
        engine = {"agent": name, "engine": "offline"}
        model = next(dict(labels)["model"] for (n, labels) in after if n == "sqa_model_requests_total")
        assert value(after, "sqa_model_requests_total", **engine, model=model) == 1
        assert value(after, "sqa_model_latency_seconds_count", **engine, model=model) == 1
        assert value(after, "sqa_model_latency_seconds_bucket", **engine, model=model, le="+Inf") == 1
        assert value(after, "sqa_model_latency_seconds_sum", **engine, model=model) > 0
        assert LEAD not in raw and LEAD_DOMAIN not in raw and "Lee" not in raw  # no lead data in any label


@asynccontextmanager
async def daemon_without_mailbox(tmp_path, dovecot, smtp_sink, database_url, **web) -> AsyncIterator[tuple[App, str]]:  # noqa: ANN001
    """The daemon with one agent whose IMAP server does not answer (a closed port) and one that works."""
    port = free_port()
    closed = free_port()  # nothing listens there: every connect is refused
    agents = [agent_dict(dovecot, smtp_sink, name="unreachable", imap={"port": closed}), agent_dict(dovecot, smtp_sink)]
    settings = make_settings(tmp_path, agents, database_url=database_url, web={"bind": f"127.0.0.1:{port}", **web})
    app = await build_app(settings)
    supervisor = Supervisor(app)
    runner = asyncio.create_task(supervisor.run())
    try:
        await asyncio.wait_for(app.web.serving.wait(), 10)
        yield app, f"http://127.0.0.1:{port}"
    finally:
        supervisor.stop.set()
        assert await asyncio.wait_for(runner, 30) == 0
        await app.close()


async def test_a_mailbox_down_longer_than_the_threshold_turns_healthz_503(tmp_path, dovecot, smtp_sink,
                                                                          database_url, monkeypatch):
    monkeypatch.setattr(health, "down_after_s", lambda app: 3600.0)  # down, but not for long yet
    async with daemon_without_mailbox(tmp_path, dovecot, smtp_sink, database_url) as (app, base):
        working = app.agents[1].runtime.name
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            async def tried():  # noqa: ANN202
                r = await client.get(base + "/healthz")
                w = r.json()["agents"]
                return r if w["unreachable"]["watcher"]["last_error"] and w[working]["watcher"]["connected"] else None

            early = await until(tried)
            assert early.status_code == 200 and early.json()["status"] == "ok"
            down = early.json()["agents"]["unreachable"]["watcher"]
            assert down["connected"] is False and down["down_for_s"] >= 0 and down["last_fetch_at"] is None

            monkeypatch.setattr(health, "down_after_s", lambda app: 0.05)  # now it has been down for longer than that

            async def unhealthy():  # noqa: ANN202
                r = await client.get(base + "/healthz")
                return r if r.status_code == 503 else None

            late = (await until(unhealthy)).json()
            assert late["status"] == "down" and late["down_after_s"] == 0.05
            assert len(late["problems"]) == 1 and late["problems"][0].startswith("agent unreachable: mailbox disconnected")
            assert late["agents"][working]["watcher"]["connected"] is True  # one mailbox failing stops no other
            metrics = await scrape(client, base)
            assert value(metrics, "sqa_imap_connected", agent="unreachable") == 0
            assert value(metrics, "sqa_imap_connected", agent=working) == 1
            assert value(metrics, "sqa_imap_login_failed", agent="unreachable") == 0


async def test_details_only_for_metrics_allow(tmp_path, dovecot, smtp_sink, database_url, monkeypatch):
    """Behind the public proxy (a trusted proxy naming an outside client): no metrics, only the health status."""
    monkeypatch.setattr(health, "down_after_s", lambda app: 0.0)  # the unreachable mailbox makes it 503 at once
    async with daemon_without_mailbox(tmp_path, dovecot, smtp_sink, database_url,
                                      trusted_proxies=["127.0.0.1/32"]) as (_app, base):
        outside = {"X-Forwarded-For": "203.0.113.9"}
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            metrics = await client.get(base + "/metrics", headers=outside)
            assert metrics.status_code == 403 and "web.metrics_allow" in metrics.text
            status = await client.get(base + "/healthz", headers=outside)
            assert (status.status_code, json.loads(status.text)) == (503, {"status": "down"})
            inside = await client.get(base + "/healthz", headers={"X-Forwarded-For": "127.0.0.1"})
            assert inside.status_code == 503 and "unreachable" in inside.json()["agents"]
            assert (await client.get(base + "/metrics")).status_code == 200  # the proxy host itself, no header
            live = await client.get(base + "/livez", headers=outside)
            assert (live.status_code, live.text.strip()) == (200, "ok")
