"""How shoppers reach the public listener: real client address behind a reverse proxy, Onion-Location.

A feature module without routes: ``setup(app)`` installs the behaviour. Its inputs come from
``services.exposure`` (app.net.exposure.Exposure), built by the composition root.

- Reverse proxy: X-Forwarded-For / X-Forwarded-Proto are honoured only when the TCP peer is a
  configured trusted proxy. The request handlers see the real client in ``request.remote`` (the
  request is cloned) and ``request[CLIENT_IP]`` (a RequestKey named "client_ip");
  ``client_address(request)`` reads it.
- Onion-Location: HTML pages (GET/HEAD, not /api) carry ``Onion-Location: http://<onion>/<path>``
  while the onion service is up, except when the request already came over the onion.

Per request this costs a dictionary look-up: whether a TCP peer is a trusted proxy is remembered per
peer string (``TrustedPeers``, a bounded LRU, forgotten when ``services.exposure`` is replaced), no
proxy configured means no parse at all, and the Onion-Location hook asks for the onion URL before
it looks at the response.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.net.exposure import Exposure, parse_ip

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CLIENT_IP: web.RequestKey[str] = web.RequestKey("client_ip", str)  # request[CLIENT_IP]


TRUSTED_PEERS_MAX = 1024  # distinct peer strings remembered (an attacker's spread of addresses evicts, never grows)


class TrustedPeers:
    """``exposure.trusts(peer)`` remembered per peer string, least recently used forgotten first.

    Bound to one Exposure (frozen): when ``services.exposure`` is another object, it starts over.
    """

    def __init__(self, max_size: int = TRUSTED_PEERS_MAX) -> None:
        self.max_size = max_size
        self._exposure: Exposure | None = None
        self._seen: OrderedDict[str, bool] = OrderedDict()

    def trusts(self, exposure: Exposure, peer: str | None) -> bool:
        if not exposure.trusted_proxies or not peer:
            return False
        if exposure is not self._exposure:
            self._exposure = exposure
            self._seen.clear()
        seen = self._seen
        known = seen.get(peer)
        if known is not None:
            seen.move_to_end(peer)
            return known
        trusted = exposure.trusts(peer)
        seen[peer] = trusted
        if len(seen) > self.max_size:
            seen.popitem(last=False)
        return trusted

    def __len__(self) -> int:
        return len(self._seen)


TRUSTED_PEERS: web.AppKey[TrustedPeers] = web.AppKey("trusted_peers", TrustedPeers)


def _exposure(app: web.Application) -> Exposure:
    return app[SERVICES].exposure


def forwarded_client(peer: str | None, forwarded_for: str, exposure: Exposure,
                     peers: TrustedPeers | None = None) -> str | None:
    """The client address: walk X-Forwarded-For from the right, skipping trusted proxies."""
    if not (peers.trusts(exposure, peer) if peers is not None else exposure.trusts(peer)):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        ip = parse_ip(hop)
        if ip is None:
            break  # garbage from an untrusted party: stop at the last address we could trust
        client = str(ip)
        if not exposure.trusts(client):
            break
    return client


def client_address(request: web.Request) -> str:
    """The real client's IP (behind a trusted reverse proxy too); "unknown" if the transport has none."""
    return request.get(CLIENT_IP) or request.remote or "unknown"


@web.middleware
async def forwarded_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    app = request.app
    exposure = _exposure(app)
    peer = request.remote
    if peer is not None and app[TRUSTED_PEERS].trusts(exposure, peer):
        forwarded_for = ",".join(request.headers.getall("X-Forwarded-For", []))
        client = forwarded_client(peer, forwarded_for, exposure) or peer
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        scheme = proto if proto in ("http", "https") else request.scheme
        if client != peer or scheme != request.scheme:
            request = request.clone(remote=client, scheme=scheme)
    request[CLIENT_IP] = request.remote or "unknown"
    return await handler(request)


def _is_page(request: web.Request, response: web.StreamResponse) -> bool:
    return (request.method in ("GET", "HEAD") and not request.path.startswith("/api")
            and response.content_type == "text/html" and 200 <= response.status < 400)


async def add_onion_location(request: web.Request, response: web.StreamResponse) -> None:
    onion_url = _exposure(request.app).onion_url()  # first: without an onion up, nothing else is looked at
    if not onion_url or not _is_page(request, response):
        return
    host = (request.host or "").split(":")[0].rstrip(".").lower()
    if not host.endswith(".onion"):
        response.headers["Onion-Location"] = onion_url.rstrip("/") + request.path_qs


def setup(app: web.Application) -> None:
    """Install the forwarded-header middleware right after the error middleware (before any other)."""
    from app.checkout_server.errors import error_middleware

    middlewares = list(app.middlewares)
    position = middlewares.index(error_middleware) + 1 if error_middleware in middlewares else 0
    app.middlewares.insert(position, forwarded_middleware)
    app[TRUSTED_PEERS] = TrustedPeers()
    app.on_response_prepare.append(add_onion_location)
