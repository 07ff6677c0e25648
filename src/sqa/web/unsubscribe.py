"""The /u/{token} routes: RFC 8058 one-click POST, the confirm page (GET changes nothing), its
button, and resubscribe. Every change goes through sqa.consent.store in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from sqa.consent import store as consent
from sqa.consent.store import Scope, Source
from sqa.consent.tokens import Claims, TokenError, TokenProblem
from sqa.db.models import Lead
from sqa.web import pages
from sqa.web.texts import choose, from_accept_language, mask

if TYPE_CHECKING:
    from sqa.daemon.app import App
    from sqa.runtime import AgentRuntime

log = logging.getLogger(__name__)

ONE_CLICK_FIELD, ONE_CLICK_VALUE = "List-Unsubscribe", "One-Click"


@dataclass(frozen=True, slots=True)
class Link:
    """A verified token: which agent's mail, which lead."""

    token: str
    runtime: AgentRuntime
    claims: Claims

    @property
    def shown(self) -> str:
        """The token as logs and evidence show it: a prefix, never the whole (it can resubscribe)."""
        return self.token[:6] + "…"


class _Unknown(Exception):
    """The token is genuine but names an agent or lead pairing we do not have."""


class UnsubscribeRoutes:
    def __init__(self, app: App) -> None:
        self.app = app
        self.signer = app.runtimes[0].signer if app.runtimes else None  # one signer for every agent

    @property
    def runtimes(self) -> dict[int, AgentRuntime]:
        """Read at each request: a reload (SIGHUP) adds and removes agents."""
        return {r.id: r for r in self.app.runtimes}

    # -- routes -----------------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        """GET: the confirm page in the lead's language. Reads only."""
        link = self._verify(request)
        if isinstance(link, Response):
            return link
        async with self.app.sessionmaker() as session:
            try:
                lead = await self._lead(session, link)
            except _Unknown:
                return self._bad(request, 404)
            if lead is None:
                return pages.erased(self._lang(request, None))
            lang = self._lang(request, lead)
            company, shown = link.runtime.settings.company, mask(lead.email)
            if await consent.suppressed(session, [lead.email], link.runtime.id):
                return pages.done(lang, link.token, company, shown)
            return pages.confirm(lang, link.token, company, shown, link.runtime.link_scope)

    async def one_click(self, request: Request) -> Response:
        """POST with List-Unsubscribe=One-Click (RFC 8058): 200, never a redirect, one event however often."""
        link = self._verify(request)
        if isinstance(link, Response):
            return link
        form = await request.form(max_files=2, max_fields=20)
        if form.get(ONE_CLICK_FIELD) != ONE_CLICK_VALUE:
            return pages.text(f"the body must be {ONE_CLICK_FIELD}={ONE_CLICK_VALUE}", 400)
        outcome = await self._opt_out(request, link, Source.ONE_CLICK)
        if outcome is None:
            return self._bad(request, 404)
        _, recorded = outcome
        return pages.text("unsubscribed" if recorded else "already unsubscribed")

    async def confirm(self, request: Request) -> Response:
        """POST from the page's button: opt out, then the done page with a resubscribe button."""
        link = self._verify(request)
        if isinstance(link, Response):
            return link
        outcome = await self._opt_out(request, link, Source.CONFIRM_PAGE)
        if outcome is None:
            return self._bad(request, 404)
        lead, _ = outcome
        if lead is None:
            return pages.erased(self._lang(request, None))
        return pages.done(self._lang(request, lead), link.token, link.runtime.settings.company, mask(lead.email))

    async def resubscribe(self, request: Request) -> Response:
        """POST from the done page: an explicit opt-in event (only when currently opted out)."""
        link = self._verify(request)
        if isinstance(link, Response):
            return link
        runtime = link.runtime
        async with self.app.sessionmaker() as session, session.begin():
            try:
                lead = await self._lead(session, link)
            except _Unknown:
                return self._bad(request, 404)
            if lead is None:
                return pages.erased(self._lang(request, None))
            change = await consent.opt_in(session, lead.email, agent_id=runtime.id, scope=Scope(runtime.link_scope),
                                          source=Source.CONFIRM_PAGE, evidence=self._evidence(request, link),
                                          actor="recipient", gate=runtime.gate)
            lang, shown = self._lang(request, lead), mask(lead.email)
        log.info("opt-in via resubscribe button: agent %s, lead %d, token %s, %s", runtime.name, lead.id, link.shown,
                 "recorded" if change.recorded else "was not opted out")
        return pages.resubscribed(lang, runtime.settings.company, shown)

    # -- helpers ----------------------------------------------------------------------------------

    async def _opt_out(self, request: Request, link: Link, source: Source) -> tuple[Lead | None, bool] | None:
        """(lead, recorded); lead None when erased (its hashed suppression stays); None for an unknown pairing."""
        runtime = link.runtime
        async with self.app.sessionmaker() as session, session.begin():
            try:
                lead = await self._lead(session, link)
            except _Unknown:
                return None
            if lead is None:
                log.info("opt-out via %s: lead %d of agent %s is erased (still suppressed); token %s", source.value,
                         link.claims.lead_id, runtime.name, link.shown)
                return None, False
            change = await consent.opt_out(session, lead.email, agent_id=runtime.id, scope=Scope(runtime.link_scope),
                                           source=source, gate=runtime.gate, evidence=self._evidence(request, link),
                                           actor="recipient")
        if change.recorded:
            log.info("opt-out via %s: agent %s, lead %d, token %s, scope %s, %d queued mails cancelled", source.value,
                     runtime.name, lead.id, link.shown, runtime.link_scope, change.cancelled)
        else:
            log.info("opt-out via %s: agent %s, lead %d, token %s, already in force", source.value, runtime.name,
                     lead.id, link.shown)
        return lead, change.recorded

    def _verify(self, request: Request) -> Link | Response:
        token = request.path_params["token"]
        if self.signer is None:
            return self._bad(request, 404)
        try:
            claims = self.signer.verify(token)
        except TokenError as exc:
            log.info("unsubscribe link refused (%s) from %s: token %s", exc.problem.value, _ip(request), token[:6] + "…")
            return self._bad(request, 400 if exc.problem is TokenProblem.MALFORMED else 404)
        runtime = self.runtimes.get(claims.agent_id)
        if runtime is None:
            log.info("unsubscribe link refused (unknown agent) from %s: token %s", _ip(request), token[:6] + "…")
            return self._bad(request, 404)
        return Link(token, runtime, claims)

    async def _lead(self, session: AsyncSession, link: Link) -> Lead | None:
        lead = await session.get(Lead, link.claims.lead_id)
        if lead is not None and lead.agent_id != link.runtime.id:
            log.info("unsubscribe link refused (lead of another agent): token %s", link.shown)
            raise _Unknown
        return lead

    def _evidence(self, request: Request, link: Link) -> dict[str, Any]:
        suffix = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        path = f"/u/{link.shown}" + ("" if suffix == link.token else f"/{suffix}")
        return {"token_issued": link.claims.issued.isoformat(), "ip": _ip(request),
                "user_agent": (request.headers.get("user-agent") or "")[:300], "path": path, "method": request.method}

    @staticmethod
    def _lang(request: Request, lead: Lead | None) -> str:
        return choose(lead.language if lead is not None else None, request.headers.get("accept-language"))

    @staticmethod
    def _bad(request: Request, status: int) -> Response:
        return pages.bad_link(from_accept_language(request.headers.get("accept-language")) or "en", status)


def _ip(request: Request) -> str:
    return str(request.scope.get("state", {}).get("client_ip") or "unknown")
