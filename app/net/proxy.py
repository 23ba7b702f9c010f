"""Outbound connections: direct, or through tor's SOCKS port.

Rules, one place:
- ``tor_only``: every outbound connection (Electrum, rates, e-mail, webhooks) goes through tor; if tor's
  SOCKS address is unknown the call fails (TorUnavailable, code "tor_required"), never going direct.
- a configured SOCKS5 ``proxy`` (setting ``electrum_proxy``): every outbound connection goes through it.
- otherwise ``.onion`` URLs go through tor (and fail the same way without it); the rest go direct, and
  a direct connection never hands a ``.onion`` name to the system resolver.
Through SOCKS, host names are resolved by the proxy (remote DNS), so no DNS query leaves the machine.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import aiohttp
import python_socks
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from aiohttp_socks import ProxyConnector, ProxyType
from python_socks.async_.asyncio import Proxy
from yarl import URL

from app.net.errors import TorError

SocksSource = str | Callable[[], str | None] | None


class TorUnavailable(TorError, aiohttp.ClientConnectionError):
    """Tor is needed for this connection and is not there (or its SOCKS port failed).

    Both a UserFacingError with a code and an aiohttp.ClientError, so callers that already handle
    connection errors (rates, webhooks) treat it as "unreachable" without knowing about tor.
    """

    code = TorError.REQUIRED


class TorConnector(ProxyConnector):
    """SOCKS5 with remote DNS; proxy failures surface as TorUnavailable (an aiohttp.ClientError)."""

    async def _connect_via_proxy(self, host: str, port: int, ssl: Any = None,
                                 timeout: float | None = None) -> Any:  # noqa: ASYNC109 (aiohttp-socks' signature)
        try:
            return await super()._connect_via_proxy(host, port, ssl=ssl, timeout=timeout)
        except (python_socks.ProxyError, python_socks.ProxyConnectionError, python_socks.ProxyTimeoutError) as exc:
            raise TorUnavailable(f"The proxy (tor or SOCKS5) could not connect to {host}:{port} "
                                 f"({type(exc).__name__}: {exc}).", code=TorError.SOCKS_FAILED) from exc


def parse_socks(address: str) -> tuple[str, int]:
    """'127.0.0.1:9050', 'socks5:127.0.0.1:9050' or 'socks5://127.0.0.1:9050' -> ('127.0.0.1', 9050)."""
    text = address.strip()
    for prefix in ("socks5h://", "socks5://", "socks5:"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"expected host:port for a SOCKS proxy, got {address!r}")
    return host.strip("[]"), int(port)


def _host(url_or_host: str | URL) -> str:
    text = str(url_or_host)
    return (URL(text).host or "") if "://" in text else text


def is_onion(url: str | URL) -> bool:
    """Whether ``url`` (or a bare host name) is a Tor onion address."""
    return _host(url).rstrip(".").lower().endswith(".onion")


class OnionRefusingResolver(AbstractResolver):
    """The system resolver for direct connections, except that a ``.onion`` name is never looked up."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET,
                      ) -> list[ResolveResult]:
        if is_onion(host):
            raise TorUnavailable(f"Cannot reach {host}: onion addresses go only through tor (Tor-only mode).")
        return await self._inner.resolve(host, port, family)

    async def close(self) -> None:
        await self._inner.close()


def socks_route(url: str | URL, *, tor_socks: str | None, tor_only: bool,
                proxy: str | None = None) -> tuple[str, int] | None:
    """The SOCKS5 endpoint a connection to ``url`` (or a host) must use, None for direct (rules above)."""
    if tor_only or is_onion(url):
        if not tor_socks:
            why = "Tor-only mode is on" if tor_only else "it is an onion address"
            raise TorUnavailable(f"Cannot reach {_host(url)}: {why} and tor is not available.")
        return parse_socks(tor_socks)
    return parse_socks(proxy) if proxy else None


def outbound_connector(url: str | URL, *, tor_socks: str | None, tor_only: bool, proxy: str | None = None,
                       **kwargs: Any) -> aiohttp.BaseConnector:
    """The connector for requests to ``url``: a SOCKS5 ProxyConnector (remote DNS) or a direct TCPConnector
    (whose resolver refuses ``.onion`` names)."""
    route = socks_route(url, tor_socks=tor_socks, tor_only=tor_only, proxy=proxy)
    if route is None:
        return aiohttp.TCPConnector(resolver=OnionRefusingResolver(), **kwargs)
    host, port = route
    return TorConnector(host=host, port=port, proxy_type=ProxyType.SOCKS5, rdns=True, **kwargs)


