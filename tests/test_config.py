"""Configuration: every error names its key; sources and credentials; `sqa config check` end to end."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from sqa.config import ConfigError, Security, load_settings
from sqa.sandbox import DovecotServer, SmtpSink

EMPTY = Path(__file__).with_name("empty.toml")
SQA = Path(sys.executable).with_name("sqa")


def _agent(**over) -> dict:
    agent = {"name": "sales", "address": "sales@agent.test", "display_name": "Ava",
             "imap": {"host": "127.0.0.1", "port": 1143, "security": "plain", "username": "sales@agent.test"},
             "smtp": {"host": "127.0.0.1", "port": 1025, "security": "plain", "username": "sales@agent.test"}}
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(agent.get(key), dict):
            agent[key] = {**agent[key], **value}
        elif value is None:
            agent.pop(key, None)
        else:
            agent[key] = value
    return agent


@pytest.mark.parametrize("agent, key, words", [
    (_agent(imap={"port": 70000}), "agents[0].imap.port", "less than or equal to 65535"),
    (_agent(smtp={"port": "twenty-five"}), "agents[0].smtp.port", "valid integer"),
    (_agent(address=None), "agents[0].address", "Field required"),
    (_agent(address="not-an-address"), "agents[0].address", "pattern"),
    (_agent(smtp={"host": "smtp.example.com"}), "agents[0].smtp", "loopback"),
    (_agent(imap={"host": "imap.example.com"}), "agents[0].imap", "loopback"),
    (_agent(imap={"security": "ssl3"}), "agents[0].imap.security", "'tls', 'starttls' or 'plain'"),
    (_agent(imap={"pasword": "typo"}), "agents[0].imap.pasword", "Extra inputs are not permitted"),
    (_agent(imap={"password_credential": "imap-sales"}), "agents[0].imap.password_credential", "CREDENTIALS_DIRECTORY"),
], ids=["port-range", "port-type", "missing-address", "bad-address", "plain-smtp-remote", "plain-imap-remote",
        "unknown-security", "misspelt-key", "credential-without-directory"])
def test_errors_name_the_key(agent, key, words) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(EMPTY, environ={}, overrides={"agents": [agent]})
    message = str(info.value)
    assert key in message and words in message, message
    assert "\n" not in message  # one clear line


def test_plain_is_allowed_on_loopback_and_tls_anywhere() -> None:
    agents = [_agent(imap={"host": "::1"}, smtp={"host": "localhost"}),
              _agent(name="remote", address="r@agent.test", imap={"host": "imap.example.com", "security": "tls"},
                     smtp={"host": "smtp.example.com", "security": "starttls", "port": 587})]
    settings = load_settings(EMPTY, environ={}, overrides={"agents": agents})
    assert [a.smtp.security for a in settings.agents] == [Security.PLAIN, Security.STARTTLS]


def test_toml_errors_name_the_file(tmp_path) -> None:
    bad = tmp_path / "sqa.toml"
    bad.write_text("state_dir = \n")
    with pytest.raises(ConfigError, match="sqa.toml: not valid TOML"):
        load_settings(bad, environ={})
    with pytest.raises(ConfigError, match="missing.toml: no such configuration file"):
        load_settings(tmp_path / "missing.toml", environ={})
    with pytest.raises(ConfigError, match="agent names must be unique"):
        load_settings(EMPTY, environ={}, overrides={"agents": [_agent(), _agent()]})


def _write_config(path: Path, state_dir: Path, imap_port: int, smtp_port: int, imap_password: str = "secret",
                  extra: str = "", database_url: str | None = None) -> Path:
    database_url = database_url or f"sqlite+aiosqlite:///{state_dir}/from-file.db"
    path.write_text(f'''
state_dir = "{state_dir}"

[database]
url = "{database_url}"

[[agents]]
name = "sales"
address = "sales@agent.test"
display_name = "Ava Agent"

[agents.imap]
host = "127.0.0.1"
port = {imap_port}
security = "plain"
username = "sales@agent.test"
password = "{imap_password}"
{extra}
[agents.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "plain"
username = "sales@agent.test"
''')
    return path


def test_environment_overrides_the_file(tmp_path) -> None:
    config = _write_config(tmp_path / "sqa.toml", tmp_path, 1143, 1025)
    from_file = load_settings(config, environ={})
    assert from_file.database_url.endswith("/from-file.db")
    env = {"SQA_DATABASE__URL": "postgresql+asyncpg://sqa@db.internal/sqa", "SQA_DAEMON__GRACE_S": "7",
           "UNRELATED": "x"}
    settings = load_settings(config, environ=env)
    assert settings.database_url == "postgresql+asyncpg://sqa@db.internal/sqa"
    assert settings.daemon.grace_s == 7
    assert settings.agents[0].imap.port == 1143  # the rest still comes from the file
    # SQA_CONFIG names the file when no path is given
    assert load_settings(environ={"SQA_CONFIG": str(config)}).database_url.endswith("/from-file.db")
    # and the error of an env value names the key
    with pytest.raises(ConfigError, match="daemon.grace_s"):
        load_settings(config, environ={"SQA_DAEMON__GRACE_S": "soon"})


def test_passwords_come_from_the_credentials_directory(tmp_path) -> None:
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "imap-sales").write_text("imap-secret\n")
    (creds / "smtp-sales").write_text("smtp secret with spaces")
    agent = _agent(imap={"password_credential": "imap-sales"}, smtp={"password_credential": "smtp-sales"})
    settings = load_settings(EMPTY, environ={"CREDENTIALS_DIRECTORY": str(creds)}, overrides={"agents": [agent]})
    assert settings.agents[0].imap.secret() == "imap-secret"
    assert settings.agents[0].smtp.secret() == "smtp secret with spaces"
    assert "imap-secret" not in repr(settings)  # secrets are not printed
    agent = _agent(imap={"password_credential": "missing"})
    with pytest.raises(ConfigError, match=r"agents\[0\]\.imap\.password_credential: cannot read credential"):
        load_settings(EMPTY, environ={"CREDENTIALS_DIRECTORY": str(creds)}, overrides={"agents": [agent]})


async def _sqa(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run the real `sqa` command (the SMTP sink keeps serving in this loop meanwhile)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8"}
    proc = await asyncio.create_subprocess_exec(str(SQA), *args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode, out.decode(), err.decode()


async def test_config_check_against_the_private_servers(tmp_path, dovecot, smtp_sink, database_url) -> None:
    config = _write_config(tmp_path / "sqa.toml", tmp_path, dovecot.imap_port, smtp_sink.port, database_url=database_url)
    code, out, err = await _sqa("config", "check", "--config", str(config), cwd=tmp_path)
    assert code == 0, out + err
    lines = out.splitlines()
    assert len(lines) == 4, out  # configuration, database, IMAP, SMTP: one line each
    assert all(line.startswith("ok ") for line in lines), out
    assert "configuration: 1 agent(s)" in lines[0]
    assert any("database" in line for line in lines)
    assert any("IMAP sales@agent.test" in line and "login ok" in line for line in lines)
    assert any("SMTP sales@agent.test" in line for line in lines)
    assert "secret" not in out + err


async def test_config_check_fails_on_a_wrong_imap_password(tmp_path, smtp_sink, database_url) -> None:
    # a Dovecot of its own: a failed login makes Dovecot delay later logins from 127.0.0.1 (auth penalty)
    dovecot = await asyncio.to_thread(DovecotServer.start)
    try:
        config = _write_config(tmp_path / "sqa.toml", tmp_path, dovecot.imap_port, smtp_sink.port,
                               imap_password="wrong-password", database_url=database_url)
        code, out, err = await _sqa("config", "check", "--config", str(config), cwd=tmp_path)
    finally:
        await asyncio.to_thread(dovecot.close)
    assert code == 1, out + err
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1, out
    assert "IMAP sales@agent.test" in fails[0] and "refused" in fails[0]
    assert sum(line.startswith("ok ") for line in out.splitlines()) == 3
    assert "wrong-password" not in out + err


async def test_config_check_reports_a_config_error_with_exit_78(tmp_path) -> None:
    config = _write_config(tmp_path / "sqa.toml", tmp_path, 99999, 1025)
    code, out, err = await _sqa("config", "check", "--config", str(config), cwd=tmp_path)
    assert code == 78
    assert "agents[0].imap.port" in err


def test_the_example_configuration_is_valid(tmp_path) -> None:
    """examples/sqa.toml is what operators copy: it must load as it is (secrets from credentials)."""
    from pathlib import Path

    from sqa.config import load_settings

    (tmp_path / "imap-password").write_text("secret\n")
    (tmp_path / "smtp-password").write_text("secret\n")
    (tmp_path / "token-key").write_text("a-long-enough-token-key\n")
    example = Path(__file__).resolve().parent.parent / "examples" / "sqa.toml"
    settings = load_settings(example, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert settings.agents[0].imap.secret() == "secret" and settings.agents[0].smtp.port == 465
    assert settings.consent.token_key.get_secret_value() == "a-long-enough-token-key"
    assert settings.consent.public_base_url == "https://sqa.example.com" and settings.agents[0].postal_address


def test_token_keys_come_from_credentials_and_old_keys_need_one(tmp_path) -> None:
    from sqa.config import ConfigError, load_settings

    (tmp_path / "k1").write_text("first-key-0123456789\n")
    (tmp_path / "k0").write_text("older-key-0123456789\n")
    settings = load_settings(_EMPTY, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)},
                             overrides={"consent": {"token_key_credential": "k1", "old_keys": [
                                 {"key_credential": "k0", "verify_until": "2027-01-01T00:00:00Z"}]}})
    assert settings.consent.old_keys[0].key.get_secret_value() == "older-key-0123456789"
    with pytest.raises(ConfigError, match=r"consent.old_keys\[0\]"):
        load_settings(_EMPTY, environ={}, overrides={"consent": {"old_keys": [{"verify_until": "2027-01-01T00:00:00Z"}]}})
    with pytest.raises(ConfigError, match=r"consent: .*token_key must be at least 16"):
        load_settings(_EMPTY, environ={}, overrides={"consent": {"token_key": "short"}})

_EMPTY = Path(__file__).with_name("empty.toml")
