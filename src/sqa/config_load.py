"""Reading the configuration: TOML file, ``SQA_*`` environment, overrides, credentials; one clear error line.

Split from sqa.config (the models); ``sqa.config.load_settings`` re-exports it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource

from sqa.config import DEFAULT_CONFIG_PATH, ConfigError, Settings


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


def _read_credential(where: str, name: str, cred_dir: str | None) -> str:
    if not cred_dir:
        raise ConfigError(f"{where} = {name!r} but $CREDENTIALS_DIRECTORY is not set")
    path = Path(cred_dir) / name
    try:
        return path.read_text().rstrip("\n")
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read credential {path}: {exc.strerror}") from None


def _fill(section: Any, credential_key: str, value_key: str, where: str, cred_dir: str | None) -> None:
    if isinstance(section, dict) and section.get(credential_key):
        section[value_key] = _read_credential(f"{where}.{credential_key}", section[credential_key], cred_dir)


def _resolve_credentials(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Fill secrets from ``$CREDENTIALS_DIRECTORY/<name>`` (``*_credential`` keys)."""
    cred_dir = environ.get("CREDENTIALS_DIRECTORY")
    for index, agent in enumerate(data.get("agents") or []):
        if not isinstance(agent, dict):
            continue
        for section in ("imap", "smtp"):
            _fill(agent.get(section), "password_credential", "password", f"agents[{index}].{section}", cred_dir)
        _fill(agent.get("dkim"), "private_key_credential", "private_key", f"agents[{index}].dkim", cred_dir)
        for key in ("client_secret", "refresh_token"):
            _fill(agent.get("oauth"), f"{key}_credential", key, f"agents[{index}].oauth", cred_dir)
    _fill(data.get("mqtt"), "password_credential", "password", "mqtt", cred_dir)
    handoff = data.get("handoff")
    if isinstance(handoff, dict):
        _fill(handoff.get("webhook"), "secret_credential", "secret", "handoff.webhook", cred_dir)
    _fill(data.get("engine"), "api_key_credential", "api_key", "engine", cred_dir)
    consent = data.get("consent")
    _fill(consent, "token_key_credential", "token_key", "consent", cred_dir)
    if isinstance(consent, dict):
        for index, old in enumerate(consent.get("old_keys") or []):
            _fill(old, "key_credential", "key", f"consent.old_keys[{index}]", cred_dir)
    storage = data.get("storage")
    _fill(storage, "key_credential", "key", "storage", cred_dir)
    if isinstance(storage, dict):
        for index, old in enumerate(storage.get("old_keys") or []):
            _fill(old, "key_credential", "key", f"storage.old_keys[{index}]", cred_dir)


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
