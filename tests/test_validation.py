"""Email validation against a private authoritative DNS server on loopback (no public DNS)."""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest

from sqa.agents.validation import NO_MAIL, AddressCheck, AddressValidator
from sqa.sandbox.dns import DnsMode, DnsServer, Record

MX = lambda host, prio=10, ttl=300: Record("MX", host, priority=prio, ttl=ttl)  # noqa: E731
A = lambda ip, ttl=300: Record("A", ip, ttl=ttl)  # noqa: E731
AAAA = lambda ip, ttl=300: Record("AAAA", ip, ttl=ttl)  # noqa: E731

ZONE = {
    "acme-corp.de": [MX("mx1.acme-corp.de"), MX("mx2.acme-corp.de", 20)],
    "a-only.org": [A("192.0.2.10")],
    "v6-only.org": [AAAA("2001:db8::25")],
    "nullmx.org": [MX(".", 0)],
    "empty.org": [],
    "xn--bcher-kva.de": [MX("mx.xn--bcher-kva.de")],
    "gmail.com": [MX("gmail-smtp-in.l.google.com", 5)],
    "web.de": [MX("mx-ha03.web.de")],
    "mailinator.com": [MX("mail.mailinator.com")],
    "sub.yopmail.com": [A("192.0.2.99")],
    "flaky.org": [MX("mx.flaky.org")],
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _no_system_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything here tries to read /etc/resolv.conf (it would reach public DNS)."""
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("tests must not read the system resolver configuration")
    monkeypatch.setattr(dns.resolver.Resolver, "read_resolv_conf", refuse)


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(ZONE) as server:
        yield server


@pytest.fixture
def server(dns_server: DnsServer) -> Iterator[DnsServer]:
    dns_server.reset()
    yield dns_server
    dns_server.reset()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def validator(server: DnsServer, clock: FakeClock) -> AddressValidator:
    return AddressValidator(nameservers=["127.0.0.1"], port=server.port, timeout=0.5, clock=clock)


# --- deliverability ---------------------------------------------------------------------------

async def test_good_mx(validator: AddressValidator, server: DnsServer) -> None:
    result = await validator.check("jane.doe@acme-corp.de")
    assert result == AddressCheck("jane.doe@acme-corp.de", valid=True, deliverable=True, reason=None)
    assert server.count("acme-corp.de", "MX") == 1
    assert server.count(rtype="A") == 0


async def test_a_only_domain_uses_implicit_mx(validator: AddressValidator, server: DnsServer) -> None:
    result = await validator.check("bob@a-only.org")
    assert (result.valid, result.deliverable, result.reason) == (True, True, None)
    assert server.count("a-only.org", "MX") == 1 and server.count("a-only.org", "A") == 1


async def test_aaaa_only_domain_uses_implicit_mx(validator: AddressValidator, server: DnsServer) -> None:
    result = await validator.check("bob@v6-only.org")
    assert (result.valid, result.deliverable) == (True, True)
    assert server.count("v6-only.org", "AAAA") == 1


async def test_nxdomain(validator: AddressValidator) -> None:
    result = await validator.check("bob@no-such-domain.org")
    assert (result.valid, result.deliverable) == (False, False)
    assert result.reason is not None and result.reason.startswith(NO_MAIL)
    assert "does not exist" in result.reason


async def test_null_mx(validator: AddressValidator, server: DnsServer) -> None:
    result = await validator.check("bob@nullmx.org")
    assert (result.valid, result.deliverable) == (False, False)
    assert result.reason == f"{NO_MAIL}: it publishes a null MX (RFC 7505)"
    assert server.count("nullmx.org", "A") == 0, "a null MX must not fall back to A"


async def test_no_records(validator: AddressValidator, server: DnsServer) -> None:
    result = await validator.check("bob@empty.org")
    assert (result.valid, result.deliverable) == (False, False)
    assert result.reason == f"{NO_MAIL}: it has no MX and no A/AAAA records"
    assert [server.count("empty.org", t) for t in ("MX", "A", "AAAA")] == [1, 1, 1]


async def test_servfail_is_not_a_verdict_and_not_cached(validator: AddressValidator, server: DnsServer) -> None:
    server.mode = DnsMode.SERVFAIL
    result = await validator.check("bob@flaky.org")
    assert (result.valid, result.deliverable) == (True, None)
    assert result.reason is not None and "retry later" in result.reason
    server.mode = DnsMode.ANSWER
    before = server.count("flaky.org", "MX")
    result = await validator.check("bob@flaky.org")
    assert (result.valid, result.deliverable, result.reason) == (True, True, None)
    assert server.count("flaky.org", "MX") == before + 1, "the SERVFAIL must not have been cached"


async def test_dropped_query_times_out(validator: AddressValidator, server: DnsServer) -> None:
    server.mode = DnsMode.DROP
    result = await validator.check("bob@flaky.org")  # the resolver's own timeout ends it (no timed assertion)
    assert (result.valid, result.deliverable) == (True, None)
    assert result.reason is not None and "timed out" in result.reason
    server.mode = DnsMode.ANSWER
    assert (await validator.check("bob@flaky.org")).deliverable is True, "the timeout must not have been cached"


@pytest.mark.parametrize("mode", [DnsMode.SERVFAIL, DnsMode.DROP])
async def test_failure_on_the_fallback_query_is_not_a_verdict(validator: AddressValidator, server: DnsServer,
                                                              mode: DnsMode) -> None:
    """MX says "no records", then the A query fails: no verdict, and nothing cached."""
    server.fault("a-only.org", "A", mode)
    result = await validator.check("x@a-only.org")
    assert (result.valid, result.deliverable) == (True, None)
    server.fault("a-only.org", "A", DnsMode.ANSWER)
    assert (await validator.check("x@a-only.org")).deliverable is True
    assert server.count("a-only.org", "MX") == 2


# --- cache ------------------------------------------------------------------------------------

async def test_cache_hit_asks_the_server_once(validator: AddressValidator, server: DnsServer) -> None:
    first = await validator.check("a@acme-corp.de")
    second = await validator.check("B@ACME-CORP.DE")
    assert first.deliverable is second.deliverable is True
    assert server.count("acme-corp.de") == 1


async def test_negative_answers_are_cached(validator: AddressValidator, server: DnsServer) -> None:
    for _ in range(3):
        assert (await validator.check("x@no-such-domain.org")).valid is False
    assert server.count("no-such-domain.org") == 1
    for _ in range(2):
        assert (await validator.check("x@empty.org")).valid is False
    assert server.count("empty.org") == 3  # MX, A, AAAA once


async def test_cache_expires_after_ttl(validator: AddressValidator, server: DnsServer, clock: FakeClock) -> None:
    await validator.check("a@acme-corp.de")
    clock.now += 299
    await validator.check("a@acme-corp.de")
    assert server.count("acme-corp.de") == 1
    clock.now += 2  # past the record's 300 s TTL
    await validator.check("a@acme-corp.de")
    assert server.count("acme-corp.de") == 2


async def test_cache_sees_a_domain_appear_after_negative_ttl(server: DnsServer, clock: FakeClock) -> None:
    validator = AddressValidator(nameservers=["127.0.0.1"], port=server.port, timeout=0.5, clock=clock,
                                 negative_ttl=60)
    assert (await validator.check("x@late.org")).valid is False
    server.set("late.org", [MX("mx.late.org")])
    try:
        assert (await validator.check("x@late.org")).valid is False  # still cached
        clock.now += 61
        assert (await validator.check("x@late.org")).valid is True
    finally:
        server.remove("late.org")


async def test_cache_is_bounded(server: DnsServer, clock: FakeClock) -> None:
    validator = AddressValidator(nameservers=["127.0.0.1"], port=server.port, timeout=0.5, clock=clock,
                                 cache_size=2)
    for domain in ("acme-corp.de", "a-only.org", "gmail.com"):
        await validator.check(f"x@{domain}")
    await validator.check("x@gmail.com")
    assert server.count("gmail.com") == 1
    await validator.check("x@acme-corp.de")  # evicted as the oldest
    assert server.count("acme-corp.de") == 2


# --- syntax and normalization -----------------------------------------------------------------

@pytest.mark.parametrize(("address", "fragment"), [
    ("no-at-sign", "must have an @-sign"),
    ("@acme-corp.de", "something before the @-sign"),
    ("bob@", "something after the @-sign"),
    ("a@@acme-corp.de", "invalid characters"),
    ("john doe@acme-corp.de", "invalid characters before the @-sign"),
    ("a..b@acme-corp.de", "two periods in a row"),
    (".a@acme-corp.de", "cannot start with a period"),
    ("bob@acme", "should have a period"),
    ("bob@-acme.de", "hyphen"),
    ("bob@exa_mple.com", "invalid characters"),
    ("x" * 65 + "@acme-corp.de", "too long before the @-sign"),
    ("", "must have an @-sign"),
])
async def test_syntax_errors(validator: AddressValidator, server: DnsServer, address: str, fragment: str) -> None:
    result = await validator.check(address)
    assert (result.valid, result.deliverable) == (False, False)
    assert result.reason is not None and result.reason.startswith("invalid syntax: ")
    assert fragment in result.reason
    assert server.count() == 0, "no DNS query for a syntax error"


async def test_domain_case_is_normalized_local_part_kept(validator: AddressValidator) -> None:
    result = await validator.check("  Jane.Doe@ACME-Corp.DE ")
    assert result.address == "Jane.Doe@acme-corp.de"
    assert result.deliverable is True


async def test_idn_domain_becomes_punycode(validator: AddressValidator, server: DnsServer) -> None:
    result = await validator.check("jane@Bücher.de")
    assert result.address == "jane@xn--bcher-kva.de"
    assert (result.valid, result.deliverable) == (True, True)
    assert server.count("xn--bcher-kva.de", "MX") == 1


# --- flags ------------------------------------------------------------------------------------

@pytest.mark.parametrize("local", ["info", "Sales", "support", "admin", "noreply", "office", "contact",
                                   "hello", "team", "billing", "info+leads"])
async def test_role_accounts(validator: AddressValidator, local: str) -> None:
    result = await validator.check(f"{local}@acme-corp.de")
    assert result.role is True and result.valid is True


async def test_person_is_not_a_role(validator: AddressValidator) -> None:
    result = await validator.check("information.officer@acme-corp.de")
    assert (result.role, result.disposable, result.free_mail) == (False, False, False)


@pytest.mark.parametrize("address", ["x@mailinator.com", "x@sub.yopmail.com"])
async def test_disposable_domains(validator: AddressValidator, address: str) -> None:
    result = await validator.check(address)
    assert result.disposable is True and result.free_mail is False
    assert result.valid is True, "disposable is a flag, not a verdict"


@pytest.mark.parametrize("address", ["jane@gmail.com", "jane@WEB.DE"])
async def test_free_mail_is_flagged_not_invalid(validator: AddressValidator, address: str) -> None:
    result = await validator.check(address)
    assert (result.free_mail, result.valid, result.deliverable, result.disposable) == (True, True, True, False)


async def test_custom_lists(server: DnsServer, clock: FakeClock) -> None:
    validator = AddressValidator(nameservers=["127.0.0.1"], port=server.port, timeout=0.5, clock=clock,
                                 role_accounts=["vertrieb"], disposable_domains=["acme-corp.de"],
                                 free_mail_domains=[])
    result = await validator.check("Vertrieb@acme-corp.de")
    assert (result.role, result.disposable) == (True, True)
    assert (await validator.check("info@gmail.com")).free_mail is False


# --- construction -----------------------------------------------------------------------------

def test_rejects_bad_options() -> None:
    with pytest.raises(ValueError, match="timeout"):
        AddressValidator(nameservers=["127.0.0.1"], timeout=0)
    with pytest.raises(ValueError, match="nameservers"):
        AddressValidator(nameservers=[])


def test_dns_server_refuses_port_before_start() -> None:
    with pytest.raises(RuntimeError):
        _ = DnsServer().port
