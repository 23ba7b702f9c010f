"""Outbound connections: direct, or through tor's SOCKS port.

Rules, one place:
- ``tor_only``: every outbound connection (rates, webhooks, Electrum) goes through tor; if tor's
  SOCKS address is unknown the call fails (TorUnavailable, code "tor_required"), never going direct.
- otherwise ``.onion`` URLs go through tor (and fail the same way without it); the rest go direct.
Through SOCKS, host names are resolved by tor (remote DNS), so no DNS query leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import python_socks
from aiohttp_socks import ProxyConnector, ProxyType
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
            raise TorUnavailable(f"Tor could not connect to {host}:{port} ({type(exc).__name__}: {exc}).",
                                 code=TorError.SOCKS_FAILED) from exc


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


def is_onion(url: str | URL) -> bool:
    host = URL(str(url)).host or ""
    return host.rstrip(".").endswith(".onion")


def _via_tor(url: str | URL, tor_socks: str | None, tor_only: bool) -> tuple[str, int] | None:
    needs_tor = tor_only or is_onion(url)
    if not needs_tor:
        return None
    if not tor_socks:
        why = "Tor-only mode is on" if tor_only else "it is an onion address"
        raise TorUnavailable(f"Cannot reach {URL(str(url)).host}: {why} and tor is not available.")
    return parse_socks(tor_socks)


def outbound_connector(url: str | URL, *, tor_socks: str | None, tor_only: bool,
                       **kwargs: Any) -> aiohttp.BaseConnector:
    """The connector for requests to ``url``: a SOCKS5 ProxyConnector (remote DNS) or a plain TCPConnector."""
    proxy = _via_tor(url, tor_socks, tor_only)
    if proxy is None:
        return aiohttp.TCPConnector(**kwargs)
    host, port = proxy
    return TorConnector(host=host, port=port, proxy_type=ProxyType.SOCKS5, rdns=True, **kwargs)


def client_session(url: str | URL, *, tor_socks: str | None, tor_only: bool, **kwargs: Any) -> aiohttp.ClientSession:
    """A ClientSession whose every connection follows the rules above (it owns its connector)."""
    return aiohttp.ClientSession(connector=outbound_connector(url, tor_socks=tor_socks, tor_only=tor_only), **kwargs)


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
    """The outbound rules bound to one tor (its SOCKS address may be read lazily from TorService)."""

    def __init__(self, *, tor_socks: SocksSource = None, tor_only: bool = False) -> None:
        self._tor_socks = tor_socks
        self.tor_only = tor_only

    @property
    def tor_socks(self) -> str | None:
        source = self._tor_socks
        return source() if callable(source) else source

    def connector(self, url: str | URL, **kwargs: Any) -> aiohttp.BaseConnector:
        return outbound_connector(url, tor_socks=self.tor_socks, tor_only=self.tor_only, **kwargs)

    def session(self, url: str | URL, **kwargs: Any) -> aiohttp.ClientSession:
        return client_session(url, tor_socks=self.tor_socks, tor_only=self.tor_only, **kwargs)

    def connector_factory(self, url: str | URL) -> Callable[[], aiohttp.BaseConnector]:
        """For ExchangeRateProvider(connector_factory=...): a fresh connector per fetch, routed for ``url``."""
        return lambda: self.connector(url)

    def session_factory(self, url: str | URL) -> Callable[[], aiohttp.ClientSession]:
        """For HttpRateSource(session_factory=...): a fresh session per fetch, routed for ``url``."""
        return lambda: self.session(url)

    def electrum_proxy(self, configured: str | None = None, *, electrum_via_tor: bool = False) -> str | None:
        return electrum_proxy(self.tor_socks, tor_only=self.tor_only, configured=configured,
                              electrum_via_tor=electrum_via_tor)
