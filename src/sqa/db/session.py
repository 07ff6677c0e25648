"""Engine and session factory: one code path for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine, AsyncSession


# Session option for a session that only reads: ``sessionmaker(execution_options=READ_ONLY)``. On SQLite
# its transaction is a deferred BEGIN (a WAL snapshot; it never waits for the write lock, nor holds it
# against the watcher and the sender). A session with this option must not write.
READ_ONLY = {"sqa_read_only": True}


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            # We issue BEGIN ourselves (below); the driver's implicit BEGIN is off.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn) -> None:  # noqa: ANN001
            # IMMEDIATE takes the write lock up front and waits for it (busy_timeout): a
            # deferred read transaction that later writes would fail at once with
            # SQLITE_BUSY when another connection committed in between (WAL snapshot).
            if conn.get_execution_options().get("sqa_read_only"):
                conn.exec_driver_sql("BEGIN")  # a snapshot for a session that only reads: no write lock
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, echo=echo, pool_size=5, max_overflow=5, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
