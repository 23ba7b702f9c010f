"""The machine's LAN addresses and the URLs shoppers on the same network can open.

Only local information is used (the interface table, the routing table); nothing is sent anywhere
and no name is looked up (no DNS).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import sys
from pathlib import Path

_SIOCGIFADDR = 0x8915  # Linux: IPv4 address of one interface
_IF_INET6 = Path("/proc/net/if_inet6")
_WILDCARDS = {"0.0.0.0": 4, "::": 6, "": 4}


def _usable(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified)


def _linux_ipv4() -> list[str]:
    found = []
    import fcntl

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _index, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                answer = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, request)
            except OSError:  # interface without an IPv4 address
                continue
            found.append(socket.inet_ntoa(answer[20:24]))
    return found


def _linux_ipv6() -> list[str]:
    found = []
    with contextlib.suppress(OSError):
        for line in _IF_INET6.read_text().splitlines():
            raw = line.split()[0]
            found.append(str(ipaddress.IPv6Address(bytes.fromhex(raw))))
    return found


def _portable() -> list[str]:
    """The address the OS would send from (a UDP socket's connect() picks a route and sends nothing).

    Never the host name through getaddrinfo: that may ask DNS (a query leaving the machine)."""
    found = []
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):  # documentation nets
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))
            found.append(str(sock.getsockname()[0]).split("%")[0])
    return found


def lan_addresses(*, ipv6: bool = True) -> list[str]:
    """Non-loopback, non-link-local addresses of this machine; private (RFC 1918/ULA) ones first."""
    candidates: list[str] = []
    if sys.platform.startswith("linux"):
        candidates += _linux_ipv4() + (_linux_ipv6() if ipv6 else [])
    candidates += _portable()
    unique: dict[str, None] = {}
    for address in candidates:
        if _usable(address) and (ipv6 or ":" not in address):
            unique.setdefault(address)
    return sorted(unique, key=lambda a: (not ipaddress.ip_address(a).is_private, ":" in a))


def format_url(scheme: str, host: str, port: int) -> str:
    bracketed = f"[{host}]" if ":" in host else host
    default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    return f"{scheme}://{bracketed}" if default else f"{scheme}://{bracketed}:{port}"


def lan_urls(host: str, port: int, scheme: str = "http") -> list[str]:
    """URLs of a listener bound to ``host``:``port``: every LAN address for a wildcard bind, else that host."""
    family = _WILDCARDS.get(host)
    if family is None:
        return [format_url(scheme, host, port)]
    return [format_url(scheme, address, port) for address in lan_addresses(ipv6=family == 6)]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port the OS says is free right now (small race until someone binds it)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ensure_port_free(host: str, port: int) -> None:
    """Raise PortInUse (a UserFacingError) when ``host``:``port`` cannot be bound; port 0 always passes."""
    from app.net.errors import PortInUse

    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise PortInUse(f"Cannot listen on {host}:{port}: {exc.strerror}. Choose another port or stop the "
                            "program using it.", field="port") from None
