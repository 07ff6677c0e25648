"""OAuth2 access tokens for SASL XOAUTH2 (Microsoft 365, Gmail): one token provider per agent.

Why a provider and not a token per connection: the watcher, the Sent-folder copier and every pooled SMTP
connection of an agent log in with the same account. They share one cached access token and one refresh
at a time, so a pool of four connections does not make four refreshes, and a refresh token the server
rotates (Microsoft does) is used once and never raced.

The grant is the refresh-token grant (RFC 6749 §6). The refresh token the server returns is persisted on
every refresh, before the new access token is used: losing a rotated refresh token means a human has to
grant consent again. A failed refresh (invalid_grant, a 5xx, a timeout) raises one alert and then holds
for ``retry_s`` (the IMAP ``auth_retry_s``): logins in that window fail at once without asking the token
endpoint again, so a revoked grant never turns into a tight loop against the identity provider.

Secrets (refresh tokens, access tokens, the client secret) never reach a log line or an exception text.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx2

from sqa.config import AgentSettings, AuthMethod, Login, OAuthSettings, Settings
from sqa.mailbox.tokenstore import DbTokenStore, FileTokenStore, db_store_available

log = logging.getLogger(__name__)

ALERT_KIND = "oauth_refresh"
DEFAULT_LIFETIME_S = 3600.0  # when the server sends no expires_in (RFC 6749 §5.1 makes it RECOMMENDED)


class OAuthError(Exception):
    """The token endpoint gave no access token. The text is safe to log (no token, no secret)."""


class TokenStore(Protocol):
    """One agent's newest refresh token per slot, across restarts (sqa.mailbox.tokenstore)."""

    identity: str

    async def get(self, slot: str) -> str | None: ...

    async def put(self, slot: str, refresh_token: str) -> None: ...


def xoauth2_string(user: str, token: str) -> bytes:
    """The SASL XOAUTH2 initial client response, base64 (Google's and Microsoft's XOAUTH2 documents)."""
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode("utf-8"))


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def _alert(agent: str, message: str) -> None:
    try:
        from sqa.observe.alerts import raise_alert
    except ImportError:  # the alerts module is optional here: the log line is the alert
        log.error("ALERT agent %s: %s", agent, message, extra={"agent": agent, "alert_kind": ALERT_KIND})
        return
    raise_alert(agent, ALERT_KIND, message)


class TokenProvider:
    """Access tokens for one agent's mail account, refreshed shortly before they expire."""

    def __init__(self, agent: str, settings: OAuthSettings, store: TokenStore, *, retry_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.agent = agent
        self.settings = settings
        self.store = store
        self.retry_s = retry_s
        self._clock = clock
        self._initial = settings.refresh_token.get_secret_value() if settings.refresh_token is not None else ""
        # the slot changes when the operator configures a new initial token (a new consent): then the
        # configured one wins over what the store kept from the old grant
        self.slot = f"xoauth2-{_fingerprint(self._initial)}"
        self._refresh_token: str | None = None  # the newest one, once read from the store or received
        self._access: str | None = None
        self._refresh_at = 0.0  # monotonic: refresh from here on
        self._failed_until = 0.0
        self._failure: OAuthError | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0  # successful refreshes (tests, metrics)

    async def token(self, *, stale: str | None = None) -> str:
        """A valid access token. ``stale``: the server refused this one, so get another (unless a
        concurrent login already did)."""
        async with self._lock:
            now = self._clock()
            if self._access is not None and self._access != stale and now < self._refresh_at:
                return self._access
            if now < self._failed_until and self._failure is not None:
                raise self._failure  # the alert was raised when it failed; held until retry_s passed
            try:
                return await self._refresh()
            except OAuthError as exc:
                self._access, self._failure = None, exc
                self._failed_until = self._clock() + self.retry_s
                _alert(self.agent, f"OAuth2 token refresh failed: {exc}; next try in {self.retry_s:.0f} s")
                raise

    async def _refresh(self) -> str:
        s = self.settings
        if self._refresh_token is None:
            self._refresh_token = await self.store.get(self.slot) or self._initial
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token, "client_id": s.client_id}
        if s.client_secret is not None:
            form["client_secret"] = s.client_secret.get_secret_value()
        if s.scope:
            form["scope"] = s.scope
        try:
            async with httpx2.AsyncClient(timeout=s.timeout_s, follow_redirects=False) as client:
                response = await client.post(s.token_url, data=form, headers={"Accept": "application/json"})
        except httpx2.TimeoutException:
            raise OAuthError(f"token endpoint {s.token_url} did not answer within {s.timeout_s:g} s") from None
        except httpx2.HTTPError as exc:
            raise OAuthError(f"token endpoint {s.token_url} unreachable: {type(exc).__name__}") from None
        body = _json(response)
        if response.status_code != 200:
            raise OAuthError(_describe_error(response.status_code, body))
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise OAuthError(f"token endpoint answered {response.status_code} without an access_token")
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self._refresh_token = rotated
            try:
                await self.store.put(self.slot, rotated)  # before the new access token is used
            except Exception as exc:  # noqa: BLE001 - kept in memory; a restart would need the old one
                log.error("agent %s: could not persist the rotated OAuth2 refresh token (%s); kept in memory",
                          self.agent, type(exc).__name__, extra={"agent": self.agent})
        lifetime = _lifetime(body.get("expires_in"))
        margin = min(s.refresh_before_s, lifetime / 2)
        self._access = access
        self._refresh_at = self._clock() + lifetime - margin
        self._failure, self._failed_until = None, 0.0
        self.refreshes += 1
        log.info("agent %s: OAuth2 access token refreshed (valid %.0f s%s)", self.agent, lifetime,
                 ", refresh token rotated" if rotated else "", extra={"agent": self.agent})
        return access


