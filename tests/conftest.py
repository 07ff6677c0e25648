"""Shared fixtures: private servers from sqa.sandbox, started lazily, one per session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from sqa.db import migrate
from sqa.db.session import is_sqlite, make_engine
from sqa.sandbox import DovecotServer, MosquittoServer, PostgresServer, SmtpSink

#: Recipients in these domains are handed by the SMTP sink to Dovecot over LMTP.
LOCAL_DOMAINS = ("example.com",)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """Private Dovecot (IMAP + LMTP); any username, password ``secret``."""
    server = DovecotServer.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """Private PostgreSQL; ``postgres.create_database(name)`` returns an asyncpg URL."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh database with no schema, once on SQLite (a file in tmp_path) and once on the private
    PostgreSQL (a database of this test's own, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db' / 'sqa.db'}"
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = f"sqa_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    try:
        yield url
    finally:
        postgres.drop_database(name)


@pytest_asyncio.fixture(loop_scope="session")
async def database_url(empty_database_url: str) -> str:
    """A fresh database ready for ``build_app``, on SQLite and on PostgreSQL (every test that uses it runs twice).

    build_app upgrades SQLite itself; PostgreSQL is upgraded here, as `sqa db upgrade` does in production.
    """
    if not is_sqlite(empty_database_url):
        engine = make_engine(empty_database_url)
        try:
            before, after = await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        assert before is None and after == migrate.head_revision()
    return empty_database_url


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[MosquittoServer]:
    """Private Mosquitto broker (anonymous)."""
    server = MosquittoServer.start()
    try:
        yield server
    finally:
        server.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def smtp_sink_session(dovecot: DovecotServer) -> AsyncIterator[SmtpSink]:
    """One SMTP sink for the session; mail to LOCAL_DOMAINS lands in Dovecot."""
    sink = SmtpSink(local_domains=LOCAL_DOMAINS, lmtp=(dovecot.host, dovecot.lmtp_port))
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def smtp_sink(smtp_sink_session: SmtpSink) -> AsyncIterator[SmtpSink]:
    """The session sink, emptied, with no injected failures and default local domains."""
    sink = smtp_sink_session
    sink.reset()
    sink.local_domains = set(LOCAL_DOMAINS)
    yield sink
    sink.reset_failures()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_logged_errors: the test expects exceptions to be logged with traceback")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test when code under test swallowed an exception and only logged it (STYLE.md)."""
    import logging

    records: list[logging.LogRecord] = []

    class _Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info and record.levelno >= logging.ERROR and record.name.startswith("sqa"):
                records.append(record)

    handler = _Catch(level=logging.ERROR)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        outcome = yield
    finally:
        root.removeHandler(handler)
    if records and item.get_closest_marker("allow_logged_errors") is None and outcome.excinfo is None:
        first = records[0]
        pytest.fail(f"an exception was only logged (mark the test @pytest.mark.allow_logged_errors if that is expected): "
                    f"{first.name}: {first.getMessage()}\n"
                    + logging.Formatter().formatException(first.exc_info), pytrace=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fake_openai_session() -> AsyncIterator[object]:
    """A local OpenAI-compatible server (sqa.sandbox.openai_server) with a script queue of answers."""
    from sqa.sandbox.openai_server import FakeOpenAI

    async with FakeOpenAI() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def fake_openai(fake_openai_session):  # noqa: ANN001, ANN201
    """The fake OpenAI server with an empty script, no latency and no recorded requests."""
    fake_openai_session.reset()
    yield fake_openai_session
    fake_openai_session.reset()
