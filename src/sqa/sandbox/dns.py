"""A tiny authoritative DNS server on loopback (UDP) for tests, with failure injection.

Serves the records a test hands it; unknown names get NXDOMAIN. ``mode`` can be
switched at any time to answer SERVFAIL or to drop queries (the client times out),
for everything or (``fault``) for one name and record type.
Every query is recorded, so a test can assert how often the resolver asked.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dnslib import AAAA, MX, QTYPE, RCODE, RR, A, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

__all__ = ["DnsMode", "DnsQuery", "DnsServer", "Record"]


class DnsMode(enum.Enum):
    ANSWER = "answer"
    SERVFAIL = "servfail"
    DROP = "drop"


@dataclass(frozen=True)
class Record:
    """One resource record: ``Record("MX", "mx.example.org", priority=10)``, ``Record("A", "192.0.2.1")``.

    A null MX (RFC 7505) is ``Record("MX", ".", priority=0)``.
    """

    rtype: str
    value: str
    priority: int = 10
    ttl: int = 300


@dataclass(frozen=True)
class DnsQuery:
    name: str
    rtype: str


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


class _Resolver(BaseResolver):
    def __init__(self, owner: DnsServer) -> None:
        self.owner = owner

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()  # authoritative answer (AA) for everything we serve
        qname, qtype = str(request.q.qname), QTYPE[request.q.qtype]
        if self.owner.mode_for(_norm(qname), qtype) is DnsMode.SERVFAIL:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        records = self.owner.records.get(_norm(qname))
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for rec in records:
            if rec.rtype.upper() != qtype:
                continue
            if qtype == "MX":
                rdata = MX(DNSLabel(rec.value if rec.value != "." else []), rec.priority)
            elif qtype == "A":
                rdata = A(rec.value)
            elif qtype == "AAAA":
                rdata = AAAA(rec.value)
            else:
                continue
            reply.add_answer(RR(qname, QTYPE.reverse[qtype], rdata=rdata, ttl=rec.ttl))
        return reply  # NOERROR with an empty answer = "no records of this type"


class _Handler(DNSHandler):
    def handle(self) -> None:
        owner: DnsServer = self.server.owner  # type: ignore[attr-defined]
        data, _sock = self.request
        try:
            q = DNSRecord.parse(data).q
            query = DnsQuery(_norm(str(q.qname)), QTYPE[q.qtype])
        except Exception:  # noqa: BLE001 - garbage is still counted, then answered by dnslib
            query = DnsQuery("", "?")
        with owner._lock:
            owner.queries.append(query)
        if owner.mode_for(query.name, query.rtype) is DnsMode.DROP:
            return
        super().handle()


class _QuietLogger(DNSLogger):
    def __init__(self) -> None:
        super().__init__(log="-recv,-send,-request,-reply,-truncated,-error,-data", prefix=False)


class DnsServer:
    """Authoritative UDP DNS on 127.0.0.1 with a free port, served from a background thread.

    ``records`` maps a domain name to its records; a name present with an empty
    list exists but has no records (NOERROR, empty answer).
    """

    def __init__(self, records: Mapping[str, Iterable[Record]] | None = None, *,
                 host: str = "127.0.0.1") -> None:
        self.host = host
        self.records: dict[str, list[Record]] = {}
        self.mode = DnsMode.ANSWER
        self.faults: dict[tuple[str, str], DnsMode] = {}
        self.queries: list[DnsQuery] = []
        self._lock = threading.Lock()
        self._server: DNSServer | None = None
        for name, recs in (records or {}).items():
            self.set(name, recs)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("DNS server is not started")
        return int(self._server.server.server_address[1])

    def set(self, name: str, records: Iterable[Record]) -> None:
        self.records[_norm(name)] = list(records)

    def fault(self, name: str, rtype: str, mode: DnsMode) -> None:
        """Fail only queries for ``name``/``rtype`` (``ANSWER`` clears it); ``reset()`` clears all."""
        self.faults[(_norm(name), rtype.upper())] = mode

    def mode_for(self, name: str, rtype: str) -> DnsMode:
        return self.faults.get((name, rtype), self.mode)

    def remove(self, name: str) -> None:
        self.records.pop(_norm(name), None)

    def count(self, name: str | None = None, rtype: str | None = None) -> int:
        """Queries received so far (optionally only for ``name`` and/or ``rtype``)."""
        with self._lock:
            return sum(1 for q in self.queries
                       if (name is None or q.name == _norm(name)) and (rtype is None or q.rtype == rtype))

    def reset(self) -> None:
        with self._lock:
            self.queries.clear()
        self.mode = DnsMode.ANSWER
        self.faults.clear()

    def start(self) -> DnsServer:
        if self._server is not None:
            return self
        server = DNSServer(_Resolver(self), address=self.host, port=0, logger=_QuietLogger(), handler=_Handler)
        server.server.owner = self  # type: ignore[attr-defined]
        server.start_thread()
        self._server = server
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            server.server.server_close()
            server.thread.join(timeout=5)

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
