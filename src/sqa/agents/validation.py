"""Email address validation: syntax, normalization, deliverability (MX, else A/AAAA) and flags.

Syntax and normalization come from email-validator (no DNS there); deliverability
is our own lookup through dnspython's async resolver, so nameservers, port,
timeout and caching are under our control. DNS trouble (SERVFAIL, timeout,
network errors) is not a verdict: ``deliverable`` is None and nothing is cached,
so the caller retries later. No dnspython or email-validator exception leaves
this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
from email_validator import EmailNotValidError, validate_email

__all__ = ["AddressCheck", "AddressValidator", "DomainVerdict", "DISPOSABLE_DOMAINS", "FREE_MAIL_DOMAINS", "ROLE_ACCOUNTS"]

ROLE_ACCOUNTS = frozenset({
    "abuse", "admin", "administrator", "billing", "contact", "enquiries", "hello", "help", "hostmaster",
    "hr", "info", "jobs", "kontakt", "mail", "marketing", "no-reply", "noreply", "office", "postmaster",
    "press", "sales", "service", "support", "team", "webmaster",
})
DISPOSABLE_DOMAINS = frozenset({
    "10minutemail.com", "10minutemail.net", "dispostable.com", "getnada.com", "guerrillamail.com",
    "guerrillamail.net", "maildrop.cc", "mailinator.com", "mailnesia.com", "mintemail.com", "sharklasers.com",
    "temp-mail.org", "tempmail.com", "tempmail.net", "throwawaymail.com", "trashmail.com", "yopmail.com",
    "yopmail.fr",
})
FREE_MAIL_DOMAINS = frozenset({
    "aol.com", "gmail.com", "gmx.at", "gmx.ch", "gmx.de", "gmx.net", "googlemail.com", "hotmail.com",
    "icloud.com", "live.com", "mail.com", "mail.ru", "me.com", "msn.com", "outlook.com", "outlook.de",
    "posteo.de", "proton.me", "protonmail.com", "t-online.de", "web.de", "yahoo.com", "yahoo.de",
    "yandex.ru", "zoho.com",
})

NO_MAIL = "the domain does not receive mail"


@dataclass(frozen=True)
class AddressCheck:
    """The outcome for one address.

    ``deliverable`` is None when DNS could not be asked (not a verdict: retry
    later); ``valid`` is False only for a definite verdict (bad syntax, or a
    domain that does not receive mail), with the why in ``reason``.
    """

    address: str
    valid: bool
    deliverable: bool | None
    reason: str | None
    role: bool = False
    disposable: bool = False
    free_mail: bool = False


@dataclass(frozen=True)
class DomainVerdict:
    deliverable: bool | None
    reason: str | None


class _Unavailable(Exception):
    """DNS gave no verdict (SERVFAIL, timeout, network error)."""


def _in(domain: str, domains: frozenset[str]) -> bool:
    """``domain`` or one of its parent domains is in ``domains``."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


