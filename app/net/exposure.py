"""Who the public listener trusts for forwarded headers, and the onion URL it advertises.

Built once by the composition root from settings (``trusted_proxies``) and the Tor service;
``Services.exposure`` carries it to the checkout server (app/checkout_server/exposure.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.net.errors import InvalidTrustedProxy

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(values: Iterable[str]) -> tuple[Network, ...]:
    """'127.0.0.1', '10.0.0.0/8', '::1' ... -> networks; InvalidTrustedProxy (with a code) on garbage."""
    networks = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise InvalidTrustedProxy(f"{text!r} is not an IP address or network (like 10.0.0.0/8).",
                                      field="trusted_proxies") from None
    return tuple(networks)


@dataclass(frozen=True)
class Exposure:
    trusted_proxies: tuple[Network, ...] = ()
    onion_url: Callable[[], str | None] = field(default=lambda: None)  # e.g. lambda: tor.onion_url if tor.onion_up

    def trusts(self, address: str | None) -> bool:
        ip = parse_ip(address)
        return ip is not None and any(ip in network for network in self.trusted_proxies)


def parse_ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:1234"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:1234"
        text = text.split(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if isinstance(ip, ipaddress.IPv6Address) else ip
