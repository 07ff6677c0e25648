"""The OAuth2 token provider against the local token server: expiry, rotation, the file store, failures,
and the configuration keys. No mail server involved (tests/test_oauth.py runs the whole exchange)."""

from __future__ import annotations

import base64
import logging
import stat

import pytest

from sqa.config import ConfigError, OAuthSettings
from sqa.mailbox.oauth import OAuthError, TokenProvider, xoauth2_string
from sqa.mailbox.tokenstore import FileTokenStore
from sqa.sandbox.oauth_server import OAuthServer
from tests.support import make_settings

USER = "ava@agent.test"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def server():
    with OAuthServer(access_ttl_s=600) as s:
        yield s


def _settings(server: OAuthServer, refresh_token: str, **over) -> OAuthSettings:
    return OAuthSettings(token_url=server.token_url, client_id=server.client_id, client_secret=server.client_secret,
                         refresh_token=refresh_token, **over)


def test_xoauth2_initial_response_format():
    decoded = base64.b64decode(xoauth2_string("someone@example.com", "ya29.token"))
    assert decoded == b"user=someone@example.com\x01auth=Bearer ya29.token\x01\x01"


async def test_access_token_is_cached_until_shortly_before_expiry_and_rotation_is_persisted(server, tmp_path):
    clock = FakeClock()
    store = FileTokenStore(tmp_path / "oauth", "ava")
    provider = TokenProvider("ava", _settings(server, server.grant(USER), refresh_before_s=60), store, retry_s=900,
                             clock=clock)
    first = await provider.token()
    clock.now += 500  # 600 s lifetime, refreshed 60 s before the end
    assert await provider.token() == first and provider.refreshes == 1
    clock.now += 45
    second = await provider.token()
    assert second != first and provider.refreshes == 2
    [current] = server.current_refresh_tokens(USER)
    path = store.path(provider.slot)
    assert path.read_text() == current
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert await provider.token(stale=first) == second  # another login already refreshed: no second refresh
    assert provider.refreshes == 2
    assert server.user_of(await provider.token(stale=second)) == USER  # the server refused it: a new one
    assert provider.refreshes == 3

    # a new process with the same configuration: the stored (rotated) token, not the configured one
    again = TokenProvider("ava", provider.settings, FileTokenStore(tmp_path / "oauth", "ava"), retry_s=900)
    assert server.user_of(await again.token()) == USER
    # a new consent configured by the operator: its token is used, not the stored one of the old grant
    fresh = server.grant(USER)
    renewed = TokenProvider("ava", _settings(server, fresh), FileTokenStore(tmp_path / "oauth", "ava"), retry_s=900)
    assert renewed.slot != provider.slot
    assert server.user_of(await renewed.token()) == USER
    assert fresh not in server.current_refresh_tokens(USER)


@pytest.mark.parametrize("status", [503, 400])
async def test_failed_refresh_alerts_once_and_holds_until_retry_s(server, tmp_path, caplog, status):
    caplog.set_level(logging.INFO)
    clock = FakeClock()
    provider = TokenProvider("ava", _settings(server, server.grant(USER)), FileTokenStore(tmp_path, "ava"),
                             retry_s=900, clock=clock)
    server.fail_next(status)
    before = server.token_requests
    with pytest.raises(OAuthError):
        await provider.token()
    for _ in range(3):  # every login within retry_s fails at once, without asking the server again
        with pytest.raises(OAuthError):
            await provider.token()
    assert server.token_requests - before == 1
    alerts = [r.getMessage() for r in caplog.records if "ALERT" in r.getMessage()]
    assert len(alerts) == 1 and alerts[0].startswith("ALERT agent ava: OAuth2 token refresh failed: ")
    assert server.client_secret not in caplog.text
    clock.now += 901
    assert server.user_of(await provider.token()) == USER  # the grant itself was fine: it works again


async def test_unreachable_token_endpoint_is_a_failed_refresh(tmp_path):
    with OAuthServer() as gone:
        url = gone.token_url
    settings = OAuthSettings(token_url=url, client_id="c", refresh_token="rt-x", timeout_s=2)
    provider = TokenProvider("ava", settings, FileTokenStore(tmp_path, "ava"), retry_s=900)
    with pytest.raises(OAuthError, match="unreachable|did not answer"):
        await provider.token()


def _agent(**over):
    base = {"name": "ava", "address": USER, "display_name": "Ava",
            "imap": {"host": "imap.example.com", "username": USER, "auth": "xoauth2"},
            "smtp": {"host": "smtp.example.com", "username": USER, "auth": "xoauth2"}}
    base.update(over)
    return base


def test_config_xoauth2_needs_an_oauth_section(tmp_path):
    with pytest.raises(ConfigError, match="xoauth2.*oauth"):
        make_settings(tmp_path, [_agent()])


def test_config_token_url_must_be_https_off_loopback(tmp_path):
    oauth = {"token_url": "http://login.example.com/token", "client_id": "c", "refresh_token": "r"}
    with pytest.raises(ConfigError, match="plain http"):
        make_settings(tmp_path, [_agent(oauth=oauth)])


def test_config_reads_oauth_secrets_from_credentials(tmp_path):
    from sqa.config import load_settings

    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "ms-secret").write_text("the-client-secret\n")
    (creds / "ms-refresh").write_text("the-refresh-token\n")
    oauth = {"token_url": "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
             "client_id": "00000000-0000-0000-0000-000000000000", "client_secret_credential": "ms-secret",
             "refresh_token_credential": "ms-refresh",
             "scope": "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access"}
    (tmp_path / "sqa.toml").write_text("")
    settings = load_settings(path=tmp_path / "sqa.toml", environ={"CREDENTIALS_DIRECTORY": str(creds)},
                             overrides={"state_dir": str(tmp_path), "agents": [_agent(oauth=oauth)]})
    section = settings.agents[0].oauth
    assert section.client_secret.get_secret_value() == "the-client-secret"
    assert section.refresh_token.get_secret_value() == "the-refresh-token"
    assert "the-refresh-token" not in repr(settings)
