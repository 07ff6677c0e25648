"""One typed, validated settings object.

Sources, highest priority first: keyword arguments, ``SQA_*`` environment
variables (``__`` separates nesting, e.g. ``SQA_DATABASE__URL``; lists such as
``SQA_AGENTS`` take JSON), the TOML file (default ``/etc/sqa/sqa.toml``).
Secrets may instead name a file in ``$CREDENTIALS_DIRECTORY`` (systemd
``LoadCredential=``): ``password_credential = "imap-sales"``.

The environment is injected (``load_settings(path, environ=...)``) so tests pass
a plain dict, and every error names the key that is wrong.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sqa.config_mail import (  # noqa: F401 - re-exported: sqa.config is the one import
    _LOOPBACK,
    AuthMethod,
    ConfigError,
    DkimSettings,
    ImapSettings,
    Login,
    OAuthSettings,
    SaveSent,
    Security,
    SmtpSettings,
    _Strict,
)
from sqa.outreach.settings import OutreachSettings

DEFAULT_CONFIG_PATH = Path("/etc/sqa/sqa.toml")
DEFAULT_STATE_DIR = Path("/var/lib/sqa")


class Mode(StrEnum):
    RESEARCH = "research"
    RESEARCH_ENGAGE = "research_engage"


class Templates(_Strict):
    first_subject: str = "{company} and {agent_company}"
    first_body: str = (  # wrapped like every mail: greeting above, signature and footer below
        "I'm reaching out from {agent_company}. {value_proposition}\n\n"
        "Would it be useful to compare notes on how your team handles this today?"
    )
    greeting: str = "Hello {first_name},"
    need: str = "Thanks for getting back to me. What problem are you hoping to solve, and what does it cost you today?"
    timeline: str = "That helps, thank you. By when would you need a solution in place?"
    budget: str = "Understood. Is there a budget set aside for this, and roughly what range?"
    authority: str = "Thanks. Besides you, who else would be involved in the decision?"
    closing: str = (
        "Thank you, that gives me a clear picture. I'll pass your answers to {seller}, "
        "who will be in touch to suggest next steps."
    )
    follow_ups: list[str] = Field(default_factory=lambda: [  # follow-up k of n; the LAST one always closes the cadence
        "I wanted to follow up on my note below. {value_proposition}\n\n"
        "Would a short call be useful to see whether this fits {company}?",
        "I know things get busy, so just a quick nudge: is improving this on your list at {company} this quarter?",
        "I haven't heard back, so I'll assume the timing isn't right and won't write again about this. "
        "If that changes, just reply to this mail.",
    ], min_length=1)
    check_in: str = (  # the lead asked to be contacted later ("contact me in Q2"): that time has come
        "You asked me to get back to you around now, so here I am. {value_proposition}\n\n"
        "Is this a better time to talk about how {company} handles this today?"
    )
    signature: str = "{display_name}\n{agent_company}"
    footer: str = "This message was written by an AI assistant on behalf of {agent_company}."


class Seller(_Strict):
    """Who takes over a lead (round-robin when the lead has no owner)."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class QualificationSettings(_Strict):
    """The engage agent's qualification rule (readiness.py)."""

    min_bant: int = Field(default=2, ge=0, le=4)  # qualified = positive interest AND this many BANT dimensions known
    order: list[Literal["need", "timeline", "budget", "authority"]] = Field(
        default_factory=lambda: ["need", "timeline", "budget", "authority"], min_length=1)  # questions asked in order
    handoff_on_intent: list[Literal["meeting", "quote", "human"]] = Field(
        default_factory=lambda: ["meeting", "quote", "human"])  # handed to a seller at once

    @model_validator(mode="after")
    def _unique(self) -> QualificationSettings:
        if len(set(self.order)) != len(self.order):
            raise ValueError("order: each BANT dimension at most once")
        return self


class TargetProfile(_Strict):
    """Who the agent sells to; a lead clearly outside it is disqualified with the reason."""

    min_employees: int | None = Field(default=None, ge=1)
    max_employees: int | None = Field(default=None, ge=1)


