"""A private Mosquitto MQTT broker on loopback (anonymous, no persistence)."""

from __future__ import annotations

import pwd
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ._proc import IS_ROOT, chown_tree, kill_group, make_root, remove_tree, stop_group, tail
from .ports import free_port, wait_port

__all__ = ["MosquittoServer", "MosquittoError"]


class MosquittoError(RuntimeError):
    """mosquitto failed to start."""


@dataclass
class MosquittoServer:
    """A running private broker. Create it with :meth:`start`."""

    root: Path
    port: int
    host: str = "127.0.0.1"
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _owns_root: bool = field(default=False, repr=False)

    @classmethod
    def start(cls, *, root: Path | None = None) -> "MosquittoServer":
        """Start ``mosquitto -c conf`` on 127.0.0.1:free port; returns when it accepts."""
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        root, owned = make_root("sqa-mosquitto-", root)
        last: Exception | None = None
        for _ in range(5):
            server = cls(root=root, port=free_port(), _owns_root=owned)
            (root / "mosquitto.conf").write_text(
                f"listener {server.port} 127.0.0.1\n"
                "allow_anonymous true\n"
                "persistence false\n"
                f"log_dest file {root}/mosquitto.log\n"
                "log_type error\nlog_type warning\nlog_type notice\n"
            )
            if IS_ROOT:
                pw = pwd.getpwnam("mosquitto")
                chown_tree(root, pw.pw_uid, pw.pw_gid)
            try:
                server._spawn(binary)
                return server
            except MosquittoError as exc:
                last = exc
                server.stop()
        if owned:
            remove_tree(root)
        raise MosquittoError(f"mosquitto did not start: {last}")

    def _spawn(self, binary: str) -> None:
        out = open(self.root / "mosquitto.stderr", "ab")
        try:
            self._proc = subprocess.Popen([binary, "-c", str(self.root / "mosquitto.conf")],
                                          stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                          start_new_session=True, close_fds=True)
        finally:
            out.close()
        proc = self._proc
        try:
            wait_port(self.host, self.port, 10, alive=lambda: proc.poll() is None)
        except (TimeoutError, RuntimeError) as exc:
            detail = tail(self.root / "mosquitto.log") + "\n" + tail(self.root / "mosquitto.stderr")
            raise MosquittoError(f"{exc}\n{detail}") from None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """SIGTERM the process group and wait (SIGKILL after 5 s)."""
        stop_group(self._proc)
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the process group (simulated crash)."""
        kill_group(self._proc)
        self._proc = None

    def restart(self) -> None:
        """Start again on the same port."""
        self.stop()
        self._spawn(shutil.which("mosquitto") or "/usr/sbin/mosquitto")

    def close(self) -> None:
        """Stop and remove the root directory (when we created it)."""
        self.stop()
        if self._owns_root:
            remove_tree(self.root)

    def __enter__(self) -> "MosquittoServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
