"""The web service's small parts: client address, rate limit, language choice, masking."""

from __future__ import annotations

import pytest

from sqa.web.client import client_ip, parse_networks
from sqa.web.ratelimit import RateLimiter
from sqa.web.texts import choose, from_accept_language, mask

PROXIES = parse_networks(["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"])


@pytest.mark.parametrize("peer, xff, expected", [
    ("192.0.2.1", ["203.0.113.7"], "192.0.2.1"),  # untrusted peer: its header is ignored
    ("127.0.0.1", [], "127.0.0.1"),  # the proxy with no header
    ("127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
    ("127.0.0.1", ["198.51.100.1, 203.0.113.7"], "203.0.113.7"),  # the client wrote the left one
    ("127.0.0.1", ["198.51.100.1, 203.0.113.7, 10.0.0.5"], "203.0.113.7"),  # a chain of trusted proxies
    ("127.0.0.1", ["198.51.100.1", "203.0.113.7"], "203.0.113.7"),  # two header lines
    ("127.0.0.1", ["10.0.0.9, 10.0.0.5"], "10.0.0.9"),  # every hop trusted: the left-most
    ("127.0.0.1", ["not-an-ip"], "127.0.0.1"),  # garbage: the last good hop
    ("127.0.0.1", ["[2001:db8::1]:4711"], "2001:db8::1"),
    ("127.0.0.1", ["203.0.113.7:5000"], "203.0.113.7"),
    ("fd00::1", ["2001:db8::2"], "2001:db8::2"),
    ("::ffff:127.0.0.1", ["203.0.113.9"], "203.0.113.9"),  # v4-mapped peer
])
def test_client_ip(peer, xff, expected):
    assert client_ip(peer, xff, PROXIES) == expected


def test_client_ip_without_trusted_proxies_is_the_peer():
    assert client_ip("127.0.0.1", ["203.0.113.7"], ()) == "127.0.0.1"


def test_bad_proxy_cidr_names_itself():
    with pytest.raises(ValueError, match="'10.0.0.0/33'"):
        parse_networks(["10.0.0.0/33"])


def test_token_bucket_refills_and_says_how_long_to_wait():
    now = [100.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # one token every 10 s, bursts of 6
    assert [limiter.take("a") for _ in range(6)] == [0] * 6
    assert limiter.take("a") == 10
    assert limiter.take("b") == 0  # another client, another bucket
    now[0] += 5
    assert limiter.take("a") == 5
    now[0] += 5
    assert limiter.take("a") == 0
    now[0] += 3600
    assert [limiter.take("a") for _ in range(7)] == [0] * 6 + [10]  # never more than the burst


def test_token_bucket_memory_is_bounded():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0], max_keys=100)
    for i in range(1000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
        now[0] += 0.01
    assert len(limiter._buckets) <= 100


@pytest.mark.parametrize("lead, accept, expected", [
    ("de", None, "de"), ("de-AT", "fr", "de"), ("pt", "es-MX,es;q=0.9", "es"), (None, "fr;q=0.2, de;q=0.8", "de"),
    (None, "ja, *;q=0.1", "en"), (None, "fr;q=0", "en"), (None, "FR-ca", "fr"), (None, "de;q=abc, es", "es"),
    (None, None, "en"),
])
def test_language(lead, accept, expected):
    assert choose(lead, accept) == expected


def test_accept_language_none_when_nothing_fits():
    assert from_accept_language("ja, zh") is None


@pytest.mark.parametrize("address, shown", [("lee@lead.test", "l***@lead.test"), ("x@y.z", "x***@y.z"), ("bad", "***")])
def test_mask(address, shown):
    assert mask(address) == shown
