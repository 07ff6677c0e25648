"""The systemd side as IT will check it: `systemd-analyze verify` clean, `systemd-analyze security` exposure
at most 1.5, secrets only through LoadCredential=, valid sysusers/tmpfiles snippets, and `make install`
putting everything in place (staged under DESTDIR)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "systemd" / "sqa.service"
SYSUSERS = ROOT / "systemd" / "sqa.sysusers"
TMPFILES = ROOT / "systemd" / "sqa.tmpfiles"
EXPOSURE_MAX = 1.5
EXEC = "/opt/sqa/bin/sqa"

needs_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")


def run(*args: str | Path, **kw) -> subprocess.CompletedProcess[str]:  # noqa: ANN003
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, **kw)


def directives(text: str) -> list[tuple[str, str]]:
    """(key, value) of every directive, comments and section headers left out."""
    return [tuple(part.strip() for part in line.split("=", 1)) for line in text.splitlines()
            if "=" in line and not line.lstrip().startswith(("#", ";", "["))]


def with_exec(unit_text: str, binary: Path) -> str:
    """The unit with ExecStart's program replaced, nothing else: `verify` checks that the program exists."""
    changed = re.sub(rf"^ExecStart={re.escape(EXEC)} ", f"ExecStart={binary} ", unit_text, count=1, flags=re.M)
    assert changed != unit_text
    return changed


def verify(unit: Path) -> str:
    result = run("systemd-analyze", "verify", unit)
    return (result.stdout + result.stderr).strip() + ("" if result.returncode == 0 else f"\n(exit {result.returncode})")


@needs_analyze
def test_unit_verifies_clean(tmp_path):
    """`systemd-analyze verify` on the unit as shipped, except that ExecStart names an existing program.

    verify fails on a missing ExecStart binary, and /opt/sqa/bin/sqa exists only after `make install`. A
    temporary copy whose ExecStart is this checkout's own `sqa` entry point (same arguments) keeps every
    other line byte-for-byte, so everything else verify checks is the shipped file. (`--root=` does not
    help: verify then also wants sysinit.target and friends inside that root.)
    """
    copy = tmp_path / "sqa.service"
    copy.write_text(with_exec(UNIT.read_text(), Path(sys.executable).with_name("sqa")))
    assert verify(copy) == ""
    broken = tmp_path / "broken" / "sqa.service"  # the check has teeth: a misspelt hardening key is reported
    broken.parent.mkdir()
    broken.write_text(copy.read_text().replace("NoNewPrivileges=", "NoNewPrivilege="))
    assert "NoNewPrivilege" in verify(broken)


@needs_analyze
def test_security_exposure_at_most_1_5():
    result = run("systemd-analyze", "security", "--offline=yes", UNIT)
    found = re.search(r"Overall exposure level for sqa\.service: (\d+\.\d+)", result.stdout)
    assert found, result.stdout[-2000:] + result.stderr
    assert float(found.group(1)) <= EXPOSURE_MAX, result.stdout


def test_secrets_only_through_load_credential():
    unit = directives(UNIT.read_text())
    keys = [k for k, _ in unit]
    assert ("Type", "notify") in unit and ("Restart", "on-failure") in unit and "WatchdogSec" in keys
    assert "EnvironmentFile" not in keys and "SetCredential" not in keys  # no secret in the unit or beside it
    secretish = re.compile(r"pass|secret|key|token|credential", re.I)
    for key, value in unit:
        if key == "Environment":
            assert not secretish.search(value), value
    loaded = {value.split(":", 1)[0]: value.split(":", 1)[1] for key, value in unit if key == "LoadCredential"}
    assert all(path.startswith("/etc/sqa/credentials/") for path in loaded.values())
    example = (ROOT / "examples" / "sqa.toml").read_text()
    active = [line.split("#", 1)[0] for line in example.splitlines() if not line.lstrip().startswith("#")]
    named = {m.group(1) for line in active for m in [re.search(r'_credential\s*=\s*"([^"]+)"', line)] if m}
    assert named and named <= set(loaded), f"the example config names credentials the unit does not load: {named - set(loaded)}"
    assert not any(re.match(r"\s*(password|api_key|secret|token_key)\s*=", line) for line in active)  # no inline secret