class AgentSettings(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    display_name: str
    company: str = "Example Inc."
    value_proposition: str = ""
    seller: str = "a colleague"
    postal_address: str = ""  # CAN-SPAM: the sender's physical postal address, in every mail's footer
    dkim: DkimSettings | None = None  # sign outgoing mail (h= covers both List-Unsubscribe headers)
    mode: Mode = Mode.RESEARCH_ENGAGE
    imap: ImapSettings
    smtp: SmtpSettings
    oauth: OAuthSettings | None = None  # for imap/smtp auth = "xoauth2"
    templates: Templates = Templates()
    max_replies_per_lead_per_day: int = Field(default=5, ge=1)
    ooo_default_pause_days: int = Field(default=7, ge=1)  # out of office with no return date stated
    bounce_score_threshold: float = Field(default=3.0, gt=0)  # soft bounces (0.5 a day) up to this = hard
    bounce_alert_share: float = Field(default=0.03, gt=0, le=1)  # ALERT when bounces/sends (7 days) exceed it
    model: str | None = None  # the engage engine's model for this agent (default: engine.model)
    review_before_send: bool = False  # replies wait in the outbox as awaiting_approval (`sqa drafts approve`)
    sellers: list[Seller] = Field(default_factory=list)  # handoff: the lead's owner, else round-robin over these
    knowledge_dir: Path | None = None  # .md/.txt files the agent answers from (facts, FAQ, pricing*.md, battle cards)
    qualification: QualificationSettings = QualificationSettings()
    target_profile: TargetProfile | None = None
    outreach: OutreachSettings = OutreachSettings()  # intake, follow-up cadence, sending window, caps

    @model_validator(mode="after")
    def _oauth_configured(self) -> AgentSettings:
        for section, login in (("imap", self.imap), ("smtp", self.smtp)):
            if login.auth is AuthMethod.XOAUTH2 and self.oauth is None:
                raise ValueError(f"{section}.auth = 'xoauth2' needs an [agents.oauth] section")
        return self

    @model_validator(mode="after")
    def _knowledge_dir(self) -> AgentSettings:
        if self.knowledge_dir is not None and not self.knowledge_dir.is_dir():
            raise ValueError(f"knowledge_dir: {self.knowledge_dir} is not a directory")
        return self

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1].lower()


class DatabaseSettings(_Strict):
    url: str | None = None  # default: SQLite in the state directory
    echo: bool = False


class EngineSettings(_Strict):
    """The engage agent's engine. `openai` speaks to any OpenAI-compatible endpoint (OpenAI, Azure OpenAI,
    vLLM, Ollama, llama.cpp) and never leaves `allowed_hosts`: the data-residency control."""

    kind: Literal["offline", "openai"] = "offline"
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")  # e.g. https://api.openai.com/v1
    api_key: SecretStr | None = None  # better: api_key_credential
    api_key_credential: str | None = None
    azure_api_version: str | None = None  # set: AsyncAzureOpenAI, base_url = the Azure endpoint, model = the deployment
    model: str = "gpt-4o-mini"  # an agent's `model` overrides it
    timeout_s: float = Field(default=30.0, gt=0)  # per request
    max_retries: int = Field(default=2, ge=0, le=10)  # by the client, on connection errors, timeouts, 429 and 5xx
    max_output_tokens: int = Field(default=800, ge=64)
    allowed_hosts: list[str] = Field(default_factory=list)  # empty: no endpoint is allowed
    fallback_offline: bool = True  # endpoint down after the retries: the offline engine answers (else: a human)

    @model_validator(mode="after")
    def _endpoint_allowed(self) -> EngineSettings:
        if self.kind == "openai":
            endpoint_host(self)  # raises ValueError with the reason
        return self


def endpoint_host(engine: EngineSettings) -> str:
    """The host of engine.base_url, which must be in engine.allowed_hosts (ValueError otherwise)."""
    if not engine.base_url:
        raise ValueError("engine.kind = 'openai' needs engine.base_url")
    host = (urlsplit(engine.base_url).hostname or "").lower()
    allowed = {h.strip().lower().rstrip(".") for h in engine.allowed_hosts}
    if host not in allowed:
        listed = ", ".join(sorted(allowed)) or "empty"
        raise ValueError(f"engine.base_url host {host!r} is not in engine.allowed_hosts ({listed}): "
                         "the model endpoint must be allow-listed (data residency)")
    return host


