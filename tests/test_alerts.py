"""Alerts that cannot stay silent: a refused SMTP login, a refused IMAP login and a stalled watcher each give
one ERROR line, one count in sqa_alerts_total{agent,kind} and (with MQTT) one event on <prefix>/<agent>/alerts;
a stalled watcher also turns /healthz to 503. The queue towards the broker is bounded."""

from __future__ import annotations

import asyncio
import logging

from sqa.config import MqttSettings
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import Supervisor
from sqa.leads import LeadInput, add_lead, queue_first_mails
from sqa.observe import alerts as alerts_module
from sqa.observe.alerts import ALERTS, AlertPublisher, AlertRecord, raise_alert
from sqa.observe.health import report
from sqa.observe.metrics import Metrics
from sqa.sandbox import SmtpSink
from tests.handoff_support import Subscriber
from tests.support import LEAD_DOMAIN, agent_dict, make_settings


def _metric(text: str, agent: str, kind: str) -> float:
    prefix = f'sqa_alerts_total{{agent="{agent}",kind="{kind}"}} '
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, text
    return float(lines[0][len(prefix):])


async def _until(predicate, timeout: float = 15) -> None:  # noqa: ANN001
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.05)
    await asyncio.wait_for(poll(), timeout)


async def _run_until_alert(app, mosquitto, agent_name: str, kind: str, caplog, prepare=None):  # noqa: ANN001, ANN202
    """Run the daemon until one alert of ``kind`` reached MQTT; return (payloads, alert log lines, metrics text)."""
    caplog.set_level(logging.WARNING)
    sup = Supervisor(app)
    async with Subscriber(mosquitto, f"sqa/{agent_name}/alerts") as sub:
        if prepare is not None:
            await prepare()
        runner = asyncio.create_task(sup.run())
        try:
            got = await sub.wait_for(1, timeout=20)
            text = (await Metrics(app).render()).decode()
        finally:
            sup.stop.set()
            assert await asyncio.wait_for(runner, 20) == 0
    lines = [r for r in caplog.records if r.levelno == logging.ERROR and "ALERT" in r.getMessage() and
             getattr(r, "alert_kind", None) == kind]
    return got, lines, text


async def test_refused_smtp_login_alerts_once(tmp_path, dovecot, database_url, mosquitto, caplog):
    async with SmtpSink(credentials={"someone": "x"}) as sink:
        settings = make_settings(tmp_path, [agent_dict(dovecot, sink, smtp={"password": "wrong-password", "retry_max_s": 60})],
                                 database_url=database_url, mqtt={"host": mosquitto.host, "port": mosquitto.port, "timeout_s": 5})
        app = await build_app(settings)
        agent = app.agents[0]
        name = agent.runtime.name
        before = ALERTS.counts[(name, "smtp_auth")]

        async def queue_mail() -> None:
            await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"lee@{LEAD_DOMAIN}", name="Lee Lead"))
            await queue_first_mails(app.sessionmaker, agent.runtime)

        try:
            got, lines, metrics = await _run_until_alert(app, mosquitto, name, "smtp_auth", caplog, queue_mail)
        finally:
            await app.close()
    (topic, payload, qos), = got
    assert topic == f"sqa/{name}/alerts" and qos == 1
    assert payload["kind"] == "smtp_auth" and payload["agent"] == name and "535" in payload["message"]
    assert payload["time"].endswith("Z")
    assert len(lines) == 1 and name in lines[0].getMessage()
    assert ALERTS.counts[(name, "smtp_auth")] == before + 1
    assert _metric(metrics, name, "smtp_auth") == before + 1
    assert _metric(metrics, name, "imap_auth") == 0  # every kind has its series for every agent
    assert "wrong-password" not in caplog.text and "wrong-password" not in payload["message"]


async def test_refused_imap_login_alerts_once(tmp_path, dovecot, smtp_sink, database_url, mosquitto, caplog):
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, imap={"password": "not-the-password", "auth_retry_s": 3600})],
                             database_url=database_url, mqtt={"host": mosquitto.host, "port": mosquitto.port, "timeout_s": 5})
    app = await build_app(settings)
    name = app.agents[0].runtime.name
    try:
        got, lines, metrics = await _run_until_alert(app, mosquitto, name, "imap_auth", caplog)
    finally:
        await app.close()
    (topic, payload, qos), = got
    assert (topic, qos, payload["kind"], payload["agent"]) == (f"sqa/{name}/alerts", 1, "imap_auth", name)
    assert len(lines) == 1
    assert _metric(metrics, name, "imap_auth") == 1
    assert "not-the-password" not in caplog.text and "not-the-password" not in payload["message"]


async def test_stalled_watcher_alerts_and_turns_healthz_down(tmp_path, dovecot, smtp_sink, database_url, caplog):
    """Connected and in IDLE (renewal every 60 s) with a stall threshold of 0.3 s: a stall by definition."""
    caplog.set_level(logging.WARNING)
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=database_url,
                             alerts={"watcher_stall_s": 0.3})
    app = await build_app(settings)
    watcher = app.agents[0].watcher
    assert watcher.stall_after_s == 0.3
    sup = Supervisor(app)
    runner = asyncio.create_task(sup.run())
    try:
        await _until(lambda: watcher.stalled)
        healthy, doc = await report(app)
        name = app.agents[0].runtime.name
        assert not healthy and doc["agents"][name]["watcher"]["stalled"] is True
        assert any("stalled" in p for p in doc["problems"])
        lines = [r for r in caplog.records if getattr(r, "alert_kind", None) == "watcher_stalled"]
        assert len(lines) == 1 and "no fetch or IDLE renewal" in lines[0].getMessage()
        watcher.check_stall(watcher.progress_at + 10)  # still stalled: no second alert for the same stall
        assert len([r for r in caplog.records if getattr(r, "alert_kind", None) == "watcher_stalled"]) == 1
    finally:
        sup.stop.set()
        assert await asyncio.wait_for(runner, 20) == 0
        await app.close()


def test_default_stall_threshold_outlasts_an_idle_renewal(tmp_path):
    from sqa.mailbox.watcher import stall_after_s

    imap = make_settings(tmp_path, [agent_dict_plain()]).agents[0].imap
    assert stall_after_s(imap) == 2 * imap.idle_renew_s + imap.noop_timeout_s + 60
    assert stall_after_s(imap, 42.0) == 42.0


def agent_dict_plain() -> dict:
    return {"name": "a", "address": "a@agent.test", "display_name": "A",
            "imap": {"host": "127.0.0.1", "security": "plain", "username": "a", "password": "p"},
            "smtp": {"host": "127.0.0.1", "security": "plain", "username": "a", "password": "p"}}


async def test_queue_is_bounded_and_drops_the_oldest(caplog):
    caplog.set_level(logging.WARNING)
    record = AlertRecord()
    publisher = AlertPublisher(MqttSettings(host="127.0.0.1", port=1), record=record, maxlen=2)
    real = alerts_module.ALERTS
    alerts_module.ALERTS = record
    try:
        for i in range(3):
            raise_alert("x", "bounce_rate", f"alert {i}")
    finally:
        alerts_module.ALERTS = real
        publisher.close()
    assert [a.message for a in publisher.queue.items] == ["alert 1", "alert 2"]
    assert publisher.queue.dropped == 1
    assert any("dropped the oldest alert" in r.getMessage() for r in caplog.records)
    assert record.counts[("x", "bounce_rate")] == 3 and record.queues == []
