"""Who is at this till: the paired device (cookie ``rw_device``) and the logged-in person (``rw_session``).

One middleware runs for every ``terminal.*`` route:

1. POST forms only from our own pages (``Sec-Fetch-Site`` / ``Origin``, as the shopper forms).
2. Unless the route is open (pairing, the PWA's manifest, icons, service worker, offline page, the
   static files), the device token is checked against the database on EVERY request
   (``TerminalService.device``): a revoked terminal is refused on its next request. Refused: a 401
   page (or JSON for a JSON request) saying the device is not paired.
3. Requests per terminal id are rate-limited (not per address: onion devices all come from 127.0.0.1).
4. Routes that act for a person need a live session (``TerminalService.session``); without one the
   page goes back to the people list (JSON: 401).
5. Errors become pages with the service's own sentence (a refused action says why); never a traceback.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from app.checkout_server.errors import json_error
from app.checkout_server.exposure import client_address
from app.checkout_server.guards import is_cross_origin
from app.checkout_server.keys import SERVICES
from app.checkout_server.terminal.keys import ACTOR, REQUEST_LIMITER, TERMINAL
from app.checkout_server.terminal.pages import error_page
from app.core.errors import UserFacingError

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DEVICE_COOKIE = "rw_device"
SESSION_COOKIE = "rw_session"
COOKIE_PATH = "/t"
DEVICE_MAX_AGE_S = 400 * 86400  # the longest a browser keeps a cookie
PREFIX = "terminal."
OPEN_ROUTES = frozenset({"terminal.root", "terminal.pair", "terminal.pair_post", "terminal.manifest", "terminal.icon",
                         "terminal.sw", "terminal.offline", "terminal.static"})
DEVICE_ONLY_ROUTES = frozenset({"terminal.people", "terminal.login", "terminal.login_post", "terminal.logout"})
NOT_PAIRED = "This device is not paired (or was revoked): ask the owner for a pairing code."


def wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, max_age_s: int) -> None:
    response.set_cookie(name, value, max_age=max_age_s, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=request.secure)


def forget_cookie(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path=COOKIE_PATH)


def see_other(location: str) -> web.Response:
    """A 303 to one of our own paths (after a form: the browser GETs the next page)."""
    return web.Response(status=303, headers={"Location": location})


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))


def not_paired(request: web.Request) -> web.StreamResponse:
    if wants_json(request):
        response: web.StreamResponse = json_error(401, "terminal_not_paired", NOT_PAIRED)
    else:
        response = error_page(request, 401, NOT_PAIRED, title="Not paired", pair_link=True)
    forget_cookie(response, DEVICE_COOKIE)
    forget_cookie(response, SESSION_COOKIE)
    return response


def _refused(request: web.Request, status: int, code: str, message: str, *,
             headers: dict[str, str] | None = None) -> web.StreamResponse:
    if wants_json(request):
        response = json_error(status, code, message)
        response.headers.update(headers or {})
        return response
    return error_page(request, status, message, headers=headers)


async def _device_and_person(request: web.Request, handler: Handler, name: str) -> web.StreamResponse:
    services = request.app[SERVICES]
    token = request.cookies.get(DEVICE_COOKIE, "")
    if not token or len(token) > 200:
        return not_paired(request)
    try:
        terminal = await services.terminals.device(token, address=client_address(request))
    except UserFacingError as exc:
        if exc.http_status != 401:
            raise
        logger.info("terminal request refused: %s", exc.code)
        return not_paired(request)
    wait_s = request.app[REQUEST_LIMITER].take(terminal.id)
    if wait_s > 0:
        return _refused(request, 429, "rate_limited", "This till sent too many requests. Wait a moment and try again.",
                        headers={"Retry-After": str(math.ceil(wait_s))})
    request[TERMINAL] = terminal
    if name in DEVICE_ONLY_ROUTES:
        return await handler(request)
    session = request.cookies.get(SESSION_COOKIE, "")
    try:
        if not session or len(session) > 200:
            raise _NoSession
        request[ACTOR] = await services.terminals.session(terminal, session)
    except (_NoSession, UserFacingError) as exc:
        if isinstance(exc, UserFacingError) and exc.http_status != 401:
            raise
        if wants_json(request):
            return json_error(401, "session_ended", "Log in with your PIN first.")
        response = see_other("/t/?ended=1" if session else "/t/")
        forget_cookie(response, SESSION_COOKIE)
        return response
    return await handler(request)


class _NoSession(Exception):
    """No session cookie (the person has not logged in on this device)."""


@web.middleware
async def terminal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    name = request.match_info.route.name or ""
    if not name.startswith(PREFIX):
        return await handler(request)
    if request.method == "POST" and is_cross_origin(request, null_is_own=True):
        logger.info("refused a cross-site POST %s (Origin %r)", request.path, request.headers.get("Origin"))
        return _refused(request, 403, "cross_origin", "This form was sent from another website.")
    try:
        if name in OPEN_ROUTES:
            return await handler(request)
        return await _device_and_person(request, handler, name)
    except UserFacingError as exc:
        status = exc.http_status if 400 <= exc.http_status < 500 else 503
        return _refused(request, status, exc.code, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _refused(request, exc.status, "http_error", exc.reason)
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _refused(request, 500, "internal_error", "Something went wrong on our side; it has been logged.")
