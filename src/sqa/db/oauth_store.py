"""An agent's OAuth2 tokens (oauth_tokens), one row per agent and provider; encrypted when a key is set.

Why in the database and not in a file: the refresh token changes on every
refresh (Microsoft rotates it; Google may), several processes may share one
PostgreSQL, and the database is where the column key protects it. The mailbox
code (mailbox/oauth.py) calls ``get_tokens`` before a login and ``put_tokens``
after every refresh, in its own short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.db.models import OAuthToken, utcnow


@dataclass(frozen=True, slots=True)
class StoredTokens:
    refresh_token: str | None
    access_token: str | None
    expires_at: datetime | None  # of the access token
    updated_at: datetime

    def __repr__(self) -> str:  # never print a token by accident
        return f"StoredTokens(expires_at={self.expires_at!r}, updated_at={self.updated_at!r})"


async def get_tokens(sessionmaker: async_sessionmaker[AsyncSession], agent_id: int, provider: str) -> StoredTokens | None:
    async with sessionmaker() as session:
        row = await session.scalar(select(OAuthToken).where(OAuthToken.agent_id == agent_id,
                                                            OAuthToken.provider == provider))
        if row is None:
            return None
        return StoredTokens(row.refresh_token, row.access_token, row.expires_at, row.updated_at)


async def put_tokens(sessionmaker: async_sessionmaker[AsyncSession], agent_id: int, provider: str, *,
                     access_token: str | None, expires_at: datetime | None, refresh_token: str | None = None,
                     now: datetime | None = None) -> None:
    """Insert or update the row; ``refresh_token=None`` keeps the stored one (a provider that did not rotate it)."""
    values: dict = {"access_token": access_token, "expires_at": expires_at, "updated_at": now or utcnow()}
    if refresh_token is not None:
        values["refresh_token"] = refresh_token
    where = (OAuthToken.agent_id == agent_id, OAuthToken.provider == provider)
    for _ in range(2):  # a concurrent first insert by another process: then it is an update
        try:
            async with sessionmaker() as session, session.begin():
                result = await session.execute(update(OAuthToken).where(*where).values(**values)
                                               .execution_options(synchronize_session=False))
                if not result.rowcount:
                    session.add(OAuthToken(agent_id=agent_id, provider=provider, **values))
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"oauth_tokens: cannot store the tokens of agent {agent_id} / {provider}")


async def delete_tokens(sessionmaker: async_sessionmaker[AsyncSession], agent_id: int, provider: str) -> bool:
    """Forget the tokens (a revoked grant); True when there were some."""
    from sqlalchemy import delete

    async with sessionmaker() as session, session.begin():
        result = await session.execute(delete(OAuthToken).where(OAuthToken.agent_id == agent_id,
                                                                OAuthToken.provider == provider))
        return bool(result.rowcount)
