"""The web service: uvicorn in the daemon's own event loop, started and stopped by the supervisor."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

from sqa.config import WebSettings
from sqa.mailbox.outbox import backoff

log = logging.getLogger(__name__)


class WebBindError(OSError):
    """The web port cannot be opened; ``busy`` when another process holds it."""

    def __init__(self, message: str, *, busy: bool) -> None:
        super().__init__(message)
        self.busy = busy


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the supervisor owns SIGTERM/SIGINT and sets the stop event."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def listen(host: str, port: int) -> socket.socket:
    """A listening, non-blocking socket on host:port; WebBindError with one clear line otherwise."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise WebBindError(f"web: cannot listen on {where}: {exc.strerror} (check web.bind)", busy=False) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        busy = exc.errno == errno.EADDRINUSE
        hint = "another process listens there (stop it or change web.bind)" if busy else "check web.bind"
        raise WebBindError(f"web: cannot listen on {where}: {exc.strerror}; {hint}", busy=busy) from None
    return sock


class WebServer:
    """Service "web": serves ``asgi`` on settings.web.bind until the stop event is set."""

    name = "web"

    def __init__(self, settings: WebSettings, asgi: ASGIApp, *, shutdown_s: float = 5.0) -> None:
        self.settings = settings
        self.asgi = asgi
        self.shutdown_s = shutdown_s
        self._sock: socket.socket | None = None
        self.serving = asyncio.Event()

    @property
    def port(self) -> int | None:
        return self._sock.getsockname()[1] if self._sock is not None else None

    def open(self) -> None:
        """Bind the port now (the supervisor does it before READY=1, so a port in use fails the start)."""
        if self._sock is None:
            self._sock = listen(self.settings.host, self.settings.port)

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while self._sock is None and not stop.is_set():  # re-opened after a crash; the port may be taken meanwhile
            try:
                self.open()
            except WebBindError as exc:
                failures += 1
                delay = backoff(failures, 1.0, 60.0)
                log.error("%s; retrying in %.0f s", exc, delay)
                with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
        if stop.is_set():
            self.close()
            return
        sock, self._sock = self._sock, None
        config = uvicorn.Config(self.asgi, loop="none", lifespan="off", http="h11", log_config=None,
                                access_log=False, proxy_headers=False, server_header=False,
                                timeout_graceful_shutdown=self.shutdown_s)
        server = _Server(config)
        waiter = asyncio.create_task(self._stop_when(stop, server), name="web-stop")
        try:
            log.info("web: serving on %s:%d", *sock.getsockname()[:2])
            self.serving.set()
            await server.serve(sockets=[sock])
        finally:
            self.serving.clear()
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
            sock.close()

    @staticmethod
    async def _stop_when(stop: asyncio.Event, server: uvicorn.Server) -> None:
        await stop.wait()
        server.should_exit = True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