class WebSettings(_Strict):
    enabled: bool = True  # the daemon serves the unsubscribe pages (and later the API) on `bind`
    bind: str = Field(default="127.0.0.1:8080", pattern=r"^(\[[0-9a-fA-F:]+\]|[^:\s]+):[0-9]{1,5}$")
    trusted_proxies: list[str] = Field(default_factory=list)  # CIDRs whose X-Forwarded-For is believed
    rate_limit_per_minute: int = Field(default=30, ge=1)  # per client address, unsubscribe routes
    # CIDRs whose clients get /metrics and the /healthz details (others: 403, and the bare health status)
    metrics_allow: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    healthz_down_after_s: float = Field(default=300.0, gt=0)  # a mailbox down this long turns /healthz to 503

    @model_validator(mode="after")
    def _proxies(self) -> WebSettings:
        for name, cidrs in (("trusted_proxies", self.trusted_proxies), ("metrics_allow", self.metrics_allow)):
            for cidr in cidrs:
                try:
                    ipaddress.ip_network(cidr.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{name}: {cidr!r} is not an IP address or CIDR") from None
        return self

    @property
    def host(self) -> str:
        return self.bind.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.bind.rsplit(":", 1)[1])


class OldTokenKey(_Strict):
    key: SecretStr | None = None
    key_credential: str | None = None
    verify_until: datetime  # tokens signed with it verify until then (rotation); naive = UTC

    @model_validator(mode="after")
    def _has_key(self) -> OldTokenKey:
        if self.key is None and self.key_credential is None:
            raise ValueError("an old key needs key or key_credential")
        return self


