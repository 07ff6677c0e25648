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

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    SettingsConfigDict,
)

DEFAULT_CONFIG_PATH = Path("/etc/sqa/sqa.toml")
DEFAULT_STATE_DIR = Path("/var/lib/sqa")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key."""


class Security(StrEnum):
    TLS = "tls"  # implicit TLS (IMAPS 993, SMTPS 465)
    STARTTLS = "starttls"  # SMTP 587 with mandatory STARTTLS
    PLAIN = "plain"  # loopback only: refused for any other host


class Mode(StrEnum):
    RESEARCH = "research"
    RESEARCH_ENGAGE = "research_engage"


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
    signature: str = "{display_name}\n{agent_company}"
    footer: str = "This message was written by an AI assistant on behalf of {agent_company}."


class AgentSettings(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    display_name: str
    company: str = "Example Inc."
    value_proposition: str = ""
    seller: str = "a colleague"
    mode: Mode = Mode.RESEARCH_ENGAGE
    imap: ImapSettings
    smtp: SmtpSettings
    templates: Templates = Templates()
    max_replies_per_lead_per_day: int = Field(default=5, ge=1)
    ooo_default_pause_days: int = Field(default=7, ge=1)  # out of office with no return date stated
    bounce_score_threshold: float = Field(default=3.0, gt=0)  # soft bounces (0.5 a day) up to this = hard
    bounce_alert_share: float = Field(default=0.03, gt=0, le=1)  # ALERT when bounces/sends (7 days) exceed it

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1].lower()


class DatabaseSettings(_Strict):
    url: str | None = None  # default: SQLite in the state directory
    echo: bool = False


class EngineSettings(_Strict):
    kind: Literal["offline"] = "offline"


class WebSettings(_Strict):
    bind: str = "127.0.0.1:8080"


class MqttSettings(_Strict):
    host: str
    port: int = Field(default=1883, ge=1, le=65535)


class DaemonSettings(_Strict):
    instance: str = Field(default_factory=lambda: os.uname().nodename)
    analyze_workers: int = Field(default=0, ge=0, le=16)  # processes that parse + classify; 0 = in the loop
    grace_s: float = Field(default=20.0, ge=0)
    hard_deadline_s: float = Field(default=30.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SQA_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    state_dir: Path = DEFAULT_STATE_DIR
    database: DatabaseSettings = DatabaseSettings()
    agents: list[AgentSettings] = Field(default_factory=list)
    engine: EngineSettings = EngineSettings()
    web: WebSettings = WebSettings()
    mqtt: MqttSettings | None = None
    daemon: DaemonSettings = DaemonSettings()

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


class _InjectedEnvSource(EnvSettingsSource):
    """pydantic-settings' env source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, env_prefix="SQA_", env_nested_delimiter="__", case_sensitive=False)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._environ.items()}


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_credentials(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Fill ``password`` from ``$CREDENTIALS_DIRECTORY/<password_credential>``."""
    cred_dir = environ.get("CREDENTIALS_DIRECTORY")
    for index, agent in enumerate(data.get("agents") or []):
        if not isinstance(agent, dict):
            continue
        for section in ("imap", "smtp"):
            login = agent.get(section)
            if not isinstance(login, dict) or not login.get("password_credential"):
                continue
            name = login["password_credential"]
            where = f"agents[{index}].{section}.password_credential"
            if not cred_dir:
                raise ConfigError(f"{where} = {name!r} but $CREDENTIALS_DIRECTORY is not set")
            path = Path(cred_dir) / name
            try:
                login["password"] = path.read_text().rstrip("\n")
            except OSError as exc:
                raise ConfigError(f"{where}: cannot read credential {path}: {exc.strerror}") from None


def _format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in err["loc"]).replace(".[", "[")
        parts.append(f"{loc or '(top)'}: {err['msg']}")
    return "invalid configuration: " + "; ".join(parts)


def load_settings(
    path: Path | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read, merge and validate the configuration; raise ConfigError with one clear line."""
    environ = os.environ if environ is None else environ
    if path is None:
        path = environ.get("SQA_CONFIG", str(DEFAULT_CONFIG_PATH))
    path = Path(path)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    elif "SQA_CONFIG" in environ or path != DEFAULT_CONFIG_PATH:
        raise ConfigError(f"{path}: no such configuration file")
    env_data = _InjectedEnvSource(Settings, {k: v for k, v in environ.items() if k.upper().startswith("SQA_") and k.upper() != "SQA_CONFIG"})()
    data = _deep_merge(data, env_data)
    if overrides:
        data = _deep_merge(data, overrides)
    _resolve_credentials(data, environ)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc)) from None
