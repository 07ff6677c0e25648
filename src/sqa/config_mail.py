"""The mailbox part of the settings: logins (IMAP, SMTP, OAuth2 for XOAUTH2) and DKIM.

Split from sqa.config, which re-exports every name here (import them from sqa.config).
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key."""


class Security(StrEnum):
    TLS = "tls"  # implicit TLS (IMAPS 993, SMTPS 465)
    STARTTLS = "starttls"  # SMTP 587 with mandatory STARTTLS
    PLAIN = "plain"  # loopback only: refused for any other host


class AuthMethod(StrEnum):
    PASSWORD = "password"  # LOGIN / AUTH PLAIN with password or password_credential
    XOAUTH2 = "xoauth2"  # SASL XOAUTH2 with an access token from the agent's `oauth` section (Microsoft 365, Gmail)


class SaveSent(StrEnum):
    AUTO = "auto"  # never for providers that file a copy on submission (Gmail, Microsoft 365)
    ALWAYS = "always"
    NEVER = "never"


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Login(_Strict):
    host: str
    port: int = Field(ge=1, le=65535)
    security: Security = Security.TLS
    username: str
    auth: AuthMethod = AuthMethod.PASSWORD
    password: SecretStr | None = None
    password_credential: str | None = None
    timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> Login:
        if self.security is Security.PLAIN and self.host not in _LOOPBACK:
            raise ValueError(f"security = 'plain' is allowed only for loopback hosts, not {self.host!r}")
        return self

    def secret(self) -> str:
        if self.password is None:
            raise ConfigError(f"no password for {self.username}@{self.host}")
        return self.password.get_secret_value()


class ImapSettings(Login):
    port: int = Field(default=993, ge=1, le=65535)
    folder: str = "INBOX"
    idle_renew_s: float = Field(default=300.0, gt=0, le=29 * 60)  # RFC 2177: before 29 min; also our dead-socket check
    idle: bool = True  # use IDLE where the server offers it; else poll
    poll_interval_s: float = Field(default=60.0, gt=0)  # where IDLE is missing or off
    noop_timeout_s: float = Field(default=20.0, gt=0)
    reconnect_base_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=300.0, gt=0)
    auth_retry_s: float = Field(default=900.0, gt=0)  # a refused login is retried this rarely
    fetch_batch: int = Field(default=50, ge=1, le=500)
    max_message_bytes: int = Field(default=10 * 1024 * 1024, ge=64 * 1024)  # larger mail: only its start is read
    processed_keyword: str = "$SQAProcessed"
    quarantine_keyword: str = "$SQAQuarantined"
    move_to: str | None = None  # optional folder for handled mail
    sent_folder: str | None = None  # else found by SPECIAL-USE \Sent
    import_history: bool = False  # first connect starts "from now on" unless set


class SmtpSettings(Login):
    port: int = Field(default=465, ge=1, le=65535)
    connections: int = Field(default=4, ge=1, le=32)
    save_sent: SaveSent = SaveSent.AUTO
    retry_deadline_s: float = Field(default=2 * 86400, gt=0)
    retry_base_s: float = Field(default=30.0, gt=0)
    retry_max_s: float = Field(default=3600.0, gt=0)


class OAuthSettings(_Strict):
    """OAuth2 for SASL XOAUTH2 (agents[].oauth, shared by IMAP and SMTP): the refresh-token grant (RFC 6749 §6).

    The refresh token given here is only the first one: the server may return a new one on every refresh
    (Microsoft rotates them), and the daemon keeps the newest in its token store. Putting a different one
    here (after a revoked consent) replaces the stored one.
    """

    token_url: str = Field(pattern=r"^https?://[^\s/?#]+(/[^\s]*)?$")  # e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token
    client_id: str = Field(min_length=1)
    client_secret: SecretStr | None = None  # better: client_secret_credential; none for a public client
    client_secret_credential: str | None = None
    refresh_token: SecretStr | None = None  # the initial refresh token; better: refresh_token_credential
    refresh_token_credential: str | None = None
    scope: str = ""  # space-separated; empty: the scopes of the original grant
    timeout_s: float = Field(default=20.0, gt=0)  # per token request
    refresh_before_s: float = Field(default=300.0, ge=0)  # refresh this long before the access token expires

    @model_validator(mode="after")
    def _checks(self) -> OAuthSettings:
        host = (urlsplit(self.token_url).hostname or "").lower()
        if self.token_url.startswith("http://") and host not in _LOOPBACK:
            raise ValueError(f"token_url: plain http is allowed only for loopback hosts, not {host!r}")
        if self.refresh_token is None and self.refresh_token_credential is None:
            raise ValueError("oauth needs refresh_token or refresh_token_credential (the initial refresh token)")
        return self


class DkimSettings(_Strict):
    selector: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    domain: str | None = None  # d=; default: the agent's domain
    private_key: SecretStr | None = None  # PEM; better: private_key_credential
    private_key_credential: str | None = None

    def key(self) -> bytes:
        if self.private_key is None:
            raise ConfigError("dkim: no private key")
        return self.private_key.get_secret_value().encode("ascii")
