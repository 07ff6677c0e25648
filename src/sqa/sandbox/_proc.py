"""Process-group helpers shared by the sandbox servers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

IS_ROOT = os.geteuid() == 0


def make_root(prefix: str, root: Path | None) -> tuple[Path, bool]:
    """Return (root dir, created-by-us). New dirs are mkdtemp'd under /tmp, mode 0755."""
    if root is not None:
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        return root, False
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(path, 0o755)
    return path, True


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the process group led by ``proc`` (it was started with a new session)."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(proc: subprocess.Popen | None, grace: float = 5.0) -> None:
    """SIGTERM the group, wait up to ``grace`` s, then SIGKILL it."""
    if proc is None:
        return
    signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=5)
    # children may outlive the leader for a moment: make sure the group is gone
    _reap_group(proc)


def kill_group(proc: subprocess.Popen | None) -> None:
    """SIGKILL the whole group and reap the leader."""
    if proc is None:
        return
    signal_group(proc, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
        pass
    _reap_group(proc)


def group_alive(pgid: int) -> bool:
    """True while a non-zombie process is in group ``pgid``.

    Zombies count as gone: after SIGKILL the children are orphaned, and an
    init that does not reap (as in some containers) keeps them as zombies.
    """
    try:
        entries = os.listdir("/proc")
    except OSError:  # no procfs: fall back to signal 0 (zombies count as alive)
        try:
            os.killpg(pgid, 0)
            return True
        except (ProcessLookupError, PermissionError):
            return False
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces/parens
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _reap_group(proc: subprocess.Popen, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_alive(proc.pid):
            return
        time.sleep(0.01)
    signal_group(proc, signal.SIGKILL)


def chown_tree(path: Path, uid: int, gid: int) -> None:
    """chown ``path`` and everything below it (no-op when not root)."""
    if not IS_ROOT:
        return
    os.chown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def remove_tree(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def tail(path: Path, lines: int = 30) -> str:
    """Last ``lines`` lines of a log file, or '' when missing."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
