"""Where an agent's newest OAuth2 refresh token survives restarts: the database, or files.

Why durable, on every refresh: a provider that rotates refresh tokens (Microsoft) invalidates the old
one, so a rotated token that is lost means a human has to grant consent again.

- ``DbTokenStore``: the ``oauth_tokens`` table (sqa.db.oauth_store), encrypted per column when a
  storage key is configured; one row per agent and slot. The daemon uses it.
- ``FileTokenStore``: one file per agent and slot under ``<state_dir>/oauth`` (directory 0700, files
  0600 from their creation, never chmod'ed afterwards; temp file + fsync + rename + fsync of the
  directory). For tools that run without the database, and where the table is missing.

Only the refresh token is stored: an access token lives an hour and is fetched again after a restart,
so keeping it would only put one more secret at rest.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class FileTokenStore:
    """``get(slot)`` / ``put(slot, refresh_token)`` for one agent, over small files."""

    def __init__(self, directory: Path, agent: str) -> None:
        self.directory = Path(directory)
        self.agent = agent
        self.identity = f"file:{self.directory}:{agent}"

    def path(self, slot: str) -> Path:
        return self.directory / (_SAFE.sub("_", f"{self.agent}.{slot}") + ".token")

    async def get(self, slot: str) -> str | None:
        return await asyncio.to_thread(self._read, slot)

    async def put(self, slot: str, refresh_token: str) -> None:
        await asyncio.to_thread(self._write, slot, refresh_token)

    def _read(self, slot: str) -> str | None:
        try:
            text = self.path(slot).read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def _write(self, slot: str, refresh_token: str) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = self.path(slot)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, refresh_token.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class DbTokenStore:
    """The same interface over ``oauth_tokens`` (one short transaction per call)."""

    def __init__(self, sessionmaker: Any, agent_id: int) -> None:  # noqa: ANN401 - async_sessionmaker
        self.sessionmaker = sessionmaker
        self.agent_id = agent_id
        self.identity = f"db:{id(sessionmaker)}:{agent_id}"

    async def get(self, slot: str) -> str | None:
        from sqa.db.oauth_store import get_tokens

        stored = await get_tokens(self.sessionmaker, self.agent_id, slot)
        return stored.refresh_token if stored is not None else None

    async def put(self, slot: str, refresh_token: str) -> None:
        from sqa.db.oauth_store import put_tokens

        await put_tokens(self.sessionmaker, self.agent_id, slot, access_token=None, expires_at=None,
                         refresh_token=refresh_token)


def db_store_available() -> bool:
    try:
        import sqa.db.oauth_store  # noqa: F401
    except ImportError:
        return False
    return True