@pytest.mark.skipif(not (shutil.which("systemd-sysusers") and shutil.which("systemd-tmpfiles")),
                    reason="systemd-sysusers / systemd-tmpfiles are not installed")
def test_sysusers_and_tmpfiles_apply_to_an_empty_root(tmp_path):
    """Applied for real to an empty root (--root): the user and group exist, /etc/sqa is root:sqa 0750."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    dry = run("systemd-sysusers", f"--root={root}", "--dry-run", SYSUSERS)
    assert dry.returncode == 0 and "Creating user 'sqa'" in dry.stderr, dry.stderr
    made = run("systemd-sysusers", f"--root={root}", SYSUSERS)
    assert made.returncode == 0, made.stderr
    user = next(line.split(":") for line in (root / "etc" / "passwd").read_text().splitlines() if line.startswith("sqa:"))
    group = next(line.split(":") for line in (root / "etc" / "group").read_text().splitlines() if line.startswith("sqa:"))
    assert user[5] == "/var/lib/sqa" and user[6].endswith("nologin") and user[3] == group[2]
    created = run("systemd-tmpfiles", f"--root={root}", "--create", TMPFILES)
    assert created.returncode == 0, created.stderr
    etc, credentials = (root / "etc" / "sqa").stat(), (root / "etc" / "sqa" / "credentials").stat()
    assert (oct(etc.st_mode & 0o777), oct(credentials.st_mode & 0o777)) == ("0o750", "0o700")
    if os.geteuid() == 0:  # only root can hand the directory to the group
        assert (etc.st_uid, etc.st_gid, credentials.st_uid, credentials.st_gid) == (0, int(group[2]), 0, 0)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_install_stages_everything(tmp_path):
    """`make install DESTDIR=...` with PIP_FLAGS=--no-deps (~10 s; the dependencies' wheels would take ~40 s
    more and prove nothing about the layout). The staged unit verifies with the entry point the install made."""
    dest = tmp_path / "dest"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    args = ["make", "-s", "-C", ROOT, "install", f"DESTDIR={dest}", "PIP_FLAGS=--no-deps", "PYTHON=python3"]
    first = run(*args, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "systemctl daemon-reload && systemctl enable --now sqa" in first.stdout
    unit = dest / "etc/systemd/system/sqa.service"
    assert unit.read_text() == UNIT.read_text()  # default PREFIX: the unit as shipped
    assert (dest / "usr/lib/sysusers.d/sqa.conf").read_text() == SYSUSERS.read_text()
    assert (dest / "usr/lib/tmpfiles.d/sqa.conf").read_text() == TMPFILES.read_text()
    config, key = dest / "etc/sqa/sqa.toml", dest / "etc/sqa/credentials/token-key"
    assert config.read_text() == (ROOT / "examples/sqa.toml").read_text()
    assert oct(config.stat().st_mode & 0o777) == "0o640" and oct(key.stat().st_mode & 0o777) == "0o600"
    assert len(key.read_text().strip()) >= 32
    assert oct((dest / "etc/sqa/credentials").stat().st_mode & 0o777) == "0o700"
    python, entry = dest / "opt/sqa/bin/python", dest / "opt/sqa/bin/sqa"
    assert entry.read_text().startswith(f"#!{python}")  # the console script of the installed package
    assert run(python, "-c", "import sqa.observe").returncode == 0
    if shutil.which("systemd-analyze"):
        staged = tmp_path / "staged.service"
        staged.write_text(with_exec(unit.read_text(), entry))
        assert verify(staged) == ""

    config.write_text("# edited by the admin\n")  # a second install keeps the admin's config and the key
    token = key.read_text()
    second = run(*args, "PREFIX=/srv/sqa", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert config.read_text() == "# edited by the admin\n" and key.read_text() == token
    assert "ExecStart=/srv/sqa/bin/sqa run --config /etc/sqa/sqa.toml" in unit.read_text()
    assert (dest / "srv/sqa/bin/sqa").exists()
