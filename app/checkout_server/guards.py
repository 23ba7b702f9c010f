"""Request guards: which Host the private listener answers, which browser origins may call it.

A feature without routes (``setup(app)``), installed right after the forwarded-header middleware.

Private listener (API, Greenfield, health, admin):

- **Host** must be a loopback name (``127.0.0.1``, ``localhost``, ``::1``, any port) or the
  configured ``private_host`` (any IP literal when that is a wildcard such as ``0.0.0.0``). A web
  page that re-binds its own domain to 127.0.0.1 (DNS rebinding) sends its domain as Host: 421.
- **Cross-origin browser requests** (``Sec-Fetch-Site: cross-site``/``same-site``, or an ``Origin``
  that is not this listener's own) are refused with 403, unless the origin is in the
  ``cors_origins`` setting (default empty); those get CORS headers and answered preflights.
- **JSON bodies** on ``/api/`` and ``/greenfield/`` must be sent as ``application/json`` (415):
  the content types a page may send cross-origin without a preflight are never accepted. Raw
  uploads (product images) keep their own content types.

Shopper routes (both listeners) stay open to any Host (LAN IP, onion, reverse proxy) and to
cross-site navigation, embedding and the modal; only their POST forms refuse ``Sec-Fetch-Site:
cross-site`` and a foreign ``Origin``. Our pages send ``Referrer-Policy: no-referrer``, so a browser
without Sec-Fetch-Site posts our own forms with ``Origin: null``: that is accepted there.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from app.checkout_server.connections import WS_SLOTS, WebSocketSlots
from app.checkout_server.errors import json_error
from app.checkout_server.keys import IS_PUBLIC, SERVICES

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
JSON_PREFIXES = ("/api/", "/greenfield/")
JSON_TYPES = ("application/json",)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAFE_FETCH_SITES = frozenset({"same-origin", "none"})  # "none": typed in the address bar, a bookmark
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"
CORS_HEADERS = "Authorization, Content-Type"
CORS_MAX_AGE_S = "600"


def host_name(host_header: str) -> str:
    """``Host`` without its port, lower case, without a trailing dot; ``[::1]:8470`` -> ``::1``."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1:text.find("]")] if "]" in text else ""
    if text.count(":") == 1:
        text = text.split(":")[0]
    return text.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host_header: str | None, private_host: str) -> bool:
    name = host_name(host_header or "")
    if not name:
        return False
    configured = host_name(private_host)
    if name in LOOPBACK_NAMES or name == configured:
        return True
    if configured in ("0.0.0.0", "::"):  # every address of this machine: IP literals cannot be re-bound
        return _is_ip(name)
    return False


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, default port dropped, lower case; None when it is not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname.rstrip(".")
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def own_origins(request: web.Request) -> set[str]:
    """The origins this request's own pages have: as addressed (scheme + Host) and the public URL."""
    origins = {o for o in (origin_of(f"{request.scheme}://{request.host}"),) if o}
    public_url = request.app[SERVICES].settings.public_url
    if public_url:
        origins.add(origin_of(public_url) or public_url)
    return origins


def allowed_cors_origin(request: web.Request) -> str | None:
    """The request's Origin when the ``cors_origins`` setting lists it, else None."""
    origin = origin_of(request.headers.get("Origin", ""))
    allowed = {origin_of(o) for o in request.app[SERVICES].settings.cors_origins}
    return origin if origin is not None and origin in allowed else None


def is_cross_origin(request: web.Request, *, null_is_own: bool = False) -> bool:
    """True for a browser request sent by a page of another origin (Sec-Fetch-Site, else Origin)."""
    fetch_site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetch_site in SAFE_FETCH_SITES:
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return bool(fetch_site)  # a browser that says cross-site/same-site without Origin
    if origin.strip() == "null":
        return not null_is_own or fetch_site == "cross-site"
    return origin_of(origin) not in own_origins(request)


def _is_shopper(request: web.Request) -> bool:
    return (request.match_info.route.name or "").startswith("shopper.")


def _refused_page(request: web.Request) -> web.StreamResponse:
    from app.checkout_server.shopper.pages import error_page, translator

    _ = translator(request).gettext
    return error_page(request, 403, _("This form was sent from another website. Open the shop's own page "
                                      "and try again."))


@web.middleware
async def shopper_form_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Both listeners: shopper POST forms only from the shop's own pages."""
    if request.method == "POST" and _is_shopper(request) and is_cross_origin(request, null_is_own=True):
        logger.info("refused a cross-site %s %s (Origin %r)", request.method, request.path,
                    request.headers.get("Origin"))
        return _refused_page(request)
    return await handler(request)


def _preflight(origin: str) -> web.Response:
    return web.Response(status=204, headers={
        "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": CORS_HEADERS, "Access-Control-Max-Age": CORS_MAX_AGE_S, "Vary": "Origin"})


def _needs_json(request: web.Request) -> bool:
    if request.method not in BODY_METHODS or not request.path.startswith(JSON_PREFIXES):
        return False
    if not request.body_exists:
        return False
    return (request.match_info.route.name or "") not in request.app[RAW_BODY_ROUTES]


@web.middleware
async def private_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Private listener: known Host only; no cross-origin browser calls outside the allow-list."""
    settings = request.app[SERVICES].settings
    if not host_allowed(request.headers.get("Host"), settings.private_host):
        logger.info("refused Host %r on the private listener", (request.headers.get("Host") or "")[:100])
        return json_error(421, "unknown_host", "This address only answers to 127.0.0.1, localhost or ::1.")
    cors = allowed_cors_origin(request)
    if cors is not None and request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        return _preflight(cors)
    if cors is None and not _is_shopper(request) and is_cross_origin(request):
        logger.info("refused a cross-origin %s %s (Origin %r)", request.method, request.path,
                    request.headers.get("Origin"))
        return json_error(403, "cross_origin", "Requests from other websites are not allowed; "
                                               "list the site's origin in the cors_origins setting.")
    if _needs_json(request) and request.content_type not in JSON_TYPES:
        return json_error(415, "unsupported_media_type", "Send the body as JSON with 'Content-Type: application/json'.")
    return await handler(request)


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """An allow-listed origin may read the answer (errors included); preflights carry their own."""
    cors = allowed_cors_origin(request) if "Origin" in request.headers else None
    if cors is not None and "Access-Control-Allow-Origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = cors
        response.headers.add("Vary", "Origin")


RAW_BODY_ROUTES: web.AppKey[frozenset[str]] = web.AppKey("raw_body_routes", frozenset)


def _raw_body_routes() -> frozenset[str]:
    from app.checkout_server.api.routes import all_operations

    return frozenset(f"api.{op.operation_id}" for op in all_operations() if op.raw_body)


def setup(app: web.Application) -> None:
    """After the forwarded-header middleware: guards see the real client and scheme."""
    from app.checkout_server.exposure import forwarded_middleware

    middlewares = list(app.middlewares)
    position = middlewares.index(forwarded_middleware) + 1 if forwarded_middleware in middlewares else 0
    guards = [shopper_form_guard] if app[IS_PUBLIC] else [private_guard, shopper_form_guard]
    for offset, guard in enumerate(guards):
        app.middlewares.insert(position + offset, guard)
    app[WS_SLOTS] = WebSocketSlots()  # open websockets per client (app/checkout_server/connections.py)
    if not app[IS_PUBLIC]:
        app[RAW_BODY_ROUTES] = _raw_body_routes()
        app.on_response_prepare.append(add_cors_headers)