class AddressValidator:
    """Checks addresses; one instance holds the resolver and the TTL cache (share it).

    ``nameservers=None`` reads the system resolver configuration; tests pass
    loopback servers explicitly. Positive answers are cached for their DNS TTL
    (clamped to ``min_ttl``..``max_ttl``), negative ones for ``negative_ttl``.
    """

    def __init__(self, *, nameservers: Sequence[str] | None = None, port: int = 53, timeout: float = 5.0,
                 min_ttl: float = 60.0, max_ttl: float = 86_400.0, negative_ttl: float = 3_600.0,
                 cache_size: int = 10_000, clock: Callable[[], float] = time.monotonic,
                 role_accounts: Iterable[str] = ROLE_ACCOUNTS,
                 disposable_domains: Iterable[str] = DISPOSABLE_DOMAINS,
                 free_mail_domains: Iterable[str] = FREE_MAIL_DOMAINS) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if nameservers is not None and not nameservers:
            raise ValueError("nameservers must not be empty (None reads the system configuration)")
        try:
            resolver = dns.asyncresolver.Resolver(configure=nameservers is None)
        except dns.resolver.NoResolverConfiguration:
            raise ValueError("no DNS resolver configured on this system: give nameservers explicitly") from None
        if nameservers is not None:
            resolver.nameservers = list(nameservers)
            resolver.port = port
        resolver.timeout = timeout
        resolver.lifetime = timeout
        resolver.cache = None  # our own cache below: it also remembers negative verdicts
        self._resolver = resolver
        self._min_ttl, self._max_ttl, self._negative_ttl = min_ttl, max_ttl, negative_ttl
        self._cache_size = cache_size
        self._cache: dict[str, tuple[float, DomainVerdict]] = {}
        self._clock = clock
        self.role_accounts = frozenset(r.lower() for r in role_accounts)
        self.disposable_domains = frozenset(d.lower() for d in disposable_domains)
        self.free_mail_domains = frozenset(d.lower() for d in free_mail_domains)

    async def check(self, address: str) -> AddressCheck:
        try:
            parsed = validate_email(address.strip(), check_deliverability=False, strict=True)
        except EmailNotValidError as exc:
            return AddressCheck(address=address.strip(), valid=False, deliverable=False,
                                reason=f"invalid syntax: {exc}")
        domain = parsed.ascii_domain.lower()
        local = parsed.local_part
        verdict = await self.deliverability(domain)
        return AddressCheck(
            address=f"{local}@{domain}",
            valid=verdict.deliverable is not False,
            deliverable=verdict.deliverable,
            reason=verdict.reason,
            role=local.lower().split("+", 1)[0] in self.role_accounts,
            disposable=_in(domain, self.disposable_domains),
            free_mail=_in(domain, self.free_mail_domains),
        )

    async def deliverability(self, domain: str) -> DomainVerdict:
        """The cached verdict for an ASCII domain, or a fresh lookup (uncached when DNS failed)."""
        domain = domain.rstrip(".").lower()
        now = self._clock()
        hit = self._cache.get(domain)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            verdict, ttl = await self._lookup(domain)
        except _Unavailable as exc:
            return DomainVerdict(None, f"DNS unavailable, retry later: {exc}")
        self._cache.pop(domain, None)
        while len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))  # oldest entry first
        self._cache[domain] = (now + ttl, verdict)
        return verdict

    def clear_cache(self) -> None:
        self._cache.clear()

    async def _lookup(self, domain: str) -> tuple[DomainVerdict, float]:
        answer = await self._query(domain, "MX")
        if answer is None:
            return DomainVerdict(False, f"{NO_MAIL}: it does not exist (NXDOMAIN)"), self._negative_ttl
        if answer:
            ttl = self._clamp(answer.rrset.ttl)
            if all(rr.exchange == dns.name.root for rr in answer):
                return DomainVerdict(False, f"{NO_MAIL}: it publishes a null MX (RFC 7505)"), ttl
            return DomainVerdict(True, None), ttl
        for rtype in ("A", "AAAA"):  # RFC 5321 5.1: no MX means the implicit MX is the domain itself
            answer = await self._query(domain, rtype)
            if answer is None:
                return DomainVerdict(False, f"{NO_MAIL}: it does not exist (NXDOMAIN)"), self._negative_ttl
            if answer:
                return DomainVerdict(True, None), self._clamp(answer.rrset.ttl)
        return DomainVerdict(False, f"{NO_MAIL}: it has no MX and no A/AAAA records"), self._negative_ttl

    async def _query(self, domain: str, rtype: str) -> dns.resolver.Answer | None | tuple[()]:
        """The answer; ``()`` for no records of this type; None for NXDOMAIN; raises _Unavailable."""
        try:
            return await self._resolver.resolve(domain, rtype, search=False)
        except dns.resolver.NXDOMAIN:
            return None
        except dns.resolver.NoAnswer:
            return ()
        except dns.resolver.NoNameservers as exc:  # every server answered SERVFAIL/REFUSED or was unreachable
            raise _Unavailable(f"{rtype} {domain}: no nameserver gave an answer") from exc
        except dns.exception.Timeout as exc:
            raise _Unavailable(f"{rtype} {domain}: timed out") from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise _Unavailable(f"{rtype} {domain}: {type(exc).__name__}: {exc}") from exc

    def _clamp(self, ttl: float) -> float:
        return min(max(float(ttl), self._min_ttl), self._max_ttl)