def client_session(url: str | URL, *, tor_socks: str | None, tor_only: bool, proxy: str | None = None,
                   **kwargs: Any) -> aiohttp.ClientSession:
    """A ClientSession whose every connection follows the rules above (it owns its connector)."""
    connector = outbound_connector(url, tor_socks=tor_socks, tor_only=tor_only, proxy=proxy)
    return aiohttp.ClientSession(connector=connector, **kwargs)


async def open_socks_socket(route: tuple[str, int], host: str, port: int, *, timeout_s: float) -> socket.socket:
    """A TCP socket connected to ``host``:``port`` through the SOCKS5 proxy ``route``, the name resolved by
    the proxy (remote DNS). Proxy failures raise TorUnavailable (code ``tor_socks_failed``)."""
    proxy = Proxy(ProxyType.SOCKS5, route[0], route[1], rdns=True)
    try:
        return await proxy.connect(host, port, timeout=timeout_s)
    except (python_socks.ProxyError, python_socks.ProxyConnectionError, python_socks.ProxyTimeoutError) as exc:
        raise TorUnavailable(f"The proxy could not connect to {host}:{port} ({type(exc).__name__}: {exc}).",
                             code=TorError.SOCKS_FAILED) from exc


def electrum_proxy(tor_socks: str | None, *, tor_only: bool, configured: str | None = None,
                   electrum_via_tor: bool = False) -> str | None:
    """ChainSettings.proxy ("socks5:host:port"): tor's SOCKS port when tor-only (or asked), else ``configured``.

    In tor-only mode without a tor SOCKS address this raises instead of letting Electrum go direct.
    """
    if tor_only or electrum_via_tor:
        if not tor_socks:
            raise TorUnavailable("Tor-only mode is on but tor's SOCKS port is unknown.")
        host, port = parse_socks(tor_socks)
        return f"socks5:{host}:{port}"
    return configured


class OutboundPolicy:
    """The outbound rules bound to one tor (its SOCKS address may be read lazily from TorService) and
    an optional SOCKS5 ``proxy`` every connection goes through."""

    def __init__(self, *, tor_socks: SocksSource = None, tor_only: bool = False, proxy: str | None = None) -> None:
        self._tor_socks = tor_socks
        self.tor_only = tor_only
        self.proxy = proxy

    @property
    def routed(self) -> bool:
        """True when no connection may go direct (Tor-only mode or a proxy): names resolve remotely only."""
        return self.tor_only or self.proxy is not None

    def route(self, url_or_host: str | URL) -> tuple[str, int] | None:
        """The SOCKS5 endpoint for ``url_or_host``, None for direct; TorUnavailable when tor is needed but absent."""
        return socks_route(url_or_host, tor_socks=self.tor_socks, tor_only=self.tor_only, proxy=self.proxy)

    @property
    def tor_socks(self) -> str | None:
        source = self._tor_socks
        return source() if callable(source) else source

    def connector(self, url: str | URL, **kwargs: Any) -> aiohttp.BaseConnector:
        return outbound_connector(url, tor_socks=self.tor_socks, tor_only=self.tor_only, proxy=self.proxy, **kwargs)

    def session(self, url: str | URL, **kwargs: Any) -> aiohttp.ClientSession:
        return client_session(url, tor_socks=self.tor_socks, tor_only=self.tor_only, proxy=self.proxy, **kwargs)

    def shared_connector_factory(self, **kwargs: Any) -> Callable[[], aiohttp.BaseConnector]:
        """For a long-lived session to many hosts (webhooks, notifications): SOCKS when routed, else direct
        (a direct connector refuses ``.onion`` names instead of asking DNS about them)."""
        return lambda: self.connector("https://any-host.invalid", **kwargs)

    def connector_factory(self, url: str | URL) -> Callable[[], aiohttp.BaseConnector]:
        """For ExchangeRateProvider(connector_factory=...): a fresh connector per fetch, routed for ``url``."""
        return lambda: self.connector(url)

    def session_factory(self, url: str | URL) -> Callable[[], aiohttp.ClientSession]:
        """For HttpRateSource(session_factory=...): a fresh session per fetch, routed for ``url``."""
        return lambda: self.session(url)

    def electrum_proxy(self, configured: str | None = None, *, electrum_via_tor: bool = False) -> str | None:
        return electrum_proxy(self.tor_socks, tor_only=self.tor_only, configured=configured,
                              electrum_via_tor=electrum_via_tor)
