"""Free TCP ports and port readiness checks on loopback."""

from __future__ import annotations

import socket
import time

__all__ = ["free_port", "wait_port", "port_accepts"]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_accepts(host: str, port: int, timeout: float = 0.2) -> bool:
    """True when a TCP connect to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port(host: str, port: int, timeout: float = 10.0, *, alive=None) -> None:
    """Wait until ``host:port`` accepts connections.

    ``alive`` is an optional callable; when it returns False the wait stops
    early (the server process died). Raises TimeoutError or RuntimeError.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        if port_accepts(host, port):
            return
        if alive is not None and not alive():
            raise RuntimeError(f"server process exited before {host}:{port} accepted connections")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{host}:{port} did not accept connections within {timeout:.1f}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