def _json(response: httpx2.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _describe_error(status: int, body: dict) -> str:
    """RFC 6749 §5.2 error (+ a short description): no token ever appears in these fields."""
    error = body.get("error")
    if isinstance(error, str) and error:
        described = body.get("error_description")
        detail = f": {' '.join(described.split())[:200]}" if isinstance(described, str) and described else ""
        return f"{error} (HTTP {status}){detail}"
    return f"token endpoint answered HTTP {status}"


def _lifetime(value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_S
    return seconds if seconds > 0 else DEFAULT_LIFETIME_S


# ---------------------------------------------------------------------------------------------- registry
# ImapClient and SmtpConnection are built in several places (watcher, sender, Sent copier, `sqa config check`)
# from the login settings alone; they find the agent's provider here instead of each call site passing it.
_PROVIDERS: dict[Login, TokenProvider] = {}


def uses_oauth(agent: AgentSettings) -> bool:
    return AuthMethod.XOAUTH2 in (agent.imap.auth, agent.smtp.auth)


def register_agents(settings: Settings, sessionmaker: Any = None, agent_ids: Mapping[str, int] | None = None,  # noqa: ANN401
                    ) -> dict[str, TokenProvider]:
    """Set up a provider for every agent that logs in with XOAUTH2, its refresh token kept in the database
    (``sessionmaker`` and the agents' ids given) or else in files under the state directory. Existing
    providers whose settings did not change are kept (a reload keeps the cached access token).
    Returns them by agent name."""
    use_db = sessionmaker is not None and agent_ids is not None and db_store_available()
    out: dict[str, TokenProvider] = {}
    for agent in settings.agents:
        if not uses_oauth(agent):
            continue
        assert agent.oauth is not None  # the config refuses xoauth2 without it
        store: TokenStore = (DbTokenStore(sessionmaker, agent_ids[agent.name]) if use_db and agent.name in agent_ids
                             else FileTokenStore(settings.state_dir / "oauth", agent.name))
        logins = [login for login in (agent.imap, agent.smtp) if login.auth is AuthMethod.XOAUTH2]
        known = _PROVIDERS.get(logins[0])
        if (known is None or known.agent != agent.name or known.settings != agent.oauth
                or known.store.identity != store.identity):
            known = TokenProvider(agent.name, agent.oauth, store, retry_s=agent.imap.auth_retry_s)
        for login in logins:
            _PROVIDERS[login] = known
        out[agent.name] = known
    return out


def provider_for(login: Login) -> TokenProvider:
    """The provider registered for these login settings (register_agents ran when the agents were set up)."""
    try:
        return _PROVIDERS[login]
    except KeyError:
        raise OAuthError(f"no OAuth2 token provider for {login.username}: the agents were not registered") from None
