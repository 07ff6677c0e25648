"""Several daemons on one database, and a PostgreSQL schema that is never upgraded implicitly.

Every database test runs on SQLite and on PostgreSQL through the ``database_url`` fixture (conftest.py);
this module holds the cases that no other module covers.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from sqa.daemon.app import DatabaseNotReady, build_app
from sqa.leads import import_leads, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, make_settings


async def test_two_daemons_on_one_database_send_each_mail_once(tmp_path, dovecot, smtp_sink, database_url):
    """Two instances (e.g. an old and a new one during a deploy) drain the same outbox at the same time."""
    agent = agent_dict(dovecot, smtp_sink)
    apps = []
    for n in (1, 2):
        settings = make_settings(tmp_path / f"state{n}", [agent], database_url=database_url,
                                 daemon={"instance": f"host{n}", "grace_s": 5, "hard_deadline_s": 10})
        apps.append(await build_app(settings))
    try:
        runtime = apps[0].agents[0].runtime
        assert apps[1].agents[0].runtime.id == runtime.id
        rows = [(n + 2, {"email": f"lead{n}@{LEAD_DOMAIN}"}, None) for n in range(40)]
        assert (await import_leads(apps[0].sessionmaker, runtime.id, rows)).added == 40
        await queue_first_mails(apps[0].sessionmaker, runtime)
        for a in apps:
            a.agents[0].sender.batch = 5  # many small claims, so the two really interleave
        sent = await asyncio.gather(*(a.agents[0].sender.drain() for a in apps))
        assert sum(sent) == 40
        counts = Counter(m.message_id for m in smtp_sink.messages)
        assert len(counts) == 40 and set(counts.values()) == {1}
    finally:
        for a in apps:
            await a.close()


@pytest.mark.postgres
@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
async def test_build_app_refuses_an_unmigrated_postgres_database(tmp_path, dovecot, smtp_sink, empty_database_url):
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink)], database_url=empty_database_url)
    with pytest.raises(DatabaseNotReady, match="sqa db upgrade"):
        await build_app(settings)
