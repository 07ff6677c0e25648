"""Shared fixtures: private servers from sqa.sandbox, started lazily, one per session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

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
