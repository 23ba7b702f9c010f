"""A connection test for an Electrum server: reachable, speaks the protocol, serves the right chain.

``probe("host:port:s", network=..., socks=...)`` opens TCP (``t``) or TLS (``s``) to the server, through
a SOCKS5 proxy when ``socks`` is given (tor: the host name is sent to the proxy, never resolved here),
sends ``server.version``, ``server.features`` and ``blockchain.headers.subscribe`` (JSON-RPC, one
request per line) and returns the server's software, tip height and, for TLS, the SHA-256 fingerprint
of its certificate. Electrum servers usually present self-signed certificates; like Electrum for
``s`` servers the certificate is accepted as it is and its fingerprint reported, so the merchant can
compare it with the one their server shows. Every step is bounded by ``timeout_s``.

Errors are ``ProbeError`` (a UserFacingError with ``field="electrum_server"``) with a stable code:
``unreachable``, ``timeout``, ``tls_failed``, ``not_electrum``, ``wrong_network``, ``tor_failed``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import ssl
from dataclasses import dataclass

import python_socks
from python_socks.async_.asyncio import Proxy

from app.core.chain_route import split_server
from app.core.errors import UserFacingError
from app.net.proxy import parse_socks

GENESIS = {
    "mainnet": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    "testnet": "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
    "signet": "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
    "regtest": "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
}
CLIENT_NAME = "RedWaves"
PROTOCOL_VERSION = "1.4"
MAX_LINE = 1 << 20  # a reply longer than 1 MiB is not an Electrum server's


class ProbeError(UserFacingError):
    UNREACHABLE, TIMEOUT, TLS_FAILED = "unreachable", "timeout", "tls_failed"
    NOT_ELECTRUM, WRONG_NETWORK, TOR_FAILED = "not_electrum", "wrong_network", "tor_failed"

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code, field="electrum_server")


@dataclass(frozen=True)
class ProbeResult:
    server: str  # host:port:t|s as tested
    software: str  # server.version's first item, e.g. "ElectrumX 1.16.0"
    protocol: str
    tip_height: int
    genesis_hash: str
    tls_fingerprint_sha256: str | None  # hex, colon-separated; None for TCP
    via_socks: bool

    def summary(self) -> str:
        tls = f" · certificate SHA-256 {self.tls_fingerprint_sha256}" if self.tls_fingerprint_sha256 else ""
        return f"{self.software} · tip {self.tip_height:,}{' · through Tor' if self.via_socks else ''}{tls}"


def _tls_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # Electrum servers are mostly self-signed: report, don't verify
    return context


async def _open(host: str, port: int, protocol: str, socks: str | None,
                timeout_s: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    context = _tls_context() if protocol == "s" else None
    if socks is None:
        return await asyncio.open_connection(host, port, ssl=context, server_hostname=host if context else None,
                                             limit=MAX_LINE)
    proxy_host, proxy_port = parse_socks(socks)
    proxy = Proxy.from_url(f"socks5://{proxy_host}:{proxy_port}", rdns=True)  # the proxy resolves the name
    try:
        sock = await proxy.connect(dest_host=host, dest_port=port, timeout=timeout_s)
    except (python_socks.ProxyError, python_socks.ProxyConnectionError, python_socks.ProxyTimeoutError) as exc:
        raise ProbeError(f"Tor could not connect to {host}:{port} ({exc}).", ProbeError.TOR_FAILED) from None
    return await asyncio.open_connection(sock=sock, ssl=context, server_hostname=host if context else None,
                                         limit=MAX_LINE)


def _fingerprint(writer: asyncio.StreamWriter) -> str | None:
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest()) if der else None


class _Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer, self._next_id = reader, writer, 0

    async def call(self, method: str, params: list[object]) -> object:
        self._next_id += 1
        request_id = self._next_id
        self._writer.write(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                                       "params": params}).encode() + b"\n")
        await self._writer.drain()
        while True:
            try:
                line = await self._reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                raise ProbeError("The server sent a reply too long for an Electrum server.",
                                 ProbeError.NOT_ELECTRUM) from None
            if not line:
                raise ProbeError(f"The server closed the connection after '{method}': is it an Electrum server "
                                 "(and the right protocol, t or s)?", ProbeError.NOT_ELECTRUM)
            try:
                reply = json.loads(line)
            except ValueError:
                raise ProbeError("The server does not speak the Electrum protocol (its reply is not JSON).",
                                 ProbeError.NOT_ELECTRUM) from None
            if not isinstance(reply, dict):
                raise ProbeError("The server does not speak the Electrum protocol.", ProbeError.NOT_ELECTRUM)
            if reply.get("id") != request_id:
                continue  # a notification (or a reply to something else): wait for ours
            if reply.get("error") is not None:
                raise ProbeError(f"The server refused '{method}': {str(reply['error'])[:200]}",
                                 ProbeError.NOT_ELECTRUM)
            return reply.get("result")


def _header_hash(header_hex: str) -> str:
    raw = bytes.fromhex(header_hex)
    return hashlib.sha256(hashlib.sha256(raw).digest()).digest()[::-1].hex()


async def _talk(session: _Session, network: str) -> tuple[str, str, int, str]:
    version = await session.call("server.version", [CLIENT_NAME, PROTOCOL_VERSION])
    if not isinstance(version, list) or len(version) < 2:
        raise ProbeError("The server's answer to server.version is not an Electrum server's.", ProbeError.NOT_ELECTRUM)
    features = await session.call("server.features", [])
    genesis = features.get("genesis_hash") if isinstance(features, dict) else None
    if not isinstance(genesis, str):
        header0 = await session.call("blockchain.block.header", [0])
        genesis = _header_hash(header0) if isinstance(header0, str) else ""
    if genesis != GENESIS[network]:
        other = next((name for name, value in GENESIS.items() if value == genesis), None)
        raise ProbeError(f"This server serves {other or 'another chain'}, not {network}. Use a {network} "
                         "Electrum server.", ProbeError.WRONG_NETWORK)
    tip = await session.call("blockchain.headers.subscribe", [])
    height = tip.get("height") if isinstance(tip, dict) else None
    if not isinstance(height, int):
        raise ProbeError("The server did not say its tip height.", ProbeError.NOT_ELECTRUM)
    return str(version[0]), str(version[1]), height, genesis


async def probe(server: str, *, network: str, socks: str | None = None, timeout_s: float = 15.0) -> ProbeResult:
    """Test ``server`` (host:port:t|s) for ``network``; ProbeError with a code when it does not work."""
    host, port, protocol = split_server(server)
    where = f"{host}:{port}"
    try:
        async with asyncio.timeout(timeout_s):
            try:
                reader, writer = await _open(host, port, protocol, socks, timeout_s)
            except ssl.SSLError as exc:
                raise ProbeError(f"TLS with {where} failed ({exc.reason or exc}): is it a TCP port (use :t)?",
                                 ProbeError.TLS_FAILED) from None
            except socket.gaierror:
                raise ProbeError(f"The name {host} was not found.", ProbeError.UNREACHABLE) from None
            except OSError as exc:
                raise ProbeError(f"Cannot connect to {where}: {exc.strerror or exc}.", ProbeError.UNREACHABLE) from None
            try:
                fingerprint = _fingerprint(writer)
                software, protocol_version, height, genesis = await _talk(_Session(reader, writer), network)
            except ssl.SSLError as exc:
                raise ProbeError(f"TLS with {where} failed ({exc.reason or exc}).", ProbeError.TLS_FAILED) from None
            except OSError as exc:
                raise ProbeError(f"The connection to {where} broke: {exc.strerror or exc}.",
                                 ProbeError.UNREACHABLE) from None
            finally:
                writer.close()
                try:
                    await asyncio.wait_for(writer.wait_closed(), 1.0)
                except (OSError, TimeoutError, ssl.SSLError):
                    pass
    except TimeoutError:
        raise ProbeError(f"{where} did not answer within {timeout_s:g} s.", ProbeError.TIMEOUT) from None
    return ProbeResult(server=server, software=software, protocol=protocol_version, tip_height=height,
                       genesis_hash=genesis, tls_fingerprint_sha256=fingerprint, via_socks=socks is not None)
