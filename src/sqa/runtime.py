"""An agent as the running daemon sees it: its settings plus its database id."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.clock import SYSTEM_CLOCK, Clock
from sqa.config import AgentSettings, Settings
from sqa.consent.gate import SendGate
from sqa.consent.signer import make_signer
from sqa.consent.tokens import Claims, TokenError, TokenSigner
from sqa.db.models import Agent
from sqa.mailbox.classify import Context
from sqa.mailbox.compose import Draft, Unsubscribe, render
from sqa.mailbox.dkim import DkimSigner
from sqa.mailbox.oauth import register_agents


@dataclass(frozen=True, slots=True)
class AgentRuntime:
    settings: AgentSettings
    id: int
    signer: TokenSigner
    public_base_url: str  # where the /u/TOKEN links point
    link_scope: str = "all"  # what a link or mailto opt-out stops (consent.link_scope)
    dkim: DkimSigner | None = None
    gate: SendGate = field(default_factory=SendGate)  # one per daemon, shared by its agents (consent/gate.py)
    clock: Clock = SYSTEM_CLOCK  # what "now" is for windows, caps and due times (tests move a ManualClock)

    def render(self, draft: Draft) -> bytes:
        """The bytes to queue: rendered, and DKIM-signed when the agent has a key."""
        raw = render(draft)
        return self.dkim.sign(raw) if self.dkim is not None else raw

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
        """The lead token of ``agent+TOKEN@domain``, else None (the unsubscribe addresses are not lead tokens)."""
        local, _, domain = address.lower().rpartition("@")
        base = self.settings.address.lower().split("@", 1)[0]
        if domain != self.settings.domain or not local.startswith(base + "+"):
            return None
        token = local[len(base) + 1 :]
        if not token or token == "unsubscribe" or token.startswith("unsubscribe-"):
            return None
        return token

    def unsubscribe(self, lead_id: int) -> Unsubscribe:
        """The links of one lead's mail: https://…/u/TOKEN and agent+unsubscribe-TOKEN@domain."""
        token = self.signer.sign(self.id, lead_id)
        local, domain = self.settings.address.lower().split("@", 1)
        return Unsubscribe(url=f"{self.public_base_url.rstrip('/')}/u/{token}",
                           mailto=f"{local}+unsubscribe-{token}@{domain}",
                           postal_address=self.settings.postal_address)

    def unsubscribe_claims(self, address: str) -> Claims | None:
        """The verified token of ``agent+unsubscribe-TOKEN@domain`` when it names this agent, else None."""
        local, _, domain = address.lower().rpartition("@")
        prefix = self.unsubscribe_address.split("@", 1)[0] + "-"
        if domain != self.settings.domain or not local.startswith(prefix):
            return None
        try:
            claims = self.signer.verify(local[len(prefix):])
        except TokenError:
            return None
        return claims if claims.agent_id == self.id else None


async def ensure_agents(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
                        clock: Clock = SYSTEM_CLOCK) -> list[AgentRuntime]:
    """Create or update the agents' rows; return them with their ids and the token signer."""
    agents = settings.agents
    signer = make_signer(settings)
    gate = SendGate()
    signers = {i: DkimSigner(a.dkim, a.domain, f"agents[{i}].dkim") for i, a in enumerate(agents) if a.dkim is not None}
    out: list[AgentRuntime] = []
    async with sessionmaker() as session, session.begin():
        rows = {a.name: a for a in await session.scalars(select(Agent).where(Agent.name.in_([s.name for s in agents])))}
        for index, agent in enumerate(agents):
            row = rows.get(agent.name)
            if row is None:
                row = Agent(name=agent.name, address=agent.address, display_name=agent.display_name, mode=agent.mode.value)
                session.add(row)
            else:
                row.address, row.display_name, row.mode = agent.address, agent.display_name, agent.mode.value
            await session.flush()
            out.append(AgentRuntime(agent, row.id, signer, settings.consent.public_base_url, settings.consent.link_scope,
                                    signers.get(index), gate, clock))
    register_agents(settings, sessionmaker, {r.name: r.id for r in out})  # XOAUTH2 logins find their tokens
    return out