class ConsentSettings(_Strict):
    public_base_url: str = Field(default="http://127.0.0.1:8080", pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    token_key: SecretStr | None = None  # HMAC key for unsubscribe tokens; better: token_key_credential
    token_key_credential: str | None = None  # default when neither is set: <state_dir>/keys/token.key, made at start
    old_keys: list[OldTokenKey] = Field(default_factory=list)
    token_max_age_days: int = Field(default=730, ge=30)  # CAN-SPAM: an opt-out must work >= 30 days
    link_scope: Literal["all", "agent"] = "all"  # what a link or mailto opt-out stops: every agent's mail or this one's

    @model_validator(mode="after")
    def _key_length(self) -> ConsentSettings:
        if self.token_key is not None and len(self.token_key.get_secret_value()) < 16:
            raise ValueError("token_key must be at least 16 characters")
        return self


class MqttSettings(_Strict):
    """The broker handoff events go to (QoS 1, retried until it acknowledges)."""

    host: str
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    password_credential: str | None = None
    tls: bool = False  # TLS with a verifying default context (port usually 8883)
    topic_prefix: str = Field(default="sqa", pattern=r"^[^#+\s]+$")  # topics: <prefix>/<agent>/leads/<id>/<kind>
    client_id: str | None = None  # default: sqa-<instance>
    timeout_s: float = Field(default=10.0, gt=0)  # connect and PUBACK wait


class WebhookSettings(_Strict):
    """An HTTP POST of each handoff event's JSON, signed with HMAC-SHA256."""

    url: str = Field(pattern=r"^https?://[^\s/?#]+(/[^\s]*)?$")
    secret: SecretStr | None = None  # better: secret_credential
    secret_credential: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _checks(self) -> WebhookSettings:
        if self.secret is None and self.secret_credential is None:
            raise ValueError("a webhook needs secret or secret_credential")
        if self.secret is not None and len(self.secret.get_secret_value()) < 16:
            raise ValueError("secret must be at least 16 characters")
        host = (urlsplit(self.url).hostname or "").lower()
        if self.url.startswith("http://") and host not in _LOOPBACK:
            raise ValueError(f"url: plain http is allowed only for loopback hosts, not {host!r}")
        return self

    def key(self) -> bytes:
        if self.secret is None:
            raise ConfigError("handoff.webhook: no secret")
        return self.secret.get_secret_value().encode("utf-8")


class HandoffSettings(_Strict):
    """Delivery of handoff/disqualified/escalated events (MQTT in [mqtt], the webhook here)."""

    webhook: WebhookSettings | None = None
    retry_base_s: float = Field(default=2.0, gt=0)
    retry_max_s: float = Field(default=300.0, gt=0)
    poll_s: float = Field(default=30.0, gt=0)  # also woken after every inbound batch


class DaemonSettings(_Strict):
    instance: str = Field(default_factory=lambda: os.uname().nodename)
    analyze_workers: int = Field(default=0, ge=0, le=16)  # processes that parse + classify; 0 = in the loop
    grace_s: float = Field(default=20.0, ge=0)
    hard_deadline_s: float = Field(default=30.0, gt=0)
    log_format: Literal["auto", "json", "text"] = "auto"  # auto: JSON lines unless stderr is a terminal (sqa.logs)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"  # `sqa run --log-level` overrides it


class AlertsSettings(_Strict):
    """Alerts (observe/alerts.py): an ERROR line, sqa_alerts_total and an MQTT event on <prefix>/<agent>/alerts."""

    # a watcher connected but without a successful fetch or IDLE renewal this long is stalled; unset:
    # 2 x the agent's idle_renew_s (poll_interval_s when polling) + its noop_timeout_s + 60 s
    watcher_stall_s: float | None = Field(default=None, gt=0)
    queue_max: int = Field(default=1000, ge=1)  # alerts waiting for the MQTT broker; beyond: the oldest is dropped


def _storage_key(value: SecretStr | None) -> SecretStr | None:
    from sqa.db.crypto import parse_key

    if value is not None:
        parse_key(value.get_secret_value(), "")  # ValueError: not 32 bytes of base64
    return value


class OldStorageKey(_Strict):
    key: SecretStr | None = None
    key_credential: str | None = None
    _key_format = field_validator("key")(_storage_key)

    @model_validator(mode="after")
    def _has_key(self) -> OldStorageKey:
        if self.key is None and self.key_credential is None:
            raise ValueError("an old key needs key or key_credential")
        return self


class StorageSettings(_Strict):
    """Column encryption at rest (db/crypto.py): message text and subjects, BANT evidence, handoff summaries,
    queued mail, OAuth tokens. A key is 32 random bytes in base64 (`sqa keys generate`); unset: plaintext."""

    key: SecretStr | None = None  # better: key_credential (a file in $CREDENTIALS_DIRECTORY)
    key_credential: str | None = None
    old_keys: list[OldStorageKey] = Field(default_factory=list)  # still decrypt (after a rotation)
    _key_format = field_validator("key")(_storage_key)

    @model_validator(mode="after")
    def _keys(self) -> StorageSettings:
        if self.old_keys and self.key is None and self.key_credential is None:
            raise ValueError("old_keys without key: set the current key too")
        return self


class RetentionSettings(_Strict):
    """How long stored mail text is kept (retention.py); the structured results stay."""

    text_days: int = Field(default=30, ge=0)  # 0: keep forever
    interval_s: float = Field(default=3600.0, gt=0)  # the purge runs at most this often (from the scheduler's tick)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SQA_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    state_dir: Path = DEFAULT_STATE_DIR
    database: DatabaseSettings = DatabaseSettings()
    agents: list[AgentSettings] = Field(default_factory=list)
    engine: EngineSettings = EngineSettings()
    web: WebSettings = WebSettings()
    consent: ConsentSettings = ConsentSettings()
    mqtt: MqttSettings | None = None
    handoff: HandoffSettings = HandoffSettings()
    daemon: DaemonSettings = DaemonSettings()
    alerts: AlertsSettings = AlertsSettings()
    storage: StorageSettings = StorageSettings()
    retention: RetentionSettings = RetentionSettings()

    @model_validator(mode="after")
    def _unique_agents(self) -> Settings:
        names = [a.name for a in self.agents]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"agent names must be unique: {sorted(dupes)}")
        return self

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{self.state_dir / 'sqa.db'}"

    def agent(self, name: str) -> AgentSettings:
        for agent in self.agents:
            if agent.name == name:
                return agent
        raise ConfigError(f"no agent named {name!r}")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):  # noqa: ANN001, ANN206
        return (init_settings,)  # load_settings() composes the other sources explicitly


from sqa.config_load import load_settings  # noqa: E402,F401 - re-exported: sqa.config is the one import
