"""`sqa config check`: try the database and every agent's IMAP and SMTP login.

An XOAUTH2 login is tried as the daemon does it: the refresh token the
daemon stored (``oauth_tokens``, decrypted with ``storage.key``) when the
agent already has its row, else the configured one; a rotated refresh token
is stored again, so the daemon goes on from it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from sqa.config import Settings
from sqa.db import crypto, migrate
from sqa.db.models import Agent
from sqa.db.session import make_engine, make_sessionmaker
from sqa.mailbox.oauth import register_agents, uses_oauth
from sqa.mailbox.imap import ImapClient, ImapError
from sqa.mailbox.smtp import SmtpConnection, SmtpError


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def check_database(settings: Settings) -> CheckResult:
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current, head = await migrate.current_revision(engine), migrate.head_revision()
        schema = "up to date" if current == head else f"schema {current or '(empty)'}, needs {head}: run `sqa db upgrade`"
        return CheckResult("database", True, f"{engine.url.render_as_string(hide_password=True)} reachable; {schema}")
    except (OperationalError, DBAPIError, OSError) as exc:
        return CheckResult("database", False, f"cannot connect: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    finally:
        await engine.dispose()


async def check_imap(settings: Settings, index: int) -> CheckResult:
    agent = settings.agents[index]
    client = ImapClient(agent.imap)
    name = f"agent {agent.name}: IMAP {agent.imap.username}@{agent.imap.host}:{agent.imap.port}"
    try:
        await client.connect()
        info = await client.select(agent.imap.folder)
        idle = "IDLE" if client.idle_supported else "no IDLE: polling"
        return CheckResult(name, True, f"login ok, {agent.imap.folder} has {info.exists} messages, {idle}")
    except (ImapError, OSError, asyncio.TimeoutError) as exc:
        return CheckResult(name, False, str(exc))
    finally:
        await client.logout()


async def check_smtp(settings: Settings, index: int) -> CheckResult:
    agent = settings.agents[index]
    conn = SmtpConnection(agent.smtp)
    name = f"agent {agent.name}: SMTP {agent.smtp.username}@{agent.smtp.host}:{agent.smtp.port}"
    try:
        await conn.connect()
        return CheckResult(name, True, f"connected ({agent.smtp.security.value}), login ok")
    except SmtpError as exc:
        return CheckResult(name, False, exc.reply)
    finally:
        await conn.quit()


async def run_checks(settings: Settings) -> list[CheckResult]:
    engine = await _register_oauth(settings)
    try:
        checks = [check_database(settings)]
        for i in range(len(settings.agents)):
            checks += [check_imap(settings, i), check_smtp(settings, i)]
        return list(await asyncio.gather(*checks))
    finally:
        if engine is not None:
            await engine.dispose()


async def _register_oauth(settings: Settings) -> AsyncEngine | None:
    """Token providers for the XOAUTH2 agents, over the daemon's token store when the database has it."""
    if not any(uses_oauth(a) for a in settings.agents):
        return None
    engine = make_engine(settings.database_url)
    crypto.use(engine, crypto.keyring_from(settings))
    try:
        async with engine.connect() as conn:
            ids: dict[str, int] | None = {n: i for n, i in (await conn.execute(select(Agent.name, Agent.id))).all()}
    except (OperationalError, DBAPIError, OSError):  # unreachable or not migrated: the database check says why
        ids = None
    register_agents(settings, make_sessionmaker(engine) if ids is not None else None, ids)
    return engine
