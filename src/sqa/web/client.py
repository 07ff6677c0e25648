"""Who is asking: the socket peer, or the client a trusted reverse proxy names in X-Forwarded-For."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """settings.web.trusted_proxies as networks; ValueError naming the bad entry."""
    nets = []
    for cidr in cidrs:
        try:
            nets.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"web.trusted_proxies: {cidr!r} is not an IP address or CIDR") from None
    return tuple(nets)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: Sequence[Network]) -> bool:
    return any(addr.version == net.version and addr in net for net in nets)


def client_ip(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address.

    The socket peer, unless the peer is a trusted proxy: then the right-most
    X-Forwarded-For entry that is not itself a trusted proxy (entries to the
    left of it were written by the client and prove nothing). X-Forwarded-For
    from anyone else is ignored.
    """
    peer_ip = _ip(peer) if peer else None
    if peer_ip is None:
        return peer or "unknown"
    if not trusted or not _trusted(peer_ip, trusted):
        return str(peer_ip)
    hops = [h for header in forwarded_for for h in header.split(",") if h.strip()]
    client = peer_ip
    for hop in reversed(hops):
        addr = _ip(hop)
        if addr is None:  # garbage where a proxy should have written an address: believe the last good hop
            break
        client = addr
        if not _trusted(addr, trusted):
            break
    return str(client)
