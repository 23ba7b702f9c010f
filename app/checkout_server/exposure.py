"""How shoppers reach the public listener: real client address behind a reverse proxy, Onion-Location.

A feature module without routes: ``setup(app)`` installs the behaviour. Its inputs come from
``services.exposure`` (app.net.exposure.Exposure), built by the composition root.

- Reverse proxy: X-Forwarded-For / X-Forwarded-Proto are honoured only when the TCP peer is a
  configured trusted proxy. The request handlers see the real client in ``request.remote`` (the
  request is cloned) and ``request[CLIENT_IP]`` (a RequestKey named "client_ip");
  ``client_address(request)`` reads it.
- Onion-Location: HTML pages (GET/HEAD, not /api) carry ``Onion-Location: http://<onion>/<path>``
  while the onion service is up, except when the request already came over the onion.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.net.exposure import Exposure, parse_ip

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CLIENT_IP: web.RequestKey[str] = web.RequestKey("client_ip", str)  # request[CLIENT_IP]


def _exposure(app: web.Application) -> Exposure:
    return app[SERVICES].exposure


def forwarded_client(peer: str | None, forwarded_for: str, exposure: Exposure) -> str | None:
    """The client address: walk X-Forwarded-For from the right, skipping trusted proxies."""
    if not exposure.trusts(peer):
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
    exposure = _exposure(request.app)
    peer = request.remote
    if peer is not None and exposure.trusts(peer):
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
    if not _is_page(request, response):
        return
    onion_url = _exposure(request.app).onion_url()
    host = (request.host or "").split(":")[0].rstrip(".").lower()
    if onion_url and not host.endswith(".onion"):
        response.headers["Onion-Location"] = onion_url.rstrip("/") + request.path_qs


def setup(app: web.Application) -> None:
    """Install the forwarded-header middleware right after the error middleware (before any other)."""
    from app.checkout_server.errors import error_middleware

    middlewares = list(app.middlewares)
    position = middlewares.index(error_middleware) + 1 if error_middleware in middlewares else 0
    app.middlewares.insert(position, forwarded_middleware)
    app.on_response_prepare.append(add_onion_location)
