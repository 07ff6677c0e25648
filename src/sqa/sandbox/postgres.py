"""A private PostgreSQL cluster on loopback (trust auth, fsync off)."""

from __future__ import annotations

import glob
import os
import pwd
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ._proc import IS_ROOT, chown_tree, make_root, remove_tree, tail
from .ports import free_port, wait_port

__all__ = ["PostgresServer", "PostgresError", "find_pg_bin"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresError(RuntimeError):
    """initdb / pg_ctl / psql failed."""


def find_pg_bin() -> Path:
    """Directory with initdb/pg_ctl: highest /usr/lib/postgresql/*/bin, else $PATH."""
    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in re.findall(r"\d+", name)) or (0,)

    candidates = [p for p in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(os.path.join(p, "initdb"))]
    if candidates:
        return Path(max(candidates, key=version))
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d and os.path.exists(os.path.join(d, "initdb")):
            return Path(d)
    raise PostgresError("PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql")


@dataclass
class PostgresServer:
    """A running private PostgreSQL. Create it with :meth:`start`."""

    root: Path
    port: int
    bindir: Path
    host: str = "127.0.0.1"
    user: str = "postgres"
    _owns_root: bool = field(default=False, repr=False)
    _running: bool = field(default=False, repr=False)

    @classmethod
    def start(cls, *, root: Path | None = None) -> "PostgresServer":
        """initdb (trust auth) and start on 127.0.0.1:free port; returns when it accepts."""
        root, owned = make_root("sqa-postgres-", root)
        server = cls(root=root, port=free_port(), bindir=find_pg_bin(), _owns_root=owned)
        try:
            server.sockdir.mkdir(exist_ok=True)
            if IS_ROOT:
                pw = pwd.getpwnam("postgres")
                chown_tree(root, pw.pw_uid, pw.pw_gid)
            server._run([str(server.bindir / "initdb"), "-D", str(server.datadir), "-U", "postgres",
                         "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"])
            for attempt in range(3):  # the picked port may have been taken meanwhile
                try:
                    server._start()
                    break
                except PostgresError:
                    if attempt == 2:
                        raise
                    server.port = free_port()
        except BaseException:
            server.close()
            raise
        return server

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        return self.root / "sock"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def _as_owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if IS_ROOT else argv

    def _run(self, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run(self._as_owner(argv), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd=str(self.root))
        if proc.returncode != 0:
            raise PostgresError(f"{' '.join(argv[:2])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                                f"{tail(self.log_path)}")
        return proc

    def _start(self) -> None:
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockdir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        # pg_ctl daemonizes postgres in its own session (setsid), so it is not in our process group
        self._running = True  # so stop() cleans up even if pg_ctl gave up while postgres runs
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log_path),
                       "-o", opts, "-w", "-t", "30", "start"])
        except PostgresError:
            self._running = (self.datadir / "postmaster.pid").exists()
            if self._running:
                self.stop()
            raise
        wait_port(self.host, self.port, 10)

    def restart(self) -> None:
        """Stop (fast) and start again on the same port with the same data."""
        self.stop()
        self._start()

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy async URL ``postgresql+asyncpg://postgres@127.0.0.1:PORT/dbname``."""
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq / asyncpg DSN ``postgresql://postgres@127.0.0.1:PORT/dbname``."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run ``sql`` with psql (blocking subprocess; fine inside an event loop). Returns stdout."""
        proc = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.host,
             "-p", str(self.port), "-U", self.user, "-d", dbname, "-c", sql],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        )
        if proc.returncode != 0:
            raise PostgresError(f"psql failed: {proc.stderr.strip()}")
        return proc.stdout

    def create_database(self, name: str) -> str:
        """CREATE DATABASE ``name``; returns its SQLAlchemy URL."""
        if not _IDENT.match(name):
            raise ValueError(f"invalid database name {name!r}")
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        if not _IDENT.match(name):
            raise ValueError(f"invalid database name {name!r}")
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """pg_ctl stop -m fast (data kept)."""
        if not self._running:
            return
        self._running = False
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "-t", "20", "stop"])
        except PostgresError:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"])

    def close(self) -> None:
        """Stop and remove the root directory (when we created it)."""
        try:
            self.stop()
        finally:
            if self._owns_root:
                remove_tree(self.root)

    def __enter__(self) -> "PostgresServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
