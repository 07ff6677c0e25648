"""An agent as the running daemon sees it: its settings plus its database id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.config import AgentSettings
from sqa.db.models import Agent
from sqa.mailbox.classify import Context


@dataclass(frozen=True, slots=True)
class AgentRuntime:
    settings: AgentSettings
    id: int

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def loop_marker(self) -> str:
        return f"{self.settings.name}@{self.settings.domain}"

    def classify_context(self) -> Context:
        own = {self.settings.address.lower(), self.settings.imap.username.lower(), self.settings.smtp.username.lower()}
        return Context(own_addresses=frozenset(a for a in own if "@" in a), loop_marker=self.loop_marker,
                       unsubscribe_addresses=frozenset({self.unsubscribe_address}), domain=self.settings.domain)

    @property
    def unsubscribe_address(self) -> str:
        """The agent's unsubscribe mailto address: mail to it is an opt-out, whatever it says."""
        local, domain = self.settings.address.lower().split("@", 1)
        return f"{local}+unsubscribe@{domain}"

    def plus_token(self, address: str) -> str | None:
        """The lead token of ``agent+TOKEN@domain``, else None."""
        local, _, domain = address.lower().rpartition("@")
        base = self.settings.address.lower().split("@", 1)[0]
        if domain != self.settings.domain or not local.startswith(base + "+"):
            return None
        token = local[len(base) + 1 :]
        return token if token and token != "unsubscribe" else None


async def ensure_agents(sessionmaker: async_sessionmaker[AsyncSession], agents: list[AgentSettings]) -> list[AgentRuntime]:
    """Create or update the agents' rows; return them with their ids."""
    out: list[AgentRuntime] = []
    async with sessionmaker() as session, session.begin():
        rows = {a.name: a for a in await session.scalars(select(Agent).where(Agent.name.in_([s.name for s in agents])))}
        for settings in agents:
            row = rows.get(settings.name)
            if row is None:
                row = Agent(name=settings.name, address=settings.address, display_name=settings.display_name, mode=settings.mode.value)
                session.add(row)
            else:
                row.address, row.display_name, row.mode = settings.address, settings.display_name, settings.mode.value
            await session.flush()
            out.append(AgentRuntime(settings, row.id))
    return out
